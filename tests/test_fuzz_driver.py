"""bench/fuzz.py (`make fuzz`): one schemathesis worker per role, a time budget per role, and
service failures told apart from the tool's own errors in its figures and its verdict."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from app.config import Settings
from bench.fuzz import (
    REQUEST_TIMEOUT,
    STACK_SETTINGS,
    command,
    figures,
    run_role,
    summary,
    verdict,
)


def _report(tmp_path: Path, **data: object) -> Path:
    path = tmp_path / "report.json"
    base: dict[str, object] = {
        "operations": {"tested": 74},
        "test_cases": {"generated": 6500, "unique_failures": 0},
        "failures": [],
        "errors": [],
    }
    path.write_text(json.dumps(base | data))
    return path


def test_one_worker_thread_per_role_by_default(tmp_path: Path) -> None:
    args = command("http://x", "resident", "t", 25, 7, tmp_path / "r.json")
    assert args[args.index("--workers") + 1] == "1"
    assert args[args.index("--seed") + 1] == "7"


def test_a_clean_report_is_ok(tmp_path: Path) -> None:
    result = figures("resident", _report(tmp_path), 12.34, 0, 7)
    assert result["status"] == "ok"
    assert (result["cases"], result["failures"], result["seconds"], result["seed"]) == (
        6500,
        0,
        12.3,
        7,
    )
    assert verdict([result]) == ([], [])


def test_service_failures_are_counted_by_check(tmp_path: Path) -> None:
    report = _report(
        tmp_path,
        test_cases={"generated": 10, "unique_failures": 3},
        failures=[
            {"title": "Server error", "count": 2},
            {"title": "Response violates schema", "count": 1},
        ],
    )
    result = figures("admin", report, 1, 1, 7)
    assert result["status"] == "service failures"
    assert result["failures_by_check"] == {"Server error": 2, "Response violates schema": 1}
    assert result["tool_errors"] == {}
    assert verdict([result]) == (["admin"], [])


def test_tool_errors_are_reported_apart_and_still_fail(tmp_path: Path) -> None:
    report = _report(tmp_path, errors=[{"title": "Runtime Error", "count": 2}])
    result = figures("anonymous", report, 1, 1, 7)
    assert result["status"] == "tool error"
    assert result["failures"] == 0 and result["failures_by_check"] == {}
    assert result["tool_errors"] == {"Runtime Error": 2}
    assert verdict([result]) == ([], ["anonymous"])
    assert "Runtime Error: 2" in summary([result])


def test_a_missing_report_or_an_exceeded_budget_is_a_tool_error(tmp_path: Path) -> None:
    missing = figures("supervisor", tmp_path / "none.json", 1, 2, 7)
    assert missing["tool_errors"] == {"no report (exit code 2)": 1}
    (tmp_path / "empty.json").write_text("")  # what a role stopped mid-run leaves
    empty = figures("admin", tmp_path / "empty.json", 1, -15, 7)
    assert empty["status"] == "tool error" and empty["cases"] is None
    late = figures("staff-head", _report(tmp_path), 1800, -15, 7, over_budget=True)
    assert late["status"] == "tool error"
    assert late["tool_errors"] == {"time budget exceeded": 1}
    assert verdict([missing, late]) == ([], ["supervisor", "staff-head"])


def test_the_summary_has_a_row_per_role_with_its_seed(tmp_path: Path) -> None:
    table = summary([figures("resident", _report(tmp_path), 5, 0, 20261202)])
    header, _, row = table.splitlines()
    assert "failures by check" in header and "tool errors" in header and "seed" in header
    assert row.startswith("| resident | ok | 74 | 6500 | 0 | none | none |")
    assert row.endswith("| 20261202 |")


def test_a_role_over_its_budget_is_stopped(tmp_path: Path) -> None:
    started = time.monotonic()
    code, over = run_role(
        [sys.executable, "-c", "import time; time.sleep(60)"], {}, tmp_path / "log", 0.5
    )
    assert over and code != 0
    assert time.monotonic() - started < 30
    code, over = run_role([sys.executable, "-c", "print('done')"], {}, tmp_path / "log", 30)
    assert (code, over) == (0, False)
    assert (tmp_path / "log").read_text() == "done\n"


def test_the_fuzzed_stacks_streams_end_well_before_the_request_timeout(monkeypatch) -> None:
    for name, value in STACK_SETTINGS.items():
        monkeypatch.setenv(name, value)
    lifetime = Settings.from_env().sse_max_lifetime_seconds
    assert lifetime + Settings.from_env().sse_settle_seconds < REQUEST_TIMEOUT / 2
