"""gunicorn settings for `make run`, the Dockerfile and production (flags override them)."""

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("ONEVISIT_WORKERS", "2"))
# Threads: a worker keeps serving while one of its requests waits on the database.
worker_class = "gthread"
threads = int(os.environ.get("ONEVISIT_THREADS", "8"))
timeout = 60
graceful_timeout = 20
keepalive = 5
# Requests are logged by the application itself (JSON, with request ids).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ONEVISIT_LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
