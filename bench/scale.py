"""`make bench-scale`: the read endpoints at 10 k, 100 k and 1 M applications.

Seeds applications straight into the collections (bulk inserts, the document shape of
app/applications/service.py, validated by migration 0014's $jsonSchema) with their
supervision events and KPI counters; at each size measures list-mine, staff inbox, tracking
lookup, feed page and stats overview through the running service (gunicorn, as production),
explains every query those endpoints ran (no COLLSCAN allowed), and measures the embedded
database's own operations on the grown collection. Prints each endpoint's 1 M / 10 k ratio.

SCALE_SIZES (default 10000,100000,1000000) sets the sizes; the run stops growing when a step
would take longer than SCALE_MAX_SEED_MINUTES (default 45) at the measured seeding rate.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import MongoClient, UpdateOne, monitoring
from pymongo.errors import BulkWriteError, PyMongoError

from bench import report, seed
from bench.generate import Generator, now_utc
from bench.service import DB_NAME, ROOT, running_service

SIZES = [int(s) for s in os.environ.get("SCALE_SIZES", "10000,100000,1000000").split(",")]
MAX_SEED_MINUTES = float(os.environ.get("SCALE_MAX_SEED_MINUTES", "45"))
REQUESTS = int(os.environ.get("SCALE_REQUESTS", "40"))
BATCH = 5000
# The embedded server prunes its oplog past 100 000 entries (default) on every write, and
# the prune walks the deleted entries before it: a bulk load slowed from ~600 to under 100
# documents/s by 500 k. Nothing here reads the oplog, so the load keeps it (a week, 20 M
# entries: ~2 GB of disk at 1 M) and gives the cache room for the data set.
DB_ARGS = (
    "--oplog-max-entries",
    os.environ.get("SCALE_OPLOG_MAX_ENTRIES", "20000000"),
    "--oplog-retention-seconds",
    "604800",
    "--cache-size",
    os.environ.get("SCALE_CACHE_SIZE", "4G"),
)
OWN_PER_RESIDENT = 25


class Captured(monitoring.CommandListener):
    """The read commands an in-process request sends, to explain them afterwards."""

    def __init__(self) -> None:
        self.enabled = False
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.enabled and event.command_name in ("find", "aggregate", "count"):
            command = {k: v for k, v in event.command.items() if not k.startswith("$")}
            command.pop("lsid", None)
            self.commands.append(command)

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


CAPTURED = Captured()
monitoring.register(CAPTURED)


def plan_stages(plan: Any) -> list[str]:
    stages: list[str] = []
    if isinstance(plan, dict):
        if "stage" in plan:
            stages.append(plan["stage"] + (f"({plan['indexName']})" if "indexName" in plan else ""))
        for value in plan.values():
            stages.extend(plan_stages(value))
    elif isinstance(plan, list):
        for value in plan:
            stages.extend(plan_stages(value))
    return stages


def explain(db: Any, command: dict[str, Any]) -> list[str]:
    name = next(iter(command))
    body = {k: v for k, v in command.items() if k not in ("readConcern", "cursor", "batchSize")}
    if name == "aggregate":
        body["cursor"] = {}
    result = db.command("explain", body, verbosity="queryPlanner")
    return plan_stages(result.get("queryPlanner", result)) or plan_stages(result)


class Endpoint:
    def __init__(self, label: str, path: str, token: str) -> None:
        self.label, self.path, self.token = label, path, token

    @property
    def headers(self) -> dict[str, str]:
        """The token's bearer header; none for an anonymous read (the catalogue list)."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def endpoints(ctx: dict[str, Any]) -> list[Endpoint]:
    today = now_utc().date()
    month_ago = today - timedelta(days=30)
    resident = ctx["resident_tokens"][0]
    return [
        # The floor issue 17's targets are ratios to (throughput, here 1 / p50 latency).
        Endpoint("get application", f"/api/v1/applications/{ctx['own_application_id']}", resident),
        Endpoint("catalogue list", "/api/v1/matters?limit=20", ""),
        Endpoint("list mine", "/api/v1/applications?limit=20", resident),
        Endpoint("staff inbox", "/api/v1/staff/inbox?kind=acceptance", ctx["window_token"]),
        Endpoint("staff inbox (review)", "/api/v1/staff/inbox?kind=review", ctx["window_token"]),
        Endpoint(
            "tracking lookup",
            f"/api/v1/applications/track/{ctx['own_tracking_no']}",
            resident,
        ),
        Endpoint("feed page", "/api/v1/supervision/feed?limit=20", ctx["supervisor_token"]),
        Endpoint(
            "stats overview",
            f"/api/v1/stats/overview?region=330100&from={month_ago}&to={today}",
            ctx["supervisor_token"],
        ),
    ]


def measure_http(url: str, endpoint: Endpoint) -> dict[str, float]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    headers = endpoint.headers
    samples = []
    status = 0
    for n in range(REQUESTS + 3):
        started = time.perf_counter()
        connection.request("GET", endpoint.path, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
        if n >= 3:  # warm-up
            samples.append((time.perf_counter() - started) * 1000)
    connection.close()
    samples.sort()
    return {
        "status": status,
        "p50": samples[len(samples) // 2],
        "p95": samples[int(len(samples) * 0.95)],
        "mean": statistics.fmean(samples),
    }


def explain_endpoint(app: Any, db: Any, endpoint: Endpoint) -> list[tuple[str, list[str]]]:
    client = app.test_client()
    CAPTURED.commands.clear()
    CAPTURED.enabled = True
    try:
        client.get(endpoint.path, headers=endpoint.headers)
    finally:
        CAPTURED.enabled = False
    plans = []
    for command in CAPTURED.commands:
        name = next(iter(command))
        shape = json.dumps(command.get("filter", command.get("pipeline", "")), default=str)
        target = f"{name} {command[name]} {shape[:90]}"
        plans.append((target, explain(db, command)))
    return plans


def db_costs(db: Any, size: int, sample_ids: list[ObjectId]) -> dict[str, float]:
    """The embedded database's own operations on the grown applications collection."""
    apps = db.applications
    template = apps.find_one({"_id": sample_ids[0]})
    out: dict[str, float] = {}

    def timed(label: str, call: Any, repeat: int) -> None:
        started = time.perf_counter()
        for n in range(repeat):
            call(n)
        out[label] = (time.perf_counter() - started) * 1000 / repeat

    timed("find_one by _id", lambda n: apps.find_one({"_id": sample_ids[n % len(sample_ids)]}), 200)
    timed(
        "update_one by _id",
        lambda n: apps.update_one({"_id": sample_ids[n % len(sample_ids)]}, {"$set": {"bench": n}}),
        200,
    )
    timed(
        "update_one CAS (_id, version)",
        lambda n: apps.update_one(
            {"_id": sample_ids[n % len(sample_ids)], "version": -1}, {"$set": {"bench": n}}
        ),
        200,
    )

    def insert(n: int) -> None:
        doc = dict(template, _id=ObjectId(), tracking_no=f"ZX{size % 10**8:08d}{n:06d}")
        apps.insert_one(doc)  # $jsonSchema-validated (migration 0014)

    timed("insert_one (validated)", insert, 100)
    plain = db.bench_plain
    timed(
        "insert_one (no validator)", lambda n: plain.insert_one(dict(template, _id=ObjectId())), 100
    )
    repeat = 3 if size <= 100_000 else 1
    timed(
        "find_one_and_update by _id",
        lambda n: apps.find_one_and_update({"_id": sample_ids[n]}, {"$set": {"bench": n}}),
        repeat,
    )
    apps.delete_many({"tracking_no": {"$regex": "^ZX"}})
    plain.drop()
    return out


def insert_applications(app: Any, db: Any, docs: list[dict[str, Any]]) -> None:
    """Applications loaded in bulk, with the staff inbox's copies of those in a queue, as
    the relay makes them for new cases (app/cases/inbox_items.py)."""
    from app.cases import inbox_heads, inbox_items

    db.applications.insert_many(docs, ordered=False)
    with app.app_context():
        copies = inbox_items.copies_of("applications", docs)
        if not copies:
            return
        try:
            db.inbox_items.insert_many(copies, ordered=False)
        except BulkWriteError as error:
            # The worker's SLA sweep may have fired on a case just loaded, and the relay
            # written its (newer) copy first: keep that one.
            if any(e["code"] != 11000 for e in error.details["writeErrors"]):
                raise
        # And the queues' heads, as the relay moves them for each new case (app.cases.
        # inbox_heads), through the bench's own client: the app's times out while the
        # worker's sweep of the loaded cases holds the embedded server. Else a queue's
        # first page would read all of it.
        inbox_heads.move(
            (
                dict.fromkeys(copy["inbox_keys"], copy["inbox_at"])
                for copy in copies
                if copy["inbox_at"] is not None
            ),
            heads=db.inbox_heads,
        )
        inbox_heads.renew_all(db.inbox_heads)


def record_tails(app: Any, events: list[dict[str, Any]]) -> None:
    """History loaded in bulk moves the feed tails back, as the relay does for new events
    (app/oversight/feed_tails.py): else the feed's last window would read all of it."""
    from app.oversight import feed_tails

    with app.app_context():
        feed_tails.record(events)


def windows_ab(app: Any) -> dict[str, tuple[float, float, bool | None]]:
    """The same first page read as one plain range and in windows (app.pagination),
    in-process and side by side: (plain ms, windowed ms, same rows)."""
    from app.applications import repository as apps_repo
    from app.oversight import feed_tails
    from app.oversight import repository as events_repo
    from app.pagination import paginate

    now = now_utc()
    key = "accept:window:330100"  # every Hangzhou case waiting for acceptance
    cases = {
        "acceptance queue 330100": (
            lambda: paginate(
                apps_repo.coll(),
                apps_repo.inbox_query(key, None, now),
                sort_field="inbox_at",
                descending=False,
            ),
            # From the inbox's copies (app.cases.inbox_items), never from the pages kept.
            lambda: apps_repo.read_inbox_page([key], None, now, 20, None),
        ),
        "feed page 330000": (
            lambda: paginate(events_repo.coll(), {"region_path": "330000"}),
            # From the events, never from the pages kept.
            lambda: events_repo.read_feed_page(
                "330000", None, None, None, 20, None, now=now, end=feed_tails.tail("330000")[0]
            ),
        ),
    }
    out = {}
    with app.app_context():
        for label, (plain, windowed) in cases.items():
            windowed()  # the queue's head is recorded by its first read
            timings: list[tuple[float, list[Any] | None]] = []
            for read in (plain, windowed):
                samples: list[float] = []
                rows: list[Any] | None = None
                while len(samples) < 7 and sum(samples) < 10_000:  # a plain read takes seconds
                    started = time.perf_counter()
                    try:
                        rows = [d["_id"] for d in read().items]
                    except PyMongoError:  # past the client's socket timeout: unmeasured
                        samples, rows = [float("inf")], None
                        break
                    samples.append((time.perf_counter() - started) * 1000)
                timings.append((statistics.median(samples), rows))
            (a, rows_a), (b, rows_b) = timings
            out[label] = (a, b, None if rows_a is None else rows_a == rows_b)
    return out


def main() -> int:
    now = now_utc()
    matters = json.loads((ROOT / "app" / "seed" / "data" / "matters.json").read_text())
    results: dict[int, dict[str, dict[str, float]]] = {}
    costs: dict[int, dict[str, float]] = {}
    ab: dict[int, dict[str, tuple[float, float, bool | None]]] = {}
    no_collscan = same_rows = True
    print(f"machine: {report.machine()}; load average: {report.load_average()}")
    print(f"embedded server options: {' '.join(DB_ARGS)}")
    with running_service(db_args=DB_ARGS) as service:
        app = service.flask_app()
        ctx = seed.start(service, app, 20)
        ctx["supervisor_token"] = seed.supervisor_token(service)
        if not seed.prepare_applications(service, app, ctx):
            print("applications are not available yet: nothing to scale")
            return 1
        db = MongoClient(service.mongo_uri, tz_aware=True)[DB_NAME]
        generator = Generator(matters, now)
        residents = [ObjectId(i) for i in ctx["resident_ids"]]
        # The bench residents own a fixed, realistic number of applications; everything else
        # belongs to a large population of other applicants.
        for resident in residents:
            docs = [
                generator.application(resident, "Bench resident")[0]
                for _ in range(OWN_PER_RESIDENT)
            ]
            insert_applications(app, db, docs)
        own = db.applications.find_one({"applicant_id": residents[0]}, sort=[("_id", -1)])
        ctx["own_tracking_no"] = own["tracking_no"]
        ctx["own_application_id"] = str(own["_id"])
        population = [ObjectId() for _ in range(200_000)]
        seeded = db.applications.count_documents({})
        sampled: list[ObjectId] = []  # ids of the seeded cases, for the operation costs
        rate = None
        for size in SIZES:
            missing = size - seeded
            if rate and missing / rate / 60 > MAX_SEED_MINUTES:
                print(
                    f"\nstopping before {size:,}: seeding {missing:,} more at {rate:,.0f}/s would "
                    f"take {missing / rate / 60:.0f} min "
                    f"(> SCALE_MAX_SEED_MINUTES={MAX_SEED_MINUTES:.0f})"
                )
                break
            print(f"\nseeding to {size:,} applications ...", flush=True)
            started = time.perf_counter()
            last_report = started
            events: list[dict[str, Any]] = []
            while seeded < size:
                batch_size = min(BATCH, size - seeded)
                docs = []
                for _ in range(batch_size):
                    doc, event = generator.application(
                        population[generator.rng.randrange(len(population))]
                    )
                    docs.append(doc)
                    if event is not None:
                        events.append(event)
                insert_applications(app, db, docs)
                sampled += [doc["_id"] for doc in docs[:: max(1, batch_size // 10)]]
                seeded += batch_size
                if len(events) >= BATCH:
                    db.supervision_events.insert_many(events, ordered=False)
                    record_tails(app, events)
                    events = []
                if time.perf_counter() - last_report > 10 or seeded == size:
                    last_report = time.perf_counter()
                    elapsed = last_report - started
                    done = seeded - (size - missing)
                    rate = done / elapsed
                    eta = (size - seeded) / rate if rate else 0
                    print(
                        f"  {seeded:>9,} / {size:,}  {rate:,.0f} docs/s  eta {eta / 60:.1f} min",
                        flush=True,
                    )
            if events:
                db.supervision_events.insert_many(events, ordered=False)
                record_tails(app, events)
            updates = generator.drain_kpi()
            for n in range(0, len(updates), BATCH):
                db.kpi_daily.bulk_write(
                    [UpdateOne(f, u, upsert=True) for f, u in updates[n : n + BATCH]],
                    ordered=False,
                )
            rate = missing / (time.perf_counter() - started)
            counts = {
                name: db[name].estimated_document_count()
                for name in ("applications", "supervision_events", "kpi_daily")
            }
            print(f"  stored: {counts}")
            print(f"\nat {size:,} applications:")
            print(f"  {'endpoint':<24}{'status':>7}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
            results[size] = {}
            for endpoint in endpoints(ctx):
                figure = measure_http(service.url, endpoint)
                results[size][endpoint.label] = figure
                print(
                    f"  {endpoint.label:<24}{figure['status']:>7}{figure['p50']:>9.1f}"
                    f"{figure['p95']:>9.1f}{figure['mean']:>9.1f}",
                    flush=True,
                )
            # One client, one request at a time: throughput is 1 / latency (p50: the mean
            # of a shared machine's run carries its stalls).
            floor = results[size]["get application"]["p50"]
            for label, target in (
                ("catalogue list", 0.7),
                ("staff inbox", 0.4),
                ("feed page", 0.4),
            ):
                ratio = floor / results[size][label]["p50"]
                print(f"  {label}: {ratio:.2f}x GET /applications/{{id}} (target {target}x)")
            print("  query plans:")
            with app.app_context():
                for endpoint in endpoints(ctx):
                    for target, stages in explain_endpoint(app, db, endpoint):
                        scan = any(s.startswith("COLLSCAN") for s in stages)
                        no_collscan = no_collscan and not scan
                        # The embedded server never takes a sort from an index whose leading
                        # field is an equality: it fetches every match of the range and sorts
                        # them (which is why the long listings read in windows).
                        flag = (
                            "COLLSCAN!"
                            if scan
                            else "ok, sorts its range"
                            if (stages and stages[0].startswith("SORT"))
                            else "ok"
                        )
                        print(f"    [{flag}] {endpoint.label}: {target} -> {' > '.join(stages)}")
            print("  windows (app.pagination) vs one plain range, first page, in-process:")
            ab[size] = windows_ab(app)
            for label, (plain_ms, windowed_ms, same) in ab[size].items():
                plain_text = "timed out" if plain_ms == float("inf") else f"{plain_ms:>6.1f} ms"
                print(
                    f"    {label:<26} plain {plain_text:>9}   windows {windowed_ms:>7.1f} ms"
                    f"   {plain_ms / windowed_ms:>6.1f}x faster   same rows: {same}",
                    flush=True,
                )
                same_rows = same_rows and same is not False
            # Ids kept while seeding: $sample over 1 M closed the embedded server's connection.
            sample = random.Random(size).sample(sampled, min(200, len(sampled)))
            costs[size] = db_costs(db, size, sample)
            print("  database operations on the applications collection (ms each):")
            for label, value in costs[size].items():
                print(f"    {label:<34}{value:>10.2f}")

    sizes = sorted(results)
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        print(f"\nratio {big:,} / {small:,} (p50 latency):")
        for label in results[small]:
            a, b = results[small][label]["p50"], results[big][label]["p50"]
            print(f"  {label:<24}{a:>9.1f} ms -> {b:>9.1f} ms   {b / a:>6.2f}x")
        for label in costs[small]:
            a, b = costs[small][label], costs[big][label]
            print(f"  db: {label:<30}{a:>9.2f} ms -> {b:>9.2f} ms   {b / a:>6.2f}x")
        for label in ab[small]:
            for n, kind in ((0, "plain"), (1, "windows")):
                a, b = ab[small][label][n], ab[big][label][n]
                print(f"  {kind}: {label:<25}{a:>9.1f} ms -> {b:>9.1f} ms   {b / a:>6.2f}x")
    print(f"load average at the end: {report.load_average()}")
    print(f"\nlargest size run: {sizes[-1]:,}" if sizes else "\nno size was run")
    print("every query used an index" if no_collscan else "SOME QUERY SCANNED THE COLLECTION")
    print("windows returned the plain rows" if same_rows else "WINDOWS RETURNED OTHER ROWS")
    if os.environ.get("SCALE_JSON"):
        Path(os.environ["SCALE_JSON"]).write_text(
            json.dumps({"results": results, "costs": costs, "windows": ab})
        )
    statuses = Counter(figure["status"] for per in results.values() for figure in per.values())
    return 0 if no_collscan and same_rows and set(statuses) <= {200} else 1


if __name__ == "__main__":
    sys.exit(main())
