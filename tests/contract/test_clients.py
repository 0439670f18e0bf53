"""Client contract: the live OpenAPI document must give app teams a TypeScript client that
compiles under `tsc --strict` and must lint clean with Redocly (issue 13, item 5). The tools
are pinned in clients/typescript/package-lock.json and installed by `make test` (npm ci)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "clients" / "typescript"
BIN = TS / "node_modules" / ".bin"


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make clients` (npm ci in clients/typescript)")
    return str(path)


def _run(*args: str, cwd: Path = TS) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


@pytest.fixture
def documents(client, tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, url in (("openapi", "/api/v1/openapi.json"), ("open311", "/open311/v2/openapi.json")):
        response = client.get(url)
        assert response.status_code == 200, url
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(response.get_json()))
    return paths


def test_a_typescript_client_generated_from_the_live_document_compiles_strict(
    documents, tmp_path: Path
):
    work = tmp_path / "ts"
    shutil.copytree(TS / "src", work / "src", ignore=shutil.ignore_patterns("generated"))
    shutil.copy(TS / "tsconfig.json", work / "tsconfig.json")
    (work / "node_modules").symlink_to(TS / "node_modules")
    generated = work / "src" / "generated" / "onevisit.d.ts"
    _run(_tool("openapi-typescript"), str(documents["openapi"]), "-o", str(generated), cwd=work)
    assert "submitApplication" in generated.read_text()
    _run(_tool("tsc"), "--strict", "-p", str(work / "tsconfig.json"), cwd=work)


def test_the_typed_program_fails_to_compile_when_the_document_drops_a_field(
    documents, tmp_path: Path
):
    spec = json.loads(documents["openapi"].read_text())
    del spec["components"]["schemas"]["Application"]["properties"]["rating"]
    documents["openapi"].write_text(json.dumps(spec))
    work = tmp_path / "ts"
    shutil.copytree(TS / "src", work / "src", ignore=shutil.ignore_patterns("generated"))
    shutil.copy(TS / "tsconfig.json", work / "tsconfig.json")
    (work / "node_modules").symlink_to(TS / "node_modules")
    generated = work / "src" / "generated" / "onevisit.d.ts"
    _run(_tool("openapi-typescript"), str(documents["openapi"]), "-o", str(generated), cwd=work)
    result = subprocess.run(
        [_tool("tsc"), "--strict", "-p", str(work / "tsconfig.json")],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and "rating" in result.stdout


def test_redocly_lints_both_documents_with_no_errors(documents):
    result = _run(
        _tool("redocly"),
        "lint",
        "--config",
        str(TS / "redocly.yaml"),
        str(documents["openapi"]),
        str(documents["open311"]),
    )
    # Redocly exits non-zero on any error; warnings (the health probes' lack of 4xx) pass.
    assert "Your API descriptions are valid" in result.stdout + result.stderr
