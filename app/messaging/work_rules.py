"""Staff work notifications, the pure half: the kinds of work that reach a staff inbox, who
must act on each (as audience selectors the relay resolves to accounts), whether a person
wants a kind, and the one summary text of a digest. No database, no HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.messaging import texts

# acceptance: a new case in a window's acceptance queue; review: a review task opened for a
# department; supplement: materials handed back on a case the person asked them of;
# complaint: a complaint filed with, assigned, transferred back or reopened to a department.
KINDS = ("acceptance", "review", "supplement", "complaint")
NOTIFICATION_KIND = "staff_work"


def department_staff(code: str, duties: Iterable[str] | None = None) -> dict[str, Any]:
    """Staff of department CODE (with one of DUTIES, when given)."""
    return {"department": code, "duties": sorted(duties) if duties else None}


def region_window(region: str) -> dict[str, Any]:
    """Window staff whose department is in REGION (its one-window acceptance desk)."""
    return {"region": region, "duties": ["window"]}


def person(user_id: Any) -> dict[str, Any]:
    return {"user": str(user_id)}


def wants(account: Mapping[str, Any], kind: str) -> bool:
    """Every kind is on until the person turns it off (PATCH /me staff_notifications)."""
    return bool((account.get("staff_notifications") or {}).get(kind, True))


def settings_of(account: Mapping[str, Any]) -> dict[str, bool] | None:
    """The person's setting for every kind as GET /me shows it (staff only)."""
    if account.get("role") != "staff":
        return None
    return {kind: wants(account, kind) for kind in KINDS}


def summary(counts: Mapping[str, int]) -> tuple[str, str]:
    """The title and body of one digest: '受理队列新增 3 件，新的审查任务 1 项。'."""
    parts = [
        texts.WORK_PHRASES[kind].format(n=counts[kind]) for kind in KINDS if counts.get(kind, 0) > 0
    ]
    return texts.WORK_DIGEST_TITLE, texts.WORK_SEPARATOR.join(parts) + texts.WORK_END


def kept(counts: Mapping[str, int], account: Mapping[str, Any]) -> dict[str, int]:
    """COUNTS without the kinds the person turned off since they arrived."""
    return {k: n for k, n in counts.items() if n > 0 and k in KINDS and wants(account, k)}
