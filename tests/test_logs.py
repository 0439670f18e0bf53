"""Log lines: JSON when stderr is not a terminal, a compact coloured line when it is, the same
fields in both, and ONEVISIT_LOG_FORMAT to force either."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys

import pytest

from app.config import ConfigError, Settings
from app.logs import ConsoleFormatter, JsonFormatter, configure_logging
from tests.conftest import TEST_KEYS

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal:
    """A real pseudo-terminal: what `make run` gives the processes it starts."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.stream = os.fdopen(slave, "w", buffering=1)

    def read(self) -> str:
        """What has been written so far (the terminal turns newlines into CR LF)."""
        self.stream.flush()
        os.set_blocking(self.master, False)
        chunks = []
        while True:
            try:
                data = os.read(self.master, 65536)
            except BlockingIOError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks).decode().replace("\r\n", "\n")

    def close(self) -> None:
        self.stream.close()
        os.close(self.master)


@pytest.fixture
def terminal():
    tty = Terminal()
    yield tty
    configure_logging("WARNING", "json", sys.stderr)  # no handler left on a closed terminal
    tty.close()


@pytest.fixture
def restore_logging():
    yield
    configure_logging("WARNING", "json", sys.stderr)


def signed_in_request(users) -> tuple[str, str]:
    """One request of a signed-in user, with a request id of our choosing."""
    resident = users.resident()
    response = resident.get("/api/v1/me", headers={"X-Request-ID": "train-42"})
    assert response.status_code == 200
    return resident.id, "train-42"


def test_logs_are_json_lines_when_stderr_is_not_a_terminal(users, restore_logging):
    out = io.StringIO()
    configure_logging("INFO", "auto", out)
    user_id, request_id = signed_in_request(users)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "onevisit.access"][-1]
    assert access["request_id"] == request_id and access["user_id"] == user_id
    assert (access["method"], access["path"], access["status"]) == ("GET", "/api/v1/me", 200)
    assert access["level"] == "INFO" and access["message"] == "GET /api/v1/me 200"
    assert isinstance(access["duration_ms"], float) and access["ts"].endswith("+00:00")
    assert access["remote_addr"] == "127.0.0.1"  # an extra, as any other


def test_logs_are_compact_and_coloured_on_a_terminal(users, terminal, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    configure_logging("INFO", "auto", terminal.stream)
    user_id, request_id = signed_in_request(users)
    output = terminal.read()
    assert "\x1b[" in output and not output.lstrip().startswith("{")
    line = [ANSI.sub("", raw) for raw in output.splitlines() if "/api/v1/me" in raw][-1]
    match = re.fullmatch(
        r"(\d\d:\d\d:\d\d\.\d{3}) INFO    access GET /api/v1/me 200 ([\d.]+)ms (.*)", line
    )
    assert match, line
    pairs = [tuple(pair.split("=", 1)) for pair in match.group(3).split(" ")]
    assert pairs == [("request_id", request_id), ("user_id", user_id), ("remote_addr", "127.0.0.1")]


def test_no_color_keeps_the_console_format_without_colours(users, terminal, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    configure_logging("INFO", "auto", terminal.stream)
    signed_in_request(users)
    output = terminal.read()
    assert "\x1b[" not in output and "access GET /api/v1/me 200" in output


def test_both_formats_carry_the_same_fields():
    try:
        raise ValueError("the database said no")
    except ValueError:
        record = logging.LogRecord(
            "onevisit.accounts",
            logging.WARNING,
            __file__,
            1,
            "refresh %s",
            ("reuse",),
            sys.exc_info(),
        )
    record.__dict__.update(request_id="r-1", user_id="u-1", family="f 1", revoked=3)
    as_json = json.loads(JsonFormatter().format(record))
    console = ConsoleFormatter(colour=False).format(record)
    first, *traceback = console.split("\n")
    assert first.split(" ", 1)[1] == (
        'WARNING accounts refresh reuse request_id=r-1 user_id=u-1 family="f 1" revoked=3'
    )
    assert as_json["ts"][11:23] == first.split(" ")[0]
    for key in ("request_id", "user_id", "family", "revoked", "message", "level"):
        assert key in as_json
    assert "ValueError: the database said no" in as_json["exc_info"]
    assert "ValueError: the database said no" in "\n".join(traceback)


@pytest.mark.parametrize(
    "forced, on_terminal, expect_json",
    [("json", True, True), ("console", False, False)],
    ids=["json-on-a-terminal", "console-into-a-pipe"],
)
def test_onevisit_log_format_overrides_the_terminal_check(
    monkeypatch, terminal, forced, on_terminal, expect_json
):
    monkeypatch.setenv("ONEVISIT_LOG_FORMAT", forced.upper())
    settings = Settings.from_env(env="test", jwt_keys=TEST_KEYS)
    assert settings.log_format == forced
    pipe = io.StringIO()
    configure_logging("INFO", settings.log_format, terminal.stream if on_terminal else pipe)
    logging.getLogger("onevisit.test").info("hello", extra={"region": "330100"})
    output = terminal.read() if on_terminal else pipe.getvalue()
    if expect_json:
        assert json.loads(output.strip().splitlines()[-1])["region"] == "330100"
    else:
        assert "\x1b[" not in output  # forced into a pipe: readable text, no escape codes
        assert re.search(r"\d\d:\d\d:\d\d\.\d{3} INFO    test hello region=330100$", output.strip())


def test_an_unknown_log_format_stops_start_up(monkeypatch):
    monkeypatch.setenv("ONEVISIT_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="ONEVISIT_LOG_FORMAT"):
        Settings.from_env(env="test", jwt_keys=TEST_KEYS)
