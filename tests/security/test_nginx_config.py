"""deploy/nginx.conf, the compose stack's proxy: valid for nginx itself (skipped where nginx is
not installed), and run outside compose with only compose's names changed."""

from __future__ import annotations

import difflib

import pytest

from bench import nginx_stack


def test_the_shipped_nginx_config_passes_nginx_t(tmp_path_factory):
    binary = nginx_stack.nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    prefix = tmp_path_factory.mktemp("nginx")
    result = nginx_stack.check_config(binary, prefix)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_running_it_outside_compose_changes_only_the_listen_upstream_and_temp_paths(tmp_path):
    shipped = nginx_stack.NGINX_CONF.read_text().splitlines()
    rendered = nginx_stack.render_config(18080, "127.0.0.1:18000", tmp_path).splitlines()
    changed = [
        line[0] + line[1:].strip()
        for line in difflib.unified_diff(shipped, rendered, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert sorted(c for c in changed if "_temp_path" not in c) == sorted(
        [
            "+listen 127.0.0.1:18080;",
            "+server 127.0.0.1:18000;",
            "-listen 8080;",
            "-server api:8000;",
        ]
    )
    assert len([c for c in changed if "_temp_path" in c]) == 5
    assert all(str(tmp_path) in c for c in changed if "_temp_path" in c)
