"""Helpers for tests that run the real server processes (gunicorn, the launcher)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

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
