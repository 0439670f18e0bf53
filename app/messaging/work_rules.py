"""Staff work notifications, the pure half: the kinds of work that reach a staff inbox, who
must act on each (as audience selectors the relay resolves to accounts), whether a person
wants a kind, and the one summary text of a digest. No database, no HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from babel.lists import format_list

from app import i18n
from app.i18n import N_

# acceptance: a new case in a window's acceptance queue; review: a review task opened for a
# department; supplement: materials handed back on a case the person asked them of;
# complaint: a complaint filed with, assigned, transferred back or reopened to a department.
KINDS = ("acceptance", "review", "supplement", "complaint")
NOTIFICATION_KIND = "staff_work"

# The digest's title, and one phrase per kind of work ({n}: how many arrived); English msgids,
# their Chinese in the message catalogue (app/translations) like every other text.
WORK_TITLE = N_("Work waiting for you")
WORK_PHRASES = {
    "acceptance": N_("{n} new cases in the acceptance queue"),
    "review": N_("{n} new review tasks"),
    "supplement": N_("{n} cases with materials handed back"),
    "complaint": N_("{n} complaints for your department"),
}
WORK_SENTENCE = N_("{list}.")
# The body is the summary composed in each language, picked when read (app/i18n.py render).
WORK_BODY = "{summary}"


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


def summary(counts: Mapping[str, int]) -> tuple[str, str, dict[str, Any]]:
    """The title, body and parameters of one digest; the body reads, in zh-CN,
    '受理队列新增 3 件和新的审查任务 1 项。' (Babel's list format of each language)."""
    kinds = [kind for kind in KINDS if counts.get(kind, 0) > 0]
    per_language = {}
    for lang in i18n.LANGUAGES:
        phrases = [i18n.render(WORK_PHRASES[kind], {"n": counts[kind]}, lang) for kind in kinds]
        listed = format_list(phrases, locale=i18n.locale_of(lang))
        per_language[lang] = i18n.render(WORK_SENTENCE, {"list": listed}, lang)
    return WORK_TITLE, WORK_BODY, {"summary": per_language}


def kept(counts: Mapping[str, int], account: Mapping[str, Any]) -> dict[str, int]:
    """COUNTS without the kinds the person turned off since they arrived."""
    return {k: n for k, n in counts.items() if n > 0 and k in KINDS and wants(account, k)}
