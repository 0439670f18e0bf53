"""GET /console/ (blueprints/console.py): the built page and its hashed assets, a
Content-Security-Policy that loads nothing from another host, outside the OpenAPI document,
and a clear 503 in the envelope where the console was not built."""

from __future__ import annotations

import re

import pytest

from blueprints import console
from tests.conftest import assert_envelope

built = pytest.mark.skipif(
    not (console.STATIC / "index.html").is_file(), reason="the console is not built: make console"
)


@built
def test_console_page_and_assets_are_served_with_a_same_origin_policy(client):
    page = client.get("/console/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp and "*" not in csp and "unsafe" not in csp
    assert page.headers["Cache-Control"] == "no-cache"
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(assets/[^"]+)"', html)
    assert {a.rsplit(".", 1)[1] for a in assets} == {"js", "css"}
    # Every reference of the page is to this origin (no CDN, no inline script).
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert "<script>" not in html
    for asset in assets:
        response = client.get(f"/console/{asset}")
        assert response.status_code == 200, asset
        assert "immutable" in response.headers["Cache-Control"]
        assert "Content-Security-Policy" in response.headers
    script = client.get(f"/console/{next(a for a in assets if a.endswith('.js'))}")
    # The bundle fetches no script or stylesheet from anywhere (the CSP would block it).
    remote_asset = rb"https?://(?!www\.w3\.org)[a-z0-9.-]+/[^\s\"']*\.(?:js|css)\b"
    assert not re.search(remote_asset, script.data)


def test_console_without_slash_redirects(client):
    response = client.get("/console")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/console/")


@built
def test_unknown_asset_is_a_404_in_the_envelope(client):
    assert_envelope(client.get("/console/assets/nope.js"), 404)
    assert_envelope(client.get("/console/assets/../index.html"), 404)


def test_console_is_not_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not [p for p in paths if p.startswith("/console")]


def test_an_unbuilt_console_answers_503_saying_how_to_build_it(client, monkeypatch, tmp_path):
    monkeypatch.setattr(console, "STATIC", tmp_path)
    body = assert_envelope(client.get("/console/"), 503)
    assert "make console" in body["message"]
    chinese = client.get("/console/", headers={"Accept-Language": "zh-CN"}).get_json()
    assert "make console" in chinese["message"] and chinese["message"] != body["message"]
