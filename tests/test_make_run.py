"""`make run`'s launcher: demo data on first start, data kept across restarts, the configured
admin ensured, and Ctrl-C leaves no process behind."""

import json
import os
import signal
import subprocess
import sys

import pytest

from app.platform.embedded import free_port
from tests.processes import ROOT, post_json, wait_for

pytestmark = pytest.mark.slow


def start(data_dir, port):
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
        stderr=subprocess.DEVNULL,
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
