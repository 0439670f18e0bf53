"""Synthetic applications built on app/applications/service.submitted_document (the shape
submit() files; migration 0014 checks every one), spread over the catalogue's service items
and so its regions and departments, over statuses and over a year of dates; plus the
supervision events and daily KPI counters such a history would have produced."""

from __future__ import annotations

import os
import random
import struct
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from app.applications.service import submitted_document
from app.cases.workcalendar import CHINA_TZ
from app.cases.workflow import timeline_entry
from app.catalogue.regions import ancestors

# Share of each status in a year of history: most cases are done, a few are in flight.
STATUS_WEIGHTS = {
    "completed": 62,
    "in_review": 12,
    "submitted": 6,
    "needs_supplement": 3,
    "approved": 4,
    "rejected": 8,
    "withdrawn": 5,
}
EVENT_TYPES = ("application_overdue", "sla_warning", "extra_visit", "bad_rating")


def form_value(field: dict[str, Any]) -> Any:
    kind = field["type"]
    if kind == "choice":
        return field["choices"][0]
    if kind in ("number", "integer"):
        return max(field.get("min", 1), 1)
    if kind == "boolean":
        return True
    if kind == "date":
        return "2026-12-01"
    return "Bench"[: field.get("max_length", 100)]


def object_id_at(at: datetime) -> ObjectId:
    """An ObjectId whose timestamp is AT, so 'newest first by _id' matches submitted_at."""
    return ObjectId(struct.pack(">I", int(at.timestamp())) + os.urandom(8))


class Generator:
    def __init__(self, matters: list[dict[str, Any]], now: datetime, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        # Hangzhou's items get most of the traffic, as the capital's would.
        self.matters = matters
        self.weights = [5 if m["region"] == "330100" else 2 for m in matters]
        self.now = now
        self.start = now - timedelta(days=365)
        self.daily_seq: dict[str, int] = defaultdict(int)
        self.statuses = list(STATUS_WEIGHTS)
        self.status_weights = list(STATUS_WEIGHTS.values())
        # (department, day) -> metric increments, as app.oversight.kpi.record would have made them.
        self.kpi: dict[tuple[str, str, str], dict[str, float]] = defaultdict(
            lambda: defaultdict(float)
        )

    def _tracking_no(self, at: datetime) -> str:
        day = at.astimezone(CHINA_TZ).strftime("%Y%m%d")
        self.daily_seq[day] += 1
        return f"BZ{day}{self.daily_seq[day]:06d}"  # BZ: never meets a real number

    def _entry(self, at: datetime, action: str, before: str | None, after: str | None):
        return timeline_entry(None, action, before, after, at=at)

    def _kpi(self, department: str, region: str, at: datetime, **increments: float) -> None:
        day = at.astimezone(CHINA_TZ).strftime("%Y-%m-%d")
        counters = self.kpi[(department, region, day)]
        for name, value in increments.items():
            counters[name] += value

    def application(
        self, applicant_id: ObjectId, applicant_name: str = "Resident"
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """One application (and the supervision event it raised, if any)."""
        rng = self.rng
        matter = rng.choices(self.matters, self.weights)[0]
        status = rng.choices(self.statuses, self.status_weights)[0]
        limit = matter["time_limit"]
        span = timedelta(
            hours=limit["value"] if limit["unit"] == "hours" else limit["value"] * 24 * 1.4
        )
        # Recent cases are still open; old ones are finished, and finished before now (the
        # longest path: acceptance 20 h, a late decision 1.5 spans, completion 6 h).
        if status in ("submitted", "in_review", "needs_supplement", "approved"):
            submitted = self.now - timedelta(seconds=rng.uniform(0, 1.5 * 86400))
        else:
            latest = self.now - timedelta(hours=26) - span * 1.5
            submitted = self.start + (latest - self.start) * rng.random()
        departments = [matter["lead_department"], *matter.get("co_departments", [])]
        region = matter["region"]
        doc = submitted_document(
            actor=None,
            applicant_id=applicant_id,
            applicant={
                "kind": "person",
                "name": applicant_name,
                "phone": f"138{rng.randrange(10**8):08d}",
                "id_number": None,
                "enterprise": None,
            },
            matter={"version": 1, **matter},
            form={f["key"]: form_value(f) for f in matter["form"] if f.get("required")},
            materials=[
                {"key": m["key"], "name": m.get("name"), "attachment_id": str(ObjectId())}
                for m in matter["materials"]
                if m.get("required")
            ],
            delivery=matter["delivery"][0],
            tracking_no=self._tracking_no(submitted),
            at=submitted,
            doc_id=object_id_at(submitted),
        )
        doc["status"] = status
        self._kpi(doc["department"], region, submitted, applications_received=1)
        event = None
        if status == "submitted":
            return doc, None  # in the acceptance queues, as filed
        doc.update(inbox_keys=[], inbox_at=None)
        if status == "withdrawn":
            at = submitted + timedelta(hours=rng.uniform(1, 30))
            doc.update(status="withdrawn", closed_at=at, updated_at=at, version=2)
            doc["timeline"].append(self._entry(at, "withdraw", "submitted", "withdrawn"))
            return doc, None
        accepted = min(submitted + timedelta(hours=rng.uniform(0.2, 20)), self.now)
        due = accepted + span
        doc.update(accepted_at=accepted, due_at=due, version=2, updated_at=accepted)
        doc["timeline"].append(self._entry(accepted, "accept", "submitted", "in_review"))
        doc["reviews"] = [
            {"department": code, "status": "pending", "opinion": None, "decided_at": None}
            for code in dict.fromkeys(departments)
        ]
        if status == "rejected" and rng.random() < 0.4:  # refused at the window
            doc["reviews"] = []
            doc.update(accepted_at=None, due_at=None, closed_at=accepted, status="rejected")
            doc["timeline"][-1] = self._entry(accepted, "reject", "submitted", "rejected")
            self._kpi(doc["department"], region, accepted, applications_rejected=1)
            return doc, None
        if status in ("in_review", "needs_supplement"):
            decided = rng.randrange(len(doc["reviews"]))
            for task in doc["reviews"][:decided]:
                task.update(status="approved", opinion="OK", decided_at=accepted)
            doc["inbox_keys"] = [
                f"review:{t['department']}" for t in doc["reviews"] if t["status"] == "pending"
            ]
            doc["inbox_at"] = due
            if due > self.now:
                warn = accepted + span * 0.8
                doc["overdue_at"] = due
                if warn > self.now:
                    doc["warn_at"] = warn
                else:
                    # Warned already, as the worker's sweep leaves a case past its warning:
                    # else the first sweep after the load would work through all of them.
                    event = self._event("sla_warning", doc, warn)
            elif rng.random() < 0.8:
                event = self._event("application_overdue", doc, due)
            if status == "needs_supplement":
                paused = accepted + timedelta(hours=rng.uniform(1, 10))
                doc.update(clock_paused_at=paused, warn_at=None, overdue_at=None, inbox_keys=[])
                doc["inbox_at"] = None
                doc["supplement_request"] = {
                    "materials": [m["key"] for m in doc["matter"]["materials"]][:1],
                    "reason": "The scan is unreadable.",
                    "department": doc["department"],
                    "requested_at": paused,
                    "requested_by": {"id": None, "name": "Staff"},
                }
            return doc, event
        # About one case in twenty finishes late.
        late = rng.random() < 0.05
        decided_at = min(
            accepted + span * (rng.uniform(1.0, 1.5) if late else rng.uniform(0.2, 0.9)), self.now
        )
        outcome = "rejected" if status == "rejected" else "approved"
        for n, task in enumerate(doc["reviews"]):
            task_status = "rejected" if outcome == "rejected" and n == 0 else "approved"
            task.update(status=task_status, opinion="Checked.", decided_at=decided_at)
        doc["timeline"].append(self._entry(decided_at, "review", "in_review", outcome))
        doc.update(updated_at=decided_at, version=2 + len(doc["reviews"]))
        if outcome == "rejected":
            doc["closed_at"] = decided_at
            self._kpi(doc["department"], region, decided_at, applications_rejected=1)
            return doc, None
        if status == "approved":
            return doc, None
        done = decided_at + timedelta(hours=rng.uniform(0.1, 6))
        # Within the item's promise almost always; one case in fifty needs an extra visit.
        allowed = matter["max_visits"]
        visits = allowed + 1 if rng.random() < 0.02 else rng.randint(0, allowed)
        doc["visits"] = [
            {"at": accepted, "purpose": "identity check", "staff": {"id": None, "name": "Staff"}}
        ] * visits
        doc["visit_count"] = visits
        doc.update(
            status="completed",
            completed_at=done,
            closed_at=done,
            updated_at=done,
            certificate_id=ObjectId(),
            version=doc["version"] + 1,
        )
        doc["timeline"].append(self._entry(done, "complete", "approved", "completed"))
        hours = (done - accepted).total_seconds() / 3600
        on_time = done <= due
        self._kpi(
            doc["department"],
            region,
            done,
            applications_completed=1,
            completed_online=1 if visits == 0 else 0,
            completed_one_visit=1 if visits <= 1 else 0,
            completed_on_time=1 if on_time else 0,
            processing_hours_sum=hours,
        )
        if not on_time:
            event = self._event("application_overdue", doc, due)
        elif visits > matter["max_visits"]:
            event = self._event("extra_visit", doc, done)
        if rng.random() < 0.3:
            score = rng.choices((5, 4, 3, 2, 1), (70, 20, 5, 3, 2))[0]
            doc["rating"] = {"score": score, "comment": None, "at": done}
            self._kpi(
                doc["department"],
                region,
                done,
                ratings=1,
                ratings_satisfied=1 if score >= 4 else 0,
                bad_ratings=1 if score <= 2 else 0,
            )
            if score <= 2 and event is None:
                event = self._event("bad_rating", doc, done)
        return doc, event

    def _event(self, event_type: str, case: dict[str, Any], at: datetime) -> dict[str, Any]:
        event_id = object_id_at(at)
        return {
            "_id": event_id,
            "type": event_type,
            "severity": "high" if event_type == "application_overdue" else "medium",
            "subject": {
                "kind": "application",
                "id": str(case["_id"]),
                "tracking_no": case["tracking_no"],
            },
            "region": case["region"],
            "region_path": case["region_path"],
            "department": case["department"],
            "summary": f"{case['matter']['name']} {case['tracking_no']}: {event_type}",
            "state": self.rng.choice(("open", "open", "acknowledged", "closed")),
            "notes": [],
            "finding": None,
            "created_at": at,
            "updated_at": at,
            "notified_at": at,  # history: its people were told long ago (no worker backlog)
            "version": 1,
            "dedupe_key": f"{event_type}:application:{case['_id']}",
        }

    def drain_kpi(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(filter, update) pairs that add the counters gathered since the last drain."""
        updates = []
        for (department, region, day), metrics in self.kpi.items():
            updates.append(
                (
                    {"_id": f"{department}|{day}"},
                    {
                        "$inc": {f"m.{name}": value for name, value in metrics.items()},
                        "$setOnInsert": {
                            "department": department,
                            "region": region,
                            "region_path": ancestors(region),
                            "day": day,
                        },
                    },
                )
            )
        self.kpi.clear()
        return updates


def now_utc() -> datetime:
    return datetime.now(UTC)
