"""Feed stamps (app/oversight/feed_tails.py): every region's tail gets the stamp its feed pages
are kept under; the relay renews it from now on. One stamp for all is enough: a stamp only
has to change when its region's feed does."""

from bson import ObjectId


def upgrade(db):
    db.feed_tails.update_many({"stamp": {"$exists": False}}, {"$set": {"stamp": ObjectId()}})


def downgrade(db):
    db.feed_tails.update_many({}, {"$unset": {"stamp": ""}})
