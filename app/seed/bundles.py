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
