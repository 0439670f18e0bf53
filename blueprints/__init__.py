"""HTTP only: one flask-smorest Blueprint per resource; parse, authorize, call a service, shape."""

from __future__ import annotations

from app.api import Api


def register_blueprints(api: Api) -> None:
    from blueprints import (
        admin,
        attachments,
        auth,
        complaint_admin,
        complaints,
        directory,
        health,
        me,
    )

    for module in (
        health,
        auth,
        me,
        directory,
        admin,
        attachments,
        complaints,
        complaint_admin,
    ):
        api.register_blueprint(module.blp)
