"""Fixtures for the pure engine tests: no database, no Django."""

from __future__ import annotations

from typing import Any

import pytest

from schedules.engine import Reference, default_request, load_reference
from schedules.engine.formulations import Formulary
from tests.schedules.engine.refdata import make_reference


@pytest.fixture(scope="session")
def ref() -> Reference:
    """The in-code reference (stable: the worked examples do not move when data files do)."""
    return make_reference()


@pytest.fixture(scope="session")
def data_ref() -> Reference:
    """The shipped reference data in ``catalogue/data``."""
    return load_reference()


def request_body(**changes: Any) -> dict[str, Any]:
    """A valid preview body: the clinic's default request (diazepam 10 mg twice a day,
    proportional 10% / 14 days, GB) with ``changes``."""
    return default_request(**changes)


def forget_tapers(reference: Reference) -> None:
    """Empty the memo of one-drug tapers of every formulary ``reference`` has handed out
    (formularies are shared by every plan of the process; the memo is their only state that
    could make a plan depend on the plans built before it)."""
    for value in reference.cache.values():
        if isinstance(value, Formulary):
            value.trajectories.clear()
