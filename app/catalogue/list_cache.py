"""Pages of the catalogue list, kept in memory per process and keyed by the catalogue's stamp.

The list is the most read page of the service and changes when an admin saves a service
item. Reading it costs the embedded server a fetch and sort of every current item that
matches (it never takes the order from the index, see app/pagination.py), while the stamp
is one document read by _id. So `GET /matters` reads the stamp and answers from the page it
read last under that stamp, with the same filters and cursor; the page is rendered per
request as before (names in the asked language, the ETag a digest of the body).

The stamp is a new ObjectId written by every catalogue write (repository.insert_first and
replace_current) right after it commits; a reader reads the stamp before the items, so a
page kept under a stamp is never older than the write that set it. A write made outside the
service (a migration, an operator's shell) changes no stamp: such pages are kept at most
`catalogue_max_age_seconds`, the age the list's `Cache-Control: public, max-age` already lets
any cache serve. No stamp document (a database nothing has written the catalogue of through
the service since migration 0082) means no caching."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from bson import ObjectId
from flask import current_app

from app.db import collection
from app.page_cache import PageCache
from app.pagination import Page

STAMP_ID = "matters"
_pages = PageCache()


def _coll() -> Any:
    return collection("catalogue_stamp")


def bump() -> None:
    """Every page kept so far is out of date (call after a catalogue write commits)."""
    _coll().update_one({"_id": STAMP_ID}, {"$set": {"stamp": ObjectId()}}, upsert=True)


def cached(args: Hashable, read: Callable[[], Page]) -> Page:
    """The page READ gives for ARGS, from memory when read under the current stamp."""
    doc = _coll().find_one({"_id": STAMP_ID})
    if doc is None:
        return read()
    max_age = current_app.extensions["settings"].catalogue_max_age_seconds
    return _pages.cached((doc["stamp"], args), max_age, read)
