"""`make run`'s launcher: demo data on first start, data kept across restarts, the configured
admin ensured, Ctrl-C leaves no process behind and stops within 5 s (an open supervision
stream included), and slow clients do not starve ordinary requests."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from app.platform.embedded import free_port
from tests.processes import ROOT, post_json, wait_for

pytestmark = pytest.mark.slow


def start(data_dir, port, stderr=subprocess.DEVNULL):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("ONEVISIT_") and k != "MONGO_URI"
    }
    env.update(
        ONEVISIT_DATA_DIR=str(data_dir),
        PORT=str(port),
        ONEVISIT_WORKERS="1",
        ONEVISIT_ADMIN_PHONE="13300000009",
        ONEVISIT_ADMIN_PASSWORD="Ops-admin-2026x",
        ONEVISIT_LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app.platform.launcher"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    wait_for(f"http://127.0.0.1:{port}/readyz", timeout=120)
    return process


def stop(process):
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split()[2] != "Z"


def login(port, phone, password):
    body = json.dumps({"phone": phone, "password": password}).encode()
    return post_json(f"http://127.0.0.1:{port}/api/v1/auth/login", body)[0]


def test_data_survives_a_restart_and_ctrl_c_leaves_nothing_behind(tmp_path):
    port = free_port()
    process = start(tmp_path, port)
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
        stop(process)
    assert not alive(database_pid)
    children = subprocess.run(
        ["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True
    ).stdout.split()
    assert children == []

    process = start(tmp_path, port)
    try:
        assert login(port, "13312345678", "Survivor-pass-1") == 200
        assert login(port, "13800000001", "OneVisit-demo-2026") == 200
    finally:
        stop(process)


def supervisor_stream(port):
    """An open supervision stream (the demo Hangzhou supervisor), as a raw socket."""
    body = json.dumps({"phone": "13600000001", "password": "OneVisit-demo-2026"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        token = json.load(response)["access_token"]
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        f"GET /api/v1/supervision/stream HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return sock


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stop_takes_under_five_seconds_with_a_stream_open_and_logs_no_error(tmp_path, signum):
    port = free_port()
    log_path = tmp_path / "launcher.log"
    with open(log_path, "wb") as log_file:
        process = start(tmp_path, port, stderr=log_file)
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
    process = start(tmp_path, port)
    try:
        figures = measure(port, connections=200, seconds=4.0, probe_timeout=5.0)
    finally:
        stop(process)
    assert figures.connections_opened == 200
    assert figures.probe_errors == []
    assert figures.healthz_seconds and figures.login_seconds
    # The front holds them (they were not refused or cut off by gunicorn's thread limit).
    assert figures.still_open_at_end == 200
