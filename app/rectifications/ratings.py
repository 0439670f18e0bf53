"""What a rating does, for applications and complaints alike (good-or-bad, 好差评): the rating
as stored, its KPI increments, the `bad_rating` supervision event and, for an application, the
rectification a bad rating opens and the one re-rating allowed after it was resolved. The
rating commands of both case types build their engine change here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bson import ObjectId
from flask import current_app

from app import clock
from app.cases import engine
from app.http.errors import Conflict, ValidationFailed
from app.oversight import events, kpi
from app.rectifications import repository as repo
from app.rectifications import rules

TARGETS = ("case", "window", "staff")


def _rules():
    return current_app.extensions["settings"].rules


def _staff_of(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The staff who acted on CASE (by id), from its timeline: who one may name."""
    found: dict[str, dict[str, Any]] = {}
    for entry in case.get("timeline") or []:
        actor = entry.get("actor") or {}
        if actor.get("role") == "staff" and actor.get("id"):
            found[str(actor["id"])] = {
                "id": str(actor["id"]),
                "name": actor.get("name"),
                "department": actor.get("department"),
            }
    return found


def _window_of(case: dict[str, Any]) -> dict[str, Any] | None:
    """The window that received CASE: the staff member who accepted it."""
    for entry in case.get("timeline") or []:
        actor = entry.get("actor") or {}
        if entry.get("action") == "accept" and actor.get("id"):
            return {
                "id": str(actor["id"]),
                "name": actor.get("name"),
                "department": actor.get("department"),
            }
    return None


def target_of(case: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The window and staff member a rating names (422 for one the case never had)."""
    target = data.get("target") or "case"
    staff_id = data.get("staff_id")
    window = _window_of(case)
    named = None
    if target == "window" and window is None:
        raise ValidationFailed(
            "This case was never received at a window.",
            errors={"target": ["No window received this case."]},
        )
    if target == "staff":
        if not staff_id:
            raise ValidationFailed(
                "Name the staff member you rate.",
                errors={"staff_id": ["Required when target is staff."]},
            )
        named = _staff_of(case).get(staff_id)
        if named is None:
            raise ValidationFailed(
                "That staff member did not handle this case.",
                errors={"staff_id": ["Not a staff member of this case."]},
            )
    return {"target": target, "window": window if target != "case" else None, "staff": named}


def _may_rate_again(case: dict[str, Any]) -> bool:
    """Once only, after the rectification the first rating opened was resolved."""
    rating = case["rating"]
    if rating.get("round", 1) != 1 or rating.get("rectification_id") is None:
        return False
    rectification = repo.get(rating["rectification_id"])
    return rectification is not None and rectification["status"] == rules.RESOLVED


def change(
    kind: str,
    case: dict[str, Any],
    data: dict[str, Any],
    summary: Callable[[dict[str, Any], int], str],
    *,
    rectify: bool = False,
) -> engine.Change:
    """The engine change of rating CASE (an application or a complaint of KIND) with DATA;
    SUMMARY(case, score) is the bad-rating event's text (no personal data). With RECTIFY a
    bad first rating opens a rectification in the same write (its outbox)."""
    score = int(data["score"])
    previous = case.get("rating")
    if previous is not None and not (rectify and _may_rate_again(case)):
        if kind == "complaint":
            raise Conflict("You rated this complaint already.")
        raise Conflict("You rated this application already.")
    now = clock.now()
    rating: dict[str, Any] = {
        "score": score,
        "comment": data.get("comment"),
        "tags": list(data.get("tags") or []),
        "at": now,
        "round": 1 if previous is None else 2,
    }
    if rectify:
        rating.update(target_of(case, data), rectification_id=None)
    bad = score <= _rules().bad_score
    opens = rectify and bad and previous is None
    if opens:
        rating["rectification_id"] = ObjectId()
    if previous is not None:
        rating["rectification_id"] = previous.get("rectification_id")

    def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
        dept, region = after["department"], after["region"]
        entries = kpi.increment(dept, region, now, **kpi.rating_increments(score, kind))
        if previous is not None:
            # The re-rating replaces the first in the KPIs, on the first one's day.
            undo = kpi.rating_increments(int(previous["score"]), kind)
            entries += kpi.increment(
                dept, region, previous["at"], **{k: -v for k, v in undo.items()}
            )
        if bad:
            entries.append(events.for_case(after, kind, "bad_rating", summary(after, score)))
        if opens:
            from app.rectifications import service

            entries.append(service.opening_entry(after, rating, now))
        return entries

    return engine.Change(
        set={"rating": rating},
        filter={"rating": None} if previous is None else {"rating.at": previous["at"]},
        push={"ratings_history": previous} if previous is not None else {},
        note=f"rated {score}/5",
        audit_detail={"score": score, "round": rating["round"]},
        effects=effects,
    )


def counted(rating: dict[str, Any] | None) -> tuple[int, datetime | None] | None:
    """The rating as the KPIs count it (None: none, or taken out by an upheld appeal)."""
    if not rating or rating.get("score") is None or rating.get("excluded"):
        return None
    return int(rating["score"]), rating.get("at") or rating.get("rated_at")
