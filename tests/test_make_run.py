"""`make run`'s launcher: demo data on first start, data kept across restarts, the configured
admin ensured, Ctrl-C leaves no process behind and stops within 5 s (an open supervision
stream included), and slow clients do not starve ordinary requests."""

import json
import os
import signal
import subprocess
import time

import pytest

from app.platform.embedded import free_port
from tests.processes import login, post_json, start_make_run, stop_make_run, supervisor_stream

pytestmark = pytest.mark.slow


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split()[2] != "Z"


def test_data_survives_a_restart_and_ctrl_c_leaves_nothing_behind(tmp_path):
    port = free_port()
    process = start_make_run(tmp_path, port)
    try:
        database_pid = json.loads((tmp_path / "db.json").read_text())["pid"]
        body = json.dumps(
            {
                "phone": "13312345678",
                "password": "Survivor-pass-1",
                "name": "Survivor",
                "kind": "person",
            }
        ).encode()
        assert post_json(f"http://127.0.0.1:{port}/api/v1/auth/register", body)[0] == 201
        assert login(port, "13800000001", "OneVisit-demo-2026") == 200  # demo data loaded
        assert login(port, "13300000009", "Ops-admin-2026x") == 200  # configured admin
    finally:
        stop_make_run(process)
    assert not alive(database_pid)
    children = subprocess.run(
        ["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True
    ).stdout.split()
    assert children == []

    process = start_make_run(tmp_path, port)
    try:
        assert login(port, "13312345678", "Survivor-pass-1") == 200
        assert login(port, "13800000001", "OneVisit-demo-2026") == 200
    finally:
        stop_make_run(process)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stop_takes_under_five_seconds_with_a_stream_open_and_logs_no_error(tmp_path, signum):
    port = free_port()
    log_path = tmp_path / "launcher.log"
    with open(log_path, "wb") as log_file:
        process = start_make_run(tmp_path, port, stderr=log_file)
        stream = supervisor_stream(port)
        try:
            started = time.monotonic()
            process.send_signal(signum)
            code = process.wait(timeout=30)
            took = time.monotonic() - started
        finally:
            stream.close()
    log = log_path.read_text()
    assert code == 0
    assert took < 5.0, f"stopping took {took:.1f} s"
    for bad in ("SIGKILL", "Traceback", '"level": "ERROR"', "[ERROR]", "Perhaps out of memory"):
        assert bad not in log, log[-2000:]


def test_slow_clients_do_not_starve_healthz_or_login(tmp_path):
    """200 connections held open idle or trickling a body (loopback, a few seconds): every
    /healthz and login probe meanwhile is answered (see bench/slow_clients.py for figures)."""
    from bench.slow_clients import measure

    port = free_port()
    process = start_make_run(tmp_path, port)
    try:
        figures = measure(port, connections=200, seconds=4.0, probe_timeout=5.0)
    finally:
        stop_make_run(process)
    assert figures.connections_opened == 200
    assert figures.probe_errors == []
    assert figures.healthz_seconds and figures.login_seconds
    # The front holds them (they were not refused or cut off by gunicorn's thread limit).
    assert figures.still_open_at_end == 200
