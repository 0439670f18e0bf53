"""Logs: JSON lines, or a compact coloured line on a terminal, each with its request's id."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, Response, g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
access_log = logging.getLogger("onevisit.access")


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            user = g.get("user")
            if user is not None and not hasattr(record, "user_id"):
                record.user_id = user.id
        return True


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What a log line says, whatever its format: ts, level, logger, message, then the
    request's fields (request_id, user_id, method, path, status, duration_ms) and any extras."""
    entry: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
    }
    for key, value in record.__dict__.items():
        if key not in _STANDARD and not key.startswith("_"):
            entry[key] = value
    return entry


class JsonFormatter(logging.Formatter):
    """One JSON object per line: for production and CI, where machines read the logs."""

    def format(self, record: logging.LogRecord) -> str:
        entry = record_fields(record)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"
_LEVEL_COLOURS = {
    "DEBUG": "\x1b[2m",
    "INFO": "\x1b[32m",
    "WARNING": "\x1b[33m",
    "ERROR": "\x1b[31m",
    "CRITICAL": "\x1b[1;31m",
}
_STATUS_COLOURS = {2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m"}
# Shown in the line's own layout rather than as key=value.
_IDS = ("request_id", "user_id")
_INLINE = ("ts", "level", "logger", "message", "method", "path", "status", "duration_ms")


class ConsoleFormatter(logging.Formatter):
    """A compact line for a developer's terminal (`make run`), the same fields as the JSON:

        12:04:05.123 INFO    access GET /api/v1/me 200 9.1ms request_id=5f0c... user_id=66a1...

    The time is UTC (as the JSON's ts, so the two can be matched), the `onevisit.` prefix of
    the logger is dropped, and every other field follows as key=value, dimmed."""

    def __init__(self, colour: bool = False) -> None:
        super().__init__()
        self.colour = colour

    def _paint(self, text: str, code: str | None) -> str:
        return f"{code}{text}{_RESET}" if self.colour and code else text

    def format(self, record: logging.LogRecord) -> str:
        entry = record_fields(record)
        level = entry["level"]
        logger = entry["logger"].removeprefix("onevisit.")
        parts = [
            self._paint(entry["ts"][11:23], _DIM),
            self._paint(f"{level:<7}", _LEVEL_COLOURS.get(level)),
            self._paint(logger, _BOLD),
        ]
        if "method" in entry and "path" in entry and "status" in entry:
            status = entry["status"]
            colour = _STATUS_COLOURS.get(status // 100) if isinstance(status, int) else None
            parts += [str(entry["method"]), str(entry["path"]), self._paint(str(status), colour)]
            if entry.get("duration_ms") is not None:
                parts.append(f"{entry['duration_ms']}ms")
        else:
            parts.append(entry["message"])
        # The request's ids first: they are what a developer greps for.
        keys = sorted((k for k in entry if k not in _INLINE), key=lambda k: k not in _IDS)
        extras = [f"{k}={_console_value(entry[k])}" for k in keys]
        if extras:
            parts.append(self._paint(" ".join(extras), _DIM))
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _console_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    # A value with spaces or quotes is quoted, so key=value pairs stay readable.
    return (
        json.dumps(text, ensure_ascii=False) if not text or any(c in text for c in ' "=') else text
    )


LOG_FORMATS = ("auto", "json", "console")


def choose_format(log_format: str, stream: TextIO) -> str:
    """auto: a compact human format on a terminal, JSON lines everywhere else."""
    if log_format != "auto":
        return log_format
    isatty = getattr(stream, "isatty", None)
    try:
        return "console" if isatty is not None and isatty() else "json"
    except ValueError:  # a closed stream
        return "json"


def configure_logging(
    level: str = "INFO", log_format: str = "auto", stream: TextIO | None = None
) -> None:
    """Idempotent: the root logger gets exactly one handler on stderr (or STREAM), JSON lines
    or the console format as LOG_FORMAT (ONEVISIT_LOG_FORMAT) and the stream decide."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {LOG_FORMATS}, got {log_format!r}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_onevisit", False):
            root.removeHandler(handler)
    target = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(target)
    if choose_format(log_format, target) == "console":
        # Colour only for a terminal, and never when NO_COLOR is set (no-color.org).
        isatty = getattr(target, "isatty", None)
        colour = bool(isatty and isatty()) and not os.environ.get("NO_COLOR")
        handler.setFormatter(ConsoleFormatter(colour=colour))
    else:
        handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler._onevisit = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("pymongo").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_request_logging(app: Flask) -> None:
    @app.before_request
    def assign_request_id() -> None:
        # Per-request state never outlives its request, even where an app context is reused.
        g.pop("user", None)
        g.pop("user_document", None)
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def log_and_tag(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        started = g.get("started")
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                if started
                else None,
                "remote_addr": request.remote_addr,
            },
        )
        return response
