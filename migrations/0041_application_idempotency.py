"""Applications remember the Idempotency-Key that created them (unique, sparse): a request
rerun after a crash between its insert and its stored reply finds its first application
instead of creating a second one (`make fault` kills the database to prove it)."""


def upgrade(db):
    db.applications.create_index(
        "idempotency_key", unique=True, sparse=True, name="created_by_idempotency_key"
    )


def downgrade(db):
    db.applications.drop_index("created_by_idempotency_key")
