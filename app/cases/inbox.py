"""The staff inbox: what my department must act on, by kind. Each case type registers a
provider for its kinds (applications: `acceptance` and `review`; complaints: `complaints`;
rectifications: `rectification`; commitments to verify: `verification`),
so this module knows no case type and a kind without a provider is an empty page.

A provider is `provider(user, overdue, limit, cursor) -> Page` whose items are dicts in the
shape of `schemas.staff.InboxItemSchema` (kind, _id, tracking_no, status, title, department,
region, submitted_at, due_at, overdue, version, and optionally applicant/matter/task),
most urgent first, read through an index that covers its whole filter."""

from __future__ import annotations

from collections.abc import Callable

from app.accounts.auth import Principal
from app.pagination import Page

KINDS = ("acceptance", "review", "complaints", "rectification", "verification")
Provider = Callable[[Principal, bool | None, int, str | None], Page]
_providers: dict[str, Provider] = {}


def register_provider(kind: str, provider: Provider) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown inbox kind {kind!r}; add it to KINDS and API.md")
    _providers[kind] = provider


def page(user: Principal, kind: str, overdue: bool | None, limit: int, cursor: str | None) -> Page:
    provider = _providers.get(kind)
    if provider is None:
        return Page([], None)
    return provider(user, overdue, limit, cursor)
