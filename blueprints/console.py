"""The supervision console (API.md "Console and operations"): a static web page at
/console/ for supervisors, built from console/ by `make console` into app/console_static/.
It talks only to /api/v1 (sign-in, the feed and its SSE stream, /stats/*), so it is not part
of the OpenAPI document, and its Content-Security-Policy loads nothing from another host.

Who may call: anyone may load the page; everything it shows comes from API calls made with
the supervisor's own access token (the API decides what they may read)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, abort, send_from_directory

from app.http.errors import ServiceUnavailable
from app.i18n import N_

STATIC = Path(__file__).resolve().parent.parent / "app" / "console_static"

# Only this origin: scripts, styles, images, fonts and API calls (connect-src covers the SSE
# stream read with fetch); no inline script or style, no framing, no form posts elsewhere.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

bp = Blueprint("console", __name__, url_prefix="/console")


def _secure(response: Response, cache: str) -> Response:
    response.headers.update(HEADERS)
    response.headers["Cache-Control"] = cache
    return response


def _built() -> None:
    if not (STATIC / "index.html").is_file():
        raise ServiceUnavailable(N_("The console is not built; run `make console`."))


@bp.get("/")
def index():
    _built()
    # The page names its assets by content hash: the page itself is always revalidated.
    return _secure(send_from_directory(STATIC, "index.html", max_age=0), "no-cache")


@bp.get("/assets/<path:filename>")
def assets(filename: str):
    _built()
    if not (STATIC / "assets" / filename).is_file():
        abort(404)
    response = send_from_directory(STATIC / "assets", filename, max_age=31536000)
    return _secure(response, "public, max-age=31536000, immutable")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
