"""The demo data opens each demo staff app on work; the one completed case (the posted
residence permit) is the only certificate it issues."""

from app.seed import DEMO_PASSWORD, seed_demo

INBOX = "/api/v1/staff/inbox"


def login(client, phone):
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _titles(client, phone, kind):
    response = client.get(f"{INBOX}?kind={kind}", headers=login(client, phone))
    return [item["matter"]["code"] for item in response.get_json()["items"]]


def test_demo_applications_fill_the_window_and_review_inboxes(app, client, db):
    with app.app_context():
        assert seed_demo() is True
        seed_demo(force=True)  # loading again adds nothing
    # Three at work, two withdrawn ones the demo rated badly (app/seed/rectifications.py), the
    # posted residence permit (app/seed/delivery.py), besides the demo bundle's children.
    assert db.applications.count_documents({"bundle": None}) == 6
    assert db.applications.count_documents({"status": "withdrawn", "bundle": None}) == 2
    # AMR window (a window of the region: also the demo bundle's death certificate)
    assert _titles(client, "13700000001", "acceptance") == ["ZJ-COMPANY-SETUP", "ZJ-DEATH-CERT"]
    assert _titles(client, "13700000006", "review") == ["ZJ-HKMO-PERMIT"]  # PSB
    assert _titles(client, "13700000004", "review") == ["ZJ-EMPLOY-REG"]  # SI
    mine = client.get("/api/v1/applications", headers=login(client, "13800000001")).get_json()
    own = [a for a in mine["items"] if a["matter"]["code"] != "ZJ-DEATH-CERT"]
    assert {a["status"] for a in own} == {"in_review", "completed"}
    assert db.certificates.count_documents({}) == 3  # the residence permit's
    paid = db.applications.find_one({"matter.code": "ZJ-HKMO-PERMIT"})
    assert paid["payment"]["status"] == "paid" and paid["payment"]["amount"] == 6000
    posted = db.applications.find_one({"matter.code": "ZJ-RESIDENCE-PERMIT"})
    assert posted["shipment"]["status"] == "dispatched"
