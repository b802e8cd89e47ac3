"""Reading a medication record: the record with its computed risk, pace and factors, the API's
shape, the snapshot a plan keeps, the builder's first values, and the history.

One place computes the withdrawal-risk band, the daily diazepam-equivalent and the suggested
pace, and the patient page, the API, the builder and the plan's snapshot all read it from here.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from catalogue import selectors as catalogue_selectors
from medications import risk
from medications.models import Alcohol, MedicationRecord, TaperOutcome
from medications.record import SLOT_NAMES, STORED_FACTORS
from medications.risk import Pace, Risk
from patients.models import Patient
from schedules import engine
from schedules.engine.guardrails import SLOW_DAYS, SLOW_PERCENT
from schedules.engine.units import fmt, q2

#: The equivalence source the record shows first (the builder's default).
SHOWN_SOURCE = engine.DEFAULT_PLAN_REQUEST["equivalence_source"]
#: Previous taper outcomes that call for the slowest start.
HARD_OUTCOMES = frozenset({TaperOutcome.STOPPED_SYMPTOMS.value, TaperOutcome.SEVERE.value})


@functools.cache
def reference() -> engine.Reference:
    """The engine's reference data (the versioned catalogue files), read once."""
    return engine.load_reference()


def record_for(patient: Patient) -> MedicationRecord | None:
    """The patient's record, or ``None`` before anything is recorded."""
    return MedicationRecord.objects.filter(patient=patient).first()


def age_on(patient: Patient, today: datetime.date) -> int:
    born = patient.date_of_birth
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class Equivalent:
    """The regimen's daily diazepam-equivalent: by the shown source, the range across
    sources, and the figure the risk band uses (the highest, the safer reading)."""

    shown: Decimal | None
    shown_source: str
    low: Decimal | None
    high: Decimal | None
    by_source: dict[str, Decimal] = field(default_factory=dict)

    @property
    def source_label(self) -> str:
        return reference().source_label(self.shown_source)

    @property
    def text(self) -> dict[str, str]:
        """The figures as the pages show them ("30", "7.5")."""
        values = {"shown": self.shown, "low": self.low, "high": self.high}
        return {key: fmt(value) for key, value in values.items() if value is not None}

    @property
    def sources_disagree(self) -> bool:
        return self.low is not None and self.high is not None and self.low != self.high


@dataclass(frozen=True)
class RecordView:
    """A record with everything computed from it (``record`` is ``None`` when empty)."""

    record: MedicationRecord | None
    age: int
    regimen: list[dict[str, Any]]
    equivalent: Equivalent
    risk: Risk
    pace: Pace
    factors: tuple[str, ...]
    slowing_reasons: tuple[str, ...]
    inpatient_reasons: tuple[str, ...]

    @property
    def has_regimen(self) -> bool:
        return bool(self.regimen)


def _equivalent(regimen: list[dict[str, Any]]) -> Equivalent:
    daily = [
        (item["drug"], sum((Decimal(mg) for mg in item["doses"].values()), Decimal(0)))
        for item in regimen
    ]
    if not daily:
        return Equivalent(None, SHOWN_SOURCE, None, None)
    by_source = {k: q2(v) for k, v in engine.regimen_equivalents(reference(), daily).items()}
    values = list(by_source.values())
    return Equivalent(
        shown=by_source.get(SHOWN_SOURCE),
        shown_source=SHOWN_SOURCE,
        low=min(values) if values else None,
        high=max(values) if values else None,
        by_source=by_source,
    )


def _regimen_rows(regimen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = catalogue_selectors.drug_names()
    rows = []
    for item in regimen:
        doses = [(slot, item["doses"][slot]) for slot in SLOT_NAMES if slot in item["doses"]]
        daily = sum((Decimal(mg) for _, mg in doses), Decimal(0))
        rows.append(
            {
                **item,
                "name": names.get(item["drug"], item["drug"]),
                "dose_list": doses,
                "daily_mg": fmt(daily),
            }
        )
    return rows


def _factors(record: MedicationRecord | None, age: int) -> tuple[str, ...]:
    on = set()
    if age >= 65:
        on.add("age-65-plus")
    if record is not None:
        on.update(name for name, column in STORED_FACTORS.items() if getattr(record, column))
        if record.opioids:
            on.add("opioids")
        if record.alcohol in (Alcohol.ABOVE, Alcohol.DEPENDENCE):
            on.add("alcohol")
    return tuple(name for name in engine.PATIENT_FACTORS if name in on)


def _slowing(record: MedicationRecord | None, age: int) -> tuple[str, ...]:
    reasons = []
    if age >= 65:
        reasons.append(f"age {age}")
    if record is None:
        return tuple(reasons)
    for flag, words in (
        (record.liver_disease, "liver disease"),
        (record.epilepsy, "epilepsy"),
        (record.withdrawal_seizure_history, "previous withdrawal seizures"),
        (record.pregnancy, "pregnancy"),
        (record.opioids, "opioids"),
        (record.gabapentinoids, "gabapentinoids"),
        (record.other_sedatives, "other sedatives"),
        (record.alcohol in (Alcohol.ABOVE, Alcohol.DEPENDENCE), "alcohol use"),
    ):
        if flag:
            reasons.append(words)
    if any(t.get("outcome") in HARD_OUTCOMES for t in record.previous_tapers or []):
        reasons.append("a previous taper stopped by withdrawal")
    return tuple(reasons)


def record_view(patient: Patient, today: datetime.date) -> RecordView:
    """The record with its computed band, daily DE, factors and suggested pace."""
    record = record_for(patient)
    age = age_on(patient, today)
    regimen = list(record.regimen) if record else []
    equivalent = _equivalent(regimen)
    band = risk.withdrawal_risk(
        since=record.since if record else None,
        days_per_week=record.days_per_week if record else None,
        daily_de=equivalent.high,
        today=today,
    )
    under_three = bool(record and record.since and record.since > risk.months_before(today, 3))
    slowing = _slowing(record, age)
    return RecordView(
        record=record,
        age=age,
        regimen=_regimen_rows(regimen),
        equivalent=equivalent,
        risk=band,
        pace=risk.suggested_pace(
            risk=band,
            under_three_months=under_three,
            slowing_reasons=slowing,
            slow_percent=SLOW_PERCENT,
            slow_days=SLOW_DAYS,
        ),
        factors=_factors(record, age),
        slowing_reasons=slowing,
        inpatient_reasons=risk.inpatient_reasons(
            withdrawal_seizure_history=bool(record and record.withdrawal_seizure_history),
            severe_previous_withdrawal=bool(
                record
                and any(
                    t.get("outcome") == TaperOutcome.SEVERE for t in record.previous_tapers or []
                )
            ),
            alcohol_dependence=bool(record and record.alcohol == Alcohol.DEPENDENCE),
        ),
    )


def record_data(view: RecordView) -> dict[str, Any]:
    """The API's shape (``GET /api/v1/patients/{id}/medications/``); also the plan snapshot."""
    record = view.record
    eq = view.equivalent
    return {
        "regimen": [
            {"drug": r["drug"], "doses": dict(r["dose_list"]), "form": r.get("form", "ir")}
            for r in view.regimen
        ],
        "use": {
            "since": record.since.isoformat() if record and record.since else None,
            "days_per_week": record.days_per_week if record else None,
            "indication": record.indication if record else "",
        },
        "outside_prescriber": record.outside_prescriber if record else "",
        "other": {
            "opioids": bool(record and record.opioids),
            "gabapentinoids": bool(record and record.gabapentinoids),
            "sedatives": bool(record and record.other_sedatives),
            "alcohol": record.alcohol if record else Alcohol.UNKNOWN.value,
            "medicines": list(record.other_medicines) if record else [],
        },
        "factors": list(view.factors),
        "previous_tapers": list(record.previous_tapers) if record else [],
        "daily_equivalent_mg": {
            "source": eq.shown_source,
            "mg": fmt(eq.shown) if eq.shown is not None else None,
            "low": fmt(eq.low) if eq.low is not None else None,
            "high": fmt(eq.high) if eq.high is not None else None,
            "band_uses": "high",
        },
        "withdrawal_risk": {
            "band": view.risk.band,
            "row": view.risk.row,
            "reason": view.risk.reason,
            "source": view.risk.source,
        },
        "suggested_pace": {
            "reduction_percent": fmt(view.pace.reduction_percent),
            "interval_days": view.pace.interval_days,
            "reasons": list(view.pace.reasons),
            "source": view.pace.source,
        },
        "inpatient_warning": list(view.inpatient_reasons),
        "updated_at": record.updated_at.isoformat() if record else None,
        "updated_by": record.updated_by.display_name() if record and record.updated_by else None,
    }


def snapshot(patient: Patient, today: datetime.date) -> dict[str, Any] | None:
    """What a new plan keeps of the record it was built from (``None`` without a record)."""
    view = record_view(patient, today)
    return record_data(view) if view.record is not None else None


def builder_initial(view: RecordView) -> dict[str, Any]:
    """The builder's fields from the record: regimen rows, factors and the suggested pace."""
    initial: dict[str, Any] = {}
    for position, item in enumerate(view.regimen[:2]):
        row = position + 1
        initial[f"drug_{row}"] = item["drug"]
        initial[f"drug_{row}_form"] = item.get("form", "ir")
        for slot, mg in item["doses"].items():
            initial[f"drug_{row}_{slot}"] = mg
    initial["patient_factors"] = list(view.factors)
    initial["reduction_percent"] = fmt(view.pace.reduction_percent)
    initial["interval_days"] = view.pace.interval_days
    return initial


@dataclass(frozen=True)
class HistoryRow:
    when: datetime.datetime
    who: str
    reason: str
    changes: list[str]


LABELS = {
    "regimen": "current regimen",
    "since": "taking since",
    "days_per_week": "days a week",
    "indication": "indication",
    "outside_prescriber": "outside prescriber",
    "opioids": "opioids",
    "gabapentinoids": "gabapentinoids",
    "other_sedatives": "other sedatives",
    "alcohol": "alcohol",
    "other_medicines": "other medicines",
    "liver_disease": "liver disease",
    "epilepsy": "epilepsy",
    "withdrawal_seizure_history": "previous withdrawal seizures",
    "pregnancy": "pregnancy",
    "previous_tapers": "previous tapers",
}


def record_history(patient: Patient, *, limit: int = 50) -> list[HistoryRow]:
    """Every saved version, newest first: who, when, why, and which fields changed."""
    record = record_for(patient)
    if record is None:
        return []
    versions = list(
        record.history.select_related("history_user").order_by("-history_id")[: limit + 1]
    )
    rows = []
    for i, version in enumerate(versions[:limit]):
        older = versions[i + 1] if i + 1 < len(versions) else None
        if older is None:
            changes = ["first recorded"]
        else:
            delta = version.diff_against(older, excluded_fields=["updated_at", "updated_by"])
            changes = [LABELS.get(c.field, c.field) for c in delta.changes]
        user = version.history_user
        rows.append(
            HistoryRow(
                when=version.history_date,
                who=user.display_name() if user else "—",
                reason=version.history_change_reason or "",
                changes=changes or ["no change"],
            )
        )
    return rows


def changed_since(patient: Patient, moment: datetime.datetime | None) -> datetime.datetime | None:
    """When the record last changed, if that was after ``moment`` (e.g. a plan's signing)."""
    if moment is None:
        return None
    updated = (
        MedicationRecord.objects.filter(patient=patient)
        .values_list("updated_at", flat=True)
        .first()
    )
    return updated if updated is not None and updated > moment else None


def snapshot_regimen(snapshot: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A plan's snapshot regimen with names and doses in day order (a JSON column on PostgreSQL
    does not keep the order of keys)."""
    if not snapshot:
        return []
    return _regimen_rows(list(snapshot.get("regimen", [])))
