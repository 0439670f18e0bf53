# OneVisit API image: slim, non-root, health-checked; migrates on start, then serves with
# gunicorn. Production points MONGO_URI at a MongoDB replica set (see docker-compose.yml);
# the embedded development database is not installed in this image.
# The supervision console (/console/): built from console/ with the versions pinned in its
# package-lock.json; only the built page and assets go into the image (no Node at run time).
FROM node:20-slim AS console
WORKDIR /build/console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY console/build.mjs ./
COPY console/src ./src
RUN npm run --silent build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ONEVISIT_ENV=production \
    PORT=8000

WORKDIR /srv/onevisit

# Dependencies first (their layer is reused while only the code changes): exactly the pinned
# runtime dependencies of pyproject.toml, constrained by the lock file.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -c constraints.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY wsgi.py ./
COPY app ./app
COPY --from=console /build/app/console_static ./app/console_static
COPY schemas ./schemas
COPY blueprints ./blueprints
COPY migrations ./migrations
COPY docker/entrypoint.sh /usr/local/bin/onevisit-entrypoint

RUN useradd --system --uid 10001 --home-dir /srv/onevisit onevisit \
 && mkdir -p /srv/onevisit/var && chown onevisit /srv/onevisit/var
USER onevisit

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD python -c "import os,sys,urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT','8000'), timeout=2).status == 200 else 1)"

ENTRYPOINT ["onevisit-entrypoint"]
