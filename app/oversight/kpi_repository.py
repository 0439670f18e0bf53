"""Reads and the rebuild's writes of the daily KPI counters (app.oversight.kpi increments them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pymongo import UpdateOne
from pymongo.client_session import ClientSession

from app.catalogue.regions import ancestors
from app.db import collection

FIELDS = {"department": 1, "region_path": 1, "m": 1}


def _coll():
    return collection("kpi_daily")


def for_region(region: str | None, first_day: str, last_day: str) -> Iterator[dict[str, Any]]:
    """Counters of every department in REGION (and below; all when None) for the day range:
    index region_day (or day_only)."""
    query: dict[str, Any] = {"day": {"$gte": first_day, "$lte": last_day}}
    if region:
        query["region_path"] = region
    return _coll().find(query, FIELDS)


def for_department(department: str, first_day: str, last_day: str) -> Iterator[dict[str, Any]]:
    return _coll().find(
        {"department": department, "day": {"$gte": first_day, "$lte": last_day}}, FIELDS
    )


def add(
    increments: list[tuple[str, str, str, str, dict[str, float]]], session: ClientSession
) -> None:
    """Add each (id, department, region, day, {"m.<metric>": n}) in one bulk write, creating
    the department-day's document when it is the first."""
    if not increments:
        return
    _coll().bulk_write(
        [
            UpdateOne(
                {"_id": counter_id},
                {
                    "$inc": inc,
                    "$setOnInsert": {
                        "department": department,
                        "region": region,
                        "region_path": ancestors(region),
                        "day": day,
                    },
                },
                upsert=True,
            )
            for counter_id, department, region, day, inc in increments
        ],
        ordered=False,
        session=session,
    )


def replace_all(docs: Iterable[dict[str, Any]]) -> int:
    """The rebuild: drop every counter and write the recomputed ones."""
    docs = list(docs)
    _coll().delete_many({})
    if docs:
        _coll().insert_many(docs, ordered=False)
    return len(docs)


def all_docs() -> list[dict[str, Any]]:
    return list(_coll().find({}))
