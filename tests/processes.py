"""Helpers for tests that run the real server processes (gunicorn, the launcher, streams)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from app.platform.launcher import gunicorn_command

ROOT = Path(__file__).resolve().parent.parent


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not come up")


def gunicorn(port: int, env: dict[str, str], workers: int = 1) -> subprocess.Popen[bytes]:
    command = gunicorn_command(port, workers)
    # Each server its own metrics directory (one per gunicorn: app/platform/gunicorn_conf.py).
    metrics_dir = {"PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="onevisit-metrics-")}
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **metrics_dir, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def post_json(url: str, body: bytes) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def start_make_run(
    data_dir: Path, port: int, stderr: int | IO[bytes] = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """`make run`'s launcher on PORT over DATA_DIR, one gunicorn worker, up and ready."""
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


def stop_make_run(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a terminal would; the launcher must exit 0."""
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0


def login(port: int, phone: str, password: str) -> int:
    body = json.dumps({"phone": phone, "password": password}).encode()
    return post_json(f"http://127.0.0.1:{port}/api/v1/auth/login", body)[0]


DEMO_SUPERVISOR = ("13600000001", "OneVisit-demo-2026")  # Hangzhou


def access_token(port: int, phone: str, password: str) -> str:
    body = json.dumps({"phone": phone, "password": password}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["access_token"])


def open_stream(port: int, token: str) -> tuple[socket.socket, bytes]:
    """A supervision stream request as a raw socket, and the first bytes of its answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        f"GET /api/v1/supervision/stream HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    return sock, sock.recv(4096)


def supervisor_stream(port: int) -> socket.socket:
    """An open supervision stream (the demo Hangzhou supervisor), as a raw socket."""
    sock, head = open_stream(port, access_token(port, *DEMO_SUPERVISOR))
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return sock
