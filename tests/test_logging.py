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
