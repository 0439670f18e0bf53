"""User accounts and their push-device tokens."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app import clock, outbox, store
from app.db import collection
from app.pagination import Page, paginate


def _coll():
    return collection("users")


outbox.carried_by("users")


def insert(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A new account with its audit record (a retry of its registration gets the first)."""
    return store.insert(_coll(), doc, entries)


def devices_of(
    user_ids: set[ObjectId], session: ClientSession | None = None
) -> dict[ObjectId, list[dict[str, Any]]]:
    """The registered push devices of each of USER_IDS that has any."""
    found = _coll().find(
        {"_id": {"$in": list(user_ids)}},  # one index range: an added filter would scan
        {"devices": 1},
        session=session,
    )
    return {doc["_id"]: doc["devices"] for doc in found if doc.get("devices")}


def get(user_id: ObjectId) -> dict[str, Any] | None:
    return _coll().find_one({"_id": user_id})


def find_by_phone(phone: str) -> dict[str, Any] | None:
    return _coll().find_one({"phone": phone})


def queue(
    user_id: ObjectId, entries: list[dict[str, Any]], session: ClientSession | None = None
) -> None:
    """Queue ENTRIES in the account's outbox (the audit record of a change made elsewhere in
    the same transaction)."""
    store.update(_coll(), {"_id": user_id}, {}, entries, session)


def update(
    user_id: ObjectId,
    changes: dict[str, Any],
    entries: list[dict[str, Any]],
    session: ClientSession | None = None,
    expected_version: int | None = None,
) -> dict[str, Any] | None:
    """A profile change: bumps the profile's version (its ETag; accounts no change has touched
    yet are version 0). With EXPECTED_VERSION a compare-and-set: None when it is not current."""
    changes = {**changes, "updated_at": clock.now()}
    filter_: dict[str, Any] = {"_id": user_id}
    if expected_version:
        filter_["version"] = expected_version
    elif expected_version == 0:
        filter_["$or"] = [{"version": 0}, {"version": {"$exists": False}}]
    update_ = {"$set": changes, "$inc": {"version": 1}}
    if (
        not store.update(_coll(), filter_, update_, entries, session)
        and expected_version is not None
    ):
        return None
    return _coll().find_one({"_id": user_id}, session=session)


def set_password_hash(user_id: ObjectId, password_hash: str) -> None:
    _coll().update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})


def add_device(user_id: ObjectId, platform: str, token: str) -> None:
    now = clock.now()
    coll = _coll()
    # A device token belongs to the phone, not the account: the last user to sign in owns it.
    coll.update_many(
        {"devices.token": token, "_id": {"$ne": user_id}}, {"$pull": {"devices": {"token": token}}}
    )
    result = coll.update_one(
        {"_id": user_id, "devices.token": token},
        {"$set": {"devices.$.platform": platform, "devices.$.updated_at": now}},
    )
    if result.matched_count == 0:
        coll.update_one(
            {"_id": user_id},
            {
                "$push": {
                    "devices": {
                        "platform": platform,
                        "token": token,
                        "created_at": now,
                        "updated_at": now,
                    }
                }
            },
        )


def remove_device(user_id: ObjectId, token: str) -> bool:
    result = _coll().update_one(
        {"_id": user_id, "devices.token": token}, {"$pull": {"devices": {"token": token}}}
    )
    return result.modified_count == 1


def remove_device_everywhere(token: str) -> int:
    return (
        _coll()
        .update_many({"devices.token": token}, {"$pull": {"devices": {"token": token}}})
        .modified_count
    )


def page(role: str | None, department: str | None, limit: int, cursor: str | None) -> Page:
    query: dict[str, Any] = {}
    if role:
        query["role"] = role
    if department:
        query["department"] = department
    return paginate(_coll(), query, limit=limit, cursor=cursor)


def staff_of_department(department: str, duty: str | None = None) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"department": department, "role": "staff"}
    if duty:
        query["duties"] = duty
    return list(_coll().find(query))


def count() -> int:
    return _coll().estimated_document_count()


def delete(user_id: ObjectId, session: ClientSession) -> bool:
    """Remove an account (DELETE /me): its sign-in, profile and devices go with it."""
    return _coll().delete_one({"_id": user_id}, session=session).deleted_count == 1


outbox.carried_by("account_closures")


def record_closure(
    user_id: ObjectId, at: Any, entries: list[dict[str, Any]], session: ClientSession
) -> None:
    """The record that USER_ID closed their account, carrying the entries that anonymise
    their cases and audit the closure (an upsert: a retried closure records once)."""
    store.update(
        collection("account_closures"),
        {"_id": user_id},
        {"$setOnInsert": {"closed_at": at}},
        entries,
        session,
        upsert=True,
    )


def staff_query(selector: dict[str, Any]) -> dict[str, Any]:
    """The filter of the staff one audience selector of app.messaging.work_rules names (a
    department's staff with a duty, a region's window staff, or one person). Indexes
    department_role(_duty), region_role_duty, _id. Disabled accounts are left out by
    staff_for, not here: an unindexed field in the filter makes the embedded server scan."""
    query: dict[str, Any] = {"role": "staff"}
    if "user" in selector:
        query["_id"] = ObjectId(selector["user"])
    elif "department" in selector:
        query["department"] = selector["department"]
    else:
        query["region"] = selector["region"]
    if selector.get("duties"):
        query["duties"] = {"$in": list(selector["duties"])}
    return query


def staff_for(
    selector: dict[str, Any], session: ClientSession | None = None
) -> list[dict[str, Any]]:
    """The enabled staff accounts SELECTOR names, with their notification settings."""
    projection = {"_id": 1, "staff_notifications": 1, "disabled": 1}
    found = _coll().find(staff_query(selector), projection, session=session)
    return [doc for doc in found if not doc.get("disabled")]


def notification_settings(
    user_ids: list[ObjectId], session: ClientSession | None = None
) -> dict[ObjectId, dict[str, Any]]:
    """Each of USER_IDS' account as far as its notification settings go."""
    found = _coll().find(
        {"_id": {"$in": user_ids}}, {"role": 1, "staff_notifications": 1}, session=session
    )
    return {doc["_id"]: doc for doc in found}


def record_no_show(
    user_id: ObjectId, appointment_id: ObjectId, at: Any, session: ClientSession
) -> None:
    """Put a missed appointment on the person's record (once per appointment)."""
    _coll().update_one(
        {"_id": user_id, "no_shows.appointment_id": {"$ne": appointment_id}},
        {
            "$push": {"no_shows": {"appointment_id": appointment_id, "at": at}},
            "$inc": {"no_show_count": 1},
        },
        session=session,
    )
