"""User accounts and their push-device tokens."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from app import clock
from app.db import collection
from app.pagination import Page, paginate


def _coll():
    return collection("users")


def insert(doc: dict[str, Any]) -> ObjectId:
    return _coll().insert_one(doc).inserted_id


def get(user_id: ObjectId) -> dict[str, Any] | None:
    return _coll().find_one({"_id": user_id})


def find_by_phone(phone: str) -> dict[str, Any] | None:
    return _coll().find_one({"phone": phone})


def update(user_id: ObjectId, changes: dict[str, Any]) -> dict[str, Any] | None:
    changes = {**changes, "updated_at": clock.now()}
    _coll().update_one({"_id": user_id}, {"$set": changes})
    return get(user_id)


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
