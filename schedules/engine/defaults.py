"""The clinic's default plan request: one definition for the builder's first values, the demo
plans, the sample schedule, the benchmarks and the tests.

Proportional 10% of the current dose every 14 days to stopping, Ashton 2007 equivalence: the
upper end of ASAM 2025's 5-10% initial pace, at the shortest interval of its "every 2-4 weeks".
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

DEFAULT_PLAN_REQUEST: MappingProxyType[str, Any] = MappingProxyType(
    {
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
)


def default_request(**changes: Any) -> dict[str, Any]:
    """A fresh copy of :data:`DEFAULT_PLAN_REQUEST` with ``changes`` applied."""
    body = dict(DEFAULT_PLAN_REQUEST)
    body["regimen"] = [
        {"drug": item["drug"], "doses": dict(item["doses"])} for item in body["regimen"]
    ]
    body.update(changes)
    return body
