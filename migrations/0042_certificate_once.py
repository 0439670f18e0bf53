"""A completed case's certificate is issued exactly once, even if the request that completed
the case dies before issuing it: the completion marks the case `certificate_pending` in the
same compare-and-set write, the worker issues what a request left pending, and a case's
certificate is unique by its source (so the request and the worker cannot both issue one)."""


def upgrade(db):
    db.certificates.create_index("source.id", unique=True, sparse=True, name="one_per_source")
    db.applications.create_index("certificate_pending", sparse=True, name="certificate_pending")


def downgrade(db):
    db.certificates.drop_index("one_per_source")
    db.applications.drop_index("certificate_pending")
