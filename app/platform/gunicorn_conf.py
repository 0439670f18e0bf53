"""gunicorn settings for `make run`, the Dockerfile and production (flags override them)."""

import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("ONEVISIT_WORKERS", "2"))
# Threads: a worker keeps serving while one of its requests waits on the database.
worker_class = "gthread"
threads = int(os.environ.get("ONEVISIT_THREADS", "8"))
timeout = 60
# On SIGTERM a worker finishes its requests in flight: they take well under a second, open
# supervision streams end within one poll (post_worker_init below). 3 s, so that `make run`
# stops within 5 s; no request should ever need the SIGKILL that follows it.
graceful_timeout = int(os.environ.get("ONEVISIT_GRACEFUL_TIMEOUT", "3"))
keepalive = 5
# Request head limits (gunicorn's defaults, stated here because docs/operations.md lists them).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Requests are logged by the application itself (JSON, with request ids).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ONEVISIT_LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# /metrics (app/platform/metrics.py) in prometheus-client's multiprocess mode: each worker
# writes its figures to files in this directory and a scrape sums them, whichever worker
# answers. Set before any worker imports prometheus_client (it reads the variable then), one
# directory per gunicorn (default: under the data directory; two gunicorns on one data
# directory must each be given their own), emptied when the master starts (on_starting).
METRICS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    str(Path(os.environ.get("ONEVISIT_DATA_DIR") or "var") / "metrics"),
)


def on_starting(server):  # noqa: ANN001 - gunicorn's hook signature
    """An earlier run's files would be summed into this one's figures: remove them."""
    from app.platform.metrics import prepare_multiprocess_dir

    prepare_multiprocess_dir(METRICS_DIR)


def child_exit(server, worker):  # noqa: ANN001 - gunicorn's hook signature
    """A worker gone (stopped, restarted, killed): its live gauges leave the sums; its
    counters and histograms stay summed, as Prometheus expects of counters."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, METRICS_DIR)


def post_worker_init(worker):  # noqa: ANN001 - gunicorn's hook signature
    """Chain gunicorn's SIGTERM/SIGINT/SIGQUIT handling with the end of open SSE streams."""
    import signal

    from app.oversight import stream

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        previous = signal.getsignal(signum)

        def handler(sig, frame, previous=previous):  # noqa: ANN001
            stream.SHUTDOWN.set()
            if callable(previous):
                previous(sig, frame)

        signal.signal(signum, handler)
