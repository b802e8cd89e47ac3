"""Fault: the worker rendering a printable schedule is killed (``kill -9``) in the middle.

Real processes: a Celery worker (prefork, one child) on a private redis-server, the test
database (PostgreSQL), PDFs written to a temporary media folder. A render pauses right after it
has claimed its document (``pausing_worker``) and is killed there: 20 kills in a loop, 4 of each
of 5 documents. Most kill the pool's child (what an out-of-memory kill does); every tenth kills
the whole worker (a lost node) and a new worker is started. A document is sent again once its
claim is stale (2 s here), as the beat's sweep does. Then the sweep (``schedules.sweeps``) runs,
and each document must end ``ready`` exactly once: one row, one stored file that is a PDF, 0 lost,
0 duplicates.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from schedules.engine.defaults import default_request
from schedules.models import PlanDocument, PlanRevision
from schedules.services import documents
from tests.factories import ClinicFactory, PatientFactory, PrescriberFactory
from tests.faults.processes import (
    Process,
    Processes,
    RedisServer,
    app_env,
    broker,
    wait_until,
    worker_args,
)
from tests.plan_helpers import signed_plan

pytestmark = [pytest.mark.faults, pytest.mark.xdist_group("faults")]

DOCUMENTS = 5
KILLS_PER_DOCUMENT = 4  # 20 kills
WHOLE_WORKER_EVERY = 10
STALE_SECONDS = 2
RENDER = "schedules.tasks.render_plan_document"
SWEEP = "schedules.sweeps.requeue_pending_documents"


def short_plan_body() -> dict[str, object]:
    """A short plan (5 steps), so each PDF renders quickly on a loaded machine."""
    return default_request(
        regimen=[{"drug": "diazepam", "doses": {"night": "2"}}],
        target_mg="1.5",
        start_date="2027-01-04",
    )


def signed_revisions(count: int) -> list[PlanRevision]:
    """``count`` patients with a signed plan each; their documents wait, queued, unrendered."""
    clinic = ClinicFactory(name="Riverside")
    prescriber = PrescriberFactory(clinic=clinic)
    with documents.renders_deferred():
        return [
            signed_plan(PatientFactory(clinic=clinic), prescriber, short_plan_body())
            for _ in range(count)
        ]


def start_worker(processes: Processes, env: dict[str, str], number: int) -> Process:
    args = [sys.executable, "-m", "tests.faults.pausing_worker"]
    return processes.start(f"worker{number}", args + worker_args(f"w{number}", pool="prefork"), env)


def test_each_document_is_rendered_once_after_its_worker_is_killed_mid_render(
    shared_database_url: str,
    catalogue: None,
    redis_server: RedisServer,
    processes: Processes,
    tmp_path: Path,
) -> None:
    revisions = signed_revisions(DOCUMENTS)
    markers = tmp_path / "markers"
    markers.mkdir()
    env = app_env(
        database_url=shared_database_url,
        redis_url=redis_server.url,
        folder=tmp_path,
        TAPER_RENDER_STALE_SECONDS=str(STALE_SECONDS),
        FAULTS_MARKER_DIR=str(markers),
        FAULTS_PAUSED_ATTEMPTS=str(KILLS_PER_DOCUMENT),
    )
    started = time.monotonic()
    workers = 1
    worker = start_worker(processes, env, workers)
    claimed_at: dict[int, float] = {}
    kills = 0
    with broker(redis_server.url) as app:
        for attempt in range(1, KILLS_PER_DOCUMENT + 1):
            for revision in revisions:
                # Sent again only once the killed claim is stale, as the sweep would find it.
                wait = claimed_at.get(revision.pk, 0) + STALE_SECONDS + 0.2 - time.monotonic()
                time.sleep(max(wait, 0))
                app.send_task(RENDER, args=[revision.pk])  # what signing or the sweep enqueues
                marker = markers / f"{revision.pk}-{attempt}"
                wait_until(marker.exists, what=f"attempt {attempt} of a render to pause")
                claimed_at[revision.pk] = time.monotonic()
                kills += 1
                if kills % WHOLE_WORKER_EVERY == 0:
                    worker.kill()  # the worker and its child, as a lost node
                    workers += 1
                    worker = start_worker(processes, env, workers)
                else:
                    os.kill(int(marker.read_text()), signal.SIGKILL)  # the pool forks anew
        killed_in = time.monotonic() - started

        # Every kill left its document claimed and half made: no file, no PDF.
        abandoned = PlanDocument.objects.filter(revision__in=revisions)
        assert abandoned.filter(status=PlanDocument.Status.RENDERING, file="").count() == DOCUMENTS
        attempts = list(abandoned.values_list("attempts", flat=True))
        assert attempts == [KILLS_PER_DOCUMENT] * DOCUMENTS

        # Beat's sweep, as it runs every TAPER_DOCUMENT_SWEEP_SECONDS, until all are made.
        swept_at = 0.0

        def all_ready() -> bool:
            nonlocal swept_at
            if time.monotonic() - swept_at > STALE_SECONDS + 1:
                app.send_task(SWEEP)
                swept_at = time.monotonic()
            return not abandoned.exclude(status=PlanDocument.Status.READY).exists()

        wait_until(all_ready, timeout=240, what="the swept documents to be rendered")
    recovered_in = time.monotonic() - started - killed_in

    documents_by_revision = {d.revision_id: d for d in PlanDocument.objects.all()}
    assert sorted(documents_by_revision) == sorted(r.pk for r in revisions)  # one row each
    stored = sorted((tmp_path / "media" / "plan-documents").iterdir())
    assert len(stored) == DOCUMENTS  # one file each: no duplicate, no orphan of a killed render
    for document in documents_by_revision.values():
        content = (tmp_path / "media" / document.file.name).read_bytes()
        assert content.startswith(b"%PDF-")
        assert hashlib.sha256(content).hexdigest() == document.sha256
        assert document.page_count >= 1
        assert document.attempts > KILLS_PER_DOCUMENT  # the killed claims, then the last one
    assert settings.TAPER_RENDER_STALE_SECONDS == 120  # this process kept the default
    print(
        f"\n{kills} kills ({kills // WHOLE_WORKER_EVERY} of the whole worker) in {killed_in:.1f} "
        f"s, {workers} workers started; {DOCUMENTS} documents rendered once "
        f"{recovered_in:.1f} s later"
    )
