from __future__ import annotations

import threading
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.signals import request_started


class SchedulesConfig(AppConfig):
    name = "schedules"
    verbose_name = "Taper schedules"

    def ready(self) -> None:
        if settings.TAPER_RENDER_IN_BACKGROUND:
            request_started.connect(
                _resume_pending_renders, dispatch_uid="schedules-resume-pending-renders"
            )


_resumed = threading.Lock()


def _resume_pending_renders(**kwargs: Any) -> None:
    """On the first request this process serves, queue the renders left waiting.

    Those are the demo plans' documents (``seed_demo`` defers their renders so that the server
    starts at once) and any render a stopped server never finished. The lookup itself runs on the
    background thread, so not even the first request waits for it.
    """
    if not _resumed.acquire(blocking=False):
        return  # already done in this process
    request_started.disconnect(dispatch_uid="schedules-resume-pending-renders")
    from schedules import background
    from schedules.services import documents

    background.submit(documents.enqueue_pending)
