"""The catalogue's stamp (app/catalogue/list_cache.py): pages of the catalogue list are kept
per stamp, which every catalogue write renews."""

from bson import ObjectId


def upgrade(db):
    db.catalogue_stamp.update_one(
        {"_id": "matters"}, {"$setOnInsert": {"stamp": ObjectId()}}, upsert=True
    )


def downgrade(db):
    db.catalogue_stamp.drop()
