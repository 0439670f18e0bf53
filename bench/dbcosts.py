"""The embedded database's own costs, one client, no web layer: what each operation the
repositories use costs on this machine, so the slow ones can be designed around."""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, MongoClient, ReturnDocument

from app.platform.embedded import EmbeddedServer

N = int(os.environ.get("DBCOST_N", "1000"))

VALIDATED = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": ["tracking_no", "status", "version", "region", "created_at"],
        "properties": {
            "tracking_no": {"bsonType": "string"},
            "status": {"enum": ["submitted", "in_review", "approved", "completed"]},
            "version": {"bsonType": "int", "minimum": 1},
            "region": {"bsonType": "string", "pattern": "^[0-9]{6}$"},
            "created_at": {"bsonType": "date"},
        },
    }
}


def _doc(n: int) -> dict[str, Any]:
    return {
        "tracking_no": f"ZJ{n:014d}",
        "status": "submitted",
        "version": 1,
        "region": "330100",
        "region_path": ["330000", "330100"],
        "department": "AMR-330100",
        "form": {"company_name": "Qiantang Software Ltd", "registered_capital": 1000000},
        "timeline": [{"action": "submit", "at": datetime.now(UTC)}],
        "created_at": datetime.now(UTC),
    }


def measure(label: str, call: Callable[[int], Any], n: int = N) -> dict[str, float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    figure = {
        "mean": statistics.fmean(samples),
        "p50": samples[len(samples) // 2],
        "p99": samples[int(len(samples) * 0.99)],
        "ops": n / (sum(samples) / 1000),
    }
    print(
        f"{label:<46}{figure['mean']:>9.2f}{figure['p50']:>9.2f}{figure['p99']:>9.2f}"
        f"{figure['ops']:>10.0f}",
        flush=True,
    )
    return figure


def concurrent(label: str, call: Callable[[int], Any], threads: int = 8, n: int = N) -> None:
    per_thread = n // threads
    latencies: list[float] = []
    lock = threading.Lock()

    def run(offset: int) -> None:
        mine = []
        for i in range(per_thread):
            started = time.perf_counter()
            call(offset * per_thread + i)
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    print(
        f"{label:<46}{statistics.fmean(latencies):>9.2f}{latencies[len(latencies) // 2]:>9.2f}"
        f"{latencies[int(len(latencies) * 0.99)]:>9.2f}{len(latencies) / elapsed:>10.0f}",
        flush=True,
    )


def union_against_finds(db: Any, names: int = 20) -> dict[str, dict[str, float]]:
    """What the relay's idle pass costs (app/outbox_repository.py): one sparse-index range per
    collection, or one aggregate joining the ranges by $unionWith, as one collection of NAMES
    grows. The embedded server reads every document of a collection a $unionWith names."""
    queued = {"outbox_since": {"$gte": datetime(1970, 1, 1, tzinfo=UTC)}}
    colls = [db[f"outbox_{n:02d}"] for n in range(names)]
    for coll in colls:
        coll.create_index("outbox_since", sparse=True)
        coll.insert_many([_doc(n) for n in range(5)])

    def stages(name: str) -> list[dict[str, Any]]:
        return [{"$match": queued}, {"$sort": {"outbox_since": 1}}, {"$limit": 100}]

    pipeline = stages(colls[0].name) + [
        {"$unionWith": {"coll": c.name, "pipeline": stages(c.name)}} for c in colls[1:]
    ]
    results: dict[str, dict[str, float]] = {}
    grown = 0
    for size in (0, 10_000, 50_000):
        if size > grown:
            colls[5].insert_many([_doc(300_000 + n) for n in range(grown, size)])
        grown = size
        results[f"finds {size}"] = measure(
            f"{names} index ranges, one collection +{size:,}",
            lambda i: [list(c.find(queued).sort("outbox_since", 1).limit(100)) for c in colls],
            n=20,
        )
        results[f"union {size}"] = measure(
            f"one $unionWith of {names}, one collection +{size:,}",
            lambda i: list(colls[0].aggregate(pipeline)),
            n=5 if size else 20,
        )
    for coll in colls:
        coll.drop()
    return results


def run(uri: str) -> dict[str, dict[str, float]]:
    client: MongoClient[Any] = MongoClient(uri, tz_aware=True)
    db = client["dbcosts"]
    client.drop_database("dbcosts")
    db.create_collection("validated", validator=VALIDATED)
    plain = db.plain
    plain.create_index([("tracking_no", ASCENDING)], unique=True)
    db.validated.create_index([("tracking_no", ASCENDING)], unique=True)
    print(
        f"{'operation (one client, ' + str(N) + ' each)':<46}{'mean ms':>9}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'ops/s':>10}"
    )
    results: dict[str, dict[str, float]] = {}
    ids: list[ObjectId] = []

    def insert(i: int) -> None:
        ids.append(plain.insert_one(_doc(i)).inserted_id)

    results["insert_one"] = measure("insert_one", insert)
    results["insert_one validated"] = measure(
        "insert_one ($jsonSchema-validated collection)",
        lambda i: db.validated.insert_one(_doc(i)),
    )
    results["find_one _id"] = measure("find_one by _id", lambda i: plain.find_one({"_id": ids[i]}))
    results["find_one indexed"] = measure(
        "find_one by a unique indexed field",
        lambda i: plain.find_one({"tracking_no": f"ZJ{i:014d}"}),
    )
    results["update_one"] = measure(
        "update_one by _id ($set)",
        lambda i: plain.update_one({"_id": ids[i]}, {"$set": {"status": "in_review"}}),
    )
    results["update_one cas"] = measure(
        "update_one compare-and-set (_id+version, $inc)",
        lambda i: plain.update_one(
            {"_id": ids[i], "version": 1},
            {"$set": {"status": "approved"}, "$inc": {"version": 1}},
        ),
    )
    results["update_one push"] = measure(
        "update_one $push to timeline",
        lambda i: plain.update_one({"_id": ids[i]}, {"$push": {"timeline": {"action": "x"}}}),
    )
    results["find_one_and_update"] = measure(
        "find_one_and_update by _id",
        lambda i: plain.find_one_and_update(
            {"_id": ids[i]}, {"$inc": {"version": 1}}, return_document=ReturnDocument.AFTER
        ),
        n=min(N, 200),
    )
    db.counters.insert_one({"_id": "seq", "value": 0})
    results["counter find_one_and_update"] = measure(
        "find_one_and_update on one counter ($inc)",
        lambda i: db.counters.find_one_and_update(
            {"_id": "seq"}, {"$inc": {"value": 1}}, return_document=ReturnDocument.AFTER
        ),
        n=min(N, 200),
    )
    results["counter update+read"] = measure(
        "update_one $inc + find_one (the alternative)",
        lambda i: (
            db.counters.update_one({"_id": "seq"}, {"$inc": {"value": 1}}),
            db.counters.find_one({"_id": "seq"}),
        ),
    )
    results["count_documents"] = measure(
        "count_documents on an indexed equality",
        lambda i: plain.count_documents({"tracking_no": f"ZJ{i:014d}"}),
        n=min(N, 300),
    )
    results.update(union_against_finds(db))
    batch = [_doc(100_000 + i) for i in range(1000)]
    started = time.perf_counter()
    db.bulk.insert_many(batch, ordered=False)
    per_doc = (time.perf_counter() - started) * 1000 / len(batch)
    print(f"{'insert_many (1000 per batch), per document':<46}{per_doc:>9.3f}", flush=True)
    results["insert_many per doc"] = {"mean": per_doc}
    print("8 threads at once:")
    concurrent("  find_one by _id", lambda i: plain.find_one({"_id": ids[i % len(ids)]}))
    concurrent(
        "  update_one by _id",
        lambda i: plain.update_one({"_id": ids[i % len(ids)]}, {"$set": {"n": i}}),
    )
    concurrent("  insert_one", lambda i: plain.insert_one(_doc(200_000 + i)))
    client.drop_database("dbcosts")
    client.close()
    return results


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="onevisit-dbcosts-") as tmp:
        for sync in (True, False):
            print(f"\nembedded SecantusDB, --sync-on-commit {'on' if sync else 'off'}:")
            server = EmbeddedServer(Path(tmp) / f"db-{sync}", sync_on_commit=sync).start()
            try:
                run(server.uri)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
