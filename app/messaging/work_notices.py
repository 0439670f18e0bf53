"""Staff work notifications: staff are told when work reaches their inbox, at most once per
`DomainRules.work_digest_interval_seconds`, in one notification (in-app and push) summarising
what arrived ("受理队列新增 3 件，新的审查任务 1 项。").

Exactly once, in three steps, each one transaction:
1. the command that moves the work queues an `work_arrived` entry in its own write
   (`arrived()`, in a case engine Change's effects), naming the kind and the audience (who
   must act: app.messaging.work_rules selectors), never a second write in the request;
2. the relay's applier resolves the audience to staff accounts, drops those who turned the
   kind off or fired the command, and folds the counts into each person's digest
   (`work_digests`) inside the relay's transaction, so an entry counts once;
3. the worker flushes due digests (`flush_due`): the digest emptied by compare-and-set on
   its `seq` and the notification with its push copies inserted in one transaction, so a
   worker dying half-way leaves the digest pending and nothing sent, and no digest is ever
   told twice.
A digest is due at once when its first work arrives (the leading edge: the first case of a
quiet hour is told within a worker pass) and then not before the interval has passed since
the last notification; what arrives meanwhile waits in the digest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from pymongo.client_session import ClientSession

from app import clock, outbox
from app.accounts import repository as users_repo
from app.messaging import notify
from app.messaging import work_digests_repository as repo
from app.messaging import work_rules as rules
from app.store import in_transaction

ENTRY_TYPE = "work_arrived"


def arrived(
    kind: str,
    audience: list[dict[str, Any]],
    subject: dict[str, Any],
    actor: Any = None,
) -> list[dict[str, Any]]:
    """The outbox entry telling AUDIENCE that work of KIND (about SUBJECT) reached their
    inbox; ACTOR, who caused it, is not told."""
    if kind not in rules.KINDS:
        raise ValueError(f"unknown kind of work {kind!r}")
    if not audience:
        return []
    return [
        outbox.entry(
            ENTRY_TYPE,
            kind=kind,
            audience=audience,
            subject=subject,
            actor=str(actor) if actor is not None else None,
        )
    ]


@outbox.applier(ENTRY_TYPE)
def _apply(pending: list[outbox.Pending], session: ClientSession) -> None:
    # One query per distinct selector in the batch, however many entries name it.
    resolved: dict[str, list[dict[str, Any]]] = {}
    arrivals: dict[ObjectId, dict[str, Any]] = {}
    for item in pending:
        entry = item.entry
        told: set[ObjectId] = set()
        for selector in entry["audience"]:
            key = repr(sorted(selector.items()))
            if key not in resolved:
                resolved[key] = users_repo.staff_for(selector, session)
            for account in resolved[key]:
                if str(account["_id"]) == entry.get("actor") or account["_id"] in told:
                    continue
                if not rules.wants(account, entry["kind"]):
                    continue
                told.add(account["_id"])
                arrival = arrivals.setdefault(account["_id"], {"counts": {}})
                arrival["counts"][entry["kind"]] = arrival["counts"].get(entry["kind"], 0) + 1
                arrival["subject"] = entry["subject"]
    repo.add(arrivals, clock.now(), session)


def _interval() -> timedelta:
    return timedelta(seconds=current_app.extensions["settings"].rules.work_digest_interval_seconds)


def flush_due(limit: int, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """The worker's step: one notification per due digest; returns counts for the pass."""
    now = clock.now()
    digests = repo.due(now, limit)
    accounts = users_repo.notification_settings([d["_id"] for d in digests])
    report = {"notified": 0, "dropped": 0, "skipped": 0, "full": int(len(digests) >= limit)}
    for digest in digests:
        if should_stop():
            break
        account = accounts.get(digest["_id"])

        def work(session: ClientSession, digest: dict[str, Any] = digest, account=account) -> str:
            return _flush(digest, account, session)

        outcome = in_transaction(work)
        report[outcome] += 1
    return report


def _flush(digest: dict[str, Any], account: dict[str, Any] | None, session: ClientSession) -> str:
    now = clock.now()
    counts = rules.kept(digest.get("counts") or {}, account or {}) if account else {}
    # Nothing left to tell (every kind since turned off): empty it without holding the next.
    not_before = now + _interval() if counts else now
    if not repo.flush(digest, now, not_before, session):
        return "skipped"
    if not counts:
        return "dropped"
    title, body = rules.summary(counts)
    single = sum(counts.values()) == 1 and digest.get("last_subject")
    subject = digest["last_subject"] if single else {"kind": "inbox", "counts": counts}
    notify.deliver(
        [notify.notification(digest["_id"], rules.NOTIFICATION_KIND, title, body, subject=subject)],
        session,
    )
    return "notified"
