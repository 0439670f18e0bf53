"""Client contract, Python side (issue 13, item 5): openapi-python-client (pinned in the dev
extra) generates a client from the live document, and the whole resident + staff scenario
runs with it against the app served over a real socket: an upload, a submission citing it
and a wallet certificate, acceptance, three departments' parallel reviews, completion, the
licence in the wallet, a rating, and a 422 and a 412 read as the generated Error model."""

from __future__ import annotations

import importlib
import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.applications.world import build_world
from tests.conftest import PASSWORD, drain
from tests.files import PDF

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "onevisit_client"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl": 3600}


@pytest.fixture
def generated(client, tmp_path: Path) -> Iterator[ModuleType]:
    """The client package generated from GET /api/v1/openapi.json, importable for the test."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/api/v1/openapi.json").get_json()))
    config = tmp_path / "generator.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: nothing outside the venv
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(spec), "--meta", "none"]
        + ["--output-path", str(tmp_path / PACKAGE), "--config", str(config), "--fail-on-warning"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def base_url(app) -> Iterator[str]:
    """The app on a real socket (werkzeug's threaded server), as the generated client needs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _part(module: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{module}")


def test_the_generated_python_client_runs_the_resident_and_staff_scenario(
    app, db, users, generated, base_url
):
    world = build_world(app, db, users)
    models = _part("models")
    login = _part("api.auth.login")
    upload = _part("api.attachments.upload_attachment")
    applications = {
        name: _part(f"api.applications.{name}")
        for name in (
            "submit_application",
            "accept_application",
            "decide_review",
            "complete_application",
            "rate_application",
            "get_application",
        )
    }
    list_certificates = _part("api.certificates.list_my_certificates")
    get_certificate = _part("api.certificates.get_my_certificate")
    File = _part("types").File

    def signed_in(phone: str) -> Any:
        anonymous = generated.Client(base_url=base_url, headers={"Accept-Language": "en"})
        tokens = login.sync(client=anonymous, body=models.Login(phone=phone, password=PASSWORD))
        assert isinstance(tokens, models.TokenPair), tokens
        return generated.AuthenticatedClient(
            base_url=base_url, token=tokens.access_token, headers={"Accept-Language": "en"}
        )

    resident = signed_in(world.applicant.user["phone"])
    staff = {who: signed_in(world.staff[who].user["phone"]) for who in ("amr_window", "amr_head")}
    staff.update({who: signed_in(world.staff[who].user["phone"]) for who in ("tax", "si")})

    # The resident uploads the articles, then submits citing the upload and the ID card.
    attachment = upload.sync(
        client=resident,
        body=models.Upload(
            file=File(
                payload=io.BytesIO(PDF), file_name="articles.pdf", mime_type="application/pdf"
            )
        ),
    )
    assert isinstance(attachment, models.Attachment), attachment
    body = world.body(
        materials=[
            {"key": "articles", "attachment_id": attachment.id},
            {"key": "legal_rep_id", "certificate_id": world.id_card},
        ]
    )
    created = applications["submit_application"].sync_detailed(
        client=resident, body=models.ApplicationCreate.from_dict(body)
    )
    assert created.status_code == 201 and isinstance(created.parsed, models.Application)
    case = created.parsed
    assert case.status == models.ApplicationStatus.SUBMITTED
    assert created.headers["ETag"] == f'"v{case.version}"'

    # A form that breaks the item's rules: 422, read as the typed Error with field errors.
    bad = dict(body, form={"company_name": "", "registered_capital": -1})
    refused = applications["submit_application"].sync_detailed(
        client=resident, body=models.ApplicationCreate.from_dict(bad)
    )
    assert refused.status_code == 422
    assert isinstance(refused.parsed, models.Error) and refused.parsed.code == 422
    assert refused.parsed.errors, refused.parsed

    stale = f'"v{case.version}"'
    case = applications["accept_application"].sync(
        case.id, client=staff["amr_window"], if_match=stale
    )
    assert isinstance(case, models.Application) and case.status.value == "in_review"

    # Acting on a version that is no longer current: 412, typed.
    late = applications["complete_application"].sync_detailed(
        case.id, client=staff["amr_window"], if_match=stale
    )
    assert late.status_code == 412
    assert isinstance(late.parsed, models.Error) and late.parsed.code == 412

    # Parallel reviews: TAX and SI (co-departments) and AMR (lead), each its own task.
    for who, department in (("tax", "TAX"), ("si", "SI"), ("amr_head", "AMR")):
        case = applications["decide_review"].sync(
            case.id,
            f"{department}-330100",
            client=staff[who],
            body=models.ReviewDecision.from_dict({"decision": "approve", "opinion": "OK"}),
            if_match=f'"v{case.version}"',
        )
        assert isinstance(case, models.Application), case
    assert {review.status.value for review in case.reviews} == {"approved"}
    assert case.status.value == "approved"

    case = applications["complete_application"].sync(
        case.id, client=staff["amr_window"], if_match=f'"v{case.version}"'
    )
    assert isinstance(case, models.Application) and case.status.value == "completed"
    drain(app)  # the worker's relay: the licence reaches the wallet

    page = list_certificates.sync(
        client=resident, type_=models.ListMyCertificatesType.BUSINESS_LICENCE
    )
    assert isinstance(page, models.CertificatePage), page
    assert len(page.items) == 1
    licence = get_certificate.sync_detailed(page.items[0].id, client=resident)
    assert licence.status_code == 200 and isinstance(licence.parsed, models.Certificate)
    assert licence.parsed.type_.value == "business_licence"

    rated = applications["rate_application"].sync(
        case.id,
        client=resident,
        body=models.Rating(score=5, comment="Done in one visit"),
        if_match=f'"v{case.version}"',
    )
    assert isinstance(rated, models.Application), rated
    again = applications["get_application"].sync(case.id, client=resident)
    assert isinstance(again, models.Application)
    assert isinstance(again.rating, models.RatingView) and again.rating.score == 5
