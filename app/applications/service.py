"""Applications: what a submission must satisfy, the lifecycle transitions (rules in
`app.applications.rules`, fired through the case engine `app.cases.engine`), the SLA clock,
visits, ratings, and who may read what. Every command is one write of the case: the
applicant's notification, the KPI increments, supervision events and the certificate travel in
its outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from flask import current_app

from app import audit, clock, i18n, privacy
from app.accounts import repository as users_repo
from app.accounts.auth import Principal, current_user_document
from app.accounts.identity import mask_name, mask_phone, mask_resident_id
from app.applications import commitments, deferred
from app.applications import repository as repo
from app.applications import rules as wf
from app.approval import service as instant
from app.cases import calendar, engine, inbox, workflow
from app.cases.tracking import next_tracking_no
from app.catalogue import departments_repository as departments_repo
from app.catalogue import forms
from app.catalogue import repository as matters_repo
from app.catalogue.regions import ancestors
from app.delivery import rules as delivery_rules
from app.delivery import service as delivery
from app.http.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.i18n import N_
from app.messaging import work_notices, work_rules
from app.messaging.notify import notification
from app.oversight import events, kpi, kpi_rebuild, sla_sweep
from app.pagination import Page
from app.payments import service as payments
from app.rectifications import ratings
from app.wallet import attachments, certificates

log = logging.getLogger("onevisit.applications")
TRACKING_PREFIX = "ZJ"
CASE_KIND = "application"


def _rules():
    return current_app.extensions["settings"].rules


# ---------------------------------------------------------------- reading and visibility


def load_visible(user: Principal, application_id: str | ObjectId) -> dict[str, Any]:
    """The case if USER may see it; missing and invisible cases are the same 404."""
    return engine.load(CASE_KIND, application_id, user)


def get(user: Principal, application_id: str | ObjectId) -> dict[str, Any]:
    return load_visible(user, application_id)


def track(user: Principal, tracking_no: str) -> dict[str, Any]:
    doc = repo.get_by_tracking_no(tracking_no)
    if doc is None or not wf.may_read(user, doc):
        raise NotFound()
    return doc


def list_own(user: Principal, status: str | None, limit: int, cursor: str | None) -> Page:
    """My applications, newest first, each with `overdue` computed."""
    page = repo.page_for_applicant(user.oid, status, limit, cursor)
    now = clock.now()
    # A grantee limited to some service items sees only those (filtered on the page read by
    # the applicant index, so a page may hold fewer items; next_cursor still moves on).
    items = [doc for doc in page.items if wf.is_owner(user, doc)]
    return Page([{**doc, "overdue": wf.overdue(doc, now)} for doc in items], page.next_cursor)


def _staff_may_read_files(user: Principal, case_id: ObjectId) -> bool:
    doc = repo.get(case_id)
    return doc is not None and wf.is_involved_staff(user, doc)


attachments.register_case_access(CASE_KIND, _staff_may_read_files)


def read_certificate(user: Principal, application_id: str, key: str) -> dict[str, Any]:
    """Involved staff read a certificate the applicant cited; the read is logged for the
    holder. The owner reads it in the wallet; supervisors never read personal documents."""
    case = load_visible(user, application_id)
    if not wf.is_involved_staff(user, case):
        raise Forbidden("Only staff handling the case read the certificates it cites.")
    material = next((m for m in case["materials"] if m["key"] == key), None)
    if material is None or material.get("certificate_id") is None:
        raise NotFound("This case cites no certificate for that material.")
    return certificates.read_through_case(
        user, material["certificate_id"], CASE_KIND, case["_id"], case["tracking_no"]
    )


# ---------------------------------------------------------------- presenting


def masked_applicant(applicant: dict[str, Any], applicant_id: ObjectId) -> dict[str, Any]:
    privacy.mark()
    enterprise = applicant.get("enterprise")
    erased = applicant.get("erased_at") is not None  # a closed account: nothing left to mask
    return {
        "id": applicant_id,
        "kind": applicant["kind"],
        "name": applicant.get("name") if erased else mask_name(applicant.get("name")),
        "phone": mask_phone(applicant.get("phone")) or None,
        "id_number": mask_resident_id(applicant.get("id_number")) or None,
        "enterprise": (
            {
                "name": enterprise.get("name"),
                "credit_code": mask_resident_id(enterprise.get("credit_code")),
            }
            if enterprise
            else None
        ),
    }


def present(doc: dict[str, Any]) -> dict[str, Any]:
    """The API view of a case: personal data masked (app/privacy.py: the applicant for
    everyone, each person who acted by the reader's relation to them), `overdue` computed."""
    view = dict(doc)
    view["applicant"] = masked_applicant(doc["applicant"], doc["applicant_id"])
    view["overdue"] = wf.overdue(doc, clock.now())
    view["delivery_address"] = delivery.present_address(doc)
    if doc["status"] != wf.NEEDS_SUPPLEMENT:
        view["supplement_request"] = None
    view["deferred_materials"] = deferred.outstanding(doc)
    view["verification"] = doc.get("verification")
    return privacy.people_in(view)


def inbox_item(doc: dict[str, Any], department: str | None) -> dict[str, Any]:
    task = next((r for r in doc.get("reviews", []) if r["department"] == department), None)
    return {
        "kind": CASE_KIND,
        "_id": doc["_id"],
        "tracking_no": doc["tracking_no"],
        "status": doc["status"],
        "title": doc["matter"]["name"],
        "matter": doc["matter"],
        "applicant": masked_applicant(doc["applicant"], doc["applicant_id"]),
        "department": doc["department"],
        "region": doc["region"],
        "submitted_at": doc["submitted_at"],
        "accepted_at": doc.get("accepted_at"),
        "due_at": doc.get("due_at"),
        "overdue": wf.overdue(doc, clock.now()),
        "task": task,
        "supplement_returned_at": (doc.get("supplements") or [{}])[-1].get("returned_at"),
        "version": doc["version"],
    }


def _inbox_provider(kind: str) -> inbox.Provider:
    def provider(user: Principal, overdue: bool | None, limit: int, cursor: str | None) -> Page:
        if kind == "acceptance":
            keys = wf.acceptance_keys(user)
            if overdue is True:
                return Page([], None)  # the clock starts at acceptance: nothing is overdue yet
            overdue = None
        elif kind == "verification":
            keys = wf.verification_keys(user)
            if overdue is True:
                return Page([], None)  # verification has no deadline of its own
            overdue = None
        else:
            keys = wf.review_keys(user)
        page = repo.inbox_page(keys, overdue, clock.now(), limit, cursor)
        return Page([inbox_item(doc, user.department) for doc in page.items], page.next_cursor)

    return provider


inbox.register_provider("acceptance", _inbox_provider("acceptance"))
inbox.register_provider("review", _inbox_provider("review"))
inbox.register_provider("verification", _inbox_provider("verification"))


# ---------------------------------------------------------------- submission


def _material_errors(
    owner_id: ObjectId,
    matter: dict[str, Any],
    materials: list[dict[str, Any]],
    required_keys: Iterable[str],
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Check each cited material against the matter: known key, once, the applicant's own
    attachment or a valid wallet certificate of the required type. Others' ids look exactly
    like unknown ids."""
    spec = {m["key"]: m for m in matter["materials"]}
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for item in materials:
        key = item["key"]
        if key not in spec:
            errors.setdefault(key, []).append("This service item asks for no such material.")
        elif key in seen:
            errors.setdefault(key, []).append("Give each material once.")
        seen.add(key)
    for key in required_keys:
        if key not in seen:
            errors.setdefault(key, []).append("This material is required.")
    committed = [m for m in materials if m.get("commitment") is not None]
    if committed and commitments.barred_until(owner_id) is not None:
        for item in committed:
            errors.setdefault(item["key"], []).append(
                "A commitment of yours was found false: you may not use commitments until "
                "the bar ends; hand in the document."
            )
    attachment_ids = [m["attachment_id"] for m in materials if m.get("attachment_id")]
    certificate_ids = [m["certificate_id"] for m in materials if m.get("certificate_id")]
    own_files = attachments.require_owned(owner_id, attachment_ids) if attachment_ids else {}
    own_certs = certificates.owned(owner_id, certificate_ids) if certificate_ids else {}
    now = clock.now()
    cleaned = []
    for item in materials:
        key = item["key"]
        if key not in spec or key in errors:
            continue
        wanted = spec[key].get("certificate_type")
        entry: dict[str, Any] = {"key": key, "name": spec[key].get("name")}
        if item.get("commitment") is not None:
            why = commitments.problem(spec[key], item["commitment"])
            if why is not None:
                errors.setdefault(key, []).append(why)
                continue
            entry["commitment"] = commitments.recorded(spec[key], now)
        elif item.get("attachment_id") is not None:
            if item["attachment_id"] not in own_files:
                errors.setdefault(key, []).append("No such attachment of yours.")
                continue
            entry["attachment_id"] = item["attachment_id"]
        else:
            cert = own_certs.get(item["certificate_id"])
            if cert is None:
                errors.setdefault(key, []).append("No such certificate in your wallet.")
                continue
            if not wanted:
                errors.setdefault(key, []).append(
                    "This material is not satisfied by a certificate; attach a file."
                )
                continue
            if cert["type"] != wanted:
                errors.setdefault(key, []).append(f"This material needs a {wanted} certificate.")
                continue
            if cert.get("status") != "valid" or (
                cert.get("valid_until") is not None and cert["valid_until"] <= now
            ):
                errors.setdefault(key, []).append("This certificate is no longer valid.")
                continue
            entry.update(certificate_id=cert["_id"], certificate_type=cert["type"])
        cleaned.append(entry)
    return cleaned, errors


def _applicant_snapshot(user: Principal) -> dict[str, Any]:
    doc = current_user_document()  # read once per request, by authentication
    if doc is None or doc["_id"] != user.oid:
        doc = users_repo.get(user.oid) or {}
    enterprise = doc.get("enterprise")
    return {
        "kind": doc.get("kind") or user.kind or "person",
        "name": doc.get("name") or user.name,
        "phone": doc.get("phone"),
        "id_number": doc.get("id_number"),
        "enterprise": (
            {"name": enterprise.get("name"), "credit_code": enterprise.get("credit_code")}
            if enterprise
            else None
        ),
    }


def submitted_document(
    *,
    actor: Principal | None,
    applicant_id: ObjectId,
    applicant: dict[str, Any],
    matter: dict[str, Any],
    form: dict[str, Any],
    materials: list[dict[str, Any]],
    delivery: str,
    tracking_no: str,
    at: datetime,
    doc_id: ObjectId | None = None,
) -> dict[str, Any]:
    """A just-submitted application's document: what submit() files, and the shape the scale
    benchmark bulk-loads (bench/generate.py builds on it, so the two cannot drift apart)."""
    doc: dict[str, Any] = {
        "_id": doc_id or ObjectId(),
        "tracking_no": tracking_no,
        "status": wf.SUBMITTED,
        "version": 1,
        "applicant_id": applicant_id,
        "applicant": applicant,
        # The definition as submitted: later catalogue versions do not change this case.
        "matter": {
            "code": matter["code"],
            "version": matter["version"],
            "name": matter["name"],
            "category": matter.get("category"),
            "time_limit": dict(matter["time_limit"]),
            "max_visits": matter["max_visits"],
            "issues_certificate": matter.get("issues_certificate"),
            "delivery": list(matter["delivery"]),
            "materials": [
                {
                    k: m[k]
                    for k in (
                        "key",
                        "name",
                        "required",
                        "certificate_type",
                        "deferrable",
                        "commitment",
                    )
                    if k in m
                }
                for m in matter["materials"]
            ],
        },
        "form": form,
        "materials": materials,
        "delivery": delivery,
        "region": matter["region"],
        "region_path": matter.get("region_path") or ancestors(matter["region"]),
        "department": matter["lead_department"],
        "co_departments": list(matter.get("co_departments") or []),
        "reviews": [],
        "supplement_request": None,
        "supplements": [],
        "deferred_materials": [],
        "visits": [],
        "visit_count": 0,
        "rating": None,
        "certificate_id": None,
        "submitted_at": at,
        "accepted_at": None,
        "due_at": None,
        "warn_at": None,
        "overdue_at": None,
        "sla_warn_point": None,
        "clock_paused_at": None,
        "completed_at": None,
        "closed_at": None,
        "created_at": at,
        "updated_at": at,
    }
    doc["timeline"] = [workflow.timeline_entry(actor, "submit", None, wf.SUBMITTED, at=at)]
    doc["inbox_keys"] = wf.inbox_keys(doc)
    doc["inbox_at"] = at
    return doc


def check_submission(
    user: Principal, data: dict[str, Any], *, later: Iterable[str] = ()
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Everything submit checks, without filing: (the checked submission or None for an unknown
    item, every problem found). LATER: material keys another case supplies once it completes
    (a bundle's feeds), so not required now."""
    matter = matters_repo.get_current(data["matter_code"])
    if matter is None:
        return None, {"matter_code": ["No such service item."]}
    applicant = _applicant_snapshot(user)
    errors: dict[str, Any] = {}
    # An account's kind (person / enterprise) is the audience it belongs to.
    if applicant["kind"] not in matter["audience"]:
        errors["matter_code"] = [
            f"This service item is for {' and '.join(matter['audience'])} applicants."
        ]
    try:
        form = forms.validate_form(matter["form"], data["form"])
    except ValidationFailed as exc:
        errors.update(exc.errors or {"form": [exc.message]})
        form = {}
    if data["delivery"] not in matter["delivery"]:
        errors["delivery"] = [f"Choose one of: {', '.join(matter['delivery'])}."]
    errors.update(delivery.address_errors(data))
    skipped = set(later)
    required = [m["key"] for m in matter["materials"] if m.get("required")]
    required = [key for key in deferred.still_required(matter, required) if key not in skipped]
    materials, material_errors = _material_errors(user.oid, matter, data["materials"], required)
    if material_errors:
        errors["materials"] = material_errors
    checked = {
        "matter": matter,
        "applicant": applicant,
        "form": form,
        "materials": materials,
        "delivery": data["delivery"],
        "delivery_address": delivery.stored_address(data),
    }
    return checked, errors


def new_case(
    actor: Principal | None,
    applicant_id: ObjectId,
    checked: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The document and outbox entries of a case filed from a CHECKED submission (EXTRA: fields
    of the case type that files it, e.g. the bundle it belongs to)."""
    now = clock.now()
    doc = submitted_document(
        actor=actor,
        applicant_id=applicant_id,
        applicant=checked["applicant"],
        matter=checked["matter"],
        form=checked["form"],
        materials=checked["materials"],
        delivery=checked["delivery"],
        tracking_no=next_tracking_no(TRACKING_PREFIX),
        at=now,
    )
    doc["payment"] = payments.initial(checked["matter"])
    doc["delivery_address"] = checked.get("delivery_address")
    doc.update(extra or {})
    cited = [m["attachment_id"] for m in checked["materials"] if "attachment_id" in m]
    effects = [
        *attachments.citation(cited, applicant_id, CASE_KIND, doc["_id"]),
        *kpi.increment(doc["department"], doc["region"], now, applications_received=1),
        _tell_applicant(doc, "submit"),
        *_tell_staff(
            doc,
            "acceptance",
            [
                work_rules.department_staff(doc["department"], ["window"]),
                work_rules.region_window(doc["region"]),
            ],
        ),
    ]
    return doc, effects


def file(
    doc: dict[str, Any],
    effects: list[dict[str, Any]],
    session: Any = None,
    stamp: bool = True,
) -> dict[str, Any]:
    """File a case built by new_case (in SESSION's transaction when given)."""
    return engine.create(
        CASE_KIND,
        doc,
        audit_after={"status": wf.SUBMITTED, "version": 1},
        audit_detail={"tracking_no": doc["tracking_no"], "matter": doc["matter"]["code"]},
        effects=effects,
        session=session,
        stamp=stamp,
    )


def submit(user: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Validate everything, report every problem at once, then file the case."""
    if user.role not in wf.APPLICANT_ROLES:
        raise Forbidden("Only residents and enterprises submit applications.")
    if not user.may_handle_matter(data["matter_code"]):
        raise Forbidden("Your delegation does not cover this service item.")
    checked, errors = check_submission(user, data)
    if checked is None:
        raise ValidationFailed("No such service item.", errors=errors)
    if errors:
        raise ValidationFailed("The application is not valid; see errors.", errors=errors)
    doc, effects = new_case(user, user.oid, checked)
    id_number = checked["applicant"].get("id_number")
    decision = instant.decide(checked["matter"], checked["form"], user.oid, id_number)
    # A case with a material still to come (容缺受理) waits for a person and for it.
    if decision is not None and not deferred.left_out(checked["matter"], checked["materials"]):
        return _complete_instantly(user, doc, decision)
    return file(doc, effects)


# Cases that belong to a larger one (a bundle, app.bundles) tell it when they close: each
# hook returns the outbox entries to queue in the closing transition's write.
_CLOSED_HOOKS: list[Callable[[dict[str, Any]], list[dict[str, Any]]]] = []


def on_closed(
    hook: Callable[[dict[str, Any]], list[dict[str, Any]]],
) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    _CLOSED_HOOKS.append(hook)
    return hook


def _closed_effects(after: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for hook in _CLOSED_HOOKS for entry in hook(after)]


# ---------------------------------------------------------------- transitions

_MESSAGES = {
    "submit": (N_("Application received"), N_("We received your application {no} for {matter}.")),
    "accept": (
        N_("Application accepted"),
        N_("Your application {no} for {matter} was accepted and is in review."),
    ),
    "reject": (N_("Application rejected"), N_("Your application {no} for {matter} was rejected.")),
    "request_supplement": (
        N_("Materials needed"),
        N_("Your application {no} for {matter} needs more materials: {detail}"),
    ),
    "supplement": (
        N_("Back in review"),
        N_("Your application {no} for {matter} is in review again."),
    ),
    "approved": (
        N_("Application approved"),
        N_("Your application {no} for {matter} was approved."),
    ),
    "complete": (
        N_("Application completed"),
        N_("Your application {no} for {matter} is completed; the result is in your wallet."),
    ),
    "withdraw": (
        N_("Application withdrawn"),
        N_("Your application {no} for {matter} was withdrawn."),
    ),
    "false_commitment": (
        N_("Commitment found false"),
        N_(
            "A commitment in your application {no} for {matter} was found false: its "
            "certificate is revoked and you may not use commitments for a time. {detail}"
        ),
    ),
    "terminate": (
        N_("Application terminated"),
        N_(
            "Your application {no} for {matter} was terminated: a material accepted for later "
            "was not handed in by its deadline ({detail})."
        ),
    ),
}


def _tell_applicant(doc: dict[str, Any], what: str, detail: str = "") -> dict[str, Any]:
    """The outbox entry of the applicant's notification about WHAT happened to DOC."""
    title, body = _MESSAGES[what]
    return notification(
        doc["applicant_id"],
        f"application.{what}",
        title,
        body,
        # Rendered in the reader's language when read; the matter's name in both languages.
        params={"no": doc["tracking_no"], "matter": doc["matter"]["name"], "detail": detail},
        subject={"kind": CASE_KIND, "id": str(doc["_id"]), "tracking_no": doc["tracking_no"]},
    )


def _tell_staff(
    doc: Mapping[str, Any], kind: str, audience: list[dict[str, Any]], actor: Any = None
) -> list[dict[str, Any]]:
    """The outbox entry telling the staff who must act that DOC reached their inbox."""
    subject = {"kind": CASE_KIND, "id": str(doc["_id"]), "tracking_no": doc["tracking_no"]}
    return work_notices.arrived(kind, audience, subject, actor)


def _inbox_at(doc: Mapping[str, Any]) -> datetime | None:
    if doc["status"] == wf.SUBMITTED:
        return doc["submitted_at"]
    if doc["status"] == wf.IN_REVIEW:
        return doc.get("due_at")
    if doc["status"] == wf.COMPLETED and commitments.is_pending(doc):
        return doc.get("completed_at")
    return None


def _derived(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Fields that follow from the case's state: the work queues it is filed under."""
    return {
        "inbox_keys": wf.inbox_keys(doc),
        "inbox_at": _inbox_at(doc),
        "deferred_due_at": deferred.due_at(doc),
    }


def clock_fields(effect: str | None, case: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """What a transition's declared clock effect (rules: start, pause, resume, stop) writes."""
    time_limit = case["matter"]["time_limit"]
    if effect == "start":
        due = calendar.due_at(now, time_limit)
        warn = calendar.warn_at(now, time_limit, _rules().sla_warning_fraction)
        return {
            "due_at": due,
            "warn_at": warn,
            "sla_warn_point": warn,  # the 80 % point, moved by pauses like due_at
            "overdue_at": due,
            "clock_paused_at": None,
        }
    if effect == "pause":
        return {
            "clock_paused_at": now,
            # Which SLA events were still to be raised, to re-arm just those on resume.
            "clock_pending": {
                "warn": case.get("warn_at") is not None,
                "overdue": case.get("overdue_at") is not None,
            },
            "warn_at": None,
            "overdue_at": None,
        }
    if effect == "resume":
        paused_from, unit = case["clock_paused_at"], time_limit["unit"]
        due = calendar.extend_for_pause(case["due_at"], paused_from, now, unit)
        warn_point = case.get("sla_warn_point")
        if warn_point is not None:
            warn_point = calendar.extend_for_pause(warn_point, paused_from, now, unit)
        pending = case.get("clock_pending") or {"warn": True, "overdue": True}
        return {
            "due_at": due,
            "sla_warn_point": warn_point,
            "warn_at": warn_point if pending.get("warn") else None,
            "overdue_at": due if pending.get("overdue") else None,
            "clock_paused_at": None,
            "clock_pending": None,
        }
    if effect == "stop":
        # due_at stays for the KPIs; nothing is left for the SLA sweeps.
        return {"warn_at": None, "overdue_at": None, "clock_paused_at": None, "closed_at": now}
    return {}


def _check(
    action: str, actor: Principal | None, case: Mapping[str, Any], context: Mapping[str, Any]
) -> workflow.Transition:
    if actor is None:
        return wf.check_system(action, case)
    return wf.check(action, actor, case, **context)


APPLICATION = engine.register(
    engine.CaseType(
        kind=CASE_KIND,
        collection="applications",
        machine=wf.MACHINE,
        check=_check,
        visible=wf.may_read,
        clock=clock_fields,
        derive=_derived,
        queues=lambda doc: dict.fromkeys(wf.inbox_keys(doc), _inbox_at(doc)),
        inbox_view=repo.inbox_copy,
    )
)


def _fire(
    application_id: str | ObjectId,
    action: str,
    user: Principal,
    expected_version: int | None,
    change: Callable[[dict[str, Any]], engine.Change] | None = None,
    **context: Any,
) -> dict[str, Any]:
    return engine.fire(
        CASE_KIND,
        application_id,
        action,
        user,
        change=change,
        expected_version=expected_version,
        context=context,
    )


def accept(user: Principal, application_id: str, expected_version: int | None) -> dict[str, Any]:
    def change(case: dict[str, Any]) -> engine.Change:
        payments.require_paid(case)
        reviews = wf.open_reviews(wf.involved_departments(case))
        deciders = [
            work_rules.department_staff(task["department"], wf.DECIDING_DUTIES) for task in reviews
        ]
        now = clock.now()
        later = deferred.at_acceptance(case, now)
        return engine.Change(
            set={
                "accepted_at": now,
                "reviews": reviews,
                "deferred_materials": later,
                # Kept after hand-in: the KPI counts cases accepted on a promise.
                "deferred_keys": [m["key"] for m in later],
            },
            effects=lambda after: [
                _tell_applicant(after, "accept"),
                *_tell_staff(after, "review", deciders, actor=user.id),
            ],
        )

    return _fire(application_id, "accept", user, expected_version, change)


def _rejected_effects(after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        *kpi.increment(
            after["department"], after["region"], after["closed_at"], applications_rejected=1
        ),
        _tell_applicant(after, "reject"),
        *_closed_effects(after),
        *payments.refund_effects(after),
    ]


def reject(
    user: Principal, application_id: str, reason: str, expected_version: int | None
) -> dict[str, Any]:
    def change(case: dict[str, Any]) -> engine.Change:
        return engine.Change(
            set={"rejection_reason": reason}, note=reason, effects=_rejected_effects
        )

    return _fire(application_id, "reject", user, expected_version, change)


def review(
    user: Principal,
    application_id: str,
    department: str,
    decision: str,
    opinion: str | None,
    expected_version: int | None,
) -> dict[str, Any]:
    def change(case: dict[str, Any]) -> engine.Change:
        if department not in [r["department"] for r in case["reviews"]]:
            raise NotFound("This case has no review task for that department.")
        now = clock.now()
        reviews = []
        for task in case["reviews"]:
            if task["department"] == department:
                if task["status"] != "pending":
                    raise Conflict("Your department has decided this task already.")
                task = {
                    **task,
                    "status": "approved" if decision == "approve" else "rejected",
                    "opinion": opinion,
                    "decided_at": now,
                    "decided_by": {"id": user.id, "name": user.name},
                }
            reviews.append(task)
        outcome = wf.review_outcome(reviews)
        fields: dict[str, Any] = {"reviews": reviews}
        if outcome == wf.REJECTED:
            fields["rejection_reason"] = opinion

        def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
            if outcome == wf.REJECTED:
                return _rejected_effects(after)
            if outcome == wf.APPROVED:
                return [_tell_applicant(after, "approved")]
            return []

        return engine.Change(
            set=fields,
            target=outcome,
            clock=wf.clock_effect("review", outcome or case["status"]),
            note=f"{department}: {decision}" + (f" — {opinion}" if opinion else ""),
            audit_detail={"department": department, "decision": decision},
            effects=effects,
        )

    return _fire(application_id, "review", user, expected_version, change, department=department)


def request_supplement(
    user: Principal,
    application_id: str,
    material_keys: list[str],
    reason: str,
    expected_version: int | None,
) -> dict[str, Any]:
    keys = list(dict.fromkeys(material_keys))

    def change(case: dict[str, Any]) -> engine.Change:
        known = {m["key"] for m in case["matter"]["materials"]}
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise ValidationFailed(
                "Ask only for materials of this service item.",
                errors={"materials": [f"Unknown material: {k}." for k in unknown]},
            )
        task = next((r for r in case["reviews"] if r["department"] == user.department), None)
        if task is None or task["status"] != "pending":
            raise Conflict("Only a department whose review is pending may ask for materials.")
        request = {
            "materials": keys,
            "reason": reason,
            "department": user.department,
            "requested_at": clock.now(),
            "requested_by": {"id": user.id, "name": user.name},
        }
        return engine.Change(
            set={"supplement_request": request},
            note=reason,
            effects=lambda after: [
                _tell_applicant(after, "request_supplement", f"{', '.join(keys)}. {reason}")
            ],
        )

    return _fire(application_id, "request_supplement", user, expected_version, change)


def supplement(
    user: Principal,
    application_id: str,
    materials: list[dict[str, Any]],
    note: str | None,
    expected_version: int | None,
) -> dict[str, Any]:
    """The materials staff asked for (needs_supplement → in_review), or, while the case is in
    handling, materials accepted for later (容缺受理: `hand_in`, the status stays)."""
    current = load_visible(user, application_id)
    if current["status"] != wf.NEEDS_SUPPLEMENT and deferred.outstanding(current):
        return _hand_in(user, application_id, materials, note, expected_version)

    def change(case: dict[str, Any]) -> engine.Change:
        request = case["supplement_request"] or {"materials": []}
        # Checked against the materials of the version the case was submitted under.
        cleaned, errors = _material_errors(
            user.oid, case["matter"], materials, request["materials"]
        )
        if errors:
            raise ValidationFailed(
                "The supplement is not valid; see errors.", errors={"materials": errors}
            )
        now = clock.now()
        by_key = {m["key"]: m for m in case["materials"]}
        by_key.update({m["key"]: m for m in cleaned})
        returned = {
            **request,
            "returned_at": now,
            "paused_seconds": (now - case["clock_paused_at"]).total_seconds(),
            "provided": [m["key"] for m in cleaned],
            "note": note,
        }
        cited = [m["attachment_id"] for m in cleaned if "attachment_id" in m]
        # The staff member who asked for the materials is told they are back.
        asker = (request.get("requested_by") or {}).get("id")
        audience = [work_rules.person(asker)] if asker else []
        return engine.Change(
            set={
                "materials": list(by_key.values()),
                "supplement_request": None,
                "deferred_materials": deferred.after_hand_in(case, by_key),
            },
            push={"supplements": returned},
            note=note,
            effects=lambda after: [
                *attachments.citation(cited, user.oid, CASE_KIND, after["_id"]),
                _tell_applicant(after, "supplement"),
                *_tell_staff(after, "supplement", audience),
            ],
        )

    return _fire(application_id, "supplement", user, expected_version, change)


def _hand_in(
    user: Principal,
    application_id: str,
    materials: list[dict[str, Any]],
    note: str | None,
    expected_version: int | None,
) -> dict[str, Any]:
    def change(case: dict[str, Any]) -> engine.Change:
        later = {m["key"] for m in deferred.outstanding(case)}
        errors: dict[str, list[str]] = {}
        for item in materials:
            if item["key"] not in later:
                errors.setdefault(item["key"], []).append(
                    "This material is not outstanding on this case."
                )
        cleaned, material_errors = _material_errors(user.oid, case["matter"], materials, [])
        for key, problems in material_errors.items():
            errors.setdefault(key, []).extend(problems)
        if errors:
            raise ValidationFailed(
                "The supplement is not valid; see errors.", errors={"materials": errors}
            )
        by_key = {m["key"]: m for m in case["materials"]}
        by_key.update({m["key"]: m for m in cleaned})
        cited = [m["attachment_id"] for m in cleaned if "attachment_id" in m]
        return engine.Change(
            set={
                "materials": list(by_key.values()),
                "deferred_materials": deferred.after_hand_in(case, by_key),
            },
            note=note,
            audit_detail={"materials": [m["key"] for m in cleaned]},
            effects=lambda after: [
                *attachments.citation(cited, user.oid, CASE_KIND, after["_id"]),
            ],
        )

    return _fire(application_id, "hand_in", user, expected_version, change)


def _terminate_overdue(case: dict[str, Any]) -> bool:
    """The worker's half of 容缺受理: CASE's promised material is overdue, so it is terminated,
    with the supervision event and the applicant's notification in the same write. False when
    it was handed in or the case moved on meanwhile."""

    def change(doc: dict[str, Any]) -> engine.Change:
        now = clock.now()
        lapsed = [m["key"] for m in deferred.outstanding(doc) if m["due_at"] <= now]
        if not lapsed:
            return engine.Change(noop=True)
        keys = ", ".join(lapsed)
        return engine.Change(
            note=keys,
            audit_detail={"materials": lapsed},
            effects=lambda after: [
                _event(after, "deferred_material_overdue", f"missed the deadline of {keys}."),
                _tell_applicant(after, "terminate", keys),
                *_closed_effects(after),
                *payments.refund_effects(after),
            ],
        )

    try:
        after = engine.fire(CASE_KIND, case["_id"], "terminate", None, change=change)
    except (Conflict, NotFound):
        return False
    return after["status"] == wf.TERMINATED


@sla_sweep.register
def sweep_deferred(limit: int) -> int:
    """One bounded pass of the worker over lapsed deferred materials (app.oversight.sla_sweep)."""
    return deferred.sweep(limit, _terminate_overdue)


def complete(user: Principal, application_id: str, expected_version: int | None) -> dict[str, Any]:
    def change(case: dict[str, Any]) -> engine.Change:
        deferred.require_none_outstanding(case)
        now = clock.now()
        fields: dict[str, Any] = {
            "completed_at": now,
            "verification": commitments.verification_task(case, now),
        }
        issued: list[dict[str, Any]] = []
        if case["matter"].get("issues_certificate"):
            # The certificate is part of this one write: its id is on the case at once and
            # the relay puts it into the wallet (exactly once: unique by its source case).
            certificate, issued = _certificate_for(case)
            fields["certificate_id"] = certificate["_id"]

        def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
            hours = calendar.working_hours_between(after["submitted_at"], now)
            visits = after["visit_count"]
            return [
                *issued,
                *kpi.increment(
                    after["department"],
                    after["region"],
                    now,
                    applications_completed=1,
                    completed_online=int(visits == 0),
                    completed_one_visit=int(visits <= 1),
                    completed_on_time=int(after["due_at"] is not None and now <= after["due_at"]),
                    results_remote=int(delivery_rules.remote_on_completion(after)),
                    **(
                        {"completed_on_promise": 1}
                        if after.get("deferred_keys") or commitments.uses_commitment(after)
                        else {}
                    ),
                    processing_hours_sum=hours,
                    **{f"processing_hours_hist.{kpi.hours_bucket(hours)}": 1},
                ),
                _tell_applicant(after, "complete"),
                *_closed_effects(after),
            ]

        return engine.Change(set=fields, effects=effects)

    return _fire(application_id, "complete", user, expected_version, change)


def _complete_instantly(
    user: Principal, doc: dict[str, Any], decision: dict[str, Any]
) -> dict[str, Any]:
    """File DOC completed at once by the instant-approval rules (秒批): accepted, approved and
    completed by the system in this one write, with the decision and its inputs on the case."""
    now = doc["submitted_at"]
    doc.update(
        status=wf.COMPLETED,
        decision=decision,
        accepted_at=now,
        completed_at=now,
        closed_at=now,
        due_at=calendar.due_at(now, doc["matter"]["time_limit"]),
        verification=commitments.verification_task(doc, now),
    )
    cited = [m["attachment_id"] for m in doc["materials"] if "attachment_id" in m]
    note = f"rules version {decision['rules_version']}"
    doc["timeline"].append(
        workflow.timeline_entry(None, "auto_approve", wf.SUBMITTED, wf.COMPLETED, note, at=now)
    )
    issued: list[dict[str, Any]] = []
    if doc["matter"].get("issues_certificate"):
        certificate, issued = _certificate_for(doc)
        doc["certificate_id"] = certificate["_id"]
    return engine.create(
        CASE_KIND,
        doc,
        audit_after={"status": wf.COMPLETED, "version": 1},
        audit_detail={
            "tracking_no": doc["tracking_no"],
            "matter": doc["matter"]["code"],
            "decision": instant.AUTOMATIC,
            "rules_version": decision["rules_version"],
        },
        effects=[
            *attachments.citation(cited, user.oid, CASE_KIND, doc["_id"]),
            *issued,
            *kpi.increment(
                doc["department"],
                doc["region"],
                now,
                applications_received=1,
                **kpi_rebuild.completion_increments(doc),
            ),
            _tell_applicant(doc, "complete"),
        ],
    )


def _certificate_for(case: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The certificate a completed CASE issues into the applicant's wallet, with its entries."""
    issuer = departments_repo.get(case["department"])
    if issuer is None:
        raise Conflict("The lead department of this case no longer exists.")
    return certificates.issuance(
        holder_id=case["applicant_id"],
        holder_name=case["applicant"]["name"],
        cert_type=case["matter"]["issues_certificate"],
        issuer=issuer,
        data={
            "matter_code": case["matter"]["code"],
            # What the certificate states: in the official language.
            "matter_name": i18n.localized(case["matter"]["name"], "zh-CN"),
            **case["form"],
        },
        source={"kind": CASE_KIND, "id": case["_id"], "tracking_no": case["tracking_no"]},
    )


def verify(
    user: Principal,
    application_id: str,
    result: str,
    note: str | None,
    expected_version: int | None,
) -> dict[str, Any]:
    """The lead department's one verification of a completed case's commitments (告知承诺制).
    `false` revokes the certificate the case issued, raises `false_commitment` and bars the
    applicant from commitments, all queued in this one write."""

    def change(case: dict[str, Any]) -> engine.Change:
        task = case.get("verification")
        if not task:
            raise Conflict("This case used no commitment; there is nothing to verify.")
        if task["status"] != commitments.PENDING:
            raise Conflict("The commitments of this case were verified already.")
        now = clock.now()
        done = {
            **task,
            "status": result,
            "result": result,
            "note": note,
            "decided_at": now,
            "decided_by": {"id": user.id, "name": user.name, "department": user.department},
        }

        def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
            if result != commitments.FALSE:
                return []
            reason = note or ""
            revoked = (
                certificates.revocation(after["certificate_id"], reason)
                if after.get("certificate_id")
                else []
            )
            keys = ", ".join(task["materials"])
            return [
                *revoked,
                commitments.bar_entry(after, now, reason),
                _event(after, "false_commitment", f"rested on a false commitment ({keys})."),
                _tell_applicant(after, "false_commitment", reason),
            ]

        return engine.Change(
            set={"verification": done},
            filter={"verification.status": commitments.PENDING},
            note=f"{result}" + (f" — {note}" if note else ""),
            audit_detail={"result": result},
            effects=effects,
        )

    return _fire(application_id, "verify", user, expected_version, change)


def withdraw(user: Principal, application_id: str, expected_version: int | None) -> dict[str, Any]:
    def change(case: dict[str, Any]) -> engine.Change:
        return engine.Change(
            effects=lambda after: [
                _tell_applicant(after, "withdraw"),
                *_closed_effects(after),
                *payments.refund_effects(after),
            ]
        )

    return _fire(application_id, "withdraw", user, expected_version, change)


def rate(
    user: Principal,
    application_id: str,
    data: dict[str, Any],
    expected_version: int | None,
) -> dict[str, Any]:
    """Rate the service (app.rectifications.ratings): a bad first rating opens a
    rectification; a second rating only after it was resolved."""

    def change(case: dict[str, Any]) -> engine.Change:
        return ratings.change(
            CASE_KIND,
            case,
            data,
            lambda after, score: (
                f"Application {after['tracking_no']} ({after['matter']['code']}) rated {score}/5."
            ),
            rectify=True,
        )

    return _fire(application_id, "rate", user, expected_version, change)


def record_visit(
    user: Principal, application_id: str, purpose: str, expected_version: int | None
) -> dict[str, Any]:
    def change(case: dict[str, Any]) -> engine.Change:
        visit = {
            "at": clock.now(),
            "purpose": purpose,
            "staff": {"id": user.id, "name": user.name, "department": user.department},
        }

        def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
            allowed = after["matter"]["max_visits"]
            if after["visit_count"] <= allowed:
                return []
            what = f"needed {after['visit_count']} visits; at most {allowed} allowed."
            return [_event(after, "extra_visit", what)]

        return engine.Change(
            push={"visits": visit}, inc={"visit_count": 1}, note=purpose, effects=effects
        )

    return _fire(application_id, "record_visit", user, expected_version, change)


def record_appointment_visit(
    application_id: ObjectId, appointment_id: ObjectId, visit: dict[str, Any], session: Any
) -> None:
    """The visit of a checked-in appointment (app.appointments), applied by the relay from the
    appointment's outbox: on the case's visits and timeline, audited, and an extra visit raises
    its supervision event as `record_visit` does."""
    case = repo.get(application_id)
    if case is None:
        return
    staff = visit["staff"]
    actor = {"id": staff["id"], "role": "staff", "name": staff["name"]}
    entry = workflow.timeline_entry(None, "record_visit", case["status"], case["status"])
    entry.update(actor={**actor, "department": staff["department"]}, note=visit["purpose"])
    count = case.get("visit_count", 0) + 1
    entries = [
        audit.entry(
            "application.record_visit",
            CASE_KIND,
            case["_id"],
            detail={"appointment_id": str(appointment_id)},
            actor={"id": staff["id"], "role": "staff"},
        )
    ]
    allowed = case["matter"]["max_visits"]
    if count > allowed:
        what = f"needed {count} visits; at most {allowed} allowed."
        entries.append(_event({**case, "visit_count": count}, "extra_visit", what))
    repo.add_visit_once(
        case["_id"],
        appointment_id,
        {
            "$push": {"visits": visit, "timeline": entry},
            "$inc": {"visit_count": 1, "version": 1},
            "$set": {"updated_at": clock.now()},
        },
        entries,
        session,
    )


def _event(case: dict[str, Any], event_type: str, what: str) -> dict[str, Any]:
    """A supervision event about CASE; the summary names the case, never the applicant."""
    return events.for_case(
        case,
        CASE_KIND,
        event_type,
        f"Application {case['tracking_no']} ({case['matter']['code']}) {what}",
    )
