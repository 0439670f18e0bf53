"""Push providers: how one outbox row reaches one phone. `LoggingProvider` by default,
`FcmProvider` (firebase-admin, the optional `push` extra) when ONEVISIT_FCM_CREDENTIALS names
a service-account file. The delivery loop (app.messaging.push_delivery) only sees `Provider`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("onevisit.push")


class PushError(Exception):
    """A transient failure (network, quota, provider outage): retry later with backoff."""


class InvalidToken(PushError):
    """The provider says this device token will never work again: forget it."""


class Unsupported(PushError):
    """This provider cannot deliver to the token's platform: dead-letter the push at once
    (retrying cannot help) but keep the token (another provider may serve it)."""


@dataclass(frozen=True)
class PushMessage:
    platform: str  # "fcm" or "apns"
    token: str
    title: str
    body: str
    # Same value on every attempt for one notification: the phone replaces rather than
    # duplicates a notification that arrives twice (see push_delivery's delivery guarantee).
    collapse_id: str
    data: dict[str, str] = field(default_factory=dict)


class Provider(Protocol):
    name: str

    def send(self, message: PushMessage) -> None:
        """Deliver MESSAGE or raise PushError / InvalidToken."""


class LoggingProvider:
    """Development default: the push is written to the log instead of a phone."""

    name = "logging"

    def send(self, message: PushMessage) -> None:
        log.info(
            "push (logging provider)",
            extra={
                "platform": message.platform,
                "token_tail": message.token[-6:],
                "title": message.title,
                "collapse_id": message.collapse_id,
            },
        )


class FcmProvider:
    """Firebase Cloud Messaging through firebase-admin. iOS apps registered with Firebase send
    FCM registration tokens (platform "fcm"); raw APNs device tokens (platform "apns") need an
    APNs provider, which this one is not."""

    name = "fcm"

    def __init__(self, credentials_path: str) -> None:
        try:
            import firebase_admin
            from firebase_admin import credentials
        except ImportError as exc:  # the optional extra is not installed
            raise RuntimeError(
                "ONEVISIT_FCM_CREDENTIALS is set but firebase-admin is not installed: "
                'pip install "onevisit[push]"'
            ) from exc
        cred = credentials.Certificate(credentials_path)
        self._app = firebase_admin.initialize_app(cred, name=f"onevisit-{id(self)}")

    def send(self, message: PushMessage) -> None:
        if message.platform != "fcm":
            raise Unsupported(f"the FCM provider does not deliver to {message.platform} tokens")
        from firebase_admin import exceptions, messaging

        fcm_message = messaging.Message(
            token=message.token,
            notification=messaging.Notification(title=message.title, body=message.body),
            data=message.data,
            android=messaging.AndroidConfig(
                collapse_key=message.collapse_id,
                notification=messaging.AndroidNotification(tag=message.collapse_id),
            ),
            apns=messaging.APNSConfig(headers={"apns-collapse-id": message.collapse_id[:64]}),
        )
        try:
            messaging.send(fcm_message, app=self._app)
        except (messaging.UnregisteredError, messaging.SenderIdMismatchError) as exc:
            raise InvalidToken(str(exc)) from exc
        except exceptions.InvalidArgumentError as exc:
            # FCM answers INVALID_ARGUMENT for a malformed token (and for a malformed message,
            # which ours are not): the token is unusable.
            raise InvalidToken(str(exc)) from exc
        except exceptions.FirebaseError as exc:
            raise PushError(f"{exc.code}: {exc}") from exc


def provider_from_settings(settings: Any) -> Provider:
    if settings.fcm_credentials:
        return FcmProvider(settings.fcm_credentials)
    return LoggingProvider()
