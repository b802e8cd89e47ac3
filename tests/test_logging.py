"""The console log as ``make run`` and production configure it (``settings.LOGGING``)."""

from __future__ import annotations

import io
import logging
import logging.config
import runpy
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from tests.plan_helpers import draft_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_logging():
    """Apply the real LOGGING (not the tests' one) for one test, then put everything back."""
    module = runpy.run_path(str(settings.BASE_DIR / "taper_clinic" / "settings.py"))
    names = ["", "django", "django.request", *module["QUIET_LOGGERS"]]
    saved = {
        name: (lg.level, lg.handlers[:], lg.filters[:], lg.propagate)
        for name in names
        for lg in [logging.getLogger(name or None)]
    }
    logging.config.dictConfig(module["LOGGING"])
    (console,) = logging.getLogger().handlers
    assert isinstance(console, logging.StreamHandler)
    console.setStream(io.StringIO())  # instead of stderr

    def written() -> str:
        stream = console.stream
        text = stream.getvalue()
        stream.seek(0)
        stream.truncate()
        return text

    yield written
    for name, (level, handlers, filters, propagate) in saved.items():
        lg = logging.getLogger(name or None)
        lg.setLevel(level)
        lg.handlers[:], lg.filters[:], lg.propagate = handlers, filters, propagate


def test_a_refused_request_is_one_line_without_a_traceback(
    app_logging, nurse_client, patient, prescriber
):
    draft = draft_plan(patient, prescriber)
    url = reverse("schedules:sign", args=[draft.plan_id])
    app_logging()  # drop what setting up wrote
    assert nurse_client.post(url, {"confirm": "on"}).status_code == 403
    lines = app_logging().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].endswith(f"WARNING django.request Forbidden (Permission denied): {url}")


def test_a_server_error_keeps_its_traceback(app_logging):
    try:
        raise ValueError("a bug")
    except ValueError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x/", exc_info=sys.exc_info(), extra={"status_code": 500}
        )
    err = app_logging()
    assert "Internal Server Error: /x/" in err and "Traceback" in err and "ValueError" in err


def test_libraries_only_warn_and_our_info_lines_stay(app_logging):
    logging.getLogger("fontTools.subset").info("subsetted 212 glyphs")
    logging.getLogger("weasyprint.progress").info("Step 2 - Fetching and parsing CSS")
    logging.getLogger("celery.app.trace").info("Task succeeded in 4.9s")
    logging.getLogger("schedules.tasks").info("render_plan_document revision=1 attempt=0")
    logging.getLogger("django").info("django says")
    err = app_logging()
    assert "glyphs" not in err and "CSS" not in err and "succeeded" not in err
    assert err.count("render_plan_document revision=1") == 1
    assert err.count("django says") == 1  # once: Django's own console handler is gone


# --- No query strings (search terms) in access logs --------------------------------------------


def test_runserver_request_lines_are_logged_without_the_query_string(app_logging):
    # What django.core.servers.basehttp.WSGIRequestHandler.log_message logs for each request.
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /patients/?q=Archer&page=2 HTTP/1.1", "200", "5120"
    )
    line = app_logging()
    assert '"GET /patients/ HTTP/1.1" 200 5120' in line
    assert "Archer" not in line and "q=" not in line


def test_the_query_filter_keeps_lines_without_a_query_and_other_messages():
    from taper_clinic.log_filters import DropQueryStrings, without_query

    assert without_query("GET /patients/?q=Archer HTTP/1.1") == "GET /patients/ HTTP/1.1"
    assert without_query("POST /plans/3/hold/ HTTP/1.1") == "POST /plans/3/hold/ HTTP/1.1"
    assert without_query("/patients/?q=Archer") == "/patients/"
    assert without_query("Is this a question?") == "Is this a question?"
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: /patients/?q=Archer", None, None
    )
    DropQueryStrings().filter(record)
    assert record.getMessage() == "Not Found: /patients/"


def test_runservers_own_handler_logs_a_search_without_the_name(app_logging):
    from django.core.servers.basehttp import WSGIRequestHandler

    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)  # no socket: only log_message
    handler.request = None
    handler.log_date_time_string = lambda: "03/Dec/2026 10:00:00"
    handler.requestline = "GET /patients/?q=Archer HTTP/1.1"
    handler.log_request(200, 5120)  # what http.server calls after each response
    line = app_logging()
    assert "GET /patients/ HTTP/1.1" in line and "Archer" not in line


def test_gunicorns_access_log_has_no_query_string_or_referrer():
    import datetime

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    conf = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    log_format = conf["access_log_format"]
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%({query_string}e)s"):
        assert atom not in log_format
    assert "%(U)s" in log_format
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/patients/?q=Archer",
        "PATH_INFO": "/patients/",
        "QUERY_STRING": "q=Archer",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://taper.example.org/patients/?q=Archer",
        "REMOTE_ADDR": "10.0.0.1",
    }

    class Response:
        status, sent, headers = "200 OK", 512, ()

    atoms = Logger(Config()).atoms(Response(), [], environ, datetime.timedelta(seconds=0.01))
    line = log_format % atoms
    assert "GET /patients/ HTTP/1.1" in line and "200" in line
    assert "Archer" not in line
