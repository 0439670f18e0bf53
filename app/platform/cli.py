"""Operator commands: `flask --app wsgi db upgrade|status|downgrade N`, `seed`, `bootstrap`,
`keys rotate`, `worker`, `kpi rebuild`, `inbox rebuild`."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.accounts import tokens
from app.db import get_db
from app.platform import migrate

db_cli = AppGroup("db", help="Database migrations.")
complaints_cli = AppGroup("complaints", help="Complaint handling jobs.")
keys_cli = AppGroup("keys", help="JWT signing keys.")
audit_cli = AppGroup("audit", help="The tamper-evident audit log.")
kpi_cli = AppGroup("kpi", help="KPI counters.")
inbox_cli = AppGroup("inbox", help="The staff inbox's copies of the cases it lists.")


@db_cli.command("upgrade")
@click.option("--to", "target", type=int, default=None, help="Stop at this migration number.")
def db_upgrade(target: int | None) -> None:
    """Apply pending migrations (idempotent, locked against concurrent runs)."""
    ran = migrate.upgrade(get_db(), target)
    click.echo("applied: " + (", ".join(ran) if ran else "nothing (up to date)"))


@db_cli.command("status")
def db_status() -> None:
    """List migrations and whether each is applied."""
    done = set(migrate.applied(get_db()))
    for migration in migrate.discover():
        click.echo(f"{'applied' if migration.id in done else 'pending'}  {migration.id}")


@db_cli.command("downgrade")
@click.argument("target", type=int)
def db_downgrade(target: int) -> None:
    """Revert migrations numbered above TARGET (0 reverts everything)."""
    undone = migrate.downgrade(get_db(), target)
    click.echo("reverted: " + (", ".join(undone) if undone else "nothing"))


@click.command("seed")
@click.option("--force", is_flag=True, help="Load even into a non-empty database.")
def seed_command(force: bool) -> None:
    """Load the demo data (only into an empty database unless --force)."""
    from app.seed import seed_demo

    click.echo("demo data loaded" if seed_demo(force) else "database not empty; nothing loaded")


def bootstrap(app: Flask, demo: bool) -> None:
    """What every start does: migrate, make sure the configured admin exists, demo data."""
    from app.accounts import service as accounts
    from app.seed import seed_demo

    with app.app_context():
        migrate.upgrade(get_db())
        settings = app.extensions["settings"]
        if demo:
            seed_demo()
        if settings.admin_phone and settings.admin_password:
            accounts.ensure_admin(settings.admin_phone, settings.admin_password)


@click.command("bootstrap")
@click.option("--demo/--no-demo", default=False, help="Load demo data into an empty database.")
def bootstrap_command(demo: bool) -> None:
    """Migrate, ensure the ONEVISIT_ADMIN_* account, optionally load demo data."""
    bootstrap(current_app._get_current_object(), demo)  # type: ignore[attr-defined]
    click.echo("bootstrap done")


@keys_cli.command("rotate")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Key-set file to rotate (default: ONEVISIT_JWT_KEYS_FILE or the dev file).",
)
@click.option(
    "--overlap-seconds",
    type=int,
    default=None,
    help="How long old keys keep verifying (default ONEVISIT_KEY_OVERLAP_SECONDS).",
)
def keys_rotate(path: str | None, overlap_seconds: int | None) -> None:
    """Add a new signing key; previous keys verify until the overlap ends, then stop."""
    settings = current_app.extensions["settings"]
    target = Path(path or settings.jwt_keys_file or tokens.dev_keys_file(settings))
    if settings.jwt_keys and not path:
        click.echo(
            "keys come from ONEVISIT_JWT_KEYS; rotate them in your secret store or pass --file",
            err=True,
        )
        sys.exit(2)
    keys = tokens.parse_keys(target.read_text(), str(target))
    overlap = timedelta(
        seconds=overlap_seconds if overlap_seconds is not None else settings.key_overlap_seconds
    )
    rotated = tokens.rotate_keys(keys, overlap)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(tokens.serialize_keys(rotated))
    tmp.chmod(0o600)
    tmp.replace(target)
    click.echo(
        json.dumps({"signing_kid": rotated[0].kid, "verifying": [k.kid for k in rotated[1:]]})
    )


@keys_cli.command("rotate-signing")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Ed25519 key-set file (default: ONEVISIT_SIGNING_KEYS_FILE or the dev file).",
)
def keys_rotate_signing(path: str | None) -> None:
    """Put a new Ed25519 signing key first (presentations, audit digests); the older keys stay
    in the set and published, so what they signed keeps verifying. Restart to load it."""
    from app import signing

    settings = current_app.extensions["settings"]
    if settings.signing_keys and not path:
        click.echo(
            "keys come from ONEVISIT_SIGNING_KEYS; rotate them in your secret store or pass --file",
            err=True,
        )
        sys.exit(2)
    target = Path(path or settings.signing_keys_file or signing.dev_keys_file(settings))
    rotated = signing.rotate(signing.parse(target.read_text(), str(target)))
    tmp = target.with_suffix(".tmp")
    tmp.write_text(signing.serialize(rotated.keys))
    tmp.chmod(0o600)
    tmp.replace(target)
    click.echo(
        json.dumps({"signing_kid": rotated.keys[0].kid, "verifying": [k.kid for k in rotated.keys]})
    )


@complaints_cli.command("auto-close")
@click.option("--batch", type=int, default=500, show_default=True, help="At most this many.")
def complaints_auto_close(batch: int) -> None:
    """Close resolutions their complainant left unconfirmed for the auto-close period."""
    from app import clock
    from app.complaints import service as complaints

    click.echo(f"auto-closed: {complaints.auto_close_due(clock.now(), batch)}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one pass of every step, then exit (tests, cron).")
def worker_command(once: bool) -> None:
    """Background work: push delivery, SLA sweeps, housekeeping (safe to run several)."""
    from app.platform.worker import Worker

    worker = Worker(current_app._get_current_object())  # type: ignore[attr-defined]
    if once:
        report = worker.run_once()
        click.echo(json.dumps(report.__dict__))
        return
    worker.install_signal_handlers()
    worker.run()


@kpi_cli.command("rebuild")
def kpi_rebuild() -> None:
    """Recompute every daily KPI counter from the applications and complaints."""
    from app.oversight import kpi_rebuild as rebuild

    click.echo(f"kpi counters rebuilt: {rebuild.rebuild()} department-days")


@inbox_cli.command("rebuild")
def inbox_rebuild() -> None:
    """Make every case's inbox copy anew from the cases (app/cases/inbox_items.py): after a
    restore, or when an inbox item shows new fields. Run it with the worker stopped: a copy
    the relay refreshes meanwhile may be overwritten by an older read, until the case's next
    write."""
    from app.cases import inbox_items

    click.echo(f"inbox copies rebuilt: {inbox_items.rebuild()} cases in a queue")


@audit_cli.command("verify")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Check records and digests from this UTC day on (default: everything).",
)
def audit_verify(since: Any) -> None:
    """Check every audit record's hash, its chain link, each chain's head and each signed daily
    digest; exit 0 when intact, 1 naming the first record (by id) that does not match."""
    from app import audit

    report = audit.verify(since.date() if since else None)
    click.echo(
        f"audit records: {report.records} in {report.chains} chains; signed days: {report.days}"
    )
    if report.intact:
        click.echo("intact")
        return
    first = report.first
    click.echo(f"TAMPERED: first mismatch at record {first}", err=True)
    for finding in sorted(report.findings, key=lambda f: f.record_id)[1:20]:
        click.echo(f"  also: {finding}", err=True)
    raise SystemExit(1)


@audit_cli.command("seal")
def audit_seal() -> None:
    """Sign the digests of finished days now (the worker does it hourly)."""
    from app import audit

    click.echo(f"days sealed: {audit.seal_days()}")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(complaints_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(bootstrap_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(kpi_cli)
    app.cli.add_command(inbox_cli)
    app.cli.add_command(audit_cli)
    from app.payments.cli import payments_cli

    app.cli.add_command(payments_cli)
