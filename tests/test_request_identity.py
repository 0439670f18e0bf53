"""Each request is authenticated on its own, even inside a long-lived app context."""


def test_the_previous_callers_identity_never_carries_over(users, db):
    first, second = users.resident(), users.resident()
    assert first.get("/api/v1/me").get_json()["id"] == first.id
    assert second.get("/api/v1/me").get_json()["id"] == second.id
