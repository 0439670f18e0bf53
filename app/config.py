"""Configuration: every setting comes from an environment variable, documented in .env.example."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConfigError(RuntimeError):
    """A setting is missing or malformed; start-up stops with this message."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class DomainRules:
    """Thresholds of the reform, named in one place (DESIGN.md 'Principles')."""

    sla_warning_fraction: float = 0.8
    # A rating of at least this counts as satisfied; at most bad_score is a bad rating.
    satisfied_score: int = 4
    bad_score: int = 2
    repeat_window_days: int = 30
    repeat_radius_m: float = 200.0
    reopen_window_days: int = 15
    auto_close_days: int = 15
    complaint_default_days: int = 4
    notification_retention_days: int = 180
    orphan_attachment_hours: int = 24
    # Personal data (issue 16): a closed complaint's contact data are anonymised this many
    # days after it closed, by the worker.
    complaint_contact_retention_days: int = 365
    # Delegation: the longest a grant may run, and who counts as a minor (GB 11643 birth date).
    delegation_max_days: int = 3 * 365
    adult_age_years: int = 18
    # A presentation token of a wallet certificate lives this long.
    presentation_ttl_seconds: int = 300
    # Staff are told of work arriving in their inbox at most once per this interval, one
    # notification summarising what arrived since the last (app/messaging/work_notices.py).
    work_digest_interval_seconds: int = 300
    # Appointments (app/appointments): book at least this many hours ahead, at most this many
    # working days out; cancel at least this many hours before the start; the reminder goes
    # out at this China-local hour of the day before.
    appointment_lead_hours: int = 24
    appointment_horizon_working_days: int = 5
    appointment_cancel_cutoff_hours: int = 2
    appointment_reminder_hour: int = 9
    # Payments (app/payments): an online payment order stays open this many minutes.
    payment_ttl_minutes: int = 30
    # A bad rating's rectification is due this many working days after the rating.
    rectification_working_days: int = 5
    # Accept now, hand in later (容缺受理): a deferred material is due this many working days
    # after acceptance.
    deferred_material_working_days: int = 5
    # Proof by commitment (告知承诺制): a commitment found false bars the applicant from
    # commitments for this many days.
    commitment_bar_days: int = 365

    @classmethod
    def from_env(cls) -> DomainRules:
        return cls(
            sla_warning_fraction=_float("ONEVISIT_SLA_WARNING_FRACTION", 0.8),
            satisfied_score=_int("ONEVISIT_SATISFIED_SCORE", 4),
            bad_score=_int("ONEVISIT_BAD_SCORE", 2),
            repeat_window_days=_int("ONEVISIT_REPEAT_WINDOW_DAYS", 30),
            repeat_radius_m=_float("ONEVISIT_REPEAT_RADIUS_M", 200.0),
            reopen_window_days=_int("ONEVISIT_REOPEN_WINDOW_DAYS", 15),
            auto_close_days=_int("ONEVISIT_AUTO_CLOSE_DAYS", 15),
            complaint_default_days=_int("ONEVISIT_COMPLAINT_DEFAULT_DAYS", 4),
            notification_retention_days=_int("ONEVISIT_NOTIFICATION_RETENTION_DAYS", 180),
            orphan_attachment_hours=_int("ONEVISIT_ORPHAN_ATTACHMENT_HOURS", 24),
            complaint_contact_retention_days=_int("ONEVISIT_COMPLAINT_CONTACT_RETENTION_DAYS", 365),
            delegation_max_days=_int("ONEVISIT_DELEGATION_MAX_DAYS", 3 * 365),
            adult_age_years=_int("ONEVISIT_ADULT_AGE_YEARS", 18),
            presentation_ttl_seconds=_int("ONEVISIT_PRESENTATION_TTL_SECONDS", 300),
            work_digest_interval_seconds=_int("ONEVISIT_WORK_DIGEST_INTERVAL_SECONDS", 300),
            appointment_lead_hours=_int("ONEVISIT_APPOINTMENT_LEAD_HOURS", 24),
            appointment_horizon_working_days=_int("ONEVISIT_APPOINTMENT_HORIZON_WORKING_DAYS", 5),
            appointment_cancel_cutoff_hours=_int("ONEVISIT_APPOINTMENT_CANCEL_CUTOFF_HOURS", 2),
            appointment_reminder_hour=_int("ONEVISIT_APPOINTMENT_REMINDER_HOUR", 9),
            payment_ttl_minutes=_int("ONEVISIT_PAYMENT_TTL_MINUTES", 30),
            rectification_working_days=_int("ONEVISIT_RECTIFICATION_WORKING_DAYS", 5),
            deferred_material_working_days=_int("ONEVISIT_DEFERRED_MATERIAL_WORKING_DAYS", 5),
            commitment_bar_days=_int("ONEVISIT_COMMITMENT_BAR_DAYS", 365),
        )


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    mongo_uri: str | None = None
    db_name: str = "onevisit"
    data_dir: Path = Path("var")
    mongo_timeout_ms: int = 5000
    # Tokens. The key set is loaded by app.accounts.tokens (env, file, or a generated dev key).
    jwt_keys: str | None = None
    jwt_keys_file: str | None = None
    jwt_issuer: str = "onevisit"
    jwt_audience: str = "onevisit-api"
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    # A client that lost the answer to a refresh may present the old token again this long
    # (same client) and get the same pair; 0 turns retries off (every reuse revokes).
    refresh_grace_seconds: int = 30
    key_overlap_seconds: int = 24 * 3600
    # Ed25519 keys (app.signing): the audit log's signed daily digests.
    signing_keys: str | None = None
    signing_keys_file: str | None = None
    # Requests.
    max_body_bytes: int = 1024 * 1024
    # How long shared caches and apps may keep a public catalogue read (Cache-Control max-age).
    catalogue_max_age_seconds: int = 300
    max_upload_bytes: int = 10 * 1024 * 1024
    idempotency_ttl: int = 48 * 3600
    idempotency_lock_seconds: int = 60
    trusted_proxies: int = 0
    # The address verifiers reach this API at (presentation QR codes link to it); unset: the
    # address the holder's request came in on.
    public_url: str | None = None
    # Rate limits: "count/seconds".
    # Login throttling (app/accounts/login_throttle.py): the phone and address windows count
    # failures from addresses the phone never signed in from; the pair backs off on its own.
    login_limit_phone: str = "20/300"
    login_limit_address: str = "30/300"
    login_free_failures: int = 3
    login_backoff_seconds: float = 1.0
    login_backoff_max_seconds: float = 900.0
    login_failure_memory_seconds: int = 24 * 3600
    login_known_address_days: int = 90
    # Bodies: JSON nested deeper than this is refused before it is parsed.
    max_json_depth: int = 32
    register_limit_address: str = "10/3600"
    report_limit_user: str = "10/3600"
    open311_limit_key: str = "600/3600"
    # GET /verify/{token}: anyone may call it, so it is limited per client address.
    verify_limit_address: str = "120/60"
    # Background worker and push delivery (docs/operations.md).
    worker_interval_seconds: float = 2.0
    worker_batch_size: int = 100
    # The relay's lag (oldest queued side effect) above this is logged as a warning.
    outbox_lag_warn_seconds: float = 30.0
    fcm_credentials: str | None = None
    push_max_attempts: int = 8
    push_backoff_seconds: int = 30
    push_backoff_max_seconds: int = 3600
    push_lease_seconds: int = 300
    push_keep_days: int = 7
    # Server-Sent Events of the supervision stream.
    sse_heartbeat_seconds: float = 15.0
    sse_max_lifetime_seconds: float = 300.0
    sse_poll_seconds: float = 1.0
    sse_settle_seconds: float = 2.0
    sse_max_events: int = 0  # 0: unlimited (tests end a stream after N events)
    sse_max_streams: int = 4  # per process; keep below gunicorn's threads (docs/operations.md)
    # /metrics (app/platform/metrics.py): who may scrape it (addresses or CIDRs, comma-separated),
    # and whether requests are measured at all (off only to measure the hook's own cost).
    metrics_allow: str = "127.0.0.1/32,::1/128"
    metrics_requests: bool = True
    log_level: str = "INFO"
    # auto: a compact coloured format when stderr is a terminal (make run), JSON lines
    # otherwise (production, CI); json or console force one (app/logs.py).
    log_format: str = "auto"
    admin_phone: str | None = None
    admin_password: str | None = None
    rules: DomainRules = field(default_factory=DomainRules)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env = _env("ONEVISIT_ENV", "development") or "development"
        if env not in ("development", "test", "production"):
            raise ConfigError("ONEVISIT_ENV must be development, test or production")
        values: dict[str, Any] = dict(
            env=env,
            mongo_uri=_env("MONGO_URI"),
            db_name=_env("ONEVISIT_DB_NAME", "onevisit"),
            data_dir=Path(_env("ONEVISIT_DATA_DIR", "var") or "var"),
            mongo_timeout_ms=_int("ONEVISIT_MONGO_TIMEOUT_MS", 5000),
            jwt_keys=_env("ONEVISIT_JWT_KEYS"),
            jwt_keys_file=_env("ONEVISIT_JWT_KEYS_FILE"),
            jwt_issuer=_env("ONEVISIT_JWT_ISSUER", "onevisit"),
            jwt_audience=_env("ONEVISIT_JWT_AUDIENCE", "onevisit-api"),
            access_token_ttl=_int("ONEVISIT_ACCESS_TOKEN_TTL", 900),
            refresh_token_ttl=_int("ONEVISIT_REFRESH_TOKEN_TTL", 30 * 24 * 3600),
            refresh_grace_seconds=_int("ONEVISIT_REFRESH_GRACE_SECONDS", 30),
            key_overlap_seconds=_int("ONEVISIT_KEY_OVERLAP_SECONDS", 24 * 3600),
            signing_keys=_env("ONEVISIT_SIGNING_KEYS"),
            signing_keys_file=_env("ONEVISIT_SIGNING_KEYS_FILE"),
            max_body_bytes=_int("ONEVISIT_MAX_BODY_BYTES", 1024 * 1024),
            catalogue_max_age_seconds=_int("ONEVISIT_CATALOGUE_MAX_AGE_SECONDS", 300),
            max_upload_bytes=_int("ONEVISIT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
            idempotency_ttl=_int("ONEVISIT_IDEMPOTENCY_TTL", 48 * 3600),
            idempotency_lock_seconds=_int("ONEVISIT_IDEMPOTENCY_LOCK_SECONDS", 60),
            trusted_proxies=_int("ONEVISIT_TRUSTED_PROXIES", 0),
            public_url=_env("ONEVISIT_PUBLIC_URL", None),
            login_limit_phone=_env("ONEVISIT_LOGIN_LIMIT_PHONE", "20/300"),
            login_limit_address=_env("ONEVISIT_LOGIN_LIMIT_ADDRESS", "30/300"),
            login_free_failures=_int("ONEVISIT_LOGIN_FREE_FAILURES", 3),
            login_backoff_seconds=_float("ONEVISIT_LOGIN_BACKOFF_SECONDS", 1.0),
            login_backoff_max_seconds=_float("ONEVISIT_LOGIN_BACKOFF_MAX_SECONDS", 900.0),
            login_failure_memory_seconds=_int("ONEVISIT_LOGIN_FAILURE_MEMORY_SECONDS", 24 * 3600),
            login_known_address_days=_int("ONEVISIT_LOGIN_KNOWN_ADDRESS_DAYS", 90),
            max_json_depth=_int("ONEVISIT_MAX_JSON_DEPTH", 32),
            register_limit_address=_env("ONEVISIT_REGISTER_LIMIT_ADDRESS", "10/3600"),
            report_limit_user=_env("ONEVISIT_REPORT_LIMIT_USER", "10/3600"),
            open311_limit_key=_env("ONEVISIT_OPEN311_LIMIT_KEY", "600/3600"),
            verify_limit_address=_env("ONEVISIT_VERIFY_LIMIT_ADDRESS", "120/60"),
            worker_interval_seconds=_float("ONEVISIT_WORKER_INTERVAL_SECONDS", 2.0),
            worker_batch_size=_int("ONEVISIT_WORKER_BATCH_SIZE", 100),
            outbox_lag_warn_seconds=_float("ONEVISIT_OUTBOX_LAG_WARN_SECONDS", 30.0),
            fcm_credentials=_env("ONEVISIT_FCM_CREDENTIALS"),
            push_max_attempts=_int("ONEVISIT_PUSH_MAX_ATTEMPTS", 8),
            push_backoff_seconds=_int("ONEVISIT_PUSH_BACKOFF_SECONDS", 30),
            push_backoff_max_seconds=_int("ONEVISIT_PUSH_BACKOFF_MAX_SECONDS", 3600),
            push_lease_seconds=_int("ONEVISIT_PUSH_LEASE_SECONDS", 300),
            push_keep_days=_int("ONEVISIT_PUSH_KEEP_DAYS", 7),
            sse_heartbeat_seconds=_float("ONEVISIT_SSE_HEARTBEAT_SECONDS", 15.0),
            sse_max_lifetime_seconds=_float("ONEVISIT_SSE_MAX_LIFETIME_SECONDS", 300.0),
            sse_poll_seconds=_float("ONEVISIT_SSE_POLL_SECONDS", 1.0),
            sse_settle_seconds=_float("ONEVISIT_SSE_SETTLE_SECONDS", 2.0),
            sse_max_streams=_int("ONEVISIT_SSE_MAX_STREAMS", 4),
            metrics_allow=_env("ONEVISIT_METRICS_ALLOW", "127.0.0.1/32,::1/128") or "",
            metrics_requests=_bool("ONEVISIT_METRICS_REQUESTS", True),
            log_level=(_env("ONEVISIT_LOG_LEVEL", "INFO") or "INFO").upper(),
            log_format=(_env("ONEVISIT_LOG_FORMAT", "auto") or "auto").lower(),
            admin_phone=_env("ONEVISIT_ADMIN_PHONE"),
            admin_password=_env("ONEVISIT_ADMIN_PASSWORD"),
            rules=DomainRules.from_env(),
        )
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown settings: {sorted(unknown)}")
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for name in (
            "login_limit_phone",
            "login_limit_address",
            "register_limit_address",
            "report_limit_user",
            "open311_limit_key",
        ):
            parse_rate(getattr(self, name), name)
        if self.push_max_attempts < 1 or self.worker_batch_size < 1:
            raise ConfigError(
                "ONEVISIT_PUSH_MAX_ATTEMPTS and ONEVISIT_WORKER_BATCH_SIZE must be at least 1"
            )
        parse_networks(self.metrics_allow, "ONEVISIT_METRICS_ALLOW")
        if self.log_format not in ("auto", "json", "console"):
            raise ConfigError("ONEVISIT_LOG_FORMAT must be auto, json or console")
        if not 0 <= self.refresh_grace_seconds <= 300:
            # Longer would keep a copied token replayable for longer than a retry needs.
            raise ConfigError("ONEVISIT_REFRESH_GRACE_SECONDS must be between 0 and 300")
        if self.rules.work_digest_interval_seconds < 0:
            raise ConfigError("ONEVISIT_WORK_DIGEST_INTERVAL_SECONDS must be 0 or more")
        if self.production:
            missing = []
            if not self.mongo_uri:
                missing.append("MONGO_URI")
            if not (self.jwt_keys or self.jwt_keys_file):
                missing.append("ONEVISIT_JWT_KEYS or ONEVISIT_JWT_KEYS_FILE")
            if not (self.signing_keys or self.signing_keys_file):
                missing.append("ONEVISIT_SIGNING_KEYS or ONEVISIT_SIGNING_KEYS_FILE")
            if missing:
                raise ConfigError(
                    "production start-up needs "
                    + " and ".join(missing)
                    + " (see .env.example); no secret has a default"
                )


def parse_rate(spec: str, name: str = "rate") -> tuple[int, int]:
    """'5/300' means at most 5 hits per 300-second window."""
    try:
        count, seconds = (int(part) for part in spec.split("/"))
    except ValueError as exc:
        raise ConfigError(f"{name} must look like COUNT/SECONDS, got {spec!r}") from exc
    if count < 1 or seconds < 1:
        raise ConfigError(f"{name} must be positive, got {spec!r}")
    return count, seconds


def parse_networks(spec: str, name: str = "networks") -> tuple[IPNetwork, ...]:
    """'127.0.0.1/32, 10.0.0.0/8, ::1' (an address alone is its own /32 or /128)."""
    networks = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ConfigError(f"{name}: {part!r} is not an address or a CIDR") from exc
    return tuple(networks)
