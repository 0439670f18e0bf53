"""OneVisit application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Settings
from app.db import mongo
from app.logs import configure_logging, init_request_logging

API_TITLE = "OneVisit API"
API_VERSION = "1.0.0"


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or Settings.from_env(**overrides)
    configure_logging(settings.log_level, settings.log_format)

    app = Flask(__name__)
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/static/",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        TESTING=settings.env == "test",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # An empty path segment (`/events//ack`) is a 404 in the envelope, not a 308 redirect to a
    # merged path that an API client would follow with another method's semantics.
    app.url_map.merge_slashes = False
    app.extensions["settings"] = settings
    if settings.trusted_proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
        )

    uri = settings.mongo_uri
    if not uri:
        from app.platform import embedded

        uri = embedded.ensure_running(settings.data_dir)
    mongo.init_app(app, uri, settings.db_name, settings.mongo_timeout_ms)

    from app.accounts import tokens

    app.extensions["tokens"] = tokens.TokenService(tokens.load_keys(settings), settings)

    from app import signing

    app.extensions["signing_keys"] = signing.load(settings)

    from app.http import docs
    from app.http.api import Api, check_media_type
    from app.http.bodies import check_json_depth
    from app.http.errors import register_error_handlers

    init_request_logging(app)
    from app.platform import metrics

    metrics.init_app(app)
    app.before_request(check_media_type)
    app.before_request(check_json_depth)
    from app.privacy import cache_rule

    app.after_request(cache_rule)
    from app import i18n

    i18n.init_app(app)
    api = Api(app, spec_kwargs={"info": docs.INFO, "servers": [{"url": "/"}]})
    register_error_handlers(app)
    docs.init_app(app)

    from app import outbox
    from app.cases import calendar

    calendar.init_app(app)
    # The relay's lag: how long the oldest queued side effect has waited (never fails readiness).
    app.extensions["readiness_details"]["outbox"] = outbox.backlog

    from blueprints import register_blueprints

    register_blueprints(api)
    app.extensions["api"] = api

    from blueprints import open311  # GeoReport v2: outside /api/v1 and its OpenAPI document

    open311.init_app(app)
    from blueprints import console  # a web page (not an API operation): /console/

    console.init_app(app)

    from app.platform import cli

    cli.init_app(app)
    return app
