"""The load generator: separate processes (never the server's), each with a few threads on
their own keep-alive HTTP connections, running one scenario at a fixed concurrency for a
fixed time (or until its work runs out), recording every request's latency and status."""

from __future__ import annotations

import http.client
import importlib
import json
import multiprocessing
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench import scenarios


class Exhausted(Exception):
    """The scenario's work list is empty: the thread stops early."""


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    samples: list[str] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    completed: int = 0  # whole scenario iterations (e.g. full lifecycles)
    elapsed: float = 0.0

    def merge(self, other: dict[str, Any]) -> None:
        for name, values in other["latencies"].items():
            self.latencies[name].extend(values)
        for name, count in other["errors"].items():
            self.errors[name] += count
        for name, codes in other["statuses"].items():
            for code, count in codes.items():
                self.statuses[name][int(code)] += count
        self.samples.extend(other["samples"][: max(0, 10 - len(self.samples))])
        self.outputs.extend(other["outputs"])
        self.completed += other["completed"]
        self.elapsed = max(self.elapsed, other["elapsed"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "latencies": dict(self.latencies),
            "errors": dict(self.errors),
            "statuses": {k: dict(v) for k, v in self.statuses.items()},
            "samples": self.samples,
            "outputs": self.outputs,
            "completed": self.completed,
            "elapsed": self.elapsed,
        }


class Client:
    """One keep-alive connection; request() times the call and records it under a name."""

    def __init__(self, base_url: str, result: Result, lock: threading.Lock) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.result = result
        self.lock = lock
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return self.connection

    def request(
        self,
        name: str,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any, dict[str, str]]:
        sent_headers = {"Accept": "application/json"}
        if token:
            sent_headers["Authorization"] = f"Bearer {token}"
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
        if payload is not None:
            sent_headers["Content-Type"] = content_type
        sent_headers.update(headers or {})
        started = time.perf_counter()
        try:
            connection = self._connect()
            connection.request(method, path, body=payload, headers=sent_headers)
            response = connection.getresponse()
            data = response.read()
            status = response.status
            response_headers = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            status, data, response_headers = 0, repr(exc).encode(), {}
        elapsed_ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.result.latencies[name].append(elapsed_ms)
            self.result.statuses[name][status] += 1
            if status not in expect:
                self.result.errors[name] += 1
                if len(self.result.samples) < 10:
                    self.result.samples.append(
                        f"{name}: {method} {path} -> {status} {data[:300]!r}"
                    )
        parsed: Any = None
        if data and response_headers.get("content-type", "").startswith("application/json"):
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
        return status, parsed, response_headers

    def timed(self, name: str, call: Callable[[], Any]) -> Any:
        """Time a call that is not HTTP (raw pymongo)."""
        started = time.perf_counter()
        try:
            value = call()
            ok = True
        except Exception as exc:
            value, ok = exc, False
        elapsed_ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.result.latencies[name].append(elapsed_ms)
            self.result.statuses[name][200 if ok else 0] += 1
            if not ok:
                self.result.errors[name] += 1
                if len(self.result.samples) < 10:
                    self.result.samples.append(f"{name}: {value!r}")
        return value

    def output(self, value: Any) -> None:
        with self.lock:
            self.result.outputs.append(value)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _process_main(
    scenario: str,
    base_url: str,
    ctx: dict[str, Any],
    first_slot: int,
    threads: int,
    duration: float,
    queue: Any,
) -> None:
    result = Result()
    lock = threading.Lock()
    module: Any = scenarios
    if ":" in scenario:  # "bench.fault:writer": a scenario defined elsewhere
        module_name, scenario = scenario.split(":")
        module = importlib.import_module(module_name)
    step = getattr(module, scenario)
    setup = getattr(module, f"{scenario}_setup", None)
    started = time.perf_counter()
    deadline = started + duration

    def run_thread(slot: int) -> None:
        client = Client(base_url, result, lock)
        state: dict[str, Any] = {"slot": slot, "i": 0}
        try:
            if setup is not None:
                setup(client, ctx, state)
            while time.perf_counter() < deadline:
                step(client, ctx, state)
                state["i"] += 1
                with lock:
                    result.completed += 1
        except Exhausted:
            pass
        except Exception:
            with lock:
                result.errors["(scenario crashed)"] += 1
                result.samples.append(traceback.format_exc()[-1500:])
        finally:
            client.close()

    workers = [
        threading.Thread(target=run_thread, args=(first_slot + n,), daemon=True)
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    result.elapsed = time.perf_counter() - started
    queue.put(result.as_dict())


def run(
    scenario: str,
    base_url: str,
    ctx: dict[str, Any],
    concurrency: int,
    duration: float,
    processes: int = 2,
) -> Result:
    """Run SCENARIO from `processes` client processes with `concurrency` threads in all."""
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    processes = max(1, min(processes, concurrency))
    per_process = [
        concurrency // processes + (1 if n < concurrency % processes else 0)
        for n in range(processes)
    ]
    children = []
    slot = 0
    for threads in per_process:
        child = spawn.Process(
            target=_process_main,
            args=(scenario, base_url, ctx, slot, threads, duration, queue),
        )
        child.start()
        children.append(child)
        slot += threads
    merged = Result()
    for _ in children:
        merged.merge(queue.get(timeout=duration + 600))
    for child in children:
        child.join()
    return merged


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
