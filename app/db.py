"""The one MongoClient of a process (created unconnected, fork-safe), access to its database,
the count of the database commands a unit of work makes (a request, a bench probe), and the
one range a time that has come is read with (`due_by`)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from pymongo import MongoClient, monitoring
from pymongo.collection import Collection
from pymongo.database import Database

# Every stored time is later. A range on a time field that may hold null is bounded below by
# it: the embedded server walks such an index from its first entry up to the range's upper
# bound, every null (which sorts first) included, where MongoDB bounds it to dates by type.
# With 70 k closed applications (overdue_at null) the SLA sweep's bare `$lte` took 29 s.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def due_by(at: datetime) -> dict[str, datetime]:
    """The range of the times that have come by AT (EPOCH <= t <= AT; never a null)."""
    return {"$gte": EPOCH, "$lte": at}


# Commands a driver issues on its own (topology monitoring, session clean-up), not for the work.
_HOUSEKEEPING_COMMANDS = frozenset({"isMaster", "ismaster", "hello", "ping", "endSessions"})


@dataclass
class CommandTally:
    """The database commands (round trips) made while it is the current tally; by_command
    ("find applications": n) only when asked for (the bench's probes), the commands
    themselves (`sent`, each with its `name`) only when asked for (tests), the total always."""

    total: int = 0
    by_command: Counter[str] | None = None
    writes: int = 0
    sent: list[dict[str, Any]] | None = None


WRITE_COMMANDS = frozenset({"insert", "update", "delete", "findAndModify", "commitTransaction"})
_CURRENT_TALLY: ContextVar[CommandTally | None] = ContextVar("onevisit_tally", default=None)


class CommandCounter(monitoring.CommandListener):
    """Counts into the tally of the thread's (or task's) current unit of work, if any. pymongo's
    synchronous API calls `started` in the thread that issues the command, so a request
    counts its own commands and nobody else's."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        tally = _CURRENT_TALLY.get()
        if tally is None or event.command_name in _HOUSEKEEPING_COMMANDS:
            return
        tally.total += 1
        if event.command_name in WRITE_COMMANDS:
            tally.writes += 1
        if tally.by_command is not None:
            target = event.command.get(event.command_name)
            tally.by_command[f"{event.command_name} {target}"] += 1
        if tally.sent is not None:
            tally.sent.append({"name": event.command_name, **event.command})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


COMMAND_COUNTER = CommandCounter()


def start_tally(detailed: bool = False, keep_commands: bool = False) -> CommandTally:
    """Make a fresh tally current for this thread (the request hook: app/platform/metrics.py)."""
    tally = CommandTally(
        by_command=Counter() if detailed else None, sent=[] if keep_commands else None
    )
    _CURRENT_TALLY.set(tally)
    return tally


def current_tally() -> CommandTally | None:
    return _CURRENT_TALLY.get()


def stop_tally() -> None:
    _CURRENT_TALLY.set(None)


@contextlib.contextmanager
def counting_commands(detailed: bool = True, keep_commands: bool = False) -> Iterator[CommandTally]:
    """The commands the block makes through the application's clients (with KEEP_COMMANDS,
    each command as sent)."""
    previous = _CURRENT_TALLY.get()
    tally = start_tally(detailed, keep_commands)
    try:
        yield tally
    finally:
        _CURRENT_TALLY.set(previous)


class Mongo:
    """Flask extension: one client per process, created in init_app, never per request."""

    def __init__(self) -> None:
        self._clients: dict[str, MongoClient[Any]] = {}

    def init_app(self, app: Flask, uri: str, db_name: str, timeout_ms: int) -> None:
        key = f"{uri}|{timeout_ms}"
        client = self._clients.get(key)
        if client is None:
            # connect=False: gunicorn forks after create_app; each worker connects on first use.
            client = MongoClient(
                uri,
                connect=False,
                tz_aware=True,
                serverSelectionTimeoutMS=timeout_ms,
                connectTimeoutMS=timeout_ms,
                socketTimeoutMS=max(timeout_ms * 6, 30000),
                retryWrites=True,
                appname="onevisit",
                event_listeners=[COMMAND_COUNTER],
            )
            self._clients[key] = client
        app.extensions["mongo"] = (client, db_name)

    def close_all(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


mongo = Mongo()


def get_db(app: Flask | None = None) -> Database[Any]:
    client, name = (app or current_app).extensions["mongo"]
    return client[name]


def get_client(app: Flask | None = None) -> MongoClient[Any]:
    return (app or current_app).extensions["mongo"][0]


def collection(name: str) -> Collection[Any]:
    return get_db()[name]
