"""The production topology on one machine: nginx with deploy/nginx.conf in front of gunicorn
with app/platform/gunicorn_conf.py, on loopback, over the embedded database with demo data.

docker-compose runs the same pair (no Docker engine is needed here): `make slow-clients
TOPOLOGY=nginx` measures it, tests/security/test_nginx.py checks the config and its slow-client
behaviour. There is one nginx config; to run it outside compose, `render_config` changes only
what names compose's network and the container's paths:

- `listen 8080;` becomes `listen 127.0.0.1:PORT;` (loopback only, a free port);
- `server api:8000;` (the compose service) becomes gunicorn's loopback address;
- nginx's temporary files go under the run's own directory (several runs may share a machine),
  and its pid file and error log too (`-g`, `-e`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.platform.embedded import EmbeddedServer, free_port
from app.platform.launcher import gunicorn_command

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
COMPOSE_LISTEN = "listen 8080;"
COMPOSE_UPSTREAM = "server api:8000;"
_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def nginx_binary() -> str | None:
    """The nginx executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def render_config(listen_port: int, upstream: str, prefix: Path) -> str:
    """deploy/nginx.conf with compose's names replaced by loopback ones (see the module doc)."""
    text = NGINX_CONF.read_text()
    for line, replacement in (
        (COMPOSE_LISTEN, f"listen 127.0.0.1:{listen_port};"),
        (COMPOSE_UPSTREAM, f"server {upstream};"),
    ):
        if text.count(line) != 1:
            raise ValueError(f"deploy/nginx.conf must contain {line!r} exactly once")
        text = text.replace(line, replacement)
    temp_paths = "".join(f"\n    {kind}_temp_path {prefix / kind};" for kind in _TEMP_PATHS)
    if text.count("http {") != 1:
        raise ValueError("deploy/nginx.conf must have one http block")
    return text.replace("http {", "http {" + temp_paths, 1)


def nginx_command(binary: str, conf: Path, prefix: Path, *extra: str) -> list[str]:
    return [
        binary,
        "-p",
        f"{prefix}/",
        "-c",
        str(conf),
        "-e",
        str(prefix / "error.log"),
        "-g",
        f"daemon off; pid {prefix / 'nginx.pid'};",
        *extra,
    ]


def write_config(prefix: Path, listen_port: int, upstream: str) -> Path:
    # As root, nginx's workers run as nobody: they must reach the temporary directories.
    prefix.mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    conf = prefix / "nginx.conf"
    conf.write_text(render_config(listen_port, upstream, prefix))
    return conf


def check_config(binary: str, prefix: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the rendered config (what the test runs)."""
    conf = write_config(prefix, free_port(), f"127.0.0.1:{free_port()}")
    return subprocess.run(
        nginx_command(binary, conf, prefix, "-t"), capture_output=True, text=True, timeout=30
    )


@dataclass
class Stack:
    port: int  # nginx, where clients connect
    gunicorn_port: int
    directory: Path


def _wait_until_up(url: str, processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(
    workers: int = 2, env: dict[str, str] | None = None, directory: Path | None = None
) -> Iterator[Stack]:
    """nginx → gunicorn (WORKERS processes) → a fresh embedded database with demo data; all
    on loopback, all stopped on exit."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install nginx-light)")
    with tempfile.TemporaryDirectory(prefix="onevisit-nginx-") as scratch:
        base = Path(directory or scratch)
        base.chmod(0o755)  # nginx's workers (nobody, when run as root) reach its temp dirs
        database = EmbeddedServer(base / "db", log_file=base / "db.log").start()
        processes: list[subprocess.Popen[bytes]] = []
        log = open(base / "gunicorn.log", "ab")  # noqa: SIM115 - closed with the stack
        try:
            child_env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith("ONEVISIT_") and k != "MONGO_URI"
            }
            child_env.update(
                MONGO_URI=database.uri,
                ONEVISIT_DATA_DIR=str(base / "var"),
                ONEVISIT_LOG_LEVEL="WARNING",
                # nginx is the one proxy: it replaces X-Forwarded-For (as in compose).
                ONEVISIT_TRUSTED_PROXIES="1",
                **(env or {}),
            )
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", "bootstrap", "--demo"],
                cwd=ROOT,
                env=child_env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            gunicorn_port, port = free_port(), free_port()
            processes.append(
                subprocess.Popen(
                    gunicorn_command(gunicorn_port, workers),
                    cwd=ROOT,
                    env=child_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            conf = write_config(base / "nginx", port, f"127.0.0.1:{gunicorn_port}")
            processes.append(
                subprocess.Popen(
                    nginx_command(binary, conf, base / "nginx"),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            _wait_until_up(f"http://127.0.0.1:{port}/readyz", processes, timeout=120)
            yield Stack(port=port, gunicorn_port=gunicorn_port, directory=base)
        finally:
            for process in reversed(processes):
                _stop(process)
            log.close()
            database.stop()
