"""`make fuzz`: schemathesis against the live OpenAPI document of a production-like stack
(bench/service.py: embedded database, migrations and demo data, gunicorn, the worker), once per
role, with every check, at least 25 examples per operation and every phase (examples,
coverage, fuzzing, stateful: the document's links carry ids from creating operations to the
ones that use them).

The seed is fixed and printed with a command that replays one role. Each role runs with ONE
schemathesis worker thread: with two, hypothesis' `ast.parse` of a lambda's source in both
threads races CPython 3.11's interpreter-wide AST recursion counter and schemathesis reports
"AST constructor recursion depth mismatch" (python/cpython#106905), an error of the tool.
Roles may instead run side by side as separate processes (`--jobs`), which shares nothing.
Each role has a time budget (`--budget`, printed); a role that exceeds it is stopped.

The summary table gives per role the cases, service failures by check, tool-internal errors
(schemathesis/hypothesis failing inside itself, or the budget exceeded) apart from them,
duration and seed; it and the figures are written as JSON under the work directory
(docs/benchmarks.md keeps the latest). Any service failure or tool error fails the run.

    python -m bench.fuzz [--examples 25] [--seed 20261202] [--roles resident,admin]
                         [--jobs 1] [--workers 1] [--budget 3000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from app.seed import DEMO_PASSWORD
from bench.seed import http_json
from bench.service import ROOT, Service, running_service

CONFIG = Path(__file__).with_name("fuzz.toml")
DEFAULT_SEED = 20261202
DEFAULT_EXAMPLES = 25
DEFAULT_BUDGET = 3000  # seconds per role; staff-head took longer than 50 min at load 15-20
PHASES = "examples,coverage,fuzzing,stateful"
REQUEST_TIMEOUT = 30  # seconds schemathesis waits for one answer
# Settings of the fuzzed stack beyond bench/service.py's: a supervisor's event stream stays
# open up to its lifetime (300 s), and schemathesis waited each one out to its request timeout
# (30 s a case, most of the supervisor's time); a short lifetime ends each stream with the
# events it had, as it does at 300 s.
STACK_SETTINGS = {"ONEVISIT_SSE_MAX_LIFETIME_SECONDS": "3"}
FUZZ_PASSWORD = "Fuzz-password-2026"
# role name -> demo account (app/seed) or an account created here: staff with ONE duty each,
# so every duty's operations are reached by a caller holding exactly that duty.
DEMO_ACCOUNTS = {
    "resident": "13800000001",
    "enterprise": "13800000002",
    "supervisor": "13600000001",
    "admin": "13900000000",
}
STAFF_DUTIES = {"staff-window": "window", "staff-reviewer": "reviewer", "staff-head": "head"}
ROLES = ("anonymous", *DEMO_ACCOUNTS, *STAFF_DUTIES)


def _login(service: Service, phone: str, password: str) -> str:
    status, body = http_json(
        service.url + "/api/v1/auth/login", "POST", {"phone": phone, "password": password}
    )
    if status != 200:
        raise RuntimeError(f"login {phone}: {status} {body}")
    return body["access_token"]


def tokens(service: Service, roles: list[str]) -> dict[str, str | None]:
    """An access token per role (None: anonymous); staff accounts created by the admin."""
    admin = _login(service, DEMO_ACCOUNTS["admin"], DEMO_PASSWORD)
    found: dict[str, str | None] = {}
    for n, role in enumerate(roles):
        if role == "anonymous":
            found[role] = None
        elif role in DEMO_ACCOUNTS:
            found[role] = _login(service, DEMO_ACCOUNTS[role], DEMO_PASSWORD)
        else:
            phone = f"1370009{n:04d}"
            status, body = http_json(
                service.url + "/api/v1/admin/users",
                "POST",
                {
                    "phone": phone,
                    "password": FUZZ_PASSWORD,
                    "name": f"Fuzz {role}",
                    "role": "staff",
                    "department": "AMR-330100",
                    "duties": [STAFF_DUTIES[role]],
                },
                token=admin,
            )
            if status != 201:
                raise RuntimeError(f"creating {role}: {status} {body}")
            found[role] = _login(service, phone, FUZZ_PASSWORD)
    return found


def command(
    url: str,
    role: str,
    token: str | None,
    examples: int,
    seed: int,
    report: Path,
    workers: int = 1,
) -> list[str]:
    """The schemathesis command line for ROLE (printed, so a failure replays by hand)."""
    args = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/api/v1/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(examples),
        "--seed",
        str(seed),
        "--phases",
        PHASES,
        "--workers",
        str(workers),
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        str(REQUEST_TIMEOUT),
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    if token:
        args += ["--header", f"Authorization: Bearer {token}"]
    return args


def figures(
    role: str, report: Path, seconds: float, exit_code: int, seed: int, over_budget: bool = False
) -> dict[str, Any]:
    """One role's figures from its schemathesis JSON report. Service failures (a check that
    failed on an answer of ours) are kept apart from tool errors (schemathesis or hypothesis
    failing inside itself, a report missing, the budget exceeded); either fails the role."""
    try:  # a role stopped (budget) or crashed leaves no report, or an empty one
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        data = {}
    cases = data.get("test_cases", {})
    by_check: Counter[str] = Counter()
    for group in data.get("failures", []):
        by_check[group.get("title") or group.get("type")] += group.get("count", 1)
    tool: Counter[str] = Counter()
    for error in data.get("errors", []):
        tool[error.get("title") or "error"] += error.get("count", 1)
    if over_budget:
        tool["time budget exceeded"] += 1
    elif not data:
        tool[f"no report (exit code {exit_code})"] += 1
    failures = cases.get("unique_failures") or 0
    if failures or by_check:
        status = "service failures"
    elif tool:
        status = "tool error"
    elif exit_code != 0:
        status = f"exit code {exit_code}"
    else:
        status = "ok"
    return {
        "role": role,
        "status": status,
        "operations": (data.get("operations") or {}).get("tested"),
        "cases": cases.get("generated"),
        "failures": failures,
        "failures_by_check": dict(by_check),
        "tool_errors": dict(tool),
        "seconds": round(seconds, 1),
        "seed": seed,
        "exit_code": exit_code,
    }


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {n}" for name, n in sorted(counts.items())) or "none"


def summary(results: list[dict[str, Any]]) -> str:
    """The table printed at the end (Markdown, as docs/benchmarks.md keeps it)."""
    lines = [
        "| role | status | operations | cases | failures | failures by check | tool errors "
        "| seconds | seed |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for r in results:
        operations, cases = (("—" if r[k] is None else r[k]) for k in ("operations", "cases"))
        lines.append(
            f"| {r['role']} | {r['status']} | {operations} | {cases} | {r['failures']}"
            f" | {_counts(r['failures_by_check'])} | {_counts(r['tool_errors'])}"
            f" | {r['seconds']} | {r['seed']} |"
        )
    return "\n".join(lines)


def verdict(results: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(roles with service failures, roles with tool errors or another non-zero exit)."""
    service = [r["role"] for r in results if r["status"] == "service failures"]
    tool = [r["role"] for r in results if r["status"] not in ("ok", "service failures")]
    return service, tool


def say(text: str) -> None:
    """One whole line (or block) at once: roles running side by side print between each other."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run_role(cmd: list[str], env: dict[str, str], log: Path, budget: float) -> tuple[int, bool]:
    """Runs one role's schemathesis in its own process group; (exit code, over budget)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            return proc.wait(timeout=budget), False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            return proc.returncode, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", DEFAULT_SEED)))
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--jobs", type=int, default=1, help="roles run at the same time")
    parser.add_argument("--workers", type=int, default=1, help="schemathesis threads per role")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET, help="seconds per role")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    roles = [r for r in args.roles.split(",") if r]
    unknown = set(roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles {sorted(unknown)}; known: {', '.join(ROLES)}")
    if args.jobs < 1 or args.workers < 1 or args.budget <= 0:
        parser.error("--jobs and --workers must be at least 1, --budget positive")
    load_before = os.getloadavg()
    print(
        f"fuzz: seed {args.seed}, {args.examples} examples per operation, phases {PHASES}, "
        f"{args.workers} worker(s) per role, {args.jobs} role(s) at a time, "
        f"time budget {args.budget:.0f} s per role; load average {load_before[0]:.2f}",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    with running_service(keep=args.keep) as service:
        service.env.update(STACK_SETTINGS)
        service.start_web(baseline=False)
        service.start_worker()
        env = dict(service.env, SCHEMATHESIS_HOOKS="bench.fuzz_checks")

        def one(role: str, token: str | None) -> dict[str, Any]:
            report = service.workdir / f"fuzz-{role}.json"
            log = service.workdir / f"fuzz-{role}.log"
            cmd = command(service.url, role, token, args.examples, args.seed, report, args.workers)
            say(
                f"== {role}: started, budget {args.budget:.0f} s; "
                f"replay with --roles {role} --seed {args.seed}"
            )
            started = time.monotonic()
            code, over = run_role(cmd, env, log, args.budget)
            result = figures(role, report, time.monotonic() - started, code, args.seed, over)
            tail = log.read_text(errors="replace")[-20000:] if result["status"] != "ok" else ""
            say(f"== {role}: {json.dumps(result)}" + (f"\n{tail}" if tail else ""))
            return result

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda item: one(*item), tokens(service, roles).items()))
        load_after = os.getloadavg()
        (service.workdir / "fuzz-summary.json").write_text(
            json.dumps({"load_average": [load_before, load_after], "roles": results}, indent=2)
        )
        if args.keep:
            print(f"work directory: {service.workdir}")
    print("\n" + summary(results))
    total = sum(r["cases"] or 0 for r in results)
    service_failed, tool_failed = verdict(results)
    print(
        f"\ntotal: {total} cases, {sum(r['failures'] for r in results)} service failures, "
        f"seed {args.seed}; load average {load_before[0]:.2f} at the start, "
        f"{load_after[0]:.2f} at the end (1 min), {load_after[2]:.2f} (15 min)"
    )
    print(f"roles with service failures: {service_failed or 'none'}")
    print(f"roles with tool errors (not the service's): {tool_failed or 'none'}")
    return 1 if service_failed or tool_failed else 0


if __name__ == "__main__":
    sys.exit(main())
