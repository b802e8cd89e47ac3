"""Fixtures of the fault tests: a temporary folder, the processes a test starts (all killed at
the end, whatever happens), a private redis-server, and the test database's URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from tests.faults.processes import Processes, RedisServer, database_url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.faults_failed = report.failed
    return report


@pytest.fixture
def processes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Processes]:
    """Every process the test starts; killed (``kill -9``, the whole group) at teardown. The
    logs of a failed test are printed."""
    started = Processes(tmp_path)
    yield started
    started.kill_all()
    if getattr(request.node, "faults_failed", False):
        print(started.report())


@pytest.fixture
def redis_server(processes: Processes) -> RedisServer:
    """A private redis-server on a free port, for the broker (the shared Redis is left alone)."""
    return RedisServer(processes)


@pytest.fixture
def shared_database_url(transactional_db: None) -> str:
    """The test database's URL for worker processes: rows the test commits are theirs too.

    Worker processes cannot share SQLite's test database safely, so these tests need
    PostgreSQL (CI runs them against it; see .ci/run)."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs DATABASE_URL=postgres://...: worker processes share the test database, "
            "which SQLite cannot serve to several processes (CI runs PostgreSQL)"
        )
    return database_url()
