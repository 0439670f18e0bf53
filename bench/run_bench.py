"""`make bench`: throughput and latency per endpoint under a fixed concurrency, the overhead
ratios against a bare Flask + pymongo app and raw pymongo, the cost of the metrics hook, and
full lifecycles per second. The load comes from Locust (bench/locustfile.py, the scenarios an
operator also runs against a deployment; bench/locust_floor.py, the floor), one user class per
phase, headless in its own process (bench/locust_run.py).

Everything runs on one machine: the database server, gunicorn and the load generator share
its cores, so read the figures as relative ones. Settings (environment): BENCH_SECONDS per
phase (8), BENCH_CONCURRENCY (8), BENCH_WORKERS gunicorn workers (2), BENCH_THREADS per
worker (8), BENCH_RESIDENTS (40), BENCH_ONLY (a comma-separated list of scenario names of
SCENARIOS, plus "overhead", "commands", "lifecycle": only those phases run; the submissions
`get` reads are made whatever it says)."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from app.db import WRITE_COMMANDS, counting_commands
from bench import locust_run, report, seed
from bench.locust_run import FLOOR, LOCUSTFILE
from bench.service import THREADS, WORKERS, Service, running_service

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "40"))
ONLY = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}


def wanted(scenario: str) -> bool:
    return not ONLY or scenario in ONLY or (scenario == "submit" and "get_application" in ONLY)


# Scenario -> (Locust user class, the file that defines it).
SCENARIOS = {
    "login": "LoginUser",
    "catalogue": "CatalogueUser",
    "submit": "SubmitUser",
    "get_application": "GetApplicationUser",
    "list_mine": "ListMineUser",
    "inbox": "InboxUser",
    "accept": "AcceptUser",
    "review": "ReviewUser",
    "complete": "CompleteUser",
    "feed": "FeedUser",
    "stats": "StatsUser",
    "me": "MeUser",
    "departments": "DepartmentsUser",
    "lifecycle": "LifecycleUser",
}
FLOOR_SCENARIOS = {
    "baseline_get_application": "BaselineGetApplicationUser",
    "baseline_submit": "BaselineSubmitUser",
    "baseline_me": "BaselineMeUser",
    "raw_get_application": "RawGetApplicationUser",
    "raw_submit": "RawSubmitUser",
    "raw_me": "RawMeUser",
}

# The in-process app phases use to wait for the worker (kept out of ctx: ctx is serialised).
DRAIN_APP: list[Any] = []


def run_scenario(
    scenario: str, base_url: str, ctx: dict[str, Any], duration: float = SECONDS
) -> locust_run.Result:
    if scenario in FLOOR_SCENARIOS:
        return locust_run.run(
            FLOOR_SCENARIOS[scenario], base_url, ctx, CONCURRENCY, duration, FLOOR
        )
    return locust_run.run(SCENARIOS[scenario], base_url, ctx, CONCURRENCY, duration, LOCUSTFILE)


def database_commands(app: Any, method: str, path: str, token: str, body: Any = None) -> str:
    """Which database commands one request makes: the cost our framework code adds."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    if method == "POST":
        import uuid

        headers["Idempotency-Key"] = str(uuid.uuid4())
    # The application's own command counter (app/db.py), the one /metrics reports.
    with counting_commands() as tally:
        response = client.open(path, method=method, json=body, headers=headers)
    assert tally.by_command is not None
    commands = ", ".join(f"{n}x {c}" if n > 1 else c for c, n in tally.by_command.items())
    if response.status_code >= 400:  # a refused probe counts the wrong path: say so loudly
        commands += f"; PROBE FAILED: {response.get_json()}"
    return f"{tally.total} ({commands}) -> {response.status_code}"


def _count(run: Any) -> tuple[int, int]:
    """(database commands, durable writes) made while RUN runs in this process."""
    with counting_commands() as tally:
        run()
    assert tally.by_command is not None
    writes = sum(n for c, n in tally.by_command.items() if c.split(" ")[0] in WRITE_COMMANDS)
    return tally.total, writes


def command_costs(app: Any, ctx: dict[str, Any], n: int = 50) -> list[tuple[str, float, ...]]:
    """What each command costs in all: its request's own database commands (and how many of
    them are durable writes) plus its share of the worker's relay of the side effects it
    queued, drained in batches as the worker does. Runs in-process, with no worker running."""
    from app import outbox

    client = app.test_client()

    def call(method: str, path: str, token: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": os.urandom(8).hex()}
        response = client.open(path, method=method, json=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"probe {method} {path}: {response.status_code} {response.json}")
        return response.get_json()

    def drain() -> int:
        """Relay until nothing is left; the commands of the passes that applied entries (the
        last, idle pass is the worker's polling, paid whatever the load)."""
        spent = 0
        with app.app_context():
            applied: list[int] = [1]
            while True:
                total, _ = _count(lambda: applied.append(outbox.relay(100)["applied"]))
                if not applied[-1]:
                    return spent
                spent += total

    rows: list[tuple[str, float, ...]] = []

    def step(label: str, requests: list[tuple[str, str, str, Any]]) -> list[Any]:
        answers: list[Any] = []
        own, writes = _count(lambda: answers.extend(call(*r) for r in requests))
        share = drain()
        count = len(requests)
        rows.append((label, own / count, writes / count, share / count, (own + share) / count))
        return answers

    drain()
    tokens = ctx["resident_tokens"]
    submitted = step(
        "submit",
        [
            (
                "POST",
                "/api/v1/applications",
                tokens[i % len(tokens)],
                ctx["submissions"][i % len(tokens)],
            )
            for i in range(n)
        ],
    )
    ids = [a["id"] for a in submitted]
    step(
        "accept",
        [("POST", f"/api/v1/applications/{i}/accept", ctx["window_token"], None) for i in ids],
    )
    for department in ctx["review_departments"]:
        step(
            f"review ({department})",
            [
                (
                    "POST",
                    f"/api/v1/applications/{i}/reviews/{department}",
                    ctx["reviewer_tokens"][department],
                    {"decision": "approve", "opinion": "bench"},
                )
                for i in ids
            ],
        )
    step(
        "complete",
        [("POST", f"/api/v1/applications/{i}/complete", ctx["head_token"], None) for i in ids],
    )
    return rows


def password_hash_ms() -> float:
    """What one login's argon2id verification costs here (the login endpoint's floor)."""
    from app.accounts import passwords

    stored = passwords.hash_password("Bench-password-2026")
    started = time.perf_counter()
    for _ in range(3):
        passwords.verify_password(stored, "Bench-password-2026")
    return (time.perf_counter() - started) * 1000 / 3


def phase(
    name: str, scenario: str, base_url: str, ctx: dict[str, Any], duration: float = SECONDS
) -> locust_run.Result:
    if not wanted(scenario):
        return locust_run.Result()
    if DRAIN_APP:
        drained(DRAIN_APP[0])
    return run_scenario(scenario, base_url, ctx, duration)


def drained(app: Any, limit: float = 120.0) -> float:
    """Wait until the worker has relayed every queued side effect (so a phase does not pay for
    the one before it); returns how long that took, and says so when it is more than a blink."""
    from app import outbox

    started = time.monotonic()
    with app.app_context():
        while outbox.backlog()["collections"] and time.monotonic() - started < limit:
            time.sleep(0.2)
    waited = time.monotonic() - started
    if waited > 1:
        print(f"  (worker drained the previous phase's side effects in {waited:.1f} s)")
    return waited


def main() -> int:
    print(
        f"machine: {report.machine()}; load average (1/5/15 min) at start: {report.load_average()}"
    )
    print(f"argon2id password verification (one login's hashing): {password_hash_ms():.0f} ms")
    print(
        f"setup: gunicorn {WORKERS} gthread workers x {THREADS} threads; load generator: "
        f"Locust, {CONCURRENCY} users (FastHttpUser, no wait) in one headless process; "
        f"{SECONDS:.0f} s per phase; "
        "embedded SecantusDB "
        + (
            "with --sync-on-commit"
            if os.environ.get("BENCH_SYNC", "1") != "0"
            else "WITHOUT --sync-on-commit (BENCH_SYNC=0)"
        )
    )
    errors = 0
    figures: dict[str, dict[str, float]] = {}
    started = time.monotonic()
    with running_service() as service:
        print(f"seeding {RESIDENTS} residents ...", flush=True)
        app = service.flask_app()
        ctx = seed.start(service, app, RESIDENTS, baseline=True)
        DRAIN_APP.append(app)
        available = seed.available_paths(service)
        ctx["supervisor_token"] = seed.supervisor_token(service)
        applications = ("post", "/api/v1/applications") in available and (
            seed.prepare_applications(service, app, ctx)
        )

        report.header("per endpoint")
        plan = [
            ("login", "login", ("post", "/api/v1/auth/login")),
            ("catalogue list", "catalogue", ("get", "/api/v1/matters")),
        ]
        for label, scenario, (method, path) in plan:
            if (method, path) not in available:
                report.unavailable(label)
                continue
            result = phase(label, scenario, service.url, ctx)
            figures.update(report.rows(result))
            errors += result.errors

        if applications:
            errors += application_phases(service, ctx, figures)
        else:
            for label in (
                "submit",
                "get",
                "list mine",
                "staff inbox",
                "accept",
                "review",
                "complete",
            ):
                report.unavailable(label)
        for label, scenario, (method, path) in [
            ("feed", "feed", ("get", "/api/v1/supervision/feed")),
            ("stats overview", "stats", ("get", "/api/v1/stats/overview")),
        ]:
            if (method, path) not in available or not ctx.get("supervisor_token"):
                report.unavailable(label)
                continue
            result = phase(label, scenario, service.url, ctx)
            figures.update(report.rows(result))
            errors += result.errors
        # Foundation endpoints, always measured (they carry the auth path every call pays).
        for label, scenario in [("GET /me", "me"), ("GET /departments", "departments")]:
            result = phase(label, scenario, service.url, ctx)
            figures.update(report.rows(result))
            errors += result.errors

        reads_against_get(figures)
        if wanted("overhead"):
            errors += overhead(service, app, ctx, figures, applications)

        if applications and wanted("commands"):
            service.stop_worker()  # the probe's own relay is the only one while it counts
            report.header("database commands per command, in all (request + worker's share)")
            print(
                "| command | request's own | of them durable writes | worker's share | in all |\n"
                "| --- | ---: | ---: | ---: | ---: |"
            )
            for label, own, writes, share, total in command_costs(app, ctx):
                figures[f"commands: {label}"] = {"own": own, "writes": writes, "share": share}
                print(f"| {label} | {own:.2f} | {writes:.2f} | {share:.2f} | {total:.2f} |")
            service.start_worker()

        if applications and wanted("lifecycle"):
            report.header("full lifecycles (submit -> accept -> reviews -> complete)")
            result = phase("lifecycle", "lifecycle", service.url, ctx)
            report.rows(result)
            errors += result.errors
            completed = result.succeeded("lifecycle: complete")
            rate = result.stats.get("lifecycle: complete", {}).get("rps", 0.0)
            share = completed / max(
                1, result.stats.get("lifecycle: complete", {}).get("requests", 0)
            )
            print(
                f"lifecycles completed: {completed} = {rate * share:.1f} lifecycles/s "
                f"({CONCURRENCY} concurrent clients)"
            )
        else:
            print("\nfull lifecycles: not available yet (needs the applications endpoints)")
    print(f"\ntotal errors: {errors}   (bench took {time.monotonic() - started:.0f} s)")
    print(f"load average at the end: {report.load_average()}")
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as out:
            json.dump(figures, out, indent=1)
    return 1 if errors else 0


def reads_against_get(figures: dict[str, dict[str, float]]) -> None:
    """The list reads' throughput as a ratio of a single application's, in this run (issue
    17's targets: the catalogue list at least 0.7x, the staff inbox and the feed 0.4x)."""
    get = figures.get("get", {}).get("rps")
    if not get:
        return
    print("\nlist reads against GET /applications/{id} (throughput, same run)")
    for name, target in (("catalogue list", 0.7), ("staff inbox", 0.4), ("feed", 0.4)):
        rps = figures.get(name, {}).get("rps")
        if rps:
            print(f"  {name}: {rps:.1f} req/s = {rps / get:.2f}x get (target {target}x)")


def application_phases(service: Service, ctx: dict[str, Any], figures: dict[str, Any]) -> int:
    """submit, get, list mine, inbox, then accept -> review -> complete on what was submitted."""
    errors = 0

    def measured(label: str, scenario: str) -> locust_run.Result:
        nonlocal errors
        result = phase(label, scenario, service.url, ctx)
        figures.update(report.rows(result))
        errors += result.errors
        return result

    submitted = measured("submit", "submit").outputs
    user_of = dict(zip(ctx["resident_tokens"], ctx["resident_ids"], strict=True))
    ctx["owned"] = submitted
    ctx["owner_of"] = {app_id: user_of[token] for app_id, token in submitted}
    measured("get", "get_application")
    measured("list mine", "list_mine")
    measured("staff inbox", "inbox")
    ctx["work"] = [app_id for app_id, _ in submitted]
    accepted = measured("accept", "accept").outputs
    ctx["work"] = accepted
    reviewed = measured("review", "review").outputs
    ctx["work"] = reviewed
    measured("complete", "complete")
    ctx.pop("work")
    return errors


def overhead(
    service: Service,
    app: Any,
    ctx: dict[str, Any],
    figures: dict[str, dict[str, float]],
    applications: bool,
) -> int:
    """Our endpoint vs the bare Flask + pymongo handler vs raw pymongo, side by side."""
    errors = 0
    if applications:
        pairs = [
            (
                "GET /applications/{id}",
                "get_application",
                "baseline_get_application",
                "raw_get_application",
                "GET",
                f"/api/v1/applications/{ctx['owned'][0][0]}",
                None,
            ),
            (
                "POST /applications",
                "submit",
                "baseline_submit",
                "raw_submit",
                "POST",
                "/api/v1/applications",
                ctx.get("submission"),
            ),
        ]
    else:
        pairs = [("GET /me", "me", "baseline_me", "raw_me", "GET", "/api/v1/me", None)]
    report.header("overhead: OneVisit vs bare Flask + pymongo vs raw pymongo (same DB server)")
    summary = []
    # The probe speaks as the owner of what it touches: the application it reads (else a
    # 404), the upload its submission cites (resident 0's, else a 422).
    reader_token = ctx["owned"][0][1] if applications else ctx["resident_tokens"][0]
    for label, ours, bare, raw, method, path, body in pairs:
        probe_token = ctx["resident_tokens"][0] if method == "POST" else reader_token
        with app.app_context():
            commands = database_commands(app, method, path, probe_token, body)
        results = {}
        runs = [
            ("OneVisit", ours, service.url),
            ("bare Flask", bare, service.baseline_url),
            ("raw pymongo", raw, service.url),
        ]
        if method == "GET" and service.unmeasured_url:
            # The same service without the metrics request hook: what the hook costs.
            runs.insert(1, ("OneVisit without the metrics hook", ours, service.unmeasured_url))
        for kind, scenario, url in runs:
            result = run_scenario(scenario, url, ctx)
            name = next(iter(result.stats), scenario)
            if "without" in kind and name in result.stats:
                result.stats[f"{name} (no metrics hook)"] = result.stats.pop(name)
                name = f"{name} (no metrics hook)"
            row = report.rows(result, only=[name])[name]
            results[kind] = row
            figures[f"{label} [{kind}]"] = row
            errors += result.errors
        summary.append((label, commands, results))
    print()
    for label, commands, results in summary:
        ours, bare, raw = results["OneVisit"], results["bare Flask"], results["raw pymongo"]
        print(f"{label}: database commands per OneVisit request: {commands}")
        print(
            f"  throughput: OneVisit/bare = {report.ratio(ours['rps'], bare['rps'])}, "
            f"OneVisit/raw = {report.ratio(ours['rps'], raw['rps'])}, "
            f"bare/raw = {report.ratio(bare['rps'], raw['rps'])}"
        )
        print(
            f"  p50 latency: OneVisit/bare = {report.ratio(ours['p50'], bare['p50'])}, "
            f"OneVisit/raw = {report.ratio(ours['p50'], raw['p50'])}"
        )
        unhooked = results.get("OneVisit without the metrics hook")
        if unhooked:
            print(
                f"  metrics hook: throughput with/without = "
                f"{report.ratio(ours['rps'], unhooked['rps'])}, "
                f"p50 with/without = {report.ratio(ours['p50'], unhooked['p50'])}"
            )
    return errors


if __name__ == "__main__":
    sys.exit(main())
