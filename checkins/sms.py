"""Text-message reminders: one small interface, chosen by ``TAPER_SMS_BACKEND`` (a dotted path).

A backend gets a phone number and the message (the clinic's name and a link: no patient data).
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, to: str, message: str) -> None: ...


class ConsoleSmsBackend:
    """Development: says that a text went out, without the number or the link."""

    def send(self, to: str, message: str) -> None:
        logger.info("SMS sent (%d characters)", len(message))


class LocmemSmsBackend:
    """Tests: keeps the messages in :attr:`outbox`."""

    outbox: list[tuple[str, str]] = []

    def send(self, to: str, message: str) -> None:
        LocmemSmsBackend.outbox.append((to, message))


def get_backend() -> SmsBackend:
    return import_string(settings.TAPER_SMS_BACKEND)()
