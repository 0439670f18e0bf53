"""Fixtures of the console's browser tests: the app served on a real port (a threaded
werkzeug server over the test app and its database), Debian's Chromium driven by Playwright
through `executable_path` (never `playwright install`), and a sign-in helper. Every test here
skips, saying why, where no Chromium is installed or the console is not built."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from blueprints.console import STATIC
from tests.conftest import PASSWORD

try:
    from playwright import sync_api as playwright_api
except ImportError:  # pragma: no cover - the dev extra pins it
    playwright_api = None

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM = os.environ.get("ONEVISIT_CHROMIUM") or next(
    (path for path in map(shutil.which, CANDIDATES) if path), None
)
if CHROMIUM and not os.access(CHROMIUM, os.X_OK):
    CHROMIUM = None
SKIPS = [
    pytest.mark.skipif(playwright_api is None, reason="playwright is not installed"),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium on this machine (apt-get install chromium, or set ONEVISIT_CHROMIUM)",
    ),
    pytest.mark.skipif(
        not (STATIC / "index.html").is_file(), reason="the console is not built: make console"
    ),
]


def sign_in(page, url: str, phone: str) -> None:
    page.goto(f"{url}/console/")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#live-status[data-status=live]", timeout=10_000)


@pytest.fixture
def settings_overrides():
    # One process: no settle delay; short polls so an event shows within a fraction of a second;
    # streams end soon so the server thread can stop.
    return {
        "sse_settle_seconds": 0,
        "sse_poll_seconds": 0.1,
        "sse_heartbeat_seconds": 1,
        "sse_max_lifetime_seconds": 20,
    }


@pytest.fixture
def live_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser() -> Iterator[Any]:
    assert playwright_api is not None
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()
