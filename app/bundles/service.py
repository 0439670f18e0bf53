"""Bundles (一件事一次办): a life event or business event served by several service items.

Catalogue: bundles are versioned like matters (`PUT` saves a new version; a bundle case keeps
the version it was submitted under). A definition is refused (422) when an item is unknown,
is not for the bundle's audience, depends on or is fed by an item outside the bundle, or when
the dependency graph has a cycle.

Bundle case (`bundle_application`): one submission validates the shared fields and every
child's own form and materials (all errors at once, keyed per item), then ONE transaction
files the bundle case and each child with no dependency. The children the others wait for
tell the bundle when they close (an outbox entry queued in their closing write,
`bundle_child_closed`); the worker's relay applies it: it records the child's end and files
each child whose dependencies are now complete, citing the feeding child's certificate as the
material — in the relay's transaction, so exactly once. When every child has closed, the
bundle closes as completed / partially_completed / rejected and its KPI counters move
(`bundles_closed`, `bundles_completed`, `bundles_on_time` against the bundle's own promise
`time_limit`, `bundle_hours_sum` in working hours), on the bundle's lead department (the
first item's) and region.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from app import audit, clock, i18n, outbox, store
from app.accounts.auth import Principal
from app.applications import rules as app_rules
from app.applications import service as applications
from app.bundles import repository as repo
from app.bundles import rules
from app.cases import calendar, engine, workflow
from app.cases.tracking import next_tracking_no
from app.catalogue import forms
from app.catalogue import repository as matters_repo
from app.catalogue.regions import ancestors
from app.catalogue.service import search_keys, search_term
from app.delivery import service as delivery
from app.http import idempotency
from app.http.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from app.i18n import N_
from app.messaging.notify import notification
from app.oversight import kpi
from app.pagination import Page, decode_cursor, encode_cursor

CASE_KIND = "bundle_application"
TRACKING_PREFIX = "YJ"
DEFINITION_FIELDS = (
    "code",
    "name",
    "description",
    "audience",
    "items",
    "shared_fields",
    "time_limit",
)


# ---------------------------------------------------------------- the catalogue


def get_bundle(code: str, version: int | None = None) -> dict[str, Any]:
    doc = repo.get_current(code) if version is None else repo.get_version(code, version)
    if doc is None:
        raise NotFound(N_("No such bundle.") if version is None else N_("No such version."))
    return doc


def list_bundles(*, q: str | None, audience: str | None, limit: int, cursor: str | None) -> Page:
    after = decode_cursor(cursor, "code").value if cursor else None
    items = repo.list_current(audience, search_term(q) if q else None, after, limit)
    has_more = len(items) > limit
    items = items[:limit]
    return Page(items, encode_cursor("code", items[-1]) if has_more else None)


def _check_definition(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The current matters of the items, or 422 naming every problem."""
    errors: dict[str, Any] = {}
    items = definition["items"]
    codes = [item["matter_code"] for item in items]
    matters = {code: matters_repo.get_current(code) for code in dict.fromkeys(codes)}
    item_errors: dict[str, list[str]] = {}

    def problem(code: str, message: str) -> None:
        item_errors.setdefault(code, []).append(message)

    for code in dict.fromkeys(codes):
        if codes.count(code) > 1:
            problem(code, N_("Each service item may appear once."))
    for item in items:
        code = item["matter_code"]
        matter = matters.get(code)
        if matter is None:
            problem(code, N_("No such service item."))
            continue
        if definition["audience"] not in matter["audience"]:
            problem(
                code,
                N_("This service item is not for {audience} applicants.").format(
                    audience=definition["audience"]
                ),
            )
        for dep in item.get("depends_on") or []:
            if dep == code:
                problem(code, N_("An item cannot depend on itself."))
            elif dep not in matters:
                problem(
                    code, N_("It depends on {code}, which is not in the bundle.").format(code=dep)
                )
        spec = {m["key"]: m for m in matter["materials"]}
        for feed in item.get("feeds") or []:
            source = feed["from_matter"]
            if source == code or source not in matters:
                problem(
                    code,
                    N_("It is fed by {code}, which is not another item of the bundle.").format(
                        code=source
                    ),
                )
                continue
            material = spec.get(feed["material_key"])
            if material is None:
                problem(
                    code,
                    N_("Its service item asks for no material {key}.").format(
                        key=feed["material_key"]
                    ),
                )
                continue
            issued = (matters.get(source) or {}).get("issues_certificate")
            if issued is None or material.get("certificate_type") != issued:
                problem(
                    code,
                    N_("{code} does not issue the certificate material {key} needs.").format(
                        code=source, key=feed["material_key"]
                    ),
                )
    if item_errors:
        errors["items"] = item_errors
    elif (cycle := rules.dependency_cycle(items)) is not None:
        errors["items"] = {
            "_schema": [
                N_("The dependencies form a cycle: {cycle}.").format(cycle=" → ".join(cycle))
            ]
        }
    forms_by_key: dict[str, list[str]] = {}
    for matter in matters.values():
        for field in (matter or {}).get("form", []):
            forms_by_key.setdefault(field["key"], []).append(field["type"])
    shared_errors: dict[str, list[str]] = {}
    for field in definition.get("shared_fields") or []:
        if field["key"] not in forms_by_key and matters and None not in matters.values():
            shared_errors[field["key"]] = [N_("No item of the bundle has this field.")]
    if shared_errors:
        errors["shared_fields"] = shared_errors
    if errors:
        raise ValidationFailed(N_("The bundle is not valid; see errors."), errors=errors)
    return {code: m for code, m in matters.items() if m is not None}


def _version_document(
    definition: dict[str, Any],
    version: int,
    actor: Principal | None,
    matters: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    first = matters[definition["items"][0]["matter_code"]]
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        **{k: copy.deepcopy(definition[k]) for k in DEFINITION_FIELDS if k in definition},
        "version": version,
        "current": True,
        # Where the bundle is counted (KPIs) and supervised: its first item's lead department.
        "region": first["region"],
        "region_path": ancestors(first["region"]),
        "lead_department": first["lead_department"],
        "created_at": clock.now(),
        "created_by": actor.id if actor else None,
    }
    doc.setdefault("shared_fields", [])
    for item in doc["items"]:
        item.setdefault("depends_on", [])
        item.setdefault("feeds", [])
    doc["name"] = i18n.names(definition["name"])
    doc["search_keys"] = search_keys(*doc["name"].values())
    return doc


def _definition(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in DEFINITION_FIELDS if k in doc}


def create_bundle(definition: dict[str, Any], actor: Principal | None) -> dict[str, Any]:
    """Version 1 of a new bundle; 409 when the code exists already."""
    matters = _check_definition(definition)
    doc = _version_document(definition, 1, actor, matters)
    entry = audit.entry("bundle.create", "bundle", doc["code"], after={"version": 1})
    try:
        return repo.insert_first(doc, [entry])
    except DuplicateKeyError as exc:
        raise Conflict(
            N_("A bundle with this code exists already; PUT a new version instead."),
            errors={"code": [N_("Already exists.")]},
        ) from exc


def update_bundle(
    code: str,
    definition: dict[str, Any],
    actor: Principal | None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Save DEFINITION as the next version of CODE; bundle cases keep their version."""
    if definition.get("code", code) != code:
        raise ValidationFailed(
            N_("The code in the body differs from the one in the path."),
            errors={"code": [N_("Must equal the code in the path (codes never change).")]},
        )
    current = get_bundle(code)
    if expected_version is not None and expected_version != current["version"]:
        raise PreconditionFailed(
            N_("The bundle is at version {version}, not {expected}.").format(
                version=current["version"], expected=expected_version
            )
        )
    definition = {**definition, "code": code}
    matters = _check_definition(definition)
    doc = _version_document(definition, current["version"] + 1, actor, matters)
    before, after = _definition(current), _definition(doc)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    entry = audit.entry(
        "bundle.update",
        "bundle",
        code,
        before={"version": current["version"], "changed": changed},
        after={"version": doc["version"]},
    )
    try:
        swapped = repo.replace_current(current, doc, [entry])
    except DuplicateKeyError:
        swapped = False
    if not swapped:
        raise Conflict(N_("The bundle was changed meanwhile; reload it and try again."))
    return doc


# ---------------------------------------------------------------- the bundle case type


def _derived(doc: dict[str, Any]) -> dict[str, Any]:
    return {}


BUNDLE_CASE = engine.register(
    engine.CaseType(
        kind=CASE_KIND,
        collection="bundle_applications",
        machine=rules.MACHINE,
        check=rules.check,
        visible=rules.may_read,
    )
)


def load_visible(user: Principal, case_id: str) -> dict[str, Any]:
    return engine.load(CASE_KIND, case_id, user)


def list_visible(user: Principal, limit: int, cursor: str | None) -> Page:
    """The owner's bundle cases; staff: those involving their department; supervisors: those
    of their region or below. Newest first."""
    if user.role in rules.APPLICANT_ROLES:
        query: dict[str, Any] = {"applicant_id": user.oid}
    elif user.role == "staff" and user.department:
        query = {"departments": user.department}
    elif user.role == "supervisor" and user.region:
        query = {"region_path": user.region}
    else:
        raise Forbidden(N_("Only applicants, staff and supervisors read bundle applications."))
    page = repo.page(query, limit, cursor)
    items = [doc for doc in page.items if rules.may_read(user, doc)]
    # The children of the whole page in one read.
    live = repo.children(
        [c["application_id"] for d in items for c in d["children"] if c["application_id"]]
    )
    return Page([present(doc, live) for doc in items], page.next_cursor)


# ---------------------------------------------------------------- submitting


def _split(bundle: dict[str, Any], matters: dict[str, dict[str, Any]], data: dict[str, Any]):
    """Each child's part of the one submission: the form fields and materials its item asks
    for, and what nobody asks for (refused)."""
    form, materials = data["form"], data["materials"]
    shared_keys = {f["key"] for f in bundle["shared_fields"]}
    used_fields: set[str] = set(shared_keys)
    used_materials: set[str] = set()
    parts: dict[str, dict[str, Any]] = {}
    for item in bundle["items"]:
        matter = matters[item["matter_code"]]
        keys = {f["key"] for f in matter["form"]}
        wanted = {m["key"] for m in matter["materials"]}
        used_fields |= keys
        used_materials |= wanted
        parts[item["matter_code"]] = {
            "matter_code": item["matter_code"],
            "form": {k: v for k, v in form.items() if k in keys},
            "materials": [m for m in materials if m["key"] in wanted],
            "delivery": data["delivery"],
            "delivery_address": data.get("delivery_address"),
        }
    unused: dict[str, Any] = {}
    extra_fields = {
        k: [N_("No item of this bundle asks for this field.")] for k in form if k not in used_fields
    }
    if extra_fields:
        unused["form"] = extra_fields
    extra_materials = {
        m["key"]: [N_("No item of this bundle asks for this material.")]
        for m in materials
        if m["key"] not in used_materials
    }
    if extra_materials:
        unused["materials"] = extra_materials
    return parts, unused


def _item_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """A child's errors as keyed under items.<matter_code>: its form fields directly."""
    # A missing postal address is the bundle's own error (one address serves every item).
    flat = {k: v for k, v in errors.items() if k not in ("form", "delivery_address")}
    form = errors.get("form") or {}
    if isinstance(form, dict):
        flat.update(form)
    return flat


def submit(user: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Validate the shared fields and every child at once, then file the bundle case and its
    children without dependencies in one transaction."""
    if user.role not in rules.APPLICANT_ROLES:
        raise Forbidden(N_("Only residents and enterprises submit applications."))
    bundle = repo.get_current(data["bundle_code"])
    if bundle is None:
        raise ValidationFailed(
            N_("No such bundle."), errors={"bundle_code": [N_("No such bundle.")]}
        )
    codes = [item["matter_code"] for item in bundle["items"]]
    if not all(user.may_handle_matter(code) for code in codes):
        raise Forbidden(N_("Your delegation does not cover this service item."))
    matters = {code: matters_repo.get_current(code) for code in codes}
    if any(m is None for m in matters.values()):
        raise Conflict(N_("An item of this bundle is no longer in the catalogue."))
    errors: dict[str, Any] = {}
    shared_keys = {f["key"] for f in bundle["shared_fields"]}
    try:
        shared = forms.validate_form(
            bundle["shared_fields"], {k: v for k, v in data["form"].items() if k in shared_keys}
        )
    except ValidationFailed as exc:
        errors.update(exc.errors or {})
        shared = {}
    errors.update(delivery.address_errors(data))
    parts, unused = _split(bundle, matters, data)  # type: ignore[arg-type]
    for part, found in unused.items():
        errors.setdefault(part, {}).update(found)
    checked: dict[str, dict[str, Any]] = {}
    item_errors: dict[str, Any] = {}
    applicant: dict[str, Any] | None = None
    for item in bundle["items"]:
        code = item["matter_code"]
        fed = [feed["material_key"] for feed in item["feeds"]]
        part = parts[code]
        # A fed material comes from the feeding child's certificate, never from the applicant.
        part["materials"] = [m for m in part["materials"] if m["key"] not in fed]
        result, found = applications.check_submission(user, part, later=fed)
        flat = _item_errors(found)
        if flat:
            item_errors[code] = flat
        if result is not None:
            checked[code] = result
            applicant = result["applicant"]
    if item_errors:
        errors["items"] = item_errors
    if applicant is not None and applicant["kind"] != bundle["audience"]:
        errors["bundle_code"] = [
            N_("This bundle is for {audience} applicants.").format(audience=bundle["audience"])
        ]
    if errors:
        raise ValidationFailed(N_("The application is not valid; see errors."), errors=errors)
    assert applicant is not None
    return _file(user, bundle, checked, applicant, shared)


def _file(
    user: Principal,
    bundle: dict[str, Any],
    checked: dict[str, dict[str, Any]],
    applicant: dict[str, Any],
    shared: dict[str, Any],
) -> dict[str, Any]:
    now = clock.now()
    case_id = ObjectId()
    tracking_no = next_tracking_no(TRACKING_PREFIX)
    ref = {"id": case_id, "tracking_no": tracking_no, "code": bundle["code"]}
    departments: list[str] = []
    children: list[dict[str, Any]] = []
    filed: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for item in bundle["items"]:
        code = item["matter_code"]
        result = checked[code]
        matter = result["matter"]
        departments += [matter["lead_department"], *matter.get("co_departments", [])]
        child: dict[str, Any] = {
            "matter_code": code,
            "requires": rules.requires(item),
            "feeds": item["feeds"],
            "application_id": None,
            "status": rules.WAITING,
            "certificate_id": None,
        }
        if child["requires"]:
            # What the worker files once the items it waits for completed.
            child["plan"] = {
                "matter_version": matter["version"],
                "form": result["form"],
                "materials": result["materials"],
                "delivery": result["delivery"],
                "delivery_address": result["delivery_address"],
            }
        else:
            doc, effects = applications.new_case(user, user.oid, result, {"bundle": ref})
            child.update(application_id=doc["_id"], status=app_rules.SUBMITTED)
            filed.append((doc, effects))
        children.append(child)
    case: dict[str, Any] = {
        "_id": case_id,
        "tracking_no": tracking_no,
        "status": rules.IN_PROGRESS,
        "version": 1,
        "applicant_id": user.oid,
        "applicant": applicant,
        "bundle": {
            "code": bundle["code"],
            "version": bundle["version"],
            "name": bundle["name"],
            "time_limit": dict(bundle["time_limit"]),
        },
        "codes": [c["matter_code"] for c in children],
        "form": shared,
        "children": children,
        "region": bundle["region"],
        "region_path": bundle["region_path"],
        "department": bundle["lead_department"],
        "departments": list(dict.fromkeys(departments)),
        "submitted_at": now,
        # The bundle's own promise, from submission (the children's clocks start at acceptance).
        "promised_at": calendar.due_at(now, bundle["time_limit"]),
        "completed_at": None,
        "closed_at": None,
        "timeline": [workflow.timeline_entry(user, "submit", None, rules.IN_PROGRESS, at=now)],
        "created_at": now,
        "updated_at": now,
    }
    effects = [
        *kpi.increment(case["department"], case["region"], now, bundles_received=1),
        _tell_applicant(case, "submit"),
    ]

    def work(session: ClientSession) -> dict[str, Any]:
        engine.create(
            CASE_KIND,
            case,
            audit_after={"status": rules.IN_PROGRESS, "version": 1},
            audit_detail={"tracking_no": tracking_no, "bundle": bundle["code"]},
            effects=effects,
            session=session,
        )
        for doc, entries in filed:
            applications.file(doc, entries, session, stamp=False)
        return case

    try:
        return store.in_transaction(work)
    except DuplicateKeyError:
        # A retry with the same Idempotency-Key: the bundle its first run filed.
        earlier = repo.by_idempotency_key()
        if earlier is None:
            raise
        return idempotency.replay(earlier)


# ---------------------------------------------------------------- children closing


@applications.on_closed
def _child_closed(after: dict[str, Any]) -> list[dict[str, Any]]:
    """The entry a closing child queues in its own write, for its bundle (if any)."""
    ref = after.get("bundle")
    if not ref:
        return []
    return [
        outbox.entry(
            "bundle_child_closed",
            bundle_id=ref["id"],
            application_id=after["_id"],
            status=after["status"],
            certificate_id=after.get("certificate_id"),
            certificate_type=after["matter"].get("issues_certificate"),
        )
    ]


outbox.carried_by("bundle_applications")


@outbox.applier("bundle_child_closed")
def _apply_child_closed(pending: list[outbox.Pending], session: ClientSession) -> None:
    for item in pending:
        entry = item.entry
        case = repo.get_case(entry["bundle_id"], session)
        if case is None or case["status"] != rules.IN_PROGRESS:
            continue
        _advance(case, entry, session)


def _advance(case: dict[str, Any], entry: dict[str, Any], session: ClientSession) -> None:
    children = copy.deepcopy(case["children"])
    by_code = {c["matter_code"]: c for c in children}
    closed = next((c for c in children if c["application_id"] == entry["application_id"]), None)
    if closed is None or closed["status"] in (rules.CHILD_DONE, *rules.CHILD_FAILED):
        return  # applied already
    closed["status"] = entry["status"]
    closed["certificate_id"] = entry.get("certificate_id")
    closed["certificate_type"] = entry.get("certificate_type")
    to_file, never = rules.ready(children)
    for code in never:
        by_code[code]["status"] = rules.NOT_FILED
        by_code[code].pop("plan", None)
    ref = {"id": case["_id"], "tracking_no": case["tracking_no"], "code": case["bundle"]["code"]}
    notes = [f"{closed['matter_code']}: {entry['status']}"]
    for code in to_file:
        child = by_code[code]
        plan = child.pop("plan")
        matter = matters_repo.get_version(code, plan["matter_version"])
        if matter is None:
            child["status"] = rules.NOT_FILED
            continue
        spec = {m["key"]: m for m in matter["materials"]}
        fed = []
        for feed in child["feeds"]:
            source = by_code[feed["from_matter"]]
            fed.append(
                {
                    "key": feed["material_key"],
                    "name": spec.get(feed["material_key"], {}).get("name"),
                    "certificate_id": source["certificate_id"],
                    "certificate_type": source["certificate_type"],
                }
            )
        checked = {
            "matter": matter,
            "applicant": case["applicant"],
            "form": plan["form"],
            "materials": [*plan["materials"], *fed],
            "delivery": plan["delivery"],
            "delivery_address": plan.get("delivery_address"),
        }
        doc, effects = applications.new_case(None, case["applicant_id"], checked, {"bundle": ref})
        applications.file(doc, effects, session, stamp=False)
        child.update(application_id=doc["_id"], status=app_rules.SUBMITTED)
        notes.append(f"{code}: filed")
    status = rules.roll_up(c["status"] for c in children)

    def change(doc: dict[str, Any]) -> engine.Change:
        if status == rules.IN_PROGRESS:
            return engine.Change(set={"children": children}, note="; ".join(notes))
        now = clock.now()
        closing = {**doc, "children": children, "status": status, "closed_at": now}
        return engine.Change(
            set={
                "children": children,
                "closed_at": now,
                "completed_at": now if status == rules.COMPLETED else None,
            },
            target=status,
            note="; ".join(notes),
            effects=lambda after: [
                *kpi.increment(
                    after["department"], after["region"], now, **closing_increments(closing)
                ),
                _tell_applicant(after, after["status"]),
            ],
        )

    action = "child_closed" if status == rules.IN_PROGRESS else "close"
    engine.fire(CASE_KIND, case["_id"], action, None, change=change, case=case, session=session)


def closing_increments(doc: dict[str, Any]) -> dict[str, float]:
    """What closing a bundle case adds to its department's counters (the close transition and
    `kpi rebuild` share this rule): completion time in working hours against the promise."""
    closed_at = doc["closed_at"]
    hours = calendar.working_hours_between(doc["submitted_at"], closed_at)
    inc: dict[str, float] = {"bundles_closed": 1}
    if doc["status"] == rules.COMPLETED:
        inc["bundles_completed"] = 1
        inc["bundle_hours_sum"] = hours
        if closed_at <= doc["promised_at"]:
            inc["bundles_on_time"] = 1
    return inc


def rebuild_increments(doc: dict[str, Any], counters: Any) -> None:
    """A bundle case's share of `kpi rebuild` (app.oversight.kpi_rebuild)."""
    dept, region = doc.get("department"), doc.get("region")
    counters.add(dept, region, doc.get("submitted_at"), bundles_received=1)
    if doc.get("status") in rules.TERMINAL and doc.get("closed_at") is not None:
        counters.add(dept, region, doc["closed_at"], **closing_increments(doc))


# ---------------------------------------------------------------- presenting

_MESSAGES = {
    "submit": (
        N_("Bundle application received"),
        N_("We received your application {no} for {bundle}; its items are being filed."),
    ),
    "completed": (
        N_("Bundle application completed"),
        N_("Your application {no} for {bundle} is completed: every item is done."),
    ),
    "partially_completed": (
        N_("Bundle application closed"),
        N_("Your application {no} for {bundle} is closed: some of its items were not completed."),
    ),
    "rejected": (
        N_("Bundle application closed"),
        N_("Your application {no} for {bundle} is closed: none of its items was completed."),
    ),
}


def _tell_applicant(doc: dict[str, Any], what: str) -> dict[str, Any]:
    title, body = _MESSAGES[what]
    return notification(
        doc["applicant_id"],
        f"bundle_application.{'submit' if what == 'submit' else 'close'}",
        title,
        body,
        params={"no": doc["tracking_no"], "bundle": doc["bundle"]["name"]},
        subject={"kind": CASE_KIND, "id": str(doc["_id"]), "tracking_no": doc["tracking_no"]},
    )


def present(
    doc: dict[str, Any], live: dict[ObjectId, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The bundle case with its children as they are now (LIVE: read already): their status,
    due_at and timeline roll up into the bundle's (due_at: the latest of the bundle's promise
    and the children's)."""
    if live is None:
        live = repo.children([c["application_id"] for c in doc["children"] if c["application_id"]])
    children = []
    timeline = [dict(entry, matter_code=None) for entry in doc["timeline"]]
    due = [doc["promised_at"]]
    for child in doc["children"]:
        app = live.get(child["application_id"]) if child["application_id"] else None
        children.append(
            {
                "matter_code": child["matter_code"],
                "application_id": child["application_id"],
                "tracking_no": app["tracking_no"] if app else None,
                "status": app["status"] if app else child["status"],
                "due_at": app.get("due_at") if app else None,
                "depends_on": child["requires"],
            }
        )
        if app:
            if app.get("due_at"):
                due.append(app["due_at"])
            timeline += [
                dict(entry, matter_code=child["matter_code"]) for entry in app.get("timeline", [])
            ]
    timeline.sort(key=lambda entry: entry["at"])
    return {
        **doc,
        "bundle_code": doc["bundle"]["code"],
        "children": children,
        "due_at": max(due),
        "timeline": list(itertools.islice(timeline, 500)),
    }
