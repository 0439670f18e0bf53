"""HTTP only: one flask-smorest Blueprint per resource; parse, authorize, call a service, shape."""

from __future__ import annotations

from app.http.api import Api


def register_blueprints(api: Api) -> None:
    from blueprints import (
        admin,
        applications,
        appointments,
        attachments,
        auth,
        bundles,
        certificates,
        complaint_admin,
        complaints,
        delegations,
        delivery,
        directory,
        health,
        matters,
        me,
        notifications,
        payments,
        rectifications,
        staff,
        stats,
        supervision,
        verify,
    )

    for module in (
        health,
        auth,
        me,
        delegations,
        notifications,
        directory,
        admin,
        attachments,
        matters,
        certificates,
        verify,
        applications,
        staff,
        complaints,
        complaint_admin,
        supervision,
        stats,
        appointments,
        payments,
        delivery,
        rectifications,
        bundles,
    ):
        api.register_blueprint(module.blp)
