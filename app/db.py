"""The one MongoClient of a process (created unconnected, fork-safe) and access to its database."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database


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
