"""Starts OneVisit the way production runs it, for the benchmarks: the embedded database as its
own process (durable commits), migrations, then gunicorn with gthread workers
(app/platform/gunicorn_conf.py) — and, beside it, the bare Flask + pymongo baseline under the same
gunicorn settings on the same database server."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.platform.embedded import EmbeddedServer, free_port

BENCH_ROOT = Path(__file__).resolve().parent.parent
# The checkout whose service is measured (default: this one). Pointing it at another
# worktree benches that code with these scripts; run with PYTHONPATH=<that tree>:<this tree>.
ROOT = Path(os.environ.get("BENCH_APP_ROOT", str(BENCH_ROOT))).resolve()
WORKERS = os.environ.get("BENCH_WORKERS", "2")
THREADS = os.environ.get("BENCH_THREADS", "8")
DB_NAME = "onevisit"


def _signing_keys() -> str:
    from app import signing

    return signing.serialize([signing.new_key()])


# One Ed25519 key set for every process of a bench run (production refuses to start without).
SIGNING_KEYS = _signing_keys()


def service_env(mongo_uri: str, jwt_keys: str) -> dict[str, str]:
    """Production settings, except the per-client rate limits: the load comes from one
    address and a few dozen accounts, which the brute-force limits would rightly stop."""
    env = dict(os.environ)
    env.update(
        ONEVISIT_ENV="production",
        MONGO_URI=mongo_uri,
        ONEVISIT_DB_NAME=DB_NAME,
        ONEVISIT_JWT_KEYS=jwt_keys,
        ONEVISIT_SIGNING_KEYS=SIGNING_KEYS,
        ONEVISIT_ACCESS_TOKEN_TTL="7200",
        ONEVISIT_LOG_LEVEL="WARNING",
        ONEVISIT_LOGIN_LIMIT_PHONE="1000000/60",
        ONEVISIT_LOGIN_LIMIT_ADDRESS="1000000/60",
        ONEVISIT_REGISTER_LIMIT_ADDRESS="1000000/60",
        ONEVISIT_REPORT_LIMIT_USER="1000000/60",
        ONEVISIT_WORKERS=WORKERS,
        ONEVISIT_THREADS=THREADS,
        PYTHONPATH=os.pathsep.join(dict.fromkeys([str(ROOT), str(BENCH_ROOT)])),
    )
    return env


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f}s: {last}")


def gunicorn(app_path: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    # Each gunicorn its own /metrics files (app/platform/gunicorn_conf.py).
    env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(log.parent / f"metrics-{port}")}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app_path,
        "-c",
        str(ROOT / "app" / "platform" / "gunicorn_conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        WORKERS,
        "--threads",
        THREADS,
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=open(log, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_process(process: subprocess.Popen | None, timeout: float = 20.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Service:
    workdir: Path
    db: EmbeddedServer
    env: dict[str, str]
    port: int = 0
    baseline_port: int = 0
    unmeasured_port: int = 0
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def baseline_url(self) -> str:
        return f"http://127.0.0.1:{self.baseline_port}"

    @property
    def unmeasured_url(self) -> str | None:
        """The same service with the metrics request hook off (ONEVISIT_METRICS_REQUESTS)."""
        return f"http://127.0.0.1:{self.unmeasured_port}" if self.unmeasured_port else None

    @property
    def mongo_uri(self) -> str:
        return self.db.uri

    def flask_app(self) -> Any:
        """An in-process app on the same database, for seeding through the services."""
        from app import create_app
        from app.config import Settings

        return create_app(
            Settings.from_env(
                env="production",
                mongo_uri=self.db.uri,
                db_name=DB_NAME,
                jwt_keys=self.env["ONEVISIT_JWT_KEYS"],
                signing_keys=SIGNING_KEYS,
                log_level="WARNING",
            )
        )

    def start_web(self, baseline: bool = True) -> None:
        self.port = free_port()
        self.processes.append(
            gunicorn("wsgi:app", self.port, self.env, self.workdir / "gunicorn.log")
        )
        if baseline:
            self.baseline_port = free_port()
            self.processes.append(
                gunicorn(
                    "bench.baseline:app",
                    self.baseline_port,
                    self.env,
                    self.workdir / "baseline.log",
                )
            )
        if baseline:
            self.unmeasured_port = free_port()
            self.processes.append(
                gunicorn(
                    "wsgi:app",
                    self.unmeasured_port,
                    {**self.env, "ONEVISIT_METRICS_REQUESTS": "false"},
                    self.workdir / "gunicorn-unmeasured.log",
                )
            )
        wait_http(self.url + "/readyz")
        if baseline:
            wait_http(self.baseline_url + "/healthz")
            wait_http(f"{self.unmeasured_url}/readyz")

    def start_worker(self) -> None:
        """The background worker (outbox relay, sweeps), as production runs it beside the web
        processes: the side effects the requests queue are applied while the load runs."""
        log = open(self.workdir / "worker.log", "ab")  # noqa: SIM115 (closed with the process)
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                cwd=str(ROOT),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def stop_worker(self) -> None:
        for process in [p for p in self.processes if "worker" in p.args]:
            stop_process(process)
            self.processes.remove(process)

    def stop(self) -> None:
        for process in self.processes:
            stop_process(process)
        self.processes.clear()
        self.db.stop()


def bootstrap(mongo_uri: str, jwt_keys: str) -> None:
    """Migrations and the demo catalogue (regions, departments, matters, demo users), by a
    development app: the demo pays through the payment sandbox, which production does not
    serve (the service itself then runs as production)."""
    from app import create_app
    from app.config import Settings
    from app.platform.cli import bootstrap as run_bootstrap

    app = create_app(
        Settings.from_env(
            env="development",
            mongo_uri=mongo_uri,
            db_name=DB_NAME,
            jwt_keys=jwt_keys,
            signing_keys=SIGNING_KEYS,
            log_level="WARNING",
        )
    )
    run_bootstrap(app, demo=True)


@contextlib.contextmanager
def running_service(
    keep: bool = False,
    storage: Path | None = None,
    extra_env: dict[str, str] | None = None,
    db_args: tuple[str, ...] = (),
) -> Iterator[Service]:
    """The whole stack on a fresh data directory; everything stopped on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="onevisit-bench-")) if storage is None else storage
    workdir.mkdir(parents=True, exist_ok=True)
    # Durable commits, as production runs the embedded server; BENCH_SYNC=0 shows their cost.
    sync = os.environ.get("BENCH_SYNC", "1") != "0"
    db = EmbeddedServer(
        workdir / "db", log_file=workdir / "db.log", sync_on_commit=sync, extra_args=db_args
    ).start()
    jwt_keys = json.dumps([{"kid": "bench", "secret": secrets.token_hex(32), "verify_until": None}])
    service = Service(workdir=workdir, db=db, env=service_env(db.uri, jwt_keys))
    service.env.update(extra_env or {})
    try:
        bootstrap(db.uri, jwt_keys)
        yield service
    finally:
        service.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
