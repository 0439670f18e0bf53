"""Daily KPI counters per department."""

from pymongo import ASCENDING

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "kpi_daily",
        {
            "bsonType": "object",
            "required": ["department", "region", "region_path", "day"],
            "properties": {
                "day": {"bsonType": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
                "m": {"bsonType": "object"},
            },
        },
    )
    db.kpi_daily.create_index([("region_path", ASCENDING), ("day", ASCENDING)], name="region_day")
    db.kpi_daily.create_index(
        [("department", ASCENDING), ("day", ASCENDING)], name="department_day"
    )


def downgrade(db):
    drop_collections(db, "kpi_daily")
