"""HTTP only: one flask-smorest Blueprint per resource; parse, authorize, call a service, shape."""

from __future__ import annotations

import importlib.util

from app.api import Api


def register_blueprints(api: Api) -> None:
    from blueprints import (
        admin,
        attachments,
        auth,
        certificates,
        complaint_admin,
        complaints,
        directory,
        health,
        matters,
        me,
    )

    for module in (
        health,
        auth,
        me,
        directory,
        admin,
        attachments,
        matters,
        certificates,
        complaints,
        complaint_admin,
    ):
        api.register_blueprint(module.blp)
    if importlib.util.find_spec("app.services.inbox") is None:
        # Until the applications feature brings the staff inbox, complaints serve their own
        # kind of it at the same path (blueprints/complaint_inbox.py).
        from blueprints import complaint_inbox

        api.register_blueprint(complaint_inbox.blp)
