"""Numbered migrations: NNNN_name.py modules with upgrade(db) and downgrade(db)."""
