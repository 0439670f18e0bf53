"""Runs the embedded SecantusDB server as its own process when no MONGO_URI is configured.

SecantusDB is GPL-2.0: it is only ever started as a separate server and spoken to over the
MongoDB wire protocol; nothing here imports it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient

log = logging.getLogger("onevisit.embedded")


def _executable() -> str:
    beside_python = Path(sys.executable).with_name("secantusd-py")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("secantusd-py")
    if not found:
        raise RuntimeError(
            "MONGO_URI is unset and the embedded server is not installed: "
            "run `make install` (it installs SecantusDB) or set MONGO_URI"
        )
    return found


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uri_for(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def ping(uri: str, timeout_ms: int = 500) -> bool:
    client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connect=True)
    try:
        client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        client.close()


class EmbeddedServer:
    """One server per storage directory (WiredTiger locks it); durable commits by default."""

    def __init__(
        self,
        storage: Path,
        port: int | None = None,
        log_file: Path | None = None,
        sync_on_commit: bool = True,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.storage = Path(storage)
        self.port = port or free_port()
        self.log_file = log_file
        self.sync_on_commit = sync_on_commit
        self.extra_args = extra_args  # more secantusd-py options (the benchmarks size it)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return uri_for(self.port)

    def start(self, timeout: float = 30.0) -> EmbeddedServer:
        self.storage.mkdir(parents=True, exist_ok=True)
        command = [
            _executable(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            str(self.storage),
            "--log-level",
            "WARNING",
        ]
        if self.sync_on_commit:
            command.append("--sync-on-commit")
        command.extend(self.extra_args)
        output = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        # Own session: a terminal's Ctrl-C reaches the launcher, which stops the database
        # last, after the web processes; PDEATHSIG ends it should the launcher be killed.
        self.process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"embedded database exited with {self.process.returncode}; "
                    f"see {self.log_file or 'its output'} (is another server using {self.storage}?)"
                )
            if ping(self.uri):
                log.info(
                    "embedded database ready", extra={"uri": self.uri, "storage": str(self.storage)}
                )
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"embedded database did not answer within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would: used by fault tests."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _state_file(data_dir: Path) -> Path:
    return data_dir / "db.json"


def running_uri(data_dir: Path) -> str | None:
    """The URI of an embedded server already serving this data directory, if any."""
    state = _state_file(data_dir)
    with contextlib.suppress(OSError, ValueError, KeyError):
        info = json.loads(state.read_text())
        uri = uri_for(int(info["port"]))
        if ping(uri):
            return uri
    return None


def start_for_data_dir(data_dir: Path) -> EmbeddedServer:
    """Start a server on DATA_DIR/db and record its port so other processes find it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = EmbeddedServer(data_dir / "db", log_file=data_dir / "db.log").start()
    assert server.process is not None
    _state_file(data_dir).write_text(
        json.dumps({"port": server.port, "owner_pid": os.getpid(), "pid": server.process.pid})
    )
    return server


def ensure_running(data_dir: Path) -> str:
    """Reuse the server of this data directory, or start one owned by this process."""
    uri = running_uri(data_dir)
    if uri:
        return uri
    server = start_for_data_dir(data_dir)
    atexit.register(server.stop)
    return server.uri
