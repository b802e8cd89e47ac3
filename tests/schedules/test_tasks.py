"""The Celery task: options, retry with backoff, give-up, and one run on a real Redis broker."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.storage import default_storage
from django.db import connection

from schedules import tasks
from schedules.documents import pdf
from schedules.documents import render as document_render
from schedules.models import PlanDocument
from taper_clinic.celery import app
from tests.plan_helpers import draft_plan, preview_body, signed_plan

pytestmark = pytest.mark.django_db

SHORT = preview_body(target_mg="10")
FAKE = pdf.RenderedPdf(content=b"%PDF-1.7\n% a stand-in\n%%EOF\n", page_count=1)
REDIS_URL = "redis://127.0.0.1:6379/11"  # a db of its own; Redis runs on every machine and in CI


@pytest.fixture
def no_eager_propagation():
    """Let apply() run the retries itself (with propagation on, the first Retry is raised)."""
    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = saved


@pytest.fixture
def revision(patient, prescriber):
    with mock.patch.object(tasks.render_plan_document, "delay"):  # not rendered at signing
        return signed_plan(patient, prescriber, SHORT)


def test_task_policy():
    task = tasks.render_plan_document
    assert task.acks_late is True
    assert task.ignore_result is True
    assert task.autoretry_for == (document_render.TransientRenderError,)
    assert task.retry_backoff == tasks.RENDER_RETRY_BACKOFF
    assert task.retry_jitter is True
    assert task.max_retries == tasks.RENDER_MAX_RETRIES
    assert task.soft_time_limit == document_render.RENDER_SOFT_TIME_LIMIT
    assert task.time_limit == document_render.RENDER_TIME_LIMIT
    assert document_render.RENDER_SOFT_TIME_LIMIT < document_render.RENDER_TIME_LIMIT


def test_called_as_a_function_it_renders(revision):
    tasks.render_plan_document(revision.pk)
    assert PlanDocument.objects.get(revision=revision).status == "ready"


def test_it_is_idempotent(revision):
    tasks.render_plan_document.apply(args=[revision.pk])
    first = PlanDocument.objects.get(revision=revision)
    with mock.patch("schedules.documents.pdf.render_pdf") as render_pdf:
        tasks.render_plan_document.apply(args=[revision.pk])
    render_pdf.assert_not_called()
    again = PlanDocument.objects.get(revision=revision)
    assert (again.sha256, again.attempts) == (first.sha256, 1)


def test_a_transient_storage_error_is_retried_with_backoff(revision, no_eager_propagation):
    real_save = default_storage.save
    calls = []

    def flaky_save(name, content, *args, **kwargs):
        calls.append(name)
        if len(calls) == 1:
            raise OSError("storage briefly away")
        return real_save(name, content, *args, **kwargs)

    task = tasks.render_plan_document
    with (
        mock.patch.object(default_storage, "save", side_effect=flaky_save),
        mock.patch.object(task, "retry", wraps=task.retry) as retry,
    ):
        result = task.apply(args=[revision.pk])
    assert result.successful()
    assert len(calls) == 2
    retry.assert_called_once()
    countdown = retry.call_args.kwargs["countdown"]
    assert 0 <= countdown <= tasks.RENDER_RETRY_BACKOFF  # full jitter below 5 * 2**0
    assert isinstance(retry.call_args.kwargs["exc"], document_render.TransientRenderError)
    document = PlanDocument.objects.get(revision=revision)
    assert (document.status, document.attempts) == ("ready", 2)


def test_backoff_grows_exponentially_up_to_the_cap():
    from celery.utils.time import get_exponential_backoff_interval

    caps = [
        get_exponential_backoff_interval(
            factor=tasks.RENDER_RETRY_BACKOFF,
            retries=n,
            maximum=tasks.RENDER_RETRY_BACKOFF_MAX,
            full_jitter=False,
        )
        for n in range(8)
    ]
    assert caps == [5, 10, 20, 40, 80, 160, 300, 300]


def test_when_retries_are_spent_the_document_fails(revision, no_eager_propagation):
    with (
        mock.patch("schedules.documents.pdf.render_pdf", return_value=FAKE),
        mock.patch.object(default_storage, "save", side_effect=OSError("gone")) as save,
    ):
        result = tasks.render_plan_document.apply(args=[revision.pk])
    assert result.successful()  # gave up cleanly, nothing left to retry
    assert save.call_count == tasks.RENDER_MAX_RETRIES + 1
    document = PlanDocument.objects.get(revision=revision)
    assert (document.status, document.error) == ("failed", "retries-exhausted")
    assert document.attempts == tasks.RENDER_MAX_RETRIES + 1


def test_a_draft_is_refused_without_retrying(patient, prescriber):
    draft = draft_plan(patient, prescriber)
    with mock.patch.object(tasks.render_plan_document, "retry") as retry:
        result = tasks.render_plan_document.apply(args=[draft.pk])
    assert result.successful()
    retry.assert_not_called()
    assert not PlanDocument.objects.filter(revision=draft).exists()


@contextmanager
def real_broker(url: str):
    """Point the app at a real broker, not eager, for one test; restore everything after."""
    keys = ("broker_url", "task_always_eager", "worker_hijack_root_logger")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=url, task_always_eager=False, worker_hijack_root_logger=False)
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_document_from_the_redis_queue(catalogue, patient, prescriber):
    with mock.patch.object(tasks.render_plan_document, "delay"):
        revision = signed_plan(patient, prescriber, SHORT)
    queue = f"pdf-test-{uuid.uuid4().hex[:8]}"
    with (
        real_broker(REDIS_URL),
        start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30),
    ):
        tasks.render_plan_document.apply_async(args=[revision.pk], queue=queue)
        deadline = time.monotonic() + 60
        document = None
        while time.monotonic() < deadline:
            document = PlanDocument.objects.filter(revision=revision).first()
            if document is not None and document.status == "ready":
                break
            time.sleep(0.2)
    connection.close()
    assert document is not None and document.status == "ready"
    assert document.page_count and document.page_count >= 4
