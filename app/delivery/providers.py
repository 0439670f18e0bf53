"""Carriers: how a posted result's status reaches us. The delivery service
(app.delivery.service) sees only `Carrier`; the development default is the sandbox carrier.

A carrier
- `verify(body, headers)`: checks the signature of a status report (the sandbox and any HMAC
  carrier: `X-Signature`, app.callbacks; EMS's and SF Express's open platforms sign their
  pushes their own way, which their Carrier implements here);
- `parse(body)`: reads a verified report into a `CarrierEvent` (the carrier's event id makes a
  replay recognisable).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from app import callbacks, clock
from app.http.errors import BadRequest
from app.i18n import N_

STATUSES = ("dispatched", "delivered", "returned")


@dataclass(frozen=True)
class CarrierEvent:
    event_id: str
    waybill_no: str
    status: str
    at: datetime
    note: str | None


class Carrier(Protocol):
    name: str

    def verify(self, body: bytes, headers: Any) -> None: ...

    def parse(self, body: bytes) -> CarrierEvent: ...


def _text(data: dict[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise BadRequest(N_("The carrier's report is not valid."))
    return value


def read_event(body: bytes) -> CarrierEvent:
    """The JSON report of the sandbox (and any carrier speaking its shape):
    {"event_id", "waybill_no", "status": dispatched|delivered|returned, "at"?, "note"?}."""
    try:
        data = json.loads(body)
    except ValueError:
        raise BadRequest(N_("The carrier's report is not JSON.")) from None
    if not isinstance(data, dict) or data.get("status") not in STATUSES:
        raise BadRequest(N_("The carrier's report is not valid."))
    event_id, waybill = _text(data, "event_id", 64), _text(data, "waybill_no", 64)
    if event_id is None or waybill is None:
        raise BadRequest(N_("The carrier's report is not valid."))
    at = clock.now()
    raw_at = _text(data, "at", 40)
    if raw_at is not None:
        try:
            at = datetime.fromisoformat(raw_at.replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(N_("The carrier's report is not valid.")) from None
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return CarrierEvent(event_id, waybill, data["status"], at, _text(data, "note", 500))


class SandboxCarrier:
    """Development default: reports are signed JSON posted to /callbacks/delivery/sandbox."""

    name = callbacks.SANDBOX

    def verify(self, body: bytes, headers: Any) -> None:
        callbacks.verify("delivery", self.name, body, headers.get(callbacks.SIGNATURE_HEADER))

    def parse(self, body: bytes) -> CarrierEvent:
        return read_event(body)


_CARRIERS: dict[str, Carrier] = {}


def register(carrier: Carrier) -> Carrier:
    _CARRIERS[carrier.name] = carrier
    return carrier


register(SandboxCarrier())


def get(name: str) -> Carrier | None:
    return _CARRIERS.get(name)


def names() -> list[str]:
    return sorted(_CARRIERS)
