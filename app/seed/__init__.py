"""Demo data for `make run`: Zhejiang's regions, real departments, demo users for every role,
and (through later steps) the service catalogue. Loaded only into an empty database."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app

from app import clock, outbox
from app.accounts import repository as users_repo
from app.accounts import service as accounts
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.catalogue import repository as matters_repo
from app.catalogue import service as catalogue
from app.catalogue.regions import ancestors
from app.seed.applications import seed_applications
from app.seed.appointments import seed_appointments
from app.seed.bundles import seed_bundle_applications, seed_bundles
from app.seed.delivery import seed_delivery
from app.seed.rectifications import seed_rectifications
from app.wallet import certificates
from schemas.matters import MatterDefinitionSchema

log = logging.getLogger("onevisit.seed")
DATA = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "OneVisit-demo-2026"

# phone, name, role, department, duties, region
DEMO_USERS: list[tuple[str, str, str, str | None, list[str], str | None]] = [
    ("13900000000", "Demo Administrator", "admin", None, [], None),
    ("13700000001", "Wang Fang (AMR window)", "staff", "AMR-330100", ["window", "reviewer"], None),
    ("13700000002", "Li Qiang (AMR head)", "staff", "AMR-330100", ["reviewer", "head"], None),
    ("13700000003", "Zhao Min (tax reviewer)", "staff", "TAX-330100", ["reviewer"], None),
    ("13700000004", "Chen Jie (social insurance)", "staff", "SI-330100", ["reviewer"], None),
    (
        "13700000005",
        "Sun Li (real estate window)",
        "staff",
        "NR-330100",
        ["window", "reviewer"],
        None,
    ),
    (
        "13700000006",
        "Zhou Yun (public security)",
        "staff",
        "PSB-330100",
        ["window", "reviewer", "head"],
        None,
    ),
    (
        "13700000007",
        "Wu Hao (civil affairs)",
        "staff",
        "CA-330100",
        ["window", "reviewer", "head"],
        None,
    ),
    (
        "13700000010",
        "Xu Lan (12345 hotline)",
        "staff",
        "HOTLINE-330100",
        ["window", "reviewer", "head"],
        None,
    ),
    ("13700000011", "He Ping (mediator)", "staff", "MED-330100", ["reviewer", "head"], None),
    ("13600000001", "Hangzhou supervisor", "supervisor", None, [], "330100"),
    ("13600000002", "Zhejiang supervisor", "supervisor", None, [], "330000"),
]
DEMO_RESIDENTS: list[dict[str, Any]] = [
    {
        "phone": "13800000001",
        "name": "Zhang Wei",
        "kind": "person",
        "id_number": "330106199001010018",
    },
    {
        "phone": "13800000002",
        "name": "Qiantang Software Ltd",
        "kind": "enterprise",
        "enterprise": {"name": "Qiantang Software Ltd", "credit_code": "91330106MA2GL8JX51"},
    },
]


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def seed_regions() -> None:
    for region in load("regions.json"):
        regions_repo.upsert(
            {
                "_id": region["code"],
                "name": region["name"],
                "parent": region.get("parent"),
                "level": region["level"],
            }
        )


def seed_departments() -> None:
    for dept in load("departments.json"):
        if departments_repo.get(dept["code"]) is None:
            departments_repo.insert(
                {
                    "_id": dept["code"],
                    "name": dept["name"],
                    "region": dept["region"],
                    "region_path": ancestors(dept["region"]),
                    "kind": dept["kind"],
                    "created_at": clock.now(),
                },
                [],  # demo data: not a command of anyone's
            )


def seed_users() -> None:
    for phone, name, role, department, duties, region in DEMO_USERS:
        if users_repo.find_by_phone(phone) is None:
            data: dict[str, Any] = {
                "phone": phone,
                "password": DEMO_PASSWORD,
                "name": name,
                "role": role,
            }
            if department:
                data.update(department=department, duties=duties)
            if region:
                data["region"] = region
            accounts.create_user(data)
    for resident in DEMO_RESIDENTS:
        if users_repo.find_by_phone(resident["phone"]) is None:
            accounts.register({**resident, "password": DEMO_PASSWORD})


def seed_matters() -> None:
    """The service catalogue, through the same validation as POST /admin/matters."""
    schema = MatterDefinitionSchema()
    for item in load("matters.json"):
        if matters_repo.get_current(item["code"]) is None:
            catalogue.create_matter(schema.load(item), None)


def seed_wallets() -> None:
    """The demo resident's ID card and the demo enterprise's business licence."""
    issued = clock.now()
    holders = [users_repo.find_by_phone(r["phone"]) for r in DEMO_RESIDENTS]
    if None in holders:
        raise RuntimeError("seed_wallets runs after seed_users")
    resident, enterprise = (holder for holder in holders if holder is not None)
    for holder, cert_type, issuer, data, years in (
        (
            resident,
            "resident_id_card",
            "PSB-330100",
            {
                "name": resident["name"],
                "id_number": resident["id_number"],
                "sex": "male",
                "birth_date": "1990-01-01",
                "address": "No. 18 Wensan Road, Xihu District, Hangzhou",
            },
            20,
        ),
        (
            enterprise,
            "business_licence",
            "AMR-330100",
            {
                "name": enterprise["enterprise"]["name"],
                "credit_code": enterprise["enterprise"]["credit_code"],
                "legal_representative": "Zhang Wei",
                "registered_capital": 1000000,
                "business_scope": "software",
                "established_on": "2024-03-18",
            },
            None,
        ),
    ):
        if not certificates.holds(holder["_id"], cert_type):
            valid_until = issued.replace(year=issued.year + years) if years else None
            certificates.issue(
                holder["_id"], holder["name"], cert_type, issuer, data, None, valid_until
            )


def seed_complaint_categories() -> None:
    from app.complaints import categories as complaint_categories

    complaint_categories.seed(load("complaint_categories.json"))


# Later features append their steps (catalogue, complaint categories, ...).
STEPS: list[Callable[[], None]] = [
    seed_regions,
    seed_departments,
    seed_users,
    seed_matters,
    seed_bundles,
    seed_wallets,
    seed_complaint_categories,
    seed_applications,
    seed_appointments,
    seed_delivery,
    seed_rectifications,
    seed_bundle_applications,
]


def is_empty() -> bool:
    return users_repo.count() == 0 and regions_repo.count() == 0


def seed_demo(force: bool = False) -> bool:
    """Load the demo data into an empty database; returns whether it did. Not in
    production: the demo pays and posts through the development sandboxes (app.payments,
    app.delivery), which production does not serve."""
    if current_app.extensions["settings"].production:
        raise RuntimeError(
            "demo data needs the development sandboxes: not with ONEVISIT_ENV=production"
        )
    if not force and not is_empty():
        log.info("database not empty; demo data not loaded")
        return False
    for step in STEPS:
        step()
        log.info("demo data step done", extra={"step": step.__name__})
    # The side effects the demo's commands queued (audit, counters, notifications), now
    # rather than on the worker's first pass.
    while outbox.relay(500)["applied"]:
        pass
    return True
