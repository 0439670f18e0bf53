"""Runs one Locust user class headless in its own process (Locust's CLI: gevent never patches
the bench's own process) and reads back its statistics and what its users produced (the JSON
file bench/locustfile.py writes when Locust quits: BENCH_OUTPUT)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
LOCUSTFILE = BENCH / "locustfile.py"
FLOOR = BENCH / "locust_floor.py"


@dataclass
class Result:
    """Per request name: requests, rps, p50/p95/p99 (ms, Locust's rounding), errors."""

    stats: dict[str, dict[str, float]] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def errors(self) -> int:
        return int(sum(row["errors"] for row in self.stats.values()))

    def succeeded(self, name: str) -> int:
        row = self.stats.get(name)
        return int(row["requests"] - row["errors"]) if row else 0


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def run(
    user_class: str,
    host: str,
    ctx: dict[str, Any] | None,
    concurrency: int,
    duration: float,
    locustfile: Path = LOCUSTFILE,
    stop_timeout: float = 10.0,
) -> Result:
    """USER_CLASS from LOCUSTFILE, CONCURRENCY users started at once, for DURATION seconds
    (or until a work list runs out); ctx is handed over as BENCH_CONTEXT (None: the users
    prepare themselves from the deployment, as an operator's run does)."""
    with tempfile.TemporaryDirectory(prefix="onevisit-locust-") as tmp:
        folder = Path(tmp)
        env = dict(os.environ)
        env.pop("BENCH_CONTEXT", None)
        if ctx is not None:
            (folder / "context.json").write_text(json.dumps(ctx))
            env["BENCH_CONTEXT"] = str(folder / "context.json")
        env.update(
            BENCH_OUTPUT=str(folder / "outputs.json"),
            PYTHONPATH=os.pathsep.join([str(BENCH.parent), env.get("PYTHONPATH", "")]),
        )
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(locustfile),
            "--headless",
            "--host",
            host,
            "--users",
            str(concurrency),
            "--spawn-rate",
            str(concurrency * 100),
            "--run-time",
            f"{max(1, round(duration))}s",
            "--stop-timeout",
            str(round(stop_timeout)),
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--exit-code-on-error",
            "0",
            user_class,
        ]
        started = time.monotonic()
        finished = subprocess.run(
            command,
            cwd=BENCH.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=duration + stop_timeout + 600,
        )
        result = Result(elapsed=time.monotonic() - started)
        outputs = folder / "outputs.json"
        if finished.returncode != 0 or not outputs.exists():
            result.samples.append(f"locust exited {finished.returncode}: {finished.stderr[-1500:]}")
            result.stats["(locust failed)"] = {
                "requests": 0,
                "rps": 0.0,
                "p50": math.nan,
                "p95": math.nan,
                "p99": math.nan,
                "errors": 1,
            }
            return result
        produced = json.loads(outputs.read_text())
        for name, row in produced["stats"].items():
            result.stats[name] = {key: _number(value) for key, value in row.items()}
            result.stats[name]["requests"] = int(row["requests"])
            result.stats[name]["errors"] = int(row["errors"])
        result.samples.extend(produced["failures"])
        if "Traceback" in finished.stderr:  # a user's task or the set-up crashed
            result.samples.append(f"locust reported an exception: {finished.stderr[-1500:]}")
        result.outputs = [
            tuple(item) if isinstance(item, list) else item for item in produced["outputs"]
        ]
        return result
