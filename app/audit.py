"""The one audit-log writer, and its tamper evidence.

Every command puts its audit record in its own atomic write, as an outbox entry of type
`audit` (`entry()`); the relay appends it to the log (`append()`), so the record exists exactly
when the change does. A staff read of personal data is recorded the same way: the holder's
access-log entry carries the read's audit record (the one write a GET makes). The relay is the
only writer of the log, one at a time (its lease), so chains never fork.

Tamper evidence without a global lock:
- Each record belongs to the chain of its subject (`chain` = "kind:id") with a sequence number,
  the hash of the chain's previous record (`prev`) and its own hash over a canonical encoding
  (`hash`). The chain's head (sequence, hash, record id) is kept in `audit_heads`, so deleting a
  subject's latest record is detected too. Commands on different subjects never touch the same
  head; two relays on one subject conflict in their transactions and one retries.
- Once a day is over, a digest over all records of that day (count and a hash over their
  hashes in id order) is signed with the server's Ed25519 key (`seal_days()`, by the worker);
  a record inserted into or removed from a sealed day no longer matches the signed digest.
`verify()` (`flask --app wsgi audit verify`) checks every record, link, head and digest and
names the first record, by id, that does not match.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app, g, has_request_context
from pymongo.client_session import ClientSession

from app import audit_repository as repo
from app import clock, outbox

log = logging.getLogger("onevisit.audit")
# A day is sealed once this much of the next day has passed (a relay still committing the
# day's last records has finished by then).
SEAL_GRACE = timedelta(minutes=10)
HASHED_FIELDS = (
    "_id",
    "chain",
    "seq",
    "prev",
    "at",
    "recorded_at",
    "action",
    "actor",
    "subject",
    "before",
    "after",
    "detail",
    "request_id",
)


def _actor() -> dict[str, Any] | None:
    if not has_request_context():
        return {"id": None, "role": "system"}
    user = g.get("user")
    if user is None:
        return None
    actor = {"id": user.id, "role": user.role}
    acting_for = g.get("acting_for")
    if acting_for is not None:
        actor["on_behalf_of"] = acting_for
    return actor


def entry(
    action: str,
    subject_kind: str,
    subject_id: Any,
    *,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
    actor: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit record of a command, as an outbox entry for the command's own write."""
    return outbox.entry(
        "audit",
        at=clock.now(),
        action=action,
        actor=actor if actor is not None else _actor(),
        subject={"kind": subject_kind, "id": str(subject_id)},
        before=before,
        after=after,
        detail=detail or {},
        request_id=g.get("request_id") if has_request_context() else None,
    )


# ------------------------------------------------------------------ canonical form and hash


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # BSON keeps milliseconds: hash what the database gives back.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$date": aware.astimezone(UTC).isoformat(timespec="milliseconds")}
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return {"$double": repr(value)}
    return value


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash is taken over: its fields (never `hash`), keys sorted."""
    body = {name: _canonical_value(record.get(name)) for name in HASHED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


# ------------------------------------------------------------------ appending


def chain_of(subject: dict[str, Any]) -> str:
    return f"{subject['kind']}:{subject['id']}"


def append(entries: list[dict[str, Any]], session: ClientSession) -> list[dict[str, Any]]:
    """Append audit ENTRIES (in order) to their subjects' chains inside SESSION's transaction."""
    if not entries:
        return []
    chains = list(dict.fromkeys(chain_of(e["subject"]) for e in entries))
    heads = repo.heads(chains, session)
    now = clock.now()
    records = []
    for item in entries:
        chain = chain_of(item["subject"])
        head = heads.get(chain) or {"seq": 0, "hash": None}
        record = {
            "_id": ObjectId(item["id"]),
            "chain": chain,
            "seq": head["seq"] + 1,
            "prev": head["hash"],
            "at": item["at"],
            "recorded_at": now,
            "action": item["action"],
            "actor": item.get("actor"),
            "subject": item["subject"],
            "before": item.get("before"),
            "after": item.get("after"),
            "detail": item.get("detail") or {},
            "request_id": item.get("request_id"),
        }
        record["hash"] = record_hash(record)
        records.append(record)
        heads[chain] = {"seq": record["seq"], "hash": record["hash"], "last_id": record["_id"]}
    repo.insert_records(records, session)
    repo.save_heads({chain: heads[chain] for chain in chains}, session)
    return records


@outbox.applier("audit")
def _apply_audit(pending: list[outbox.Pending], session: ClientSession) -> None:
    append([item.entry for item in pending], session)


# ------------------------------------------------------------------ daily digests


def day_of(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def _day_bounds(day: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    return start, start + timedelta(days=1)


def _digest_message(day: str, count: int, root: str) -> bytes:
    return f"onevisit-audit|{day}|{count}|{root}".encode()


def digest_of(records: Iterable[dict[str, Any]]) -> tuple[int, str]:
    count, root = 0, hashlib.sha256()
    for record in records:
        count += 1
        root.update(record["hash"].encode() + b"\n")
    return count, root.hexdigest()


def seal_days(now: datetime | None = None, limit: int = 7) -> int:
    """Sign the digest of each finished day that has records and no digest yet (oldest first,
    at most LIMIT per call). Returns how many days were sealed."""
    now = now or clock.now()
    last_day = (now - SEAL_GRACE - timedelta(days=1)).date()
    first = repo.first_unsealed_day()
    if first is None:
        return 0
    day = datetime.strptime(first, "%Y-%m-%d").date()
    keys = current_app.extensions["signing_keys"]
    sealed = 0
    while day <= last_day and sealed < limit:
        name = day.isoformat()
        start, end = _day_bounds(name)
        count, root = digest_of(repo.records_between(start, end))
        if count:
            kid, signature = keys.sign(_digest_message(name, count, root))
            repo.save_digest(
                {
                    "_id": name,
                    "count": count,
                    "root": root,
                    "kid": kid,
                    "signature": signature,
                    "sealed_at": now,
                }
            )
            sealed += 1
        repo.set_sealed_through(name)
        day += timedelta(days=1)
    if sealed:
        log.info("audit days sealed", extra={"count": sealed})
    return sealed


# ------------------------------------------------------------------ verification


@dataclass
class Finding:
    record_id: str
    problem: str

    def __str__(self) -> str:
        return f"{self.record_id}: {self.problem}"


@dataclass
class VerifyReport:
    records: int = 0
    chains: int = 0
    days: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return min(self.findings, key=lambda f: f.record_id) if self.findings else None


def _chain_records(since: datetime | None) -> Iterator[list[dict[str, Any]]]:
    current: list[dict[str, Any]] = []
    for record in repo.records_by_chain(since):
        if current and current[-1]["chain"] != record["chain"]:
            yield current
            current = []
        current.append(record)
    if current:
        yield current


def verify(since: date | None = None) -> VerifyReport:
    """Check every record's hash, every link, every chain head and every signed digest (from
    SINCE on, when given; the link into SINCE is checked against the record before it)."""
    report = VerifyReport()
    start = datetime.combine(since, datetime.min.time(), UTC) if since else None
    seen_chains: set[str] = set()
    for records in _chain_records(start):
        chain = records[0]["chain"]
        seen_chains.add(chain)
        report.chains += 1
        previous = repo.record_at(chain, records[0]["seq"] - 1) if start else None
        expected_seq = records[0]["seq"] if start else 1
        expected_prev = previous["hash"] if previous else None
        for record in records:
            report.records += 1
            if record.get("hash") != record_hash(record):
                report.findings.append(Finding(str(record["_id"]), "content does not match"))
            if record["seq"] != expected_seq or record.get("prev") != expected_prev:
                report.findings.append(Finding(str(record["_id"]), f"link broken in chain {chain}"))
            expected_seq = record["seq"] + 1
            expected_prev = record.get("hash")
        head = repo.head(chain)
        last = records[-1]
        if head is None or head["seq"] != last["seq"] or head["hash"] != last.get("hash"):
            missing = str(head["last_id"]) if head and head.get("last_id") else str(last["_id"])
            report.findings.append(
                Finding(missing, f"chain {chain} does not end at its recorded head")
            )
    for head in repo.all_heads():
        if head["_id"] in seen_chains:
            continue
        if start is None or repo.record_at(head["_id"], head["seq"]) is None:
            report.findings.append(
                Finding(str(head.get("last_id")), f"chain {head['_id']} lost its records")
            )
    keys = current_app.extensions["signing_keys"]
    for digest in repo.digests(since.isoformat() if since else None):
        report.days += 1
        day_start, day_end = _day_bounds(digest["_id"])
        records = list(repo.records_between(day_start, day_end))
        count, root = digest_of(records)
        signed = keys.verify(
            digest["kid"],
            digest["signature"],
            _digest_message(digest["_id"], digest["count"], digest["root"]),
        )
        if not signed or count != digest["count"] or root != digest["root"]:
            named = str(records[0]["_id"]) if records else f"day {digest['_id']}"
            report.findings.append(
                Finding(
                    named,
                    f"records of {digest['_id']} do not match its signed digest "
                    f"({count} found, {digest['count']} sealed"
                    + ("" if signed else "; signature invalid")
                    + ")",
                )
            )
    return report
