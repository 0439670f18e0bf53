"""`make run`: the embedded database (when MONGO_URI is unset), migrations, demo data, then
the buffering front (app/platform/front.py) on the port, gunicorn behind it on a unix socket,
and the background worker, as child processes.

Stopping (Ctrl-C or SIGTERM) takes a few seconds and no SIGKILL: the children run in their
own session, so a terminal's Ctrl-C reaches only this process, which then stops them in
order: SIGTERM to the front (stops accepting, drops idle and half-sent connections), gunicorn
(finishes requests in flight; open supervision streams end at once) and the worker, all at
the same time; the database last, once nothing uses it. Were every process to get the
terminal's SIGINT at once, the database could go first and requests in flight fail."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from app.config import ConfigError, Settings
from app.logs import configure_logging
from app.platform import embedded
from app.platform.cli import bootstrap

log = logging.getLogger("onevisit.launcher")


STOP_SECONDS = 4.5  # every child gets this long after SIGTERM, together


def gunicorn_command(port: int | str, workers: int | str, bind: str | None = None) -> list[str]:
    """How every local server is started: make run, the tests, the benchmarks."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "wsgi:app",
        "-c",
        "app/platform/gunicorn_conf.py",
        "--bind",
        bind or f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]


def front_command(port: int | str, socket_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "app.platform.front",
        "--listen",
        f"127.0.0.1:{port}",
        "--upstream",
        f"unix:{socket_path}",
    ]


def _children_commands(port: str, workers: str, socket_path: Path) -> list[list[str]]:
    worker = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
    return [
        front_command(port, socket_path),
        gunicorn_command(port, workers, bind=f"unix:{socket_path}"),
        worker,
    ]


def _children_envs(env: dict[str, str], settings: Settings) -> list[dict[str, str]]:
    """The front's, gunicorn's and the worker's environments: only gunicorn's workers keep
    /metrics figures in multiprocess files (app/platform/metrics.py), in a directory of this
    data directory emptied now, before any of them starts."""
    from app.platform.metrics import prepare_multiprocess_dir

    web = dict(env)
    web.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", prepare_multiprocess_dir(settings.data_dir / "metrics")
    )
    others = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return [others, web, others]


def _die_with_parent() -> None:
    """In the child before exec: its own session (the terminal's Ctrl-C goes to the launcher
    only), and SIGTERM if the launcher itself dies (Linux), so nothing outlives it."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_children(children: list[subprocess.Popen[bytes]], timeout: float = STOP_SECONDS) -> None:
    """SIGTERM every child at once, wait for all within TIMEOUT, SIGKILL only a straggler."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("a child did not stop in time; killing it", extra={"pid": child.pid})
            child.kill()
            child.wait()


def main() -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    server = None
    env = dict(os.environ)
    if not settings.mongo_uri:
        if embedded.running_uri(settings.data_dir):
            print(
                f"another process already serves {settings.data_dir}/db: stop it first",
                file=sys.stderr,
            )
            return 2
        server = embedded.start_for_data_dir(settings.data_dir)
        env["MONGO_URI"] = server.uri
        os.environ["MONGO_URI"] = server.uri
    children: list[subprocess.Popen[bytes]] = []
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        from app import create_app

        bootstrap(create_app(Settings.from_env()), demo=True)
        port = env.get("PORT", "8000")
        run_dir = settings.data_dir / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        socket_path = run_dir / f"gunicorn-{port}.sock"
        socket_path.unlink(missing_ok=True)
        # gunicorn sees every client through the front, which states the client's address.
        env["ONEVISIT_TRUSTED_PROXIES"] = "1"
        commands = _children_commands(port, env.get("ONEVISIT_WORKERS", "2"), socket_path)
        for command, child_env in zip(commands, _children_envs(env, settings), strict=True):
            children.append(subprocess.Popen(command, env=child_env, preexec_fn=_die_with_parent))
        log.info("OneVisit is up", extra={"url": f"http://127.0.0.1:{port}/api/v1/docs"})
        while not stopping:
            if any(child.poll() is not None for child in children):
                log.error("a child process exited; stopping everything")
                break
            time.sleep(0.2)
    finally:
        stop_children(children)
        if server is not None:
            server.stop()
            (settings.data_dir / "db.json").unlink(missing_ok=True)
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
