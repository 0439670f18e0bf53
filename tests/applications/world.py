"""A small world for application tests: the company set-up item (AMR leads, TAX and SI
co-review), an enterprise with an ID-card certificate and an uploaded file, and staff of
each department."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from app.wallet import certificates
from tests.conftest import Api, ensure_department
from tests.files import upload_id
from tests.matters import store_matter

APPS = "/api/v1/applications"


@dataclass
class World:
    app: Any
    db: Any
    users: Any
    matter: dict[str, Any]
    applicant: Api
    id_card: str
    articles: str
    staff: dict[str, Api] = field(default_factory=dict)

    def body(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "matter_code": "ZJ-COMPANY-SETUP",
            "form": {
                "company_name": "Qiantang Software Ltd",
                "registered_capital": 1000000,
                "business_scope": "software",
            },
            "materials": [
                {"key": "articles", "attachment_id": self.articles},
                {"key": "legal_rep_id", "certificate_id": self.id_card},
            ],
            "delivery": "electronic",
        }
        body.update(overrides)
        return body

    def submit(self, api: Api | None = None, **overrides: Any) -> dict[str, Any]:
        response = (api or self.applicant).post(APPS, json=self.body(**overrides))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def certificate(self, holder: Api, cert_type: str = "resident_id_card") -> str:
        with self.app.app_context():
            cert = certificates.issue(
                ObjectId(holder.id), holder.user["name"], cert_type, "PSB-330100", {}, None
            )
        return str(cert["_id"])

    def act(self, who: str | Api, case: dict[str, Any], action: str, json: Any = None, **kw: Any):
        api = self.staff[who] if isinstance(who, str) else who
        return api.post(f"{APPS}/{case['id']}/{action}", json=json, **kw)

    def ok(self, who: str | Api, case: dict[str, Any], action: str, json: Any = None):
        response = self.act(who, case, action, json)
        assert response.status_code in (200, 201), (action, response.get_json())
        return response.get_json()

    def accept(self, case: dict[str, Any]) -> dict[str, Any]:
        return self.ok("amr_window", case, "accept")

    def approve_all(self, case: dict[str, Any]) -> dict[str, Any]:
        for who, dept in (("amr_head", "AMR"), ("tax", "TAX"), ("si", "SI")):
            case = self.ok(who, case, f"reviews/{dept}-330100", {"decision": "approve"})
        return case

    def kpi(self, department: str = "AMR-330100") -> dict[str, Any]:
        """DEPARTMENT's KPI counters summed over all days (a test may cross local midnight)."""
        total: dict[str, Any] = {}
        for doc in self.db.kpi_daily.find({"department": department}):
            for name, value in doc["m"].items():
                if isinstance(value, dict):
                    bucket = total.setdefault(name, {})
                    for key, count in value.items():
                        bucket[key] = bucket.get(key, 0) + count
                else:
                    total[name] = total.get(name, 0) + value
        return total

    def stored(self, case: dict[str, Any]) -> dict[str, Any]:
        return self.db.applications.find_one({"_id": ObjectId(case["id"])})


STAFF = {
    "amr_window": ("AMR-330100", ("window", "reviewer")),
    "amr_head": ("AMR-330100", ("reviewer", "head")),
    "tax": ("TAX-330100", ("reviewer",)),
    "si": ("SI-330100", ("reviewer",)),
}


class StaffOnDemand(dict):
    """world.staff["tax"]: signed in the first time a test needs them (keeps tests fast)."""

    def __init__(self, users: Any) -> None:
        super().__init__()
        self.users = users

    def __missing__(self, who: str) -> Api:
        department, duties = STAFF[who]
        self[who] = self.users.staff(department, duties)
        return self[who]


def build_world(app: Any, db: Any, users: Any) -> World:
    with app.app_context():
        for code in ("AMR-330100", "TAX-330100", "SI-330100", "PSB-330100"):
            ensure_department(code, "330100")
        matter = store_matter(db)
    applicant = users.enterprise(name="Qiantang Software Ltd", id_number="330106199001010018")
    world = World(
        app=app,
        db=db,
        users=users,
        matter=matter,
        applicant=applicant,
        id_card="",
        articles=upload_id(applicant),
    )
    world.id_card = world.certificate(applicant)
    world.staff = StaffOnDemand(users)
    return world
