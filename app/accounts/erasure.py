"""A closed account's personal data (PIPL; API.md "Personal data"): `DELETE /me` removes the
account and its tokens at once, in one transaction with the closure record; the closure
record's outbox entry `account_erasure` then anonymises, in the relay's transaction, what the
law makes us keep (applications, bundle applications, appointments, complaints, issued
certificates: the person's name, phone and ID number replaced) and removes what nothing
requires (the notification inbox, delegations and dependants)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app import clock, outbox

# What a closed account's name reads as wherever a case keeps it.
ERASED_NAME = "已注销用户"


def entry(user_id: ObjectId, phone: str | None) -> dict[str, Any]:
    """The outbox entry that erases USER_ID's personal data from the records that stay (PHONE:
    to find the grants made to it; the entry leaves the outbox once applied)."""
    return outbox.entry("account_erasure", user_id=user_id, phone=phone)


@outbox.applier("account_erasure")
def _apply(pending: list[outbox.Pending], session: ClientSession) -> None:
    from app.accounts import delegations_repository as delegations_repo
    from app.applications import repository as applications_repo
    from app.appointments import repository as appointments_repo
    from app.bundles import repository as bundles_repo
    from app.complaints import repository as complaints_repo
    from app.messaging import repository as notifications_repo
    from app.wallet import repository as wallet_repo

    now = clock.now()
    for item in pending:
        user_id = item.entry["user_id"]
        applications_repo.anonymise_applicant(user_id, ERASED_NAME, now, session)
        appointments_repo.anonymise_owner(user_id, ERASED_NAME, now, session)
        bundles_repo.anonymise_applicant(user_id, ERASED_NAME, now, session)
        complaints_repo.anonymise_complainant(user_id, ERASED_NAME, now, session)
        wallet_repo.anonymise_holder(user_id, ERASED_NAME, now, session)
        notifications_repo.delete_for_user(user_id, session)
        delegations_repo.erase_for(user_id, item.entry.get("phone"), session)
