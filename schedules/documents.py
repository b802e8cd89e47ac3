"""Service that renders a signed revision's printable schedule and stores it privately.

The PDF rendering itself (``schedules.pdf``) arrives with the printable-schedule issue; until then
this records that a document was requested, so signing is traceable end to end.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

RENDER_SOFT_TIME_LIMIT = 60
RENDER_TIME_LIMIT = 90


class TransientRenderError(Exception):
    """A failure worth retrying (storage or database briefly unavailable)."""


def plan_document_render(*, revision_id: int, attempt: int = 0) -> None:
    logger.info("plan document requested revision=%s attempt=%s", revision_id, attempt)
