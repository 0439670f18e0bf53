"""Profile the hottest endpoints in-process with pyinstrument (same database server and data
as `make bench`): prints ms per request and the call tree of each, so what dominates shows.

    python -m bench.profile            # all of them
    BENCH_PROFILE=submit python -m bench.profile
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from pyinstrument import Profiler

from bench import seed
from bench.service import running_service

REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "200"))
# Applications submitted before profiling, so the acceptance queue is as long as after
# make bench's submit phase (~500) rather than a handful.
QUEUE = int(os.environ.get("BENCH_PROFILE_QUEUE", "0"))


def cases(ctx: dict[str, Any]) -> dict[str, tuple[str, str, Any, str]]:
    token = ctx["resident_tokens"][0]
    found = {
        "me": ("GET", "/api/v1/me", None, token),
        # Anonymous, as CatalogueUser reads it (the public cache's path).
        "catalogue": ("GET", "/api/v1/matters?limit=20", None, ""),
    }
    if ctx.get("supervisor_token"):
        found["feed"] = (
            "GET",
            "/api/v1/supervision/feed?limit=20",
            None,
            ctx["supervisor_token"],
        )
    if ctx.get("submission"):
        app_id = ctx["profile_application"]
        found.update(
            get=("GET", f"/api/v1/applications/{app_id}", None, token),
            submit=("POST", "/api/v1/applications", ctx["submission"], token),
            list_mine=("GET", "/api/v1/applications?limit=20", None, token),
            inbox=("GET", "/api/v1/staff/inbox?kind=acceptance", None, ctx["window_token"]),
        )
    return found


def approved_pool(service: Any, ctx: dict[str, Any], count: int) -> list[str]:
    """Applications ready to complete: submitted, accepted and approved by every department."""
    pool = []
    for n in range(count):
        app_id = seed.submit_one(service, ctx, n % len(ctx["submissions"]))
        url = f"{service.url}/api/v1/applications/{app_id}"
        seed.http_json(url + "/accept", "POST", {}, token=ctx["window_token"])
        for department in ctx["review_departments"]:
            seed.http_json(
                f"{url}/reviews/{department}",
                "POST",
                {"decision": "approve", "opinion": "ok"},
                token=ctx["reviewer_tokens"][department],
            )
        pool.append(app_id)
    return pool


def run(app: Any, method: str, path: str, body: Any, token: str) -> tuple[float, str]:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    pool = iter(body) if "{id}" in path else None  # one application per request

    def one() -> int:
        extra = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {}
        target = path.replace("{id}", next(pool)) if pool else path
        payload = {} if pool else body
        return client.open(
            target, method=method, json=payload, headers={**headers, **extra}
        ).status_code

    for _ in range(20):
        one()
    from app.db import counting_commands

    with counting_commands() as tally:
        one()
    commands = ", ".join(f"{n}x {c}" if n > 1 else c for c, n in (tally.by_command or {}).items())
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    statuses = {one() for _ in range(REQUESTS)}
    profiler.stop()
    per_request = (time.perf_counter() - started) * 1000 / REQUESTS
    text = profiler.output_text(unicode=False, color=False)
    return per_request, (
        f"statuses {sorted(statuses)}; database commands: {tally.total} ({commands})\n{text}"
    )


def main() -> None:
    wanted = os.environ.get("BENCH_PROFILE")
    with running_service() as service:
        app = service.flask_app()
        ctx = seed.start(service, app, 4)
        ctx["supervisor_token"] = seed.supervisor_token(service)
        if seed.prepare_applications(service, app, ctx):
            ctx["profile_application"] = seed.submit_one(service, ctx)
            for n in range(QUEUE):
                seed.submit_one(service, ctx, n % len(ctx["submissions"]))
        found = cases(ctx)
        if ctx.get("submission") and (not wanted or "complete" in wanted):
            pool = approved_pool(service, ctx, REQUESTS + 20)
            found["complete"] = (
                "POST",
                "/api/v1/applications/{id}/complete",
                pool,
                ctx["head_token"],
            )
        for name, (method, path, body, token) in found.items():
            if wanted and name not in wanted.split(","):
                continue
            if name == "me":
                # Before/after of the one-user-read fix, side by side: without the document
                # authentication kept, the profile reads the user again.
                from app.accounts import service as accounts

                keep = accounts.current_user_document
                accounts.current_user_document = lambda: None  # type: ignore[assignment]
                before, _ = run(app, method, path, body, token)
                accounts.current_user_document = keep  # type: ignore[assignment]
                print(f"\n=== me, before the fix (second user read): {before:.2f} ms per request")
            per_request, tree = run(app, method, path, body, token)
            print(f"\n=== {name}: {method} {path}: {per_request:.2f} ms per request in-process")
            print(tree)


if __name__ == "__main__":
    main()
