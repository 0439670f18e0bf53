"""The background worker (`flask --app wsgi worker`): push delivery from the outbox, SLA
sweeps, notifications for supervision events, closing unconfirmed complaint resolutions,
certificates a completing request left unissued, housekeeping. Every step claims its work with
compare-and-set writes, so any number of copies may run at once (docs/operations.md); each
pass handles bounded batches; SIGTERM finishes the row in hand and exits."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from app.messaging.push import Provider, provider_from_settings

log = logging.getLogger("onevisit.worker")
HOUSEKEEPING_EVERY_SECONDS = 3600.0
# A completing request issues its certificate within this; after it, the worker does.
CERTIFICATE_GRACE_SECONDS = 60.0


@dataclass
class PassReport:
    push: dict[str, int] = field(default_factory=dict)
    sweep: dict[str, int] = field(default_factory=dict)
    notify: dict[str, int] = field(default_factory=dict)
    auto_close: dict[str, int] = field(default_factory=dict)
    certificates: dict[str, int] = field(default_factory=dict)
    housekeeping: dict[str, int] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        """A full batch somewhere: there may be more waiting, so do not sleep."""
        return any(
            step.get("full")
            for step in (self.push, self.sweep, self.notify, self.auto_close, self.certificates)
        )


class Worker:
    def __init__(self, app: Flask, provider: Provider | None = None) -> None:
        self.app = app
        self.settings = app.extensions["settings"]
        self.provider = provider or provider_from_settings(self.settings)
        self.stop_event = threading.Event()
        self._last_housekeeping = -float("inf")

    # Each step is a function of (worker) -> counts; tests run them through run_once.
    def deliver_push(self) -> dict[str, int]:
        from app.messaging import push_delivery

        limit = self.settings.worker_batch_size
        report = push_delivery.deliver_due(
            self.provider, self.settings, limit, self.stop_event.is_set
        )
        handled = report.sent + report.retried + report.dead + report.skipped
        return {**report.__dict__, "full": int(handled >= limit)}

    def sweep_sla(self) -> dict[str, int]:
        from app.oversight import sla_sweep

        return sla_sweep.sweep(self.settings.worker_batch_size, self.stop_event.is_set)

    def notify_events(self) -> dict[str, int]:
        from app.oversight import event_notifications

        return event_notifications.notify_pending(
            self.settings.worker_batch_size, self.stop_event.is_set
        )

    def close_unconfirmed(self) -> dict[str, int]:
        from app import clock
        from app.complaints import service as complaints

        limit = self.settings.worker_batch_size
        closed = complaints.auto_close_due(clock.now(), limit)
        return {"closed": closed, "full": int(closed >= limit)}

    def issue_certificates(self) -> dict[str, int]:
        from datetime import timedelta

        from app import clock
        from app.applications import service as applications

        limit = self.settings.worker_batch_size
        issued = applications.issue_pending_certificates(
            clock.now(), timedelta(seconds=CERTIFICATE_GRACE_SECONDS), limit
        )
        return {"issued": issued, "full": int(issued >= limit)}

    def housekeeping(self) -> dict[str, int]:
        from app.messaging import push_delivery
        from app.wallet import attachments

        return {
            "push_rows_purged": push_delivery.purge(self.settings),
            "orphan_attachments_removed": attachments.cleanup_orphans(
                self.settings.worker_batch_size
            ),
        }

    def run_once(self, force_housekeeping: bool = True) -> PassReport:
        report = PassReport()
        with self.app.app_context():
            steps: list[tuple[str, Callable[[], dict[str, int]]]] = [
                ("push", self.deliver_push),
                ("sweep", self.sweep_sla),
                ("notify", self.notify_events),
                ("auto_close", self.close_unconfirmed),
                ("certificates", self.issue_certificates),
            ]
            due = time.monotonic() - self._last_housekeeping >= HOUSEKEEPING_EVERY_SECONDS
            if force_housekeeping or due:
                steps.append(("housekeeping", self.housekeeping))
                self._last_housekeeping = time.monotonic()
            for name, step in steps:
                if self.stop_event.is_set():
                    break
                try:
                    setattr(report, name, step())
                except Exception:
                    # One failing step (e.g. the database briefly away) must not stop the others
                    # or kill the process; the next pass retries.
                    log.exception("worker step failed", extra={"step": name})
        return report

    def run(self) -> None:
        log.info("worker started", extra={"provider": self.provider.name})
        while not self.stop_event.is_set():
            report = self.run_once(force_housekeeping=False)
            if not report.busy:
                self.stop_event.wait(self.settings.worker_interval_seconds)
        log.info("worker stopped")

    def install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            log.info("worker stopping", extra={"signal": signum})
            self.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
