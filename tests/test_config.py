"""Configuration: no secret defaults; development keys generated once and kept."""

import pytest

from app.accounts import tokens
from app.config import ConfigError, Settings


def test_production_without_database_or_keys_refuses_to_start(monkeypatch):
    monkeypatch.setenv("ONEVISIT_ENV", "production")
    monkeypatch.delenv("MONGO_URI", raising=False)
    monkeypatch.delenv("ONEVISIT_JWT_KEYS", raising=False)
    monkeypatch.delenv("ONEVISIT_JWT_KEYS_FILE", raising=False)
    with pytest.raises(ConfigError, match="MONGO_URI.*ONEVISIT_JWT_KEYS"):
        Settings.from_env()


def test_development_generates_a_key_once_and_reuses_it(tmp_path, monkeypatch):
    monkeypatch.delenv("ONEVISIT_JWT_KEYS", raising=False)
    monkeypatch.delenv("ONEVISIT_JWT_KEYS_FILE", raising=False)
    settings = Settings.from_env(env="development", data_dir=tmp_path)
    first = tokens.load_keys(settings)
    second = tokens.load_keys(settings)
    assert first == second and len(first[0].secret) >= 32
    key_file = tmp_path / "keys" / "jwt.json"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_malformed_numbers_and_rates_are_clear_errors(monkeypatch):
    monkeypatch.setenv("ONEVISIT_ACCESS_TOKEN_TTL", "soon")
    with pytest.raises(ConfigError, match="ONEVISIT_ACCESS_TOKEN_TTL"):
        Settings.from_env()
    monkeypatch.delenv("ONEVISIT_ACCESS_TOKEN_TTL")
    monkeypatch.setenv("ONEVISIT_LOGIN_LIMIT_PHONE", "lots")
    with pytest.raises(ConfigError, match="COUNT/SECONDS"):
        Settings.from_env()
