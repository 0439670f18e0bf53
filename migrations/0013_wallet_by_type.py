"""The wallet filtered by certificate type (and 'does this holder own a certificate of type T')."""

from pymongo import ASCENDING, DESCENDING


def upgrade(db):
    db.certificates.create_index(
        [("holder_id", ASCENDING), ("type", ASCENDING), ("_id", DESCENDING)],
        name="holder_type_newest",
    )


def downgrade(db):
    db.certificates.drop_index("holder_type_newest")
