"""Build real plans through the services (and so the engine) for tests."""

from __future__ import annotations

import datetime
from typing import Any

from schedules.engine.defaults import default_request
from schedules.models import PlanRevision
from schedules.services import plans as plan_services
from schedules.services.plans import OverrideInput


def preview_body(**overrides: Any) -> dict[str, Any]:
    """The test factory of plan bodies: the clinic's default request (diazepam 10 mg twice daily,
    10% every 14 days, GB, to stop from 4 Jan 2027) with ``overrides``."""
    return default_request(**overrides)


def crossover_body(**overrides: Any) -> dict[str, Any]:
    """Alprazolam 1 mg three times daily, crossed over to diazepam (GB)."""
    return preview_body(
        regimen=[{"drug": "alprazolam", "doses": {"morning": "1", "midday": "1", "night": "1"}}],
        switch_to_diazepam=True,
        **overrides,
    )


def draft_plan(patient: Any, prescriber: Any, **overrides: Any) -> PlanRevision:
    return plan_services.plan_create(
        patient=patient, user=prescriber, data=preview_body(**overrides)
    )


def overrides_for(revision: PlanRevision, reason: str) -> list[OverrideInput]:
    """One override with ``reason`` for every violation of ``revision``."""
    return [OverrideInput(v["rule"], v.get("step"), reason) for v in revision.violations]


def signed_plan(patient: Any, prescriber: Any, body: dict[str, Any] | None = None) -> PlanRevision:
    """Create and sign a plan, overriding every violation with a stock reason."""
    revision = plan_services.plan_create(
        patient=patient, user=prescriber, data=body if body is not None else preview_body()
    )
    overrides = overrides_for(revision, "Reviewed with the patient.")
    return plan_services.revision_sign(
        revision=revision, user=prescriber, confirm=True, overrides=overrides
    )


TODAY = datetime.date(2027, 1, 4)
