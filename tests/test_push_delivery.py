"""The push outbox: send once per notification and device, retry with backoff, dead-letter,
forget invalid tokens, and never lose or double-send a row when a worker dies mid-batch."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from app.messaging import push_delivery
from app.messaging import push_outbox_repository as push_outbox
from app.messaging.notify import notify
from app.messaging.push import (
    InvalidToken,
    LoggingProvider,
    PushError,
    PushMessage,
    Unsupported,
    provider_from_settings,
)
from app.platform.worker import Worker

T0 = datetime(2026, 11, 26, 9, tzinfo=UTC)


@pytest.fixture
def settings_overrides():
    return {"push_max_attempts": 3, "push_backoff_seconds": 30, "push_lease_seconds": 300}


class FakeProvider:
    """Records every send; fails the way it is told to, per token."""

    name = "fake"

    def __init__(self, failures: dict[str, list[Exception]] | None = None) -> None:
        self.sent: list[PushMessage] = []
        self.failures = failures or {}
        self.lock = threading.Lock()

    def send(self, message: PushMessage) -> None:
        with self.lock:
            queue = self.failures.get(message.token)
            if queue:
                raise queue.pop(0)
            self.sent.append(message)


def _user_with_devices(users, *tokens):
    user = users.resident()
    for token in tokens:
        response = user.post("/api/v1/me/devices", json={"platform": "fcm", "token": token})
        assert response.status_code == 204
    return user


def _notify(app, user, title="Application accepted"):
    with app.app_context():
        return notify(user.id, "status_changed", title, "ZJ2026 is now in review")


def _deliver(app, provider, limit=100):
    with app.app_context():
        return push_delivery.deliver_due(provider, app.extensions["settings"], limit)


def test_each_device_gets_the_notification_once(app, users, db):
    user = _user_with_devices(users, "token-phone-1", "token-tablet-2")
    clock.freeze(T0)
    nid = _notify(app, user)
    provider = FakeProvider()

    report = _deliver(app, provider)
    assert (report.sent, report.retried, report.dead) == (2, 0, 0)
    assert sorted(m.token for m in provider.sent) == ["token-phone-1", "token-tablet-2"]
    assert {m.collapse_id for m in provider.sent} == {str(nid)}
    assert db.push_outbox.count_documents({"state": "sent", "attempts": 1}) == 2

    clock.advance(timedelta(days=1))
    assert _deliver(app, provider).sent == 0
    assert len(provider.sent) == 2


def test_transient_failures_back_off_exponentially_then_dead_letter(app, users, db):
    user = _user_with_devices(users, "token-flaky-1")
    clock.freeze(T0)
    _notify(app, user)
    provider = FakeProvider({"token-flaky-1": [PushError("503") for _ in range(3)]})

    assert _deliver(app, provider).retried == 1
    row = db.push_outbox.find_one()
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert row["next_attempt_at"] == T0 + timedelta(seconds=30)
    assert row["last_error"] == "503"

    clock.advance(timedelta(seconds=29))
    assert _deliver(app, provider).retried == 0  # not due yet
    clock.advance(timedelta(seconds=1))
    assert _deliver(app, provider).retried == 1
    row = db.push_outbox.find_one()
    assert row["attempts"] == 2
    assert row["next_attempt_at"] == clock.now() + timedelta(seconds=60)

    clock.advance(timedelta(seconds=60))
    assert _deliver(app, provider).dead == 1  # third failure of three allowed
    row = db.push_outbox.find_one()
    assert (row["state"], row["attempts"]) == ("dead", 3)
    clock.advance(timedelta(days=1))
    assert _deliver(app, provider).sent == 0
    assert provider.sent == []
    # The token itself is fine (only the provider was down): the device stays registered.
    devices = db.users.find_one({"phone": user.user["phone"]})["devices"]
    assert [d["token"] for d in devices] == ["token-flaky-1"]


def test_a_retry_that_succeeds_is_sent_once(app, users, db):
    user = _user_with_devices(users, "token-flaky-2")
    clock.freeze(T0)
    _notify(app, user)
    provider = FakeProvider({"token-flaky-2": [PushError("timeout")]})
    _deliver(app, provider)
    clock.advance(timedelta(seconds=30))
    assert _deliver(app, provider).sent == 1
    assert db.push_outbox.find_one()["state"] == "sent"
    assert len(provider.sent) == 1


def test_an_invalid_token_is_removed_from_the_user_and_its_pushes_die(app, users, db):
    user = _user_with_devices(users, "token-gone-1", "token-good-2")
    clock.freeze(T0)
    _notify(app, user, "first")
    _notify(app, user, "second")
    provider = FakeProvider({"token-gone-1": [InvalidToken("UNREGISTERED")]})

    report = _deliver(app, provider, limit=1)  # only the oldest row: the gone token's
    assert report.dead == 1
    devices = db.users.find_one({"phone": user.user["phone"]})["devices"]
    assert [d["token"] for d in devices] == ["token-good-2"]
    # The other queued push to the dead token is dead too, without a provider call.
    assert db.push_outbox.count_documents({"token": "token-gone-1", "state": "dead"}) == 2
    _deliver(app, provider)
    assert sorted(m.title for m in provider.sent) == ["first", "second"]
    assert {m.token for m in provider.sent} == {"token-good-2"}


def test_a_platform_the_provider_cannot_serve_is_dead_lettered_and_the_token_kept(app, users, db):
    user = users.resident()
    response = user.post("/api/v1/me/devices", json={"platform": "apns", "token": "apns-token-1"})
    assert response.status_code == 204
    clock.freeze(T0)
    _notify(app, user)
    provider = FakeProvider({"apns-token-1": [Unsupported("no APNs provider")]})
    assert _deliver(app, provider).dead == 1
    row = db.push_outbox.find_one()
    assert (row["state"], row["attempts"]) == ("dead", 1)
    assert [d["token"] for d in db.users.find_one({"_id": user.user["_id"]})["devices"]] == [
        "apns-token-1"
    ]


def test_a_worker_dying_between_claim_and_mark_is_retried_only_after_the_lease(app, users, db):
    user = _user_with_devices(users, "token-crash-1")
    clock.freeze(T0)
    _notify(app, user)
    with app.app_context():
        row = db.push_outbox.find_one()
        # The dead worker got this far: the row is claimed, the send's outcome unknown.
        assert push_outbox.claim(row, T0, T0 + timedelta(seconds=300), "dead-worker")
    provider = FakeProvider()

    clock.advance(timedelta(seconds=299))
    assert _deliver(app, provider).sent == 0  # the lease is the grace: nobody touches it
    assert db.push_outbox.find_one()["state"] == "sending"

    clock.advance(timedelta(seconds=1))
    assert _deliver(app, provider).sent == 1
    row = db.push_outbox.find_one()
    assert (row["state"], row["attempts"]) == ("sent", 2)
    _deliver(app, provider)
    assert len(provider.sent) == 1

    # The dead worker, had it woken up, could no longer finish the row it lost.
    with app.app_context():
        assert not push_outbox.mark_retry(row["_id"], 1, clock.now(), "late")
    assert db.push_outbox.find_one()["state"] == "sent"


def test_a_row_whose_last_attempt_never_finished_is_dead_lettered(app, users, db):
    user = _user_with_devices(users, "token-poison-1")
    clock.freeze(T0)
    _notify(app, user)
    db.push_outbox.update_one({}, {"$set": {"attempts": 2}})  # two failures so far
    with app.app_context():
        row = db.push_outbox.find_one()
        assert push_outbox.claim(row, T0, T0 + timedelta(seconds=300), "crashed-worker")
    clock.advance(timedelta(seconds=300))
    provider = FakeProvider()
    assert _deliver(app, provider).dead == 1
    assert provider.sent == []
    assert db.push_outbox.find_one()["state"] == "dead"


def test_two_workers_at_once_send_every_row_exactly_once(app, users, db):
    user = _user_with_devices(users, "token-shared-1", "token-shared-2")
    clock.freeze(T0)
    for i in range(15):
        _notify(app, user, f"n{i}")
    provider = FakeProvider()
    barrier = threading.Barrier(2)

    def run():
        with app.app_context():
            barrier.wait()
            push_delivery.deliver_due(provider, app.extensions["settings"], 100)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = [(m.collapse_id, m.token) for m in provider.sent]
    assert len(sent) == 30 and len(set(sent)) == 30
    assert db.push_outbox.count_documents({"state": "sent", "attempts": 1}) == 30


def test_the_worker_pass_delivers_and_stops_between_rows_on_sigterm(app, users, db):
    user = _user_with_devices(users, "token-worker-1")
    clock.freeze(T0)
    for i in range(3):
        _notify(app, user, f"n{i}")
    provider = FakeProvider()
    worker = Worker(app, provider)
    worker.stop_event.set()  # SIGTERM arrived: no new row is started
    worker.run_once()
    assert provider.sent == []
    assert db.push_outbox.count_documents({"state": "pending"}) == 3

    worker = Worker(app, provider)
    report = worker.run_once()
    assert report.push["sent"] == 3
    assert db.push_outbox.count_documents({"state": "sent"}) == 3


def test_the_run_loop_exits_on_sigterm(app):
    import signal

    worker = Worker(app, FakeProvider())
    previous = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    try:
        worker.install_signal_handlers()
        thread = threading.Thread(target=worker.run)
        thread.start()
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        thread.join()
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    assert worker.stop_event.is_set()


def test_housekeeping_purges_old_sent_rows(app, users, db):
    user = _user_with_devices(users, "token-old-1")
    clock.freeze(T0)
    _notify(app, user)
    _deliver(app, FakeProvider())
    clock.advance(timedelta(days=8))
    report = Worker(app, FakeProvider()).run_once()
    assert report.housekeeping == {"push_rows_purged": 1, "orphan_attachments_removed": 0}
    assert db.push_outbox.count_documents({}) == 0


def test_worker_command_runs_one_pass_with_the_logging_provider(app, users, db):
    user = _user_with_devices(users, "token-cli-1")
    clock.freeze(T0)
    _notify(app, user)
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert '"sent": 1' in result.output
    assert db.push_outbox.find_one()["state"] == "sent"


def test_provider_choice(app):
    settings = app.extensions["settings"]
    assert isinstance(provider_from_settings(settings), LoggingProvider)
    try:
        import firebase_admin  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="firebase-admin is not installed"):
            provider_from_settings(type("S", (), {"fcm_credentials": "/nonexistent.json"})())


def test_make_run_starts_the_worker_beside_gunicorn(tmp_path):
    from app.platform.launcher import _children_commands

    commands = _children_commands("8000", "2", tmp_path / "g.sock")
    assert "app.platform.front" in commands[0]
    assert any("gunicorn" in c for c in commands[1])
    assert commands[2][-2:] == ["wsgi", "worker"]
