"""A Celery worker whose first attempts at each document stop after the claim, for a kill.

    FAULTS_MARKER_DIR=... FAULTS_PAUSED_ATTEMPTS=4 python -m tests.faults.pausing_worker worker ...

Run by ``test_worker_killed_mid_pdf.py`` only. The pause is patched in here, in the test's own
worker process, so no setting or code path of the app can turn it on in production. When a render
has claimed its document (the row is ``rendering``) for the n-th time, n up to
``$FAULTS_PAUSED_ATTEMPTS``, the process writes its pid to ``$FAULTS_MARKER_DIR/<revision>-<n>``
and sleeps: the test then kills it, knowing exactly where it stopped. Later attempts render.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import django

PAUSE_SECONDS = 600


def main() -> None:
    django.setup()
    from celery.concurrency.asynpool import AsynPool

    from schedules.documents import render
    from schedules.models import PlanDocument
    from taper_clinic.celery import app

    markers = Path(os.environ["FAULTS_MARKER_DIR"])
    paused_attempts = int(os.environ["FAULTS_PAUSED_ATTEMPTS"])
    load = render.schedule_data

    def paused_at_first_attempts(revision):  # type: ignore[no-untyped-def]
        attempts = PlanDocument.objects.values_list("attempts", flat=True).get(revision=revision)
        if attempts <= paused_attempts:
            marker = markers / f"{revision.pk}-{attempts}.tmp"
            marker.write_text(str(os.getpid()))
            marker.rename(marker.with_suffix(""))  # whole, never half written
            time.sleep(PAUSE_SECONDS)
        return load(revision)

    render.schedule_data = paused_at_first_attempts
    # The pool notices a killed child on a 5-second timer here: look every 0.2 s instead, so the
    # 20 kills take seconds, not minutes. A killed child has no result to wait for either.
    AsynPool.timers = property(lambda pool: {pool.maintain_pool: 0.2})  # type: ignore[method-assign]
    app.conf.worker_lost_wait = 0.5
    app.worker_main(sys.argv[1:])


if __name__ == "__main__":
    main()
