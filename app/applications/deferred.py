"""Accept now, hand in later (容缺受理): a required material marked `deferrable` may be left
out of a submission; `accept` records it as `deferred_materials: [{key, due_at}]`, due in
`DomainRules.deferred_material_working_days` working days (the case's own clock keeps
running); handing it in (POST /applications/{id}/supplements) clears it; `complete` waits for
none to be outstanding; a lapsed promise terminates the case (the worker's sweep, below).

`deferred_due_at` (the earliest outstanding deadline of a case still in handling, else None)
is derived from the case's state on every write, so the sweep reads one partial index."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from flask import current_app

from app import clock
from app.applications import repository as repo
from app.applications import rules as wf
from app.cases import calendar
from app.http.errors import Conflict

# The states in which a lapsed promise still matters.
HANDLING = (wf.IN_REVIEW, wf.NEEDS_SUPPLEMENT, wf.APPROVED)


def deferrable_keys(matter: Mapping[str, Any]) -> set[str]:
    return {m["key"] for m in matter["materials"] if m.get("required") and m.get("deferrable")}


def still_required(matter: Mapping[str, Any], required: Iterable[str]) -> list[str]:
    """The required keys a submission must give now: the deferrable ones may come later."""
    later = deferrable_keys(matter)
    return [key for key in required if key not in later]


def left_out(matter: Mapping[str, Any], materials: Iterable[Mapping[str, Any]]) -> list[str]:
    """The deferrable materials a submission did not give (to be handed in later)."""
    given = {m["key"] for m in materials}
    return sorted(key for key in deferrable_keys(matter) if key not in given)


def at_acceptance(case: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """What `accept` records: each deferrable material the submission left out, with its due."""
    days = current_app.extensions["settings"].rules.deferred_material_working_days
    due = calendar.due_at(now, {"value": days, "unit": "working_days"})
    return [{"key": key, "due_at": due} for key in left_out(case["matter"], case["materials"])]


def outstanding(case: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(case.get("deferred_materials") or [])


def after_hand_in(case: Mapping[str, Any], keys: Iterable[str]) -> list[dict[str, Any]]:
    handed = set(keys)
    return [m for m in outstanding(case) if m["key"] not in handed]


def due_at(case: Mapping[str, Any]) -> datetime | None:
    """The derived `deferred_due_at`: what the overdue sweep reads."""
    if case.get("status") not in HANDLING:
        return None
    dues = [m["due_at"] for m in outstanding(case)]
    return min(dues) if dues else None


def require_none_outstanding(case: Mapping[str, Any]) -> None:
    keys = [m["key"] for m in outstanding(case)]
    if keys:
        raise Conflict(
            "A material accepted for later is still outstanding.",
            errors={"deferred_materials": keys},
        )


# The transition that terminates a case whose promise lapsed (app.applications.service).
Terminate = Callable[[dict[str, Any]], bool]


def sweep(limit: int, terminate: Terminate) -> int:
    """Terminate each handling case whose earliest deferred material is overdue; how many this
    call terminated (another sweeper, or a hand-in just before, wins otherwise)."""
    return sum(1 for case in repo.deferred_overdue(clock.now(), limit) if terminate(case))
