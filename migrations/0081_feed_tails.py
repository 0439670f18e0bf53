"""Feed tails (app/oversight/feed_tails.py): per region, where its oldest supervision event
lies, for the events that exist already (the relay keeps them from now on)."""


def upgrade(db):
    oldest = db.supervision_events.aggregate(
        [
            {"$project": {"region_path": 1}},
            {"$unwind": "$region_path"},
            {"$group": {"_id": "$region_path", "first": {"$min": "$_id"}}},
        ]
    )
    for row in oldest:
        db.feed_tails.update_one(
            {"_id": row["_id"]}, {"$min": {"at": row["first"].generation_time}}, upsert=True
        )


def downgrade(db):
    db.feed_tails.drop()
