"""Medication record bodies (the API's shape) for tests."""

from __future__ import annotations

import copy
from typing import Any

BODY: dict[str, Any] = {
    "regimen": [{"drug": "alprazolam", "doses": {"morning": "0.5", "night": "1"}, "form": "ir"}],
    "use": {"since": "2021-03-01", "days_per_week": 7, "indication": "anxiety"},
    "outside_prescriber": "Dr Okafor, High Street Surgery",
    "other": {
        "opioids": False,
        "gabapentinoids": True,
        "sedatives": False,
        "alcohol": "within-guidelines",
        "medicines": [{"name": "Pregabalin 75 mg capsules", "kind": "gabapentinoid"}],
    },
    "factors": [],
    "previous_tapers": [{"year": 2019, "outcome": "stopped-symptoms"}],
}


def record_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(BODY)
    body.update(changes)
    return body
