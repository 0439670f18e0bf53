"""The demo data opens each demo staff app on work, and leaves the demo wallets alone."""

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
    # (besides the children of the demo bundle, app/seed/bundles.py)
    assert db.applications.count_documents({"bundle": None}) == 3
    # AMR window (a window of the region: also the demo bundle's death certificate)
    assert _titles(client, "13700000001", "acceptance") == ["ZJ-COMPANY-SETUP", "ZJ-DEATH-CERT"]
    assert _titles(client, "13700000006", "review") == ["ZJ-HKMO-PERMIT"]  # PSB
    assert _titles(client, "13700000004", "review") == ["ZJ-EMPLOY-REG"]  # SI
    mine = client.get("/api/v1/applications", headers=login(client, "13800000001")).get_json()
    own = [a for a in mine["items"] if a["matter"]["code"] != "ZJ-DEATH-CERT"]
    assert {a["status"] for a in own} == {"in_review"}
    assert db.certificates.count_documents({}) == 2  # nothing completed, nothing issued
