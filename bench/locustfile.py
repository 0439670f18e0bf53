"""OneVisit's load scenarios for Locust: `make bench` runs them one at a time (bench/run_bench.py),
and an operator runs them against any deployment:

    locust -f bench/locustfile.py --host https://staging.example.gov.cn              # web UI
    locust -f bench/locustfile.py --host URL --headless -u 20 -r 5 -t 2m             # the mix
    locust -f bench/locustfile.py --host URL --headless -u 8 -t 30s GetApplicationUser

What the scenarios need on the deployment (docs/benchmarks.md, "Locust against a deployment"):
residents 1590000NNNN (BENCH_RESIDENTS of them, default 40) and staff 16000000000 (window,
reviewer and head of the matter's lead department) and 160000000NN (a reviewer per
co-department), all with the password BENCH_PASSWORD (default Bench-password-2026); the
supervisor BENCH_SUPERVISOR_PHONE (default the demo 13600000001, password
BENCH_SUPERVISOR_PASSWORD, default the demo password). `python -m bench.seed accounts --url
URL` makes them, run with the deployment's environment (MONGO_URI, keys). At the start each
Locust process signs them in, uploads one file per resident and submits one application each
(outside Locust's statistics).

With BENCH_CONTEXT (a JSON file: what `make bench` seeded and signed in) nothing is prepared:
the users read their tokens and bodies from it, and the work-list users (AcceptUser,
ReviewUser, CompleteUser: one record each, from the context's "work", until it runs out) run
too. BENCH_OUTPUT names a JSON file that receives, when Locust quits, what the users produced (the
submitted applications, the accepted ones..., which the next phase of `make bench` works on)
and Locust's statistics per request name.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from itertools import count
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner

API = "/api/v1"
CONTEXT: dict[str, Any] = {}
OUTPUTS: list[Any] = []
WORK: deque[Any] = deque()
_SLOTS = count()
_ACTIVE_WORKERS = [0]


# ------------------------------------------------------------------------------ the context


@events.init.add_listener
def _load_context(environment: Any, **_: Any) -> None:
    path = os.environ.get("BENCH_CONTEXT")
    if path:
        with open(path) as source:
            CONTEXT.update(json.load(source))
        WORK.extend(CONTEXT.get("work") or [])
    elif environment.host and not isinstance(environment.runner, MasterRunner):
        # Before the run's clock starts (logins cost argon2 time): --host given.
        CONTEXT.update(prepare_deployment(environment.host))


@events.test_start.add_listener
def _prepare(environment: Any, **_: Any) -> None:
    # The web UI's host, entered when the test starts.
    if not CONTEXT and environment.host and not isinstance(environment.runner, MasterRunner):
        CONTEXT.update(prepare_deployment(environment.host))


@events.quitting.add_listener
def _write_outputs(environment: Any, **_: Any) -> None:
    """What the users produced, and Locust's statistics per request name (make bench's table)."""
    path = os.environ.get("BENCH_OUTPUT")
    if not path:
        return
    stats = {
        entry.name: {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "rps": entry.total_rps,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
        }
        for entry in environment.stats.entries.values()
    }
    failures = [
        f"{error.name}: {error.error} (x{error.occurrences})"
        for error in environment.stats.errors.values()
    ]
    with open(path, "w") as out:
        json.dump({"outputs": OUTPUTS, "stats": stats, "failures": failures}, out)


def _http(
    base: str, method: str, path: str, body: Any = None, token: str | None = None, **kw: Any
) -> tuple[int, Any]:
    data = kw.get("raw") if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base.rstrip("/") + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    request.add_header("Content-Type", kw.get("content_type", "application/json"))
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if method == "POST":
        request.add_header("Idempotency-Key", str(uuid.uuid4()))
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, error.read()[:300]


def _login(base: str, phone: str, password: str) -> str:
    status, body = _http(base, "POST", f"{API}/auth/login", {"phone": phone, "password": password})
    if status != 200:
        raise RuntimeError(f"setup: login {phone} answered {status}: {body!r}")
    return body["access_token"]


def prepare_deployment(base: str) -> dict[str, Any]:
    """Everything the scenarios read, from the deployment itself over HTTP."""
    from bench.generate import form_value
    from bench.seed import choose_matter, staff_phones

    password = os.environ.get("BENCH_PASSWORD", "Bench-password-2026")
    residents = int(os.environ.get("BENCH_RESIDENTS", "40"))
    phones = [f"1590000{n:04d}" for n in range(residents)]
    tokens = [_login(base, phone, password) for phone in phones]
    matter = choose_matter(base.rstrip("/"), os.environ.get("BENCH_MATTER"))
    if matter is None:
        raise RuntimeError("setup: no service item a resident can apply for (BENCH_MATTER?)")
    staff = staff_phones(matter)
    reviewer_tokens = {d: _login(base, phone, password) for d, phone in staff.items()}
    lead = matter["lead_department"]
    form = {f["key"]: form_value(f) for f in matter["form"] if f.get("required")}
    submissions, owned = [], []
    for token in tokens:
        boundary = uuid.uuid4().hex
        raw = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            + b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n\r\n--"
            + (f"{boundary}--\r\n".encode())
        )
        status, upload = _http(
            base,
            "POST",
            f"{API}/attachments",
            token=token,
            raw=raw,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        if status != 201:
            raise RuntimeError(f"setup: upload answered {status}: {upload!r}")
        submission = {
            "matter_code": matter["code"],
            "form": form,
            "materials": [
                {"key": m["key"], "attachment_id": upload["id"]}
                for m in matter["materials"]
                if m.get("required")
            ],
            "delivery": matter["delivery"][0],
        }
        submissions.append(submission)
        status, created = _http(base, "POST", f"{API}/applications", submission, token=token)
        if status != 201:
            raise RuntimeError(f"setup: a submission answered {status}: {created!r}")
        owned.append((created["id"], token))
    supervisor = _login(
        base,
        os.environ.get("BENCH_SUPERVISOR_PHONE", "13600000001"),
        os.environ.get("BENCH_SUPERVISOR_PASSWORD", "OneVisit-demo-2026"),
    )
    return {
        "password": password,
        "phones": phones,
        "resident_tokens": tokens,
        "submissions": submissions,
        "owned": owned,
        "window_token": reviewer_tokens[lead],
        "head_token": reviewer_tokens[lead],
        "reviewer_tokens": reviewer_tokens,
        "review_departments": list(staff),
        "supervisor_token": supervisor,
    }


# ------------------------------------------------------------------------------ the users


class OneVisitUser(FastHttpUser):
    """A client that sends its next request as soon as the last one is answered (a closed loop,
    like a busy app), on its own keep-alive connection."""

    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        self.slot = next(_SLOTS)
        self.i = 0

    def pick(self, items: list[Any]) -> Any:
        """A different item per user and iteration, spread evenly."""
        self.i += 1
        return items[(self.slot + self.i * 7) % len(items)]

    def call(
        self,
        name: str,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> tuple[int, Any]:
        sent = {"Accept": "application/json"}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        with self.client.request(
            method, path, json=body, headers=sent, name=name, catch_response=True
        ) as response:
            parsed = None
            if response.status_code in expect:
                response.success()
                if response.text and response.headers.get("content-type", "").startswith(
                    "application/json"
                ):
                    parsed = response.json()
            else:
                response.failure(
                    f"{method} {path} -> {response.status_code} {response.text!r:.200}"
                )
        return response.status_code, parsed

    def submit(self, name: str) -> tuple[str | None, str]:
        index = self.pick(range(len(CONTEXT["resident_tokens"])))
        token = CONTEXT["resident_tokens"][index]
        status, body = self.call(
            name,
            "POST",
            f"{API}/applications",
            CONTEXT["submissions"][index],
            token=token,
            headers={"Idempotency-Key": str(uuid.uuid4())},
            expect=(201,),
        )
        return (body["id"] if status == 201 and body else None), token


class WorkListUser(OneVisitUser):
    """Works through the context's work list (one record per iteration) and stops when it is
    empty; in `make bench` (a work list given) the last one to stop ends the run. In an
    operator's mix there is no work list: these users stop at once (LifecycleUser drives the
    same transitions there)."""

    abstract = True

    def on_start(self) -> None:
        super().on_start()
        _ACTIVE_WORKERS[0] += 1

    def next_record(self) -> Any:
        if WORK:
            return WORK.popleft()
        _ACTIVE_WORKERS[0] -= 1
        if CONTEXT.get("work") and _ACTIVE_WORKERS[0] <= 0 and self.environment.runner:
            gevent.spawn_later(0.1, self.environment.runner.quit)
        raise StopUser()


# The mix an operator gets without naming users: reads dominate, as on the real service.


class LoginUser(OneVisitUser):
    weight = 1

    @task
    def login(self) -> None:
        phone = self.pick(CONTEXT["phones"])
        body = {"phone": phone, "password": CONTEXT["password"]}
        self.call("login", "POST", f"{API}/auth/login", body)


class MeUser(OneVisitUser):
    weight = 4

    @task
    def me(self) -> None:
        self.call("GET /me", "GET", f"{API}/me", token=self.pick(CONTEXT["resident_tokens"]))


class DepartmentsUser(OneVisitUser):
    weight = 1

    @task
    def departments(self) -> None:
        self.call("GET /departments", "GET", f"{API}/departments?limit=20")


class CatalogueUser(OneVisitUser):
    weight = 4

    @task
    def catalogue(self) -> None:
        self.call("catalogue list", "GET", f"{API}/matters?limit=20")


class SubmitUser(OneVisitUser):
    weight = 2

    @task
    def submit_application(self) -> None:
        app_id, token = self.submit("submit")
        if app_id:
            OUTPUTS.append((app_id, token))


class GetApplicationUser(OneVisitUser):
    weight = 8

    @task
    def get_application(self) -> None:
        app_id, token = self.pick(CONTEXT["owned"])
        self.call("get", "GET", f"{API}/applications/{app_id}", token=token)


class ListMineUser(OneVisitUser):
    weight = 4

    @task
    def list_mine(self) -> None:
        token = self.pick(CONTEXT["resident_tokens"])
        self.call("list mine", "GET", f"{API}/applications?limit=20", token=token)


class InboxUser(OneVisitUser):
    weight = 2

    @task
    def inbox(self) -> None:
        self.call(
            "staff inbox",
            "GET",
            f"{API}/staff/inbox?kind=acceptance",
            token=CONTEXT["window_token"],
        )


class FeedUser(OneVisitUser):
    weight = 2

    @task
    def feed(self) -> None:
        self.call(
            "feed", "GET", f"{API}/supervision/feed?limit=20", token=CONTEXT["supervisor_token"]
        )


class StatsUser(OneVisitUser):
    weight = 2

    @task
    def stats(self) -> None:
        self.call(
            "stats overview", "GET", f"{API}/stats/overview", token=CONTEXT["supervisor_token"]
        )


class LifecycleUser(OneVisitUser):
    """submit -> accept -> one review per department -> complete, as one iteration."""

    weight = 1

    @task
    def lifecycle(self) -> None:
        app_id, _ = self.submit("lifecycle: submit")
        if app_id is None:
            return
        base = f"{API}/applications/{app_id}"
        self.call("lifecycle: accept", "POST", f"{base}/accept", {}, token=CONTEXT["window_token"])
        for department in CONTEXT["review_departments"]:
            self.call(
                "lifecycle: review",
                "POST",
                f"{base}/reviews/{department}",
                {"decision": "approve", "opinion": "Materials complete."},
                token=CONTEXT["reviewer_tokens"][department],
            )
        self.call(
            "lifecycle: complete", "POST", f"{base}/complete", {}, token=CONTEXT["head_token"]
        )


# The work-list users: make bench only (they need the applications the previous phase made).


class AcceptUser(WorkListUser):
    @task
    def accept(self) -> None:
        app_id = self.next_record()
        status, _ = self.call(
            "accept",
            "POST",
            f"{API}/applications/{app_id}/accept",
            {},
            token=CONTEXT["window_token"],
        )
        if status == 200:
            OUTPUTS.append(app_id)


class ReviewUser(WorkListUser):
    """Every department's review of one application, one after the other."""

    @task
    def review(self) -> None:
        app_id = self.next_record()
        ok = True
        for department in CONTEXT["review_departments"]:
            status, _ = self.call(
                "review",
                "POST",
                f"{API}/applications/{app_id}/reviews/{department}",
                {"decision": "approve", "opinion": "Materials complete."},
                token=CONTEXT["reviewer_tokens"][department],
            )
            ok = ok and status == 200
        if ok:
            OUTPUTS.append(app_id)


class CompleteUser(WorkListUser):
    @task
    def complete(self) -> None:
        app_id = self.next_record()
        self.call(
            "complete",
            "POST",
            f"{API}/applications/{app_id}/complete",
            {},
            token=CONTEXT["head_token"],
        )


def fire_timed(name: str, started: float, exception: Exception | None) -> None:
    """Record a call that is not HTTP (raw pymongo) in Locust's statistics."""
    events.request.fire(
        request_type="pymongo",
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=exception,
        context={},
    )
