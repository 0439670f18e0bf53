"""`make fault`: kill the database under a write load and prove nothing is lost or doubled.

1. Writers (Locust users in their own process: FaultWriter below) create records with
   Idempotency-Keys and retry each key until it is acknowledged (503 / 409 "still being
   processed" / connection errors are retried).
2. Meanwhile the database process gets SIGKILL, stays down for a while, and is restarted on
   the same data directory and port. gunicorn is never restarted.
3. Afterwards: every acknowledged key exists exactly once, no key made two records, the API
   answered 503 in the error envelope while the database was down (no 500, no hang), and
   the same gunicorn processes serve again.
4. 50 concurrent conflicting transitions on one record: exactly one wins.

The records are applications (POST /applications) once that endpoint exists; until then a
department per key (POST /admin/departments), the foundation's creating POST.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import task
from pymongo import MongoClient

from bench import locust_run, report, seed
from bench.locustfile import CONTEXT, OUTPUTS, OneVisitUser
from bench.service import DB_NAME, running_service

WARM_SECONDS = float(os.environ.get("FAULT_WARM_SECONDS", "6"))
DOWN_SECONDS = float(os.environ.get("FAULT_DOWN_SECONDS", "8"))
AFTER_SECONDS = float(os.environ.get("FAULT_AFTER_SECONDS", "12"))
WRITERS = int(os.environ.get("FAULT_WRITERS", "8"))
GIVE_UP_SECONDS = 120.0
HANG_SECONDS = 30.0
# A request that died with the database leaves its Idempotency-Key claimed; retries get 409
# until the claim is older than this (production default 60 s; shortened so the run is short).
LOCK_SECONDS = "10"
RETRIED = {0, 409, 502, 503, 504}


class FaultWriter(OneVisitUser):
    """One key per iteration, retried until acknowledged (or refused for good, or given up)."""

    @task
    def write(self) -> None:
        ctx = CONTEXT
        key = uuid.uuid4().hex
        body = _body(ctx, key)
        first = time.time()
        while True:
            started = time.time()
            headers = {"Idempotency-Key": key, "Authorization": f"Bearer {ctx['token']}"}
            with self.client.request(
                "POST", ctx["path"], json=body, headers=headers, name="write", catch_response=True
            ) as response:
                status = response.status_code
                try:
                    payload = response.json() if response.text else None
                except ValueError:
                    payload = None
                retry_after = response.headers.get("retry-after") if response.headers else None
                if 200 <= status < 300:
                    response.success()
                else:
                    response.failure(f"{status}")
            envelope = (
                isinstance(payload, dict)
                and payload.get("code") == status
                and bool(payload.get("request_id"))
                and bool(payload.get("message"))
            )
            OUTPUTS.append(("attempt", started, status, time.time() - started, envelope))
            if 200 <= status < 300:
                OUTPUTS.append(
                    ("ack", key, payload.get("id") if isinstance(payload, dict) else None)
                )
                return
            # 409 with Retry-After: the key's first request is still claimed; 409 without it:
            # the retry ran the request again and hit the record the first one had created.
            if status not in RETRIED or (status == 409 and retry_after is None):
                OUTPUTS.append(("refused", key, status))
                return
            if time.time() - first > GIVE_UP_SECONDS:
                OUTPUTS.append(("gave_up", key, status))
                return
            time.sleep(float(retry_after or "0.5") if status == 409 else 0.5)


def _body(ctx: dict[str, Any], key: str) -> dict[str, Any]:
    if ctx["kind"] == "departments":
        return {"code": f"F-{key.upper()}", "name": key, "region": "330100"}
    submission = dict(ctx["submission"])
    form = dict(submission["form"])
    form[ctx["marker_field"]] = key  # finds the application(s) this key made
    submission["form"] = form
    return submission


def count_records(db: Any, ctx: dict[str, Any]) -> Counter[str]:
    """How many records each key produced."""
    if ctx["kind"] == "departments":
        return Counter(doc["name"] for doc in db.departments.find({"_id": {"$regex": "^F-"}}))
    field = f"form.{ctx['marker_field']}"
    return Counter(
        doc["form"][ctx["marker_field"]]
        for doc in db.applications.find({field: {"$exists": True}}, {field: 1})
        if isinstance(doc.get("form", {}).get(ctx["marker_field"]), str)
        and len(doc["form"][ctx["marker_field"]]) == 32
    )


def race(url: str, requests: list[tuple[str, str, Any, str]]) -> Counter[int]:
    """Fire all requests at once (one thread and connection each, released by a barrier)."""
    barrier = threading.Barrier(len(requests))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    parts = urlsplit(url)

    def fire(method: str, path: str, body: Any, token: str) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        connection.connect()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        barrier.wait()
        try:
            connection.request(method, path, body=json.dumps(body).encode(), headers=headers)
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException):
            status = 0
        with lock:
            statuses[status] += 1
        connection.close()

    threads = [threading.Thread(target=fire, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def main() -> int:
    failures: list[str] = []
    # No refresh retry grace: the stand-in race below counts one winner among 50 rotations of
    # one token from one client, which the grace would answer 50 times with the same pair.
    env = {"ONEVISIT_IDEMPOTENCY_LOCK_SECONDS": LOCK_SECONDS, "ONEVISIT_REFRESH_GRACE_SECONDS": "0"}
    with running_service(extra_env=env) as service:
        app = service.flask_app()
        ctx = seed.start(service, app, 8)
        available = seed.available_paths(service)
        from app.seed import DEMO_PASSWORD

        admin_token = seed.login(service, "13900000000", DEMO_PASSWORD)
        if ("post", "/api/v1/applications") in available and seed.prepare_applications(
            service, app, ctx
        ):
            ctx.update(kind="applications", path="/api/v1/applications")
            ctx["token"] = ctx["resident_tokens"][0]
            target = "POST /api/v1/applications"
        else:
            ctx.update(kind="departments", path="/api/v1/admin/departments", token=admin_token)
            target = "POST /api/v1/admin/departments (stand-in until applications exist)"
        gunicorn_pids = [p.pid for p in service.processes]
        print(f"machine: {report.machine()}; load average: {report.load_average()}")
        print(f"write target: {target}; {WRITERS} writers with Idempotency-Keys")

        outcome: dict[str, locust_run.Result] = {}
        duration = WARM_SECONDS + DOWN_SECONDS + AFTER_SECONDS

        def drive() -> None:
            # A writer still retrying its key when the time is up finishes it (up to the
            # give-up time), as the writers always did.
            outcome["result"] = locust_run.run(
                "FaultWriter",
                service.url,
                ctx,
                WRITERS,
                duration,
                Path(__file__),
                stop_timeout=GIVE_UP_SECONDS + 10,
            )

        driver = threading.Thread(target=drive)
        driver.start()
        time.sleep(WARM_SECONDS + 2)  # the writers' processes take a moment to start
        print(f"SIGKILL database pid {service.db.process.pid} ...", flush=True)
        killed_at = time.time()
        service.db.kill()
        time.sleep(DOWN_SECONDS)
        restart_started = time.time()
        service.db.start()
        back_at = time.time()
        print(
            f"database restarted on the same port and data directory after "
            f"{back_at - killed_at:.1f} s down (restart took {back_at - restart_started:.1f} s)",
            flush=True,
        )
        driver.join()
        result = outcome["result"]

        attempts = [o for o in result.outputs if o[0] == "attempt"]
        acks = {o[1]: o[2] for o in result.outputs if o[0] == "ack"}
        refused = [o for o in result.outputs if o[0] == "refused"]
        gave_up = [o for o in result.outputs if o[0] == "gave_up"]
        statuses = Counter(o[2] for o in attempts)
        down = [o for o in attempts if killed_at <= o[1] <= back_at]
        answered_503 = [o for o in attempts if o[2] == 503]
        bad_503 = [o for o in answered_503 if not o[4]]
        server_errors = [o for o in attempts if o[2] >= 500 and o[2] != 503]
        hangs = [o for o in attempts if o[3] > HANG_SECONDS]
        slowest = max((o[3] for o in down), default=0.0)

        db = MongoClient(service.mongo_uri, tz_aware=True)[DB_NAME]
        records = count_records(db, ctx)
        stored = sum(records.values())
        duplicates = {k: n for k, n in records.items() if n > 1}
        lost = [k for k in acks if records.get(k, 0) == 0]
        unacked_stored = [k for k in records if k not in acks]

        print()
        print(f"attempts by status: {dict(sorted(statuses.items()))}")
        print(f"acknowledged keys:       {len(acks)}")
        print(f"records stored:          {stored}")
        print(f"keys with duplicates:    {len(duplicates)}")
        print(f"lost (acked, not stored): {len(lost)}")
        print(f"stored, never acked:     {len(unacked_stored)} (a retry was refused or gave up)")
        print(f"refused for good (4xx):  {len(refused)} {Counter(o[2] for o in refused)}")
        print(f"gave up after {GIVE_UP_SECONDS:.0f} s:     {len(gave_up)}")
        print(f"503 answers:             {len(answered_503)} (not in the envelope: {len(bad_503)})")
        print(f"500 answers:             {len(server_errors)}")
        print(f"requests over {HANG_SECONDS:.0f} s:      {len(hangs)}")
        print(f"slowest answer while down: {slowest:.1f} s")

        if lost:
            failures.append(f"{len(lost)} acknowledged submissions lost")
        if duplicates:
            failures.append(f"{len(duplicates)} keys produced more than one record")
        if not answered_503:
            failures.append("no 503 was observed while the database was down")
        if bad_503:
            failures.append("503 answers outside the error envelope")
        if server_errors:
            failures.append(f"{len(server_errors)} 5xx answers other than 503")
        if hangs:
            failures.append(f"{len(hangs)} requests hung for more than {HANG_SECONDS:.0f} s")
        if refused or gave_up:
            failures.append(
                f"{len(refused) + len(gave_up)} keys were never acknowledged although "
                f"{len(unacked_stored)} of them were stored: the retry re-ran the request "
                "instead of replaying the first response"
            )

        # Recovery without restarting the web processes.
        alive = all(p.poll() is None for p in service.processes)
        same = [p.pid for p in service.processes] == gunicorn_pids
        status, _ = seed.http_json(service.url + "/readyz")
        print(f"gunicorn master(s) untouched and serving: {alive and same} (readyz {status})")
        if not (alive and same and status == 200):
            failures.append("the web processes did not recover on their own")

        print()
        failures += conflicting_transitions(service, ctx, admin_token)

    print()
    if failures:
        print("FAULT CHECK FAILED: " + "; ".join(failures))
        return 1
    print("fault check passed")
    return 0


def conflicting_transitions(service: Any, ctx: dict[str, Any], admin_token: str) -> list[str]:
    if ctx["kind"] == "applications":
        app_id = seed.submit_one(service, ctx)
        path = f"/api/v1/applications/{app_id}/accept"
        requests = [("POST", path, {}, ctx["window_token"])] * 50
        label = "50 concurrent accepts of one application"
        loser = 409
    else:
        # Stand-in: the refresh-token rotation is the foundation's compare-and-set.
        _, pair = seed.http_json(
            service.url + "/api/v1/auth/login",
            "POST",
            {"phone": ctx["phones"][0], "password": ctx["password"]},
        )
        body = {"refresh_token": pair["refresh_token"]}
        requests = [("POST", "/api/v1/auth/refresh", body, "")] * 50
        label = "50 concurrent rotations of one refresh token (stand-in for accept)"
        loser = 401
    statuses = race(service.url, requests)
    print(f"{label}: {dict(sorted(statuses.items()))}")
    winners = statuses.get(200, 0)
    if winners != 1 or statuses.get(loser, 0) != 49:
        return [f"conflicting transitions: {winners} winners, expected exactly 1"]
    print("exactly one won; the other 49 were refused")
    return []


if __name__ == "__main__":
    sys.exit(main())
