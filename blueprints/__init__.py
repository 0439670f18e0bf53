"""HTTP only: one flask-smorest Blueprint per resource; parse, authorize, call a service, shape."""

from __future__ import annotations

from app.api import Api


def register_blueprints(api: Api) -> None:
    from blueprints import (
        admin,
        applications,
        attachments,
        auth,
        certificates,
        complaint_admin,
        complaints,
        directory,
        health,
        matters,
        me,
        staff,
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
        applications,
        staff,
        complaints,
        complaint_admin,
    ):
        api.register_blueprint(module.blp)
