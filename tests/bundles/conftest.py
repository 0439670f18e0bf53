"""A small bundle world: a birth certificate item (HEALTH), a household item fed by that
certificate (PSB), a parallel social security card item (SI), a resident with an ID card, and
staff of each department who accept, approve and complete."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from bson import ObjectId

from app.wallet import certificates
from tests.conftest import Api, ensure_department
from tests.matters import store_matter

BUNDLES = "/api/v1/bundles"
ADMIN = "/api/v1/admin/bundles"
CASES = "/api/v1/bundle-applications"
APPS = "/api/v1/applications"

CERT = "T-BIRTH-CERT"
HUKOU = "T-HUKOU"
SSCARD = "T-SSCARD"


def _matter(db, code, department, issues, materials, form, audience=("person",)):
    return store_matter(
        db,
        code=code,
        name={"zh-CN": f"{code}（测试）", "en": f"{code} (test)"},
        category="birth",
        audience=list(audience),
        lead_department=department,
        co_departments=[],
        materials=materials,
        form=form,
        issues_certificate=issues,
        time_limit={"value": 1, "unit": "working_days"},
        delivery=["electronic", "post"],
    )


def id_material(key: str, required: bool = True) -> dict[str, Any]:
    return {"key": key, "name": key, "required": required, "certificate_type": "resident_id_card"}


CHILD_NAME = {"key": "child_name", "label": "Child", "type": "string", "required": True}


def definition(**overrides: Any) -> dict[str, Any]:
    body = {
        "code": "T-BIRTH-BUNDLE",
        "name": {"zh-CN": "出生一件事（测试）", "en": "A baby's birth (test)"},
        "audience": "person",
        "items": [
            {"matter_code": CERT},
            {
                "matter_code": HUKOU,
                "depends_on": [CERT],
                "feeds": [{"material_key": "birth_medical_cert", "from_matter": CERT}],
            },
            {"matter_code": SSCARD},
        ],
        "shared_fields": [CHILD_NAME],
        "time_limit": {"value": 5, "unit": "working_days"},
    }
    body.update(overrides)
    return body


@dataclass
class BundleWorld:
    app: Any
    db: Any
    users: Any
    admin: Api
    resident: Api
    id_card: str
    staff: dict[str, Api] = field(default_factory=dict)

    def body(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "bundle_code": "T-BIRTH-BUNDLE",
            "form": {
                "child_name": "王小明",
                "birth_weight_g": 3350,
                "hukou_with": "father",
                "mailing_postcode": "310000",
            },
            "materials": [
                {"key": "mother_id", "certificate_id": self.id_card},
                {"key": "parent_id", "certificate_id": self.id_card},
                {"key": "applicant_id", "certificate_id": self.id_card},
            ],
            "delivery": "electronic",
        }
        body.update(overrides)
        return body

    def submit(self, api: Api | None = None, **overrides: Any) -> dict[str, Any]:
        response = (api or self.resident).post(CASES, json=self.body(**overrides))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def child(self, case: dict[str, Any], code: str) -> dict[str, Any]:
        return next(c for c in case["children"] if c["matter_code"] == code)

    def complete(self, application_id: str, department: str) -> dict[str, Any]:
        """Accept, approve and complete one child, as its lead department's staff."""
        staff = self.staff[department]
        for action, body in (
            ("accept", None),
            (f"reviews/{department}", {"decision": "approve"}),
            ("complete", None),
        ):
            response = staff.post(f"{APPS}/{application_id}/{action}", json=body)
            assert response.status_code == 200, (action, response.get_json())
        return response.get_json()

    def reject(self, application_id: str, department: str) -> dict[str, Any]:
        response = self.staff[department].post(
            f"{APPS}/{application_id}/reject", json={"reason": "材料不符"}
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl": 60 * 24 * 3600}


@pytest.fixture
def bw(app, db, users) -> BundleWorld:
    with app.app_context():
        for code in ("HEALTH-330100", "PSB-330100", "SI-330100"):
            ensure_department(code, "330100")
        _matter(
            db,
            CERT,
            "HEALTH-330100",
            "birth_medical_certificate",
            [id_material("mother_id")],
            [
                CHILD_NAME,
                {"key": "birth_weight_g", "label": "Weight", "type": "integer", "required": True},
            ],
        )
        _matter(
            db,
            HUKOU,
            "PSB-330100",
            "household_register",
            [
                {
                    "key": "birth_medical_cert",
                    "name": "出生医学证明",
                    "required": True,
                    "certificate_type": "birth_medical_certificate",
                },
                id_material("parent_id"),
            ],
            [
                CHILD_NAME,
                {
                    "key": "hukou_with",
                    "label": "With",
                    "type": "choice",
                    "required": True,
                    "choices": ["father", "mother"],
                },
            ],
        )
        _matter(
            db,
            SSCARD,
            "SI-330100",
            "social_security_card",
            [id_material("applicant_id")],
            [
                CHILD_NAME,
                {
                    "key": "mailing_postcode",
                    "label": "Postcode",
                    "type": "string",
                    "required": True,
                    "pattern": "[0-9]{6}",
                },
            ],
        )
    admin = users.admin()
    response = admin.post(ADMIN, json=definition())
    assert response.status_code == 201, response.get_json()
    resident = users.resident(name="王大明", id_number="330106199001010018")
    with app.app_context():
        cert = certificates.issue(
            ObjectId(resident.id), "王大明", "resident_id_card", "PSB-330100", {}, None
        )
    staff = {
        dept: users.staff(dept, ("window", "reviewer", "head"))
        for dept in ("HEALTH-330100", "PSB-330100", "SI-330100")
    }
    return BundleWorld(app, db, users, admin, resident, str(cert["_id"]), staff)
