"""Slow-client measurement: hold N idle or slow connections against a running OneVisit and
time `/healthz` and a login while they are held.

Half of the connections only connect (idle); the other half send a login request's headers
and then trickle its body one byte a second. Meanwhile, every half second, a fresh client asks
`/healthz` and signs in. Loopback only: this is a measurement of our own server.

    python -m bench.slow_clients --port 8000 --connections 500 --seconds 8
    make slow-clients          # against `make run` on $PORT
    make slow-clients TOPOLOGY=nginx   # starts nginx (deploy/nginx.conf) → gunicorn itself

With `--topology nginx` it starts the production pair on loopback first (bench/nginx_stack.py:
nginx with the compose stack's config in front of gunicorn with the production gunicorn
config, over a fresh embedded database with demo data), measures it, and stops it.

Prints the figures; exits 1 if any probe took longer than --budget seconds (default 1).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field

DEMO_LOGIN = {"phone": "13800000001", "password": "OneVisit-demo-2026"}


@dataclass
class Figures:
    connections_opened: int = 0
    connections_refused: int = 0
    still_open_at_end: int = 0
    healthz_seconds: list[float] = field(default_factory=list)
    login_seconds: list[float] = field(default_factory=list)
    # The same probes before any slow connection is opened: what the machine gives anyway
    # (a login is argon2, CPU-bound: on a loaded machine it is slow with or without them).
    baseline_healthz_seconds: list[float] = field(default_factory=list)
    baseline_login_seconds: list[float] = field(default_factory=list)
    probe_errors: list[str] = field(default_factory=list)

    def worst(self) -> float:
        return max(self.healthz_seconds + self.login_seconds, default=float("inf"))

    def lines(self) -> list[str]:
        def summary(values: list[float]) -> str:
            if not values:
                return "none"
            return (
                f"n={len(values)} p50={statistics.median(values) * 1000:.0f} ms "
                f"max={max(values) * 1000:.0f} ms"
            )

        return [
            f"slow connections opened: {self.connections_opened} "
            f"(refused: {self.connections_refused}), still open at the end: "
            f"{self.still_open_at_end}",
            f"/healthz before:     {summary(self.baseline_healthz_seconds)}",
            f"login before:        {summary(self.baseline_login_seconds)}",
            f"/healthz while held: {summary(self.healthz_seconds)}",
            f"login while held:    {summary(self.login_seconds)}",
            f"probe errors: {len(self.probe_errors)} {self.probe_errors[:3]}",
        ]


def _open_slow(host: str, port: int, index: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=5)
    if index % 2:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )
    return sock


def _trickle(socks: list[socket.socket], stop: threading.Event) -> None:
    while not stop.wait(1.0):
        for index, sock in enumerate(socks):
            if index % 2:
                try:
                    sock.send(b" ")
                except OSError:
                    pass


def _probe(url: str, body: bytes | None, timeout: float = 10.0) -> float:
    started = time.perf_counter()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"} if body else {}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return time.perf_counter() - started


def _is_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def measure(
    port: int,
    connections: int = 500,
    seconds: float = 8.0,
    host: str = "127.0.0.1",
    login: dict[str, str] | None = None,
    probe_timeout: float = 10.0,
    baseline_rounds: int = 0,
) -> Figures:
    """Hold CONNECTIONS slow connections for SECONDS and probe meanwhile (loopback only);
    BASELINE_ROUNDS probes first, with nothing held."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("slow-client measurement runs against loopback only")
    figures = Figures()
    base = f"http://{host}:{port}"
    body = json.dumps(login or DEMO_LOGIN).encode()
    for _ in range(baseline_rounds):
        figures.baseline_healthz_seconds.append(_probe(f"{base}/healthz", None, probe_timeout))
        figures.baseline_login_seconds.append(
            _probe(f"{base}/api/v1/auth/login", body, probe_timeout)
        )
        time.sleep(0.5)
    socks: list[socket.socket] = []
    for index in range(connections):
        try:
            socks.append(_open_slow(host, port, index))
        except OSError:
            figures.connections_refused += 1
    figures.connections_opened = len(socks)
    stop = threading.Event()
    trickler = threading.Thread(target=_trickle, args=(socks, stop), daemon=True)
    trickler.start()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            for url, data, bucket in (
                (f"{base}/healthz", None, figures.healthz_seconds),
                (f"{base}/api/v1/auth/login", body, figures.login_seconds),
            ):
                try:
                    bucket.append(_probe(url, data, probe_timeout))
                except Exception as exc:  # a probe that fails is a figure, not a crash
                    figures.probe_errors.append(f"{url.rsplit('/', 1)[-1]}: {exc}")
            time.sleep(0.5)
        figures.still_open_at_end = sum(_is_open(s) for s in socks)
    finally:
        stop.set()
        trickler.join(timeout=2)
        for sock in socks:
            sock.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--budget", type=float, default=1.0)
    parser.add_argument("--baseline-rounds", type=int, default=5)
    parser.add_argument(
        "--topology",
        choices=("running", "nginx"),
        default="running",
        help="running: a server already on --port (make run); nginx: start nginx → gunicorn",
    )
    args = parser.parse_args(argv)
    if args.topology == "nginx":
        from bench import nginx_stack

        with nginx_stack.running() as stack:
            print(f"nginx on port {stack.port} → gunicorn (2 workers) on {stack.gunicorn_port}")
            figures = measure(
                stack.port, args.connections, args.seconds, baseline_rounds=args.baseline_rounds
            )
    else:
        figures = measure(
            args.port, args.connections, args.seconds, baseline_rounds=args.baseline_rounds
        )
    for line in figures.lines():
        print(line)
    ok = not figures.probe_errors and figures.worst() <= args.budget
    print(f"every probe within {args.budget:.1f} s: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
