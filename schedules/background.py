"""One background worker thread: the embedded default's stand-in for a Celery worker.

With no broker (``make run``: SQLite, no Redis) a PDF rendered inside the request would make a
prescriber wait seconds for "Sign" to answer. When ``settings.TAPER_RENDER_IN_BACKGROUND`` is on,
:func:`schedules.services.documents.enqueue_render` hands the render to this module after commit
instead, and the request answers at once; the plan page's status partial polls until it is ready.

One daemon thread takes jobs from an unbounded FIFO queue, one at a time, so renders never pile up
in parallel (WeasyPrint is CPU-bound: two at once would only slow each other and the requests).
Each job is a callable that closes over ids only. Whatever a job does, the thread survives it: a
failure is logged by exception type (never its message, which can quote patient data) and the
thread's database connection is closed after every job.

The thread is a daemon so that stopping the server never waits for a queue of renders. A render
cut short that way leaves its document queued or rendering; the next process to serve a request
picks queued documents up again (:func:`schedules.services.documents.enqueue_pending`), and one
left "rendering" becomes retryable from the plan page once it is stale.

This module knows nothing of documents: it runs callables. With Redis configured, or in the test
settings, it is not used at all.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable

from django.db import connection

logger = logging.getLogger(__name__)

Job = Callable[[], object]  # its result is ignored

__all__ = ["Job", "submit", "wait_idle"]


class _Worker:
    """A single daemon thread draining a FIFO queue of jobs."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, job: Job) -> None:
        with self._lock:
            self._pending += 1
            # Started lazily, and again in a forked child (threads do not survive a fork).
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="taper-background", daemon=True
                )
                self._thread.start()
        self._queue.put(job)

    def wait_idle(self, timeout: float) -> bool:
        """Block until every submitted job has finished; ``False`` if ``timeout`` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            except Exception as exc:
                logger.error(
                    "background job failed job=%s error=%s", _name(job), type(exc).__name__
                )
            finally:
                try:
                    connection.close()  # this thread's connection; a new one per job
                except Exception as exc:
                    logger.warning(
                        "background job could not close its connection error=%s",
                        type(exc).__name__,
                    )
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


def _name(job: Job) -> str:
    func = getattr(job, "func", job)  # functools.partial
    return getattr(func, "__qualname__", type(job).__name__)


_worker = _Worker()


def submit(job: Job) -> None:
    """Run ``job`` on the background thread after the jobs already queued. Returns at once."""
    _worker.submit(job)


def wait_idle(timeout: float = 60.0) -> bool:
    """Wait for the queue to drain (tests, the benchmark); ``False`` on timeout."""
    return _worker.wait_idle(timeout)
