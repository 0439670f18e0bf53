"""Demo bundles (一件事一次办) over the demo catalogue, with the service items they need beyond
matters.json, loaded through the same validation as the admin API."""

from __future__ import annotations

import json
from pathlib import Path

from app.bundles import repository as bundles_repo
from app.bundles import service as bundles
from app.catalogue import repository as matters_repo
from app.catalogue import service as catalogue
from schemas.bundles import BundleDefinitionSchema
from schemas.matters import MatterDefinitionSchema

DATA = Path(__file__).resolve().parent / "data"


def seed_bundles() -> None:
    matter_schema = MatterDefinitionSchema()
    for item in json.loads((DATA / "bundle_matters.json").read_text(encoding="utf-8")):
        if matters_repo.get_current(item["code"]) is None:
            catalogue.create_matter(matter_schema.load(item), None)
    bundle_schema = BundleDefinitionSchema()
    for item in json.loads((DATA / "bundles.json").read_text(encoding="utf-8")):
        if bundles_repo.get_current(item["code"]) is None:
            bundles.create_bundle(bundle_schema.load(item), None)


def seed_bundle_applications() -> None:
    """The demo resident's 身后一件事: one application; the death certificate waits at the
    HEALTH window, and the household cancellation and funeral subsidy wait for it."""
    from app.bundles import repository as repo
    from app.seed.applications import _id_card, _principal, _upload

    resident = _principal("13800000001")
    if repo.cases().find_one({"applicant_id": resident.oid}) is not None:
        return
    card = _id_card(resident)
    bundles.submit(
        resident,
        {
            "bundle_code": "ZJ-BUNDLE-AFTER-DEATH",
            "form": {
                "deceased_name": "李秀英",
                "date_of_death": "2026-11-28",
                "place_of_death": "浙江大学医学院附属第一医院",
                "relationship": "child",
                "bank_account": "6222021202041234567",
                "cancel_household_registration": True,
            },
            "materials": [
                {"key": "deceased_id", "attachment_id": _upload(resident, "deceased-id.pdf")},
                {"key": "applicant_id", "certificate_id": card},
                {"key": "medical_record", "attachment_id": _upload(resident, "record.pdf")},
                {
                    "key": "deceased_household_register",
                    "attachment_id": _upload(resident, "household-register.pdf"),
                },
                {"key": "cremation_cert", "attachment_id": _upload(resident, "cremation.pdf")},
            ],
            "delivery": "electronic",
        },
    )
