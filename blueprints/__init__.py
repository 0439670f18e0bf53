"""HTTP only: one flask-smorest Blueprint per resource; parse, authorize, call a service, shape."""

from __future__ import annotations

from app.api import Api


def register_blueprints(api: Api) -> None:
    from blueprints import (
        admin,
        attachments,
        auth,
        certificates,
        directory,
        health,
        matters,
        me,
        notifications,
        stats,
        supervision,
    )

    for module in (
        health,
        auth,
        me,
        notifications,
        directory,
        admin,
        attachments,
        matters,
        certificates,
        supervision,
        stats,
    ):
        api.register_blueprint(module.blp)
