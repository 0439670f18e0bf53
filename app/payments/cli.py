"""`flask --app wsgi payments reconcile --date YYYY-MM-DD`: the day's payments and refunds,
totals in fen, and every difference between our records and the provider's (JSON on stdout;
exit 1 when there is a mismatch, so a cron job's failure mail names the day)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from flask.cli import AppGroup

from app.cases.workcalendar import CHINA_TZ

payments_cli = AppGroup("payments", help="Fees and online payments.")


@payments_cli.command("reconcile")
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The China-local day to reconcile.",
)
def reconcile(day: Any) -> None:
    """Report one day's payments and refunds against the providers' records."""
    from app.payments import service

    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)
    report = service.reconcile(start)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    if report["mismatches"]:
        raise SystemExit(1)
