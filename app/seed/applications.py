"""Demo applications, so each demo staff app opens on work: a company set-up waiting at the
AMR window, an HK/Macau permit (its 60 CNY fee paid through the sandbox, the permit to be
posted) in PSB's review and an employment registration in SI's; and a residence permit
completed by PSB and dispatched by post (app.seed.delivery), so its delivery can be followed
and the sandbox carrier's callback tried on it."""

from __future__ import annotations

import io
from typing import Any

from bson import ObjectId
from werkzeug.datastructures import FileStorage

from app.accounts import repository as users_repo
from app.accounts.auth import Principal
from app.applications import repository as applications_repo

# The smallest well-formed PDF: the demo's "scanned" documents.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0>>"
    b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


DEMO_ADDRESS = {
    "name": "Zhang Wei",
    "phone": "13800000001",
    "address": "浙江省杭州市西湖区文三路 90 号 3 幢 501 室",
    "region": "330106",
}


def _principal(phone: str) -> Principal:
    doc = users_repo.find_by_phone(phone)
    if doc is None:
        raise RuntimeError("seed_applications runs after seed_users")
    return Principal.from_document(doc)


def _upload(owner: Principal, filename: str) -> ObjectId:
    from app.wallet import attachments

    upload = FileStorage(io.BytesIO(DEMO_PDF), filename=filename)
    return attachments.store(owner, upload)["_id"]


def _id_card(holder: Principal) -> ObjectId:
    from app.wallet import certificates

    (card,) = certificates.wallet(holder, "resident_id_card", 1, None).items
    return card["_id"]


def seed_applications() -> None:
    from app.applications import service as applications
    from app.payments import service as payments

    resident = _principal("13800000001")
    enterprise = _principal("13800000002")
    if applications_repo.page_for_applicant(resident.oid, None, 1, None).items:
        return
    amr_window = _principal("13700000001")
    psb_window = _principal("13700000006")

    company: dict[str, Any] = {
        "matter_code": "ZJ-COMPANY-SETUP",
        "form": {
            "company_name": "Xixi Data Technology Co., Ltd.",
            "registered_capital": 500000,
            "business_scope": "software",
            "start_date": "2026-12-01",
        },
        "materials": [
            {"key": "articles", "attachment_id": _upload(enterprise, "articles.pdf")},
            {"key": "legal_rep_id", "attachment_id": _upload(enterprise, "legal-rep-id.pdf")},
        ],
        "delivery": "electronic",
    }
    applications.submit(enterprise, company)

    permit = applications.submit(
        resident,
        {
            "matter_code": "ZJ-HKMO-PERMIT",
            "form": {
                "destination": "hong_kong",
                "endorsement_type": "individual_tour",
                "emergency_contact_phone": "13800000009",
            },
            "materials": [{"key": "applicant_id", "certificate_id": _id_card(resident)}],
            "delivery": "post",
            "delivery_address": DEMO_ADDRESS,
        },
    )
    payment = payments.start(resident, permit["_id"])["payment"]
    payments.sandbox_pay(str(payment["id"]))
    applications.accept(psb_window, permit["_id"], None)

    employment = applications.submit(
        resident,
        {
            "matter_code": "ZJ-EMPLOY-REG",
            "form": {
                "employer_name": "Qiantang Software Ltd",
                "employer_credit_code": "91330106MA2GL8JX51",
                "employment_start": "2026-11-02",
                "employment_form": "labour_contract",
                "monthly_wage": 12000,
            },
            "materials": [
                {"key": "employee_id", "certificate_id": _id_card(resident)},
                {"key": "labour_contract", "attachment_id": _upload(resident, "contract.pdf")},
            ],
            "delivery": "electronic",
        },
    )
    applications.accept(amr_window, employment["_id"], None)
