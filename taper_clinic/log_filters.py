"""Logging filters used by ``settings.LOGGING``."""

from __future__ import annotations

import logging
import re


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


# "GET /patients/?q=Archer HTTP/1.1": the request line runserver (``django.server``) logs.
_REQUEST_LINE_QUERY = re.compile(r"^(?P<head>\S+ [^?\s]*)\?\S*(?P<tail> HTTP/[0-9.]+)?$")


def without_query(value: str) -> str:
    """A request line or a URL path without its query string (``?...``)."""
    match = _REQUEST_LINE_QUERY.match(value)
    if match:
        return match.group("head") + (match.group("tail") or "")
    if value.startswith("/") and "?" in value:
        return value.split("?", 1)[0]
    return value


class DropQueryStrings(logging.Filter):
    """Request lines are logged without their query string.

    A query string can carry what a user typed: the patient search (``/patients/?q=Archer``) puts
    a patient's name there. Access logs keep the method, the path and the status, never the query.
    Gunicorn's access log does the same with its own format (``gunicorn.conf.py``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                without_query(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str) and not record.args and "?" in record.msg:
            record.msg = " ".join(without_query(part) for part in record.msg.split(" "))
        return True
