"""Instant approval (秒批): gathering the facts of one submission (form values, the
applicant's ID number and wallet certificates) and deciding with the rules of
`app.approval.rules`. Rules only approve: a submission that fails goes to human review."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from app import clock, i18n
from app.accounts import repository as users_repo
from app.accounts.identity import is_resident_id, resident_id_birth_date
from app.approval import rules
from app.cases.workcalendar import CHINA_TZ
from app.catalogue import forms
from app.catalogue import repository as matters_repo
from app.http.errors import NotFound, ValidationFailed
from app.wallet import certificates

AUTOMATIC = "automatic"


def facts_for(
    auto_approval: dict[str, Any],
    form: dict[str, Any],
    applicant_id: ObjectId,
    id_number: str | None,
) -> dict[str, Any]:
    """What the rule set reads, from the form and the government's own records."""
    today = clock.now().astimezone(CHINA_TZ).date()
    birth = resident_id_birth_date(id_number) if id_number and is_resident_id(id_number) else None
    types = rules.needed_certificate_types(auto_approval["rules"])
    return {
        "form": form,
        "certificates": certificates.valid_by_type(applicant_id, types),
        "age": rules.age_on(birth, today) if birth else None,
        "region": id_number[:6] if birth and id_number else None,
    }


def decide(
    matter: dict[str, Any], form: dict[str, Any], applicant_id: ObjectId, id_number: str | None
) -> dict[str, Any] | None:
    """The automatic decision for a submission of MATTER, or None when a person decides."""
    auto_approval = matter.get("auto_approval")
    if not auto_approval:
        return None
    facts = facts_for(auto_approval, form, applicant_id, id_number)
    failed, inputs = rules.evaluate(auto_approval["rules"], facts)
    if failed:
        return None
    return {
        "mode": AUTOMATIC,
        "rules_version": auto_approval["version"],
        "inputs": inputs,
        "decided_at": clock.now(),
    }


def test_rules(code: str, form: dict[str, Any], applicant_id: ObjectId) -> dict[str, Any]:
    """What the current rule set of CODE would decide for APPLICANT submitting FORM; nothing
    is filed."""
    matter = matters_repo.get_current(code)
    if matter is None:
        raise NotFound("No such service item.")
    auto_approval = matter.get("auto_approval")
    if not auto_approval:
        raise ValidationFailed(
            "This service item has no instant-approval rules.",
            errors={"code": ["This service item has no instant-approval rules."]},
        )
    applicant = users_repo.get(applicant_id)
    if applicant is None:
        raise ValidationFailed("No such applicant.", errors={"applicant_id": ["No such user."]})
    cleaned = forms.validate_form(matter["form"], form)
    facts = facts_for(auto_approval, cleaned, applicant_id, applicant.get("id_number"))
    failed, inputs = rules.evaluate(auto_approval["rules"], facts)
    for rule in failed:  # the reasons in the reader's language
        for check in rule["checks"]:
            check["reason"] = i18n.message(check["reason"])
    return {
        "approved": not failed,
        "rules_version": auto_approval["version"],
        "failed_rules": failed,
        "inputs": inputs,
    }
