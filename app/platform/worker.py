"""The background worker (`flask --app wsgi worker`): the outbox relay (the side effects every
command queued in its own write: audit records, KPI counters, notifications, events,
certificates), staff work digests, push delivery, SLA sweeps, appointment reminders the day
before, notifications for supervision events, closing unconfirmed complaint resolutions, the
inbox heads, sealing the audit log's finished days, housekeeping, retention (closed
complaints' contact data, DomainRules). Every step claims its work with compare-and-set
writes or transactions, so any number of copies may run at once (docs/operations.md); each
pass handles bounded batches; SIGTERM finishes the batch in hand and exits."""

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
HEADS_EVERY_SECONDS = 60.0


@dataclass
class PassReport:
    relay: dict[str, int] = field(default_factory=dict)
    digests: dict[str, int] = field(default_factory=dict)
    push: dict[str, int] = field(default_factory=dict)
    sweep: dict[str, int] = field(default_factory=dict)
    notify: dict[str, int] = field(default_factory=dict)
    auto_close: dict[str, int] = field(default_factory=dict)
    reminders: dict[str, int] = field(default_factory=dict)
    heads: dict[str, int] = field(default_factory=dict)
    audit_seal: dict[str, int] = field(default_factory=dict)
    retention: dict[str, int] = field(default_factory=dict)
    housekeeping: dict[str, int] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        """A full batch somewhere: there may be more waiting, so do not sleep."""
        return any(
            step.get("full")
            for step in (
                self.relay,
                self.digests,
                self.push,
                self.sweep,
                self.notify,
                self.auto_close,
                self.reminders,
            )
        )


class Worker:
    def __init__(self, app: Flask, provider: Provider | None = None) -> None:
        self.app = app
        self.settings = app.extensions["settings"]
        self.provider = provider or provider_from_settings(self.settings)
        self.stop_event = threading.Event()
        self._last_housekeeping = -float("inf")
        self._last_heads = -float("inf")
        self._last_status = -float("inf")

    # Each step is a function of (worker) -> counts; tests run them through run_once.
    def relay_outbox(self) -> dict[str, int]:
        from app import outbox

        return outbox.relay(self.settings.worker_batch_size, self.stop_event.is_set)

    def flush_digests(self) -> dict[str, int]:
        from app.messaging import work_notices

        return work_notices.flush_due(self.settings.worker_batch_size, self.stop_event.is_set)

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

    def remind_appointments(self) -> dict[str, int]:
        from app import clock
        from app.appointments import service as appointments

        return appointments.send_reminders(clock.now(), self.settings.worker_batch_size)

    def advance_heads(self) -> dict[str, int]:
        from app.cases import inbox_heads

        return {"advanced": inbox_heads.advance_all()}

    def seal_audit(self) -> dict[str, int]:
        from app import audit

        return {"sealed": audit.seal_days()}

    def apply_retention(self) -> dict[str, int]:
        from app import clock
        from app.complaints import service as complaints

        limit = self.settings.worker_batch_size
        erased = complaints.erase_expired_contacts(clock.now(), limit)
        return {"complaint_contacts_erased": erased, "full": int(erased >= limit)}

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
        failed = False
        with self.app.app_context():
            steps: list[tuple[str, Callable[[], dict[str, int]]]] = [
                ("relay", self.relay_outbox),
                # Staff digests due now become notifications, pushed in this same pass.
                ("digests", self.flush_digests),
                ("push", self.deliver_push),
                ("sweep", self.sweep_sla),
                ("reminders", self.remind_appointments),
                # The sweep queued its events: relay them, so they are notified in this pass.
                ("relay", self.relay_outbox),
                ("notify", self.notify_events),
                ("auto_close", self.close_unconfirmed),
            ]
            now = time.monotonic()
            if force_housekeeping or now - self._last_heads >= HEADS_EVERY_SECONDS:
                steps.append(("heads", self.advance_heads))
                self._last_heads = now
            if force_housekeeping or now - self._last_housekeeping >= HOUSEKEEPING_EVERY_SECONDS:
                steps.append(("audit_seal", self.seal_audit))
                steps.append(("housekeeping", self.housekeeping))
                steps.append(("retention", self.apply_retention))
                self._last_housekeeping = now
            for name, step in steps:
                if self.stop_event.is_set():
                    break
                try:
                    result = step()
                    if name == "relay" and report.relay:
                        result = {k: report.relay.get(k, 0) + v for k, v in result.items()}
                    setattr(report, name, result)
                except Exception:
                    # One failing step (e.g. the database briefly away) must not stop the others
                    # or kill the process; the next pass retries.
                    log.exception("worker step failed", extra={"step": name})
                    failed = True
            if not failed and not self.stop_event.is_set():
                self._record_pass(force_housekeeping)
        return report

    def _record_pass(self, force: bool) -> None:
        """The last successful pass, for /metrics (at most every RECORD_EVERY_SECONDS)."""
        from app import clock
        from app.platform import worker_status

        now = time.monotonic()
        if not force and now - self._last_status < worker_status.RECORD_EVERY_SECONDS:
            return
        try:
            worker_status.record_pass(worker_status.worker_id(), clock.now())
            self._last_status = now
        except Exception:
            log.exception("worker status not recorded")

    def run(self) -> None:
        log.info("worker started", extra={"provider": self.provider.name})
        while not self.stop_event.is_set():
            report = self.run_once(force_housekeeping=False)
            self._log_lag()
            if not report.busy:
                self.stop_event.wait(self.settings.worker_interval_seconds)
        log.info("worker stopped")

    def _log_lag(self) -> None:
        """The relay's lag in the log (and at /readyz): how old the oldest queued entry is."""
        from app import outbox

        try:
            with self.app.app_context():
                lag = outbox.backlog()
        except Exception:
            return
        if lag["oldest_age_seconds"] > self.settings.outbox_lag_warn_seconds:
            log.warning("outbox lagging", extra=lag)

    def install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            log.info("worker stopping", extra={"signal": signum})
            self.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
