"""Demo delivery: the demo resident's residence permit, completed by PSB and sent by post with
the sandbox carrier (waybill SBX-DEMO-0001), so GET /applications/{id}/delivery shows a
dispatched result and a signed report to /callbacks/delivery/sandbox can mark it delivered."""

from __future__ import annotations

from app.accounts import repository as users_repo
from app.accounts.auth import Principal
from app.applications import repository as applications_repo
from app.seed.applications import DEMO_ADDRESS, _id_card, _upload

WAYBILL = "SBX-DEMO-0001"


def seed_delivery() -> None:
    from app.applications import service as applications
    from app.delivery import service as delivery

    resident_doc = users_repo.find_by_phone("13800000001")
    psb_doc = users_repo.find_by_phone("13700000006")
    if resident_doc is None or psb_doc is None:
        raise RuntimeError("seed_delivery runs after seed_users")
    resident, psb = Principal.from_document(resident_doc), Principal.from_document(psb_doc)
    mine = applications_repo.page_for_applicant(resident.oid, None, 50, None).items
    if any(case["matter"]["code"] == "ZJ-RESIDENCE-PERMIT" for case in mine):
        return
    case = applications.submit(
        resident,
        {
            "matter_code": "ZJ-RESIDENCE-PERMIT",
            "form": {
                "residence_address": DEMO_ADDRESS["address"],
                "residence_type": "rented",
                "residence_since": "2025-03-01",
            },
            "materials": [
                {"key": "applicant_id", "certificate_id": _id_card(resident)},
                {"key": "residence_proof", "attachment_id": _upload(resident, "rental.pdf")},
            ],
            "delivery": "post",
            "delivery_address": DEMO_ADDRESS,
        },
    )
    applications.accept(psb, case["_id"], None)
    applications.review(psb, case["_id"], "PSB-330100", "approve", None, None)
    applications.complete(psb, case["_id"], None)
    delivery.dispatch(psb, str(case["_id"]), "sandbox", WAYBILL)
