"""Beat's sweep queues again the printable schedule a killed worker left half made."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from schedules import sweeps
from schedules.models import PlanDocument
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db


def test_a_claim_left_by_a_killed_worker_is_rendered_by_the_next_sweep(
    patient, prescriber, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        revision = signed_plan(patient, prescriber)
    document = PlanDocument.objects.get(revision=revision)
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    PlanDocument.objects.filter(pk=document.pk).update(
        status=PlanDocument.Status.RENDERING, updated_at=long_ago, file=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.requeue_pending_documents() == 1
    document.refresh_from_db()
    assert document.status == PlanDocument.Status.READY
    assert sweeps.requeue_pending_documents() == 0  # nothing left; a second beat does no harm


def test_beat_runs_the_sweep_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["schedules-requeue-documents"]
    assert entry["task"] == "schedules.sweeps.requeue_pending_documents"
    assert entry["schedule"] == 300.0
    assert "schedules.sweeps" in settings.CELERY_IMPORTS
