"""The service catalogue: versioned service items (matters), their definitions checked against
the departments and regions that exist, and the catalogue search residents use.

Search: the embedded database answers a query from an index only when every field of the
filter is an equality on the index's leading fields, plus at most one range/$in on the next
field (a regex is never indexed). So each version carries two precomputed key arrays:
  - `facets`: "region|category|audience|max_visits" with each part either the value or "*"
    (at most 2*2*3*2 = 24 keys), so any combination of those filters is ONE equality;
  - `search_keys`: normalised substrings of the names that start at a word boundary (every
    character of Chinese text), up to MAX_SEARCH_LENGTH characters, so `q` is one equality.
A region filter asks for the items of that region and of each region above it, one query per
level (at most three), merged in code order; `q` rides its own index and the other filters
are checked on its (few) matches.
"""

from __future__ import annotations

import heapq
import itertools
import unicodedata
from collections.abc import Iterator
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app import audit, clock, i18n
from app.accounts.auth import Principal
from app.catalogue import departments_repository as departments_repo
from app.catalogue import list_cache
from app.catalogue import regions_repository as regions_repo
from app.catalogue import repository as repo
from app.catalogue.regions import ancestors
from app.http.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from app.pagination import Page, decode_cursor, encode_cursor

CATEGORIES = (
    "birth",
    "schooling",
    "marriage",
    "employment",
    "medical",
    "pension",
    "funeral",
    "company",
    "real_estate",
    "exit_entry",
    "tax",
    "social_insurance",
    "household",
)
AUDIENCES = ("person", "enterprise")
DELIVERY_CHANNELS = ("electronic", "post", "counter")
TIME_UNITS = ("hours", "working_days")
MAX_SEARCH_LENGTH = 24
ANY = "*"
DEFINITION_FIELDS = (
    "code",
    "name",
    "description",
    "category",
    "audience",
    "region",
    "lead_department",
    "co_departments",
    "materials",
    "form",
    "time_limit",
    "max_visits",
    "fee",
    "delivery",
    "issues_certificate",
    "auto_approval",
)


# ---------------------------------------------------------------- search keys


def normalize(text: str) -> str:
    """Full-width to half-width, case-folded, whitespace collapsed: what both sides compare."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def search_keys(*names: str | None) -> list[str]:
    keys: set[str] = set()
    for name in names:
        text = normalize(name or "")
        for start, char in enumerate(text):
            previous = text[start - 1] if start else " "
            starts_word = not previous.isalnum() or _is_cjk(char) or _is_cjk(previous)
            if not (char.isalnum() and starts_word):
                continue
            for end in range(start + 1, min(len(text), start + MAX_SEARCH_LENGTH) + 1):
                keys.add(text[start:end].rstrip())
    return sorted(keys)


def search_term(q: str) -> str:
    return normalize(q)[:MAX_SEARCH_LENGTH].rstrip()


def facet_key(
    region: str | None, category: str | None, audience: str | None, max_visits: int | None
) -> str:
    parts = (region, category, audience, None if max_visits is None else str(max_visits))
    return "|".join(ANY if part is None else part for part in parts)


def facets(doc: dict[str, Any]) -> list[str]:
    return sorted(
        facet_key(region, category, audience, visits)
        for region, category, audience, visits in itertools.product(
            (doc["region"], None),
            (doc["category"], None),
            (*doc["audience"], None),
            (doc["max_visits"], None),
        )
    )


# ---------------------------------------------------------------- reading


def get_matter(code: str, version: int | None = None) -> dict[str, Any]:
    doc = repo.get_current(code) if version is None else repo.get_version(code, version)
    if doc is None:
        raise NotFound("No such service item." if version is None else "No such version.")
    return doc


def list_matters(
    *,
    q: str | None = None,
    category: str | None = None,
    audience: str | None = None,
    max_visits: int | None = None,
    region: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page:
    """Current service items in code order, filtered; see the module docstring for how.
    Kept per catalogue stamp (app.catalogue.list_cache)."""
    return list_cache.cached(
        (q, category, audience, max_visits, region, limit, cursor),
        lambda: _list_matters(q, category, audience, max_visits, region, limit, cursor),
    )


def _list_matters(
    q: str | None,
    category: str | None,
    audience: str | None,
    max_visits: int | None,
    region: str | None,
    limit: int,
    cursor: str | None,
) -> Page:
    regions: list[str | None] = list(ancestors(region)) if region else [None]
    wanted = [facet_key(r, category, audience, max_visits) for r in regions]
    after = decode_cursor(cursor, "code").value if cursor else None
    if q:
        term = search_term(q)
        streams = [repo.current_by_search_key(term, after)]
        candidates: Iterator[dict[str, Any]] = (
            doc for doc in streams[0] if any(key in doc["facets"] for key in wanted)
        )
    else:
        streams = [repo.current_by_facet(key, after, limit + 1) for key in wanted]
        candidates = heapq.merge(*streams, key=lambda d: d["code"])
    items = list(itertools.islice(candidates, limit + 1))
    for stream in streams:
        stream.close()
    has_more = len(items) > limit
    items = items[:limit]
    return Page(items, encode_cursor("code", items[-1]) if has_more else None)


# ---------------------------------------------------------------- writing


def _check_references(definition: dict[str, Any]) -> None:
    """Region exists; lead and co-departments exist, are government departments, and sit in
    the item's region or below it."""
    errors: dict[str, list[str]] = {}
    region = definition["region"]
    if regions_repo.get(region) is None:
        errors["region"] = [f"No region {region}."]
    codes = [definition["lead_department"], *definition.get("co_departments", [])]
    known = departments_repo.get_many(codes)
    for field, field_codes in (
        ("lead_department", codes[:1]),
        ("co_departments", codes[1:]),
    ):
        for code in field_codes:
            dept = known.get(code)
            if dept is None:
                problem = f"No department {code}."
            elif dept.get("kind", "government") != "government":
                problem = f"{code} is a {dept['kind']} organisation, not a government department."
            elif region not in dept.get("region_path", ()):
                problem = f"{code} is in region {dept['region']}, not in {region} or below it."
            else:
                continue
            errors.setdefault(field, []).append(problem)
    if errors:
        raise ValidationFailed("The service item refers to what does not exist.", errors=errors)


def _version_document(
    definition: dict[str, Any], version: int, actor: Principal | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        **{k: definition[k] for k in DEFINITION_FIELDS if k in definition},
        "version": version,
        "current": True,
        "region_path": ancestors(definition["region"]),
        "created_at": clock.now(),
        "created_by": actor.id if actor else None,
    }
    doc.setdefault("co_departments", [])
    doc["name"] = i18n.names(definition["name"], definition.get("name_zh"))
    doc["search_keys"] = search_keys(*doc["name"].values())
    doc["facets"] = facets(doc)
    return doc


def _definition(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in DEFINITION_FIELDS if k in doc}


def create_matter(definition: dict[str, Any], actor: Principal | None) -> dict[str, Any]:
    """Version 1 of a new service item; 409 when the code exists already."""
    _check_references(definition)
    doc = _version_document(definition, 1, actor)
    entry = audit.entry("matter.create", "matter", doc["code"], after={"version": 1, **definition})
    try:
        return repo.insert_first(doc, [entry])
    except DuplicateKeyError as exc:
        raise Conflict(
            "A service item with this code exists already; PUT a new version instead.",
            errors={"code": ["Already exists."]},
        ) from exc


def update_matter(
    code: str,
    definition: dict[str, Any],
    actor: Principal | None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Save DEFINITION as the next version of CODE; earlier versions stay readable and the
    applications submitted under them keep them."""
    if definition.get("code", code) != code:
        raise ValidationFailed(
            "The code in the body differs from the one in the path.",
            errors={"code": ["Must equal the code in the path (codes never change)."]},
        )
    current = get_matter(code)
    if expected_version is not None and expected_version != current["version"]:
        raise PreconditionFailed(
            f"The service item is at version {current['version']}, not {expected_version}."
        )
    definition = {**definition, "code": code}
    _check_references(definition)
    doc = _version_document(definition, current["version"] + 1, actor)
    before, after = _definition(current), _definition(doc)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    entry = audit.entry(
        "matter.update",
        "matter",
        code,
        before={"version": current["version"], **{k: before.get(k) for k in changed}},
        after={"version": doc["version"], **{k: after.get(k) for k in changed}},
    )
    try:
        swapped = repo.replace_current(current, doc, [entry])
    except DuplicateKeyError:
        swapped = False
    if not swapped:
        raise Conflict("The service item was changed meanwhile; reload it and try again.")
    return doc
