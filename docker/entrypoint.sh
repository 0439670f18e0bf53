#!/bin/sh
# Container start: migrate (locked, idempotent: safe with several replicas starting at once),
# make sure ONEVISIT_ADMIN_* exists when set, then hand the process over to gunicorn.
set -e
flask --app wsgi bootstrap --no-demo
exec gunicorn wsgi:app -c app/platform/gunicorn_conf.py --bind "0.0.0.0:${PORT:-8000}" "$@"
