"""`make fuzz`: schemathesis against the live OpenAPI document of a production-like stack
(bench/service.py: embedded database, migrations and demo data, gunicorn, the worker), once per
role, with every check, at least 25 examples per operation and every phase (examples,
coverage, fuzzing, stateful: the document's links carry ids from creating operations to the
ones that use them).

The seed is fixed and printed with a command that replays one role; any failure fails the run.
Figures per role (cases, failures by check, duration) are printed as a table and written as
JSON under the work directory (docs/benchmarks.md keeps the latest).

    python -m bench.fuzz [--examples 25] [--seed 20261202] [--roles resident,admin] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from app.seed import DEMO_PASSWORD
from bench.seed import http_json
from bench.service import ROOT, Service, running_service

CONFIG = Path(__file__).with_name("fuzz.toml")
DEFAULT_SEED = 20261202
DEFAULT_EXAMPLES = 25
PHASES = "examples,coverage,fuzzing,stateful"
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


def command(url: str, role: str, token: str | None, examples: int, seed: int, report: Path):
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
        "2",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
    ]
    if token:
        args += ["--header", f"Authorization: Bearer {token}"]
    return args


def figures(role: str, report: Path, seconds: float, exit_code: int) -> dict[str, Any]:
    data = json.loads(report.read_text()) if report.exists() else {}
    cases = data.get("test_cases", {})
    by_check: Counter[str] = Counter()
    for group in data.get("failures", []):
        by_check[group.get("title") or group.get("type")] += group.get("count", 1)
    return {
        "role": role,
        "operations": data.get("operations", {}).get("tested"),
        "cases": cases.get("generated"),
        "failures": cases.get("unique_failures"),
        "failures_by_check": dict(by_check),
        "errors": data.get("errors", []),
        "seconds": round(seconds, 1),
        "exit_code": exit_code,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=DEFAULT_EXAMPLES)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", DEFAULT_SEED)))
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    roles = [r for r in args.roles.split(",") if r]
    unknown = set(roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles {sorted(unknown)}; known: {', '.join(ROLES)}")
    print(f"fuzz: seed {args.seed}, {args.examples} examples per operation, phases {PHASES}")
    results = []
    with running_service(keep=args.keep) as service:
        service.start_web(baseline=False)
        service.start_worker()
        env = dict(service.env, SCHEMATHESIS_HOOKS="bench.fuzz_checks")
        for role, token in tokens(service, roles).items():
            report = service.workdir / f"fuzz-{role}.json"
            cmd = command(service.url, role, token, args.examples, args.seed, report)
            print(f"\n== {role}: replay with --roles {role} --seed {args.seed}", flush=True)
            started = time.monotonic()
            log = service.workdir / f"fuzz-{role}.log"
            with open(log, "wb") as out:
                code = subprocess.call(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            result = figures(role, report, time.monotonic() - started, code)
            results.append(result)
            print(json.dumps(result), flush=True)
            if code != 0:
                print(log.read_text(errors="replace")[-20000:])
        (service.workdir / "fuzz-summary.json").write_text(json.dumps(results, indent=2))
        if args.keep:
            print(f"work directory: {service.workdir}")
    print("\n| role | operations | cases | failures | seconds |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['role']} | {r['operations']} | {r['cases']} | {r['failures']} | {r['seconds']} |"
        )
    total = sum(r["cases"] or 0 for r in results)
    failed = [r["role"] for r in results if r["exit_code"] != 0]
    print(f"\ntotal: {total} cases, seed {args.seed}; failed roles: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
