"""`make run`: the embedded database (when MONGO_URI is unset), migrations, demo data, then
gunicorn and the background worker as child processes. Ctrl-C or
SIGTERM stops the children first and the database last, leaving nothing behind."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from app.config import ConfigError, Settings
from app.logs import configure_logging
from app.platform import embedded
from app.platform.cli import bootstrap

log = logging.getLogger("onevisit.launcher")


def gunicorn_command(port: int | str, workers: int | str) -> list[str]:
    """How every local server is started: make run, the tests, the benchmarks."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "wsgi:app",
        "-c",
        "app/platform/gunicorn_conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]


def _children_commands(port: str, workers: str) -> list[list[str]]:
    worker = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
    return [gunicorn_command(port, workers), worker]


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
        for command in _children_commands(port, env.get("ONEVISIT_WORKERS", "2")):
            children.append(subprocess.Popen(command, env=env))
        log.info("OneVisit is up", extra={"url": f"http://127.0.0.1:{port}/api/v1/docs"})
        while not stopping:
            if any(child.poll() is not None for child in children):
                log.error("a child process exited; stopping everything")
                break
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        if server is not None:
            server.stop()
            (settings.data_dir / "db.json").unlink(missing_ok=True)
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
