"""Printing the figures: one table row per endpoint, and ratios."""

from __future__ import annotations

import math
import os
import platform

from bench.locust_run import Result

HEADER = (
    f"{'endpoint':<28}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    f"{'errors':>8}"
)


def header(title: str) -> None:
    print()
    print(title)
    print(HEADER)
    print("-" * len(HEADER))


def rows(result: Result, only: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Print one row per request name; return the figures for later ratios."""
    figures: dict[str, dict[str, float]] = {}
    for name in only or sorted(result.stats):
        figure = result.stats.get(name) or {
            "requests": 0,
            "rps": 0.0,
            "p50": math.nan,
            "p95": math.nan,
            "p99": math.nan,
            "errors": 0,
        }
        figures[name] = figure
        print(
            f"{name:<28}{figure['requests']:>9}{figure['rps']:>9.1f}{figure['p50']:>9.1f}"
            f"{figure['p95']:>9.1f}{figure['p99']:>9.1f}{figure['errors']:>8}"
        )
    for sample in result.samples[:5]:
        print(f"    ! {sample}")
    return figures


def unavailable(name: str) -> None:
    print(f"{name:<28}  not available yet")


def ratio(numerator: float, denominator: float) -> str:
    if not denominator or math.isnan(denominator) or math.isnan(numerator):
        return "n/a"
    return f"{numerator / denominator:.2f}x"


def load_average() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), Python {python}, {platform.system()}"
