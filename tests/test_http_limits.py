"""Every limit of the HTTP server answers in the API's error envelope (JSON, with a request
id) and the right status, whichever layer enforces it: gunicorn alone (our worker class),
`make run`'s front before gunicorn, nginx before gunicorn (deploy/nginx.conf). Each through a
real socket against the real process."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from app.platform.embedded import free_port
from tests.processes import ROOT

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None
)


def _wait_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start(command: list[str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_port(port, process)
    return process


@pytest.fixture(scope="module")
def gunicorn_port() -> Iterator[int]:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "tests.limits_app:app",
        "-c", "app/platform/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "1",
    ]  # fmt: skip
    process = _start(command, port)
    yield port
    _stop(process)


@pytest.fixture(scope="module")
def front_port(gunicorn_port: int) -> Iterator[int]:
    port = free_port()
    command = [
        sys.executable, "-m", "app.platform.front",
        "--listen", f"127.0.0.1:{port}", "--upstream", f"127.0.0.1:{gunicorn_port}",
    ]  # fmt: skip
    process = _start(command, port)
    yield port
    _stop(process)


@pytest.fixture(scope="module")
def nginx_port(gunicorn_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if NGINX is None:
        pytest.skip("nginx is not installed")
    work = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = conf.replace("server api:8000;", f"server 127.0.0.1:{gunicorn_port};")
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    temp = "".join(
        f"    {kind}_temp_path {work / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = conf.replace("http {\n", "http {\n" + temp, 1)
    conf = conf.replace("worker_processes auto;", "worker_processes 1;")
    (work / "nginx.conf").write_text(conf)
    command = [
        NGINX, "-p", str(work), "-c", str(work / "nginx.conf"),
        "-g", f"daemon off; pid {work / 'nginx.pid'}; error_log {work / 'error.log'};"
        + (" user root;" if os.geteuid() == 0 else ""),
    ]  # fmt: skip
    process = _start(command, port)
    yield port
    _stop(process)


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], dict]:
    """Send RAW, read the answer to the end; (status, headers, JSON body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    assert headers.get("content-type", "").startswith("application/json"), (status, data[:300])
    return status, headers, json.loads(body)


def assert_refused(port: int, raw: bytes, status: int) -> None:
    got, headers, body = exchange(port, raw)
    assert got == status, (got, body)
    assert body["code"] == status
    assert body["status"] and body["message"]
    assert body["request_id"] and headers["x-request-id"] == body["request_id"]


def _get(target: str, headers: list[str] = ()) -> bytes:
    head = [f"GET {target} HTTP/1.1", "Host: localhost", *headers, "Connection: close"]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


LONG_LINE = _get("/api/v1/matters?q=" + "a" * 5000)  # over gunicorn's 4094
VERY_LONG_LINE = _get("/api/v1/matters?q=" + "a" * 20000)  # over every buffer
MANY_HEADERS = _get("/", [f"X-Extra-{n}: 1" for n in range(120)])  # gunicorn allows 100
LARGE_FIELD = _get("/", ["X-Large: " + "b" * 9000])  # gunicorn allows 8190 per field
LARGE_HEAD = _get("/", [f"X-Part-{n}: " + "c" * 7000 for n in range(3)])  # over 16 KiB
HUGE_FIELD = _get("/", ["X-Huge: " + "d" * 17000])  # over nginx's 16 KiB line buffer
HUGE_HEAD = _get("/", [f"X-Part-{n}: " + "e" * 15000 for n in range(5)])  # over its 4 x 16 KiB
MALFORMED = b"THIS IS NOT HTTP\r\n\r\n"
LARGE_BODY = (
    b"POST /api/v1/complaints HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    b"Content-Length: 50000000\r\n\r\n{"
)


@pytest.mark.parametrize(
    ("raw", "status"),
    [(LONG_LINE, 414), (MANY_HEADERS, 431), (LARGE_FIELD, 431), (MALFORMED, 400)],
    ids=["request-line", "header-count", "header-field", "malformed"],
)
def test_gunicorn_alone_refuses_in_the_envelope(gunicorn_port, raw, status):
    assert_refused(gunicorn_port, raw, status)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (LONG_LINE, 414),
        (VERY_LONG_LINE, 414),
        (MANY_HEADERS, 431),
        (LARGE_FIELD, 431),
        (LARGE_HEAD, 431),
        (LARGE_BODY, 413),
        (MALFORMED, 400),
    ],
    ids=["request-line", "huge-request-line", "header-count", "header-field", "head", "body",
         "malformed"],
)  # fmt: skip
def test_the_front_of_make_run_refuses_in_the_envelope(front_port, raw, status):
    assert_refused(front_port, raw, status)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (LONG_LINE, 414),  # gunicorn's, relayed
        (VERY_LONG_LINE, 414),
        (MANY_HEADERS, 431),  # gunicorn's, relayed
        (LARGE_FIELD, 431),  # gunicorn's, relayed
        (HUGE_FIELD, 431),
        (HUGE_HEAD, 431),
        (LARGE_BODY, 413),
        (MALFORMED, 400),
    ],
    ids=["request-line", "huge-request-line", "header-count", "header-field", "huge-field",
         "head", "body", "malformed"],
)  # fmt: skip
def test_nginx_before_gunicorn_refuses_in_the_envelope(nginx_port, raw, status):
    assert_refused(nginx_port, raw, status)


def test_what_passes_every_limit_reaches_the_application(gunicorn_port, front_port):
    for port in (gunicorn_port, front_port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(_get("/api/v1/matters?q=" + "a" * 3000))
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
