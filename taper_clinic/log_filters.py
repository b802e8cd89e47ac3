"""Logging filters used by ``settings.LOGGING``."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx response is one log line: drop the traceback Django attaches to it.

    Django logs a refused request (``PermissionDenied``, a bad request, a disallowed host) with
    the exception's traceback. It is the client's mistake, not the server's; the line with the
    status and the path (ids only) is enough. 5xx records keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
