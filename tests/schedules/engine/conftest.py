"""Fixtures for the pure engine tests: no database, no Django."""

from __future__ import annotations

from typing import Any

import pytest

from schedules.engine import Reference, load_reference
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
    """A valid preview body (diazepam 10 mg twice a day, proportional 10% / 14 days, GB)."""
    body: dict[str, Any] = {
        "regimen": [{"drug": "diazepam", "doses": {"morning": "10", "night": "10"}}],
        "strategy": "proportional",
        "reduction_percent": "10",
        "step_mg": None,
        "interval_days": 14,
        "switch_to_diazepam": False,
        "target_mg": "0",
        "equivalence_source": "ashton-2007",
        "country": "GB",
        "start_date": "2027-01-04",
    }
    body.update(changes)
    return body
