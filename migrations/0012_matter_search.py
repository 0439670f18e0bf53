"""Indexes for the catalogue listing: filters by facet and name search, in code order."""

from pymongo import ASCENDING


def upgrade(db):
    # {current, facets: "region|category|audience|max_visits", code > cursor}
    db.matters.create_index(
        [("current", ASCENDING), ("facets", ASCENDING), ("code", ASCENDING)],
        name="current_facet_code",
    )
    # {current, search_keys: "<normalised name prefix>", code > cursor}
    db.matters.create_index(
        [("current", ASCENDING), ("search_keys", ASCENDING), ("code", ASCENDING)],
        name="current_search_code",
    )


def downgrade(db):
    db.matters.drop_index("current_facet_code")
    db.matters.drop_index("current_search_code")
