"""The certificate wallet: certificates issued into a holder's wallet on completion of a case,
read by staff only through a case that cites them, every such read logged for the holder."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app import audit, clock, outbox
from app.accounts.auth import Principal
from app.cases.tracking import next_tracking_no
from app.catalogue import departments_repository as departments_repo
from app.http.errors import NotFound
from app.pagination import Page
from app.wallet import repository as repo

NUMBER_PREFIX = "ZJC"  # certificate numbers read like ZJC20261126000042

# What the government issues and a wallet can hold; service items name these types for the
# materials a certificate satisfies and for what they issue on completion.
CERTIFICATE_TYPES = (
    "resident_id_card",
    "household_register",
    "business_licence",
    "individual_business_licence",
    "marriage_certificate",
    "divorce_certificate",
    "birth_medical_certificate",
    "death_certificate",
    "real_estate_certificate",
    "mortgage_certificate",
    "social_security_card",
    "social_insurance_transfer_certificate",
    "passport",
    "travel_permit",
    "residence_permit",
    "retirement_certificate",
    "pension_approval",
    "unemployment_certificate",
    "employment_registration_certificate",
    "tax_registration_certificate",
    "invoice_approval",
    "deregistration_notice",
    "enrolment_notice",
    "funeral_subsidy_decision",
    "medical_reimbursement_decision",
)


def issuance(
    holder_id: ObjectId,
    holder_name: str,
    cert_type: str,
    issuer: dict[str, Any],
    data: dict[str, Any],
    source: dict[str, Any] | None,
    valid_until: datetime | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new certificate of CERT_TYPE for HOLDER, issued by the department ISSUER: its document
    (id and number fixed now) and the outbox entries that put it into the wallet, for the
    issuing command's own write. A case issues one certificate (unique by its source)."""
    doc = {
        "_id": ObjectId(),
        "type": cert_type,
        "number": next_tracking_no(NUMBER_PREFIX),
        "holder_id": holder_id,
        "holder_name": holder_name,
        "issuer": issuer["_id"],
        "issuer_name": issuer["name"],
        "issued_at": clock.now(),
        "valid_until": valid_until,
        "data": dict(data),
        "source": source,
        "status": "valid",
    }
    entries = [
        outbox.entry("certificate", certificate=doc),
        audit.entry(
            "certificate.issue",
            "certificate",
            doc["_id"],
            after={"type": cert_type, "number": doc["number"], "issuer": issuer["_id"]},
            detail={"source": _printable(source)},
        ),
    ]
    return doc, entries


@outbox.applier("certificate")
def _apply(pending: list[outbox.Pending], session: ClientSession) -> None:
    repo.insert_unless_issued([item.entry["certificate"] for item in pending], session)


def revocation(certificate_id: ObjectId, reason: str) -> list[dict[str, Any]]:
    """The outbox entries revoking a certificate (e.g. a false commitment behind the case that
    issued it): `status: revoked`, `revoked_reason`, so the wallet and /verify say so."""
    return [
        outbox.entry(
            "certificate_revocation",
            certificate_id=certificate_id,
            reason=reason,
            at=clock.now(),
        ),
        audit.entry("certificate.revoke", "certificate", certificate_id, detail={"reason": reason}),
    ]


@outbox.applier("certificate_revocation")
def _apply_revocation(pending: list[outbox.Pending], session: ClientSession) -> None:
    for item in pending:
        entry = item.entry
        repo.revoke(entry["certificate_id"], entry["reason"], entry["at"], session)


def issue(
    holder_id: ObjectId,
    holder_name: str,
    cert_type: str,
    issuer: str,
    data: dict[str, Any],
    source: dict[str, Any] | None,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """Issue a certificate at once, outside any case (demo data, certificates from elsewhere):
    the certificate and its audit record in one transaction."""
    department = departments_repo.get(issuer)
    if department is None:
        raise ValueError(f"certificate issuer {issuer!r} is not a department")
    doc, entries = issuance(
        holder_id, holder_name, cert_type, department, data, source, valid_until
    )
    outbox.apply_now(entries)
    return repo.get(doc["_id"]) or doc


def owned(holder_id: ObjectId, ids: Iterable[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    """Those of IDS that are HOLDER's certificates, by id (others' ids are simply absent)."""
    return repo.owned(holder_id, ids)


def holds(holder_id: ObjectId, cert_type: str) -> bool:
    return repo.has_type(holder_id, cert_type)


def valid_by_type(holder_id: ObjectId, types: Iterable[str]) -> dict[str, dict[str, Any]]:
    """HOLDER's newest valid certificate of each of TYPES: the wallet facts rules read."""
    return repo.valid_by_type(holder_id, types, clock.now()) if types else {}


def read_through_case(
    reader: Principal,
    certificate_id: ObjectId,
    case_kind: str,
    case_id: ObjectId,
    tracking_no: str,
) -> dict[str, Any]:
    """A staff member reads a certificate a case cites (the caller checked the case gives
    READER that right); the read is logged where the holder sees it."""
    certificate = repo.get(certificate_id)
    if certificate is None:
        raise NotFound("No such certificate.")
    read = {
        "_id": ObjectId(),
        "kind": "case_read",
        "certificate_id": certificate["_id"],
        "holder_id": certificate["holder_id"],
        "at": clock.now(),
        "reader": {"id": reader.id, "name": reader.name, "department": reader.department},
        "case": {"kind": case_kind, "id": case_id, "tracking_no": tracking_no},
    }
    # The holder's access log and the read's audit record: one write (a GET's only one).
    repo.log_access(
        read,
        [
            audit.entry(
                "certificate.read",
                "certificate",
                certificate["_id"],
                detail={
                    "case": {"kind": case_kind, "id": str(case_id), "tracking_no": tracking_no}
                },
            )
        ],
    )
    return certificate


def wallet(holder: Principal, cert_type: str | None, limit: int, cursor: str | None) -> Page:
    return repo.page_of_holder(holder.oid, cert_type, limit, cursor)


def get_own(holder: Principal, certificate_id: str | ObjectId) -> dict[str, Any]:
    """The holder's certificate; another's (or a malformed) id answers 404 like an unknown one."""
    if not isinstance(certificate_id, ObjectId):
        if not ObjectId.is_valid(certificate_id) or len(certificate_id) != 24:
            raise NotFound("No such certificate.")
        certificate_id = ObjectId(certificate_id)
    certificate = repo.get_owned(holder.oid, certificate_id)
    if certificate is None:
        raise NotFound("No such certificate.")
    return certificate


def access_log(
    holder: Principal, certificate_id: str | ObjectId, limit: int, cursor: str | None
) -> Page:
    """Who read the holder's certificate, newest first (another's certificate: 404)."""
    certificate = get_own(holder, certificate_id)
    page = repo.access_page(certificate["_id"], limit, cursor)
    departments = departments_repo.get_many(
        sorted({e["reader"]["department"] for e in page.items if e["reader"].get("department")})
    )
    for entry in page.items:
        dept = departments.get(entry["reader"].get("department") or "")
        entry["reader"]["department_name"] = dept["name"] if dept else None
    return page


def _printable(source: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: str(v) for k, v in source.items()} if source else None
