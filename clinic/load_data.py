"""Synthetic data at scale for ``manage.py seed_load``: a clinic network with months of history.

Deterministic: the same ``seed``, sizes and day give the same rows. The shape:

- ``clinics`` clinics (the last one in the US), each with prescribers, nurses and an admin;
- patients spread over the clinics, each with a medication record;
- per clinic and regimen, a few *template* plans built and signed through the services (the
  engine, the guardrails, the overrides; some held through ``plan_hold``), starting today;
- every other patient gets a copy of a template's signed revisions (a hold too, for some),
  shifted to start about ``weeks`` weeks ago, written with ``bulk_create``: signing thousands
  of plans through the service would take hours. A few patients have only an unsigned plan;
- a weekly invitation per patient from their plan's start to today (answered, missed, or sent
  this week), a CIWA-B check-in for each answered one (scored by ``checkins.instruments``, with
  the suggestion the service would store), reviews of all but the most recent, and red flags.

The rows keep every database constraint (one plan in force per patient, one signed chain of
revisions per plan, one invitation per patient and week) and the app's invariants (a check-in
names the revision in force that day and its step).
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from accounts.clinic_time import clinic_today
from accounts.models import Clinic, User
from checkins import instruments as ins
from checkins.models import CheckIn, Invitation, Review
from checkins.services import MISSED_AFTER, VALID_FOR, due_at_for, last_reduction, severity_rank
from medications.models import MedicationRecord
from patients.models import Patient
from schedules.engine.defaults import default_request
from schedules.models import PlanRevision, PlanStep, StepDose, TaperPlan
from schedules.services import documents as document_services
from schedules.services import plans as plan_services

LOAD_PASSWORD = "load-password"  # noqa: S105 (synthetic data, DEBUG only unless forced)
CLINIC_PREFIX = "Load clinic"
BATCH = 2000
CHUNK = 250  # patients written per round (bounds memory; each round is one transaction)

FIRST_NAMES = [
    "Ada",
    "Ben",
    "Cara",
    "Dev",
    "Ela",
    "Finn",
    "Gia",
    "Hal",
    "Ivy",
    "Jon",
    "Kai",
    "Lea",
    "Max",
    "Nia",
    "Oli",
    "Pia",
    "Quin",
    "Rae",
    "Sam",
    "Tia",
    "Uma",
    "Vic",
    "Wyn",
    "Xan",
    "Yara",
    "Zed",
    "Amir",
    "Bea",
    "Cole",
    "Dina",
    "Eli",
    "Faye",
    "Gus",
    "Hana",
    "Ian",
    "Jade",
    "Kit",
    "Lou",
    "Mia",
    "Ned",
]
LAST_NAMES = [
    "Archer",
    "Booth",
    "Collins",
    "Dale",
    "Ellis",
    "Fraser",
    "Grant",
    "Hughes",
    "Irwin",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nash",
    "Owens",
    "Patel",
    "Quinn",
    "Reyes",
    "Shah",
    "Turner",
    "Usman",
    "Vance",
    "Walsh",
    "Young",
    "Zhou",
    "Baker",
    "Clarke",
    "Davies",
    "Evans",
    "Foster",
    "Gray",
    "Hill",
    "Iqbal",
    "James",
    "Kelly",
    "Lloyd",
    "Mason",
    "Novak",
    "Price",
    "Rossi",
]
NO_FLAGS = {
    "seizure": False,
    "confusion": False,
    "hallucinations": False,
    "suicidal_thoughts": False,
}


@dataclass(frozen=True)
class Regimen:
    """A medication record body and the plan a prescriber builds from it."""

    key: str
    record: dict[str, Any]
    plan: dict[str, Any]


REGIMENS = (
    Regimen(
        "alprazolam-crossover",
        {
            "regimen": [{"drug": "alprazolam", "doses": {"morning": "0.5", "night": "1"}}],
            "indication": "panic",
        },
        {"switch_to_diazepam": True},
    ),
    Regimen(
        "diazepam",
        {
            "regimen": [{"drug": "diazepam", "doses": {"morning": "10", "night": "10"}}],
            "indication": "anxiety",
        },
        {"switch_to_diazepam": False},
    ),
    Regimen(
        "diazepam-slow",
        {
            "regimen": [{"drug": "diazepam", "doses": {"morning": "5", "night": "10"}}],
            "indication": "insomnia",
        },
        {"switch_to_diazepam": False, "reduction_percent": "5"},
    ),
)


@dataclass
class TemplateRevision:
    fields: dict[str, Any]
    steps: list[tuple[dict[str, Any], list[dict[str, Any]]]]


@dataclass
class Template:
    """A plan built through the services, to copy: its signed revisions, oldest first."""

    start: datetime.date
    snapshot: dict[str, Any] | None
    revisions: list[TemplateRevision]


@dataclass
class Counts:
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int) -> None:
        self.rows[name] = self.rows.get(name, 0) + n


def already_loaded() -> bool:
    return Clinic.objects.filter(name__startswith=CLINIC_PREFIX).exists()


def _create(model: Any, rows: list[Any], counts: Counts, name: str) -> list[Any]:
    created = model.objects.bulk_create(rows, batch_size=BATCH)
    counts.add(name, len(rows))
    return list(created)


# --- Clinics, staff, patients, records --------------------------------------------------------


def _clinics(n: int, counts: Counts) -> list[Clinic]:
    rows = []
    for i in range(1, n + 1):
        us = i == n and n > 1
        rows.append(
            Clinic(
                name=f"{CLINIC_PREFIX} {i}",
                country="US" if us else "GB",
                time_zone="America/New_York" if us else "Europe/London",
                phone=f"(555) 010-{i:04d}" if us else f"020 7946 {i:04d}",
            )
        )
    return _create(Clinic, rows, counts, "clinics")


STAFF = (
    (User.Role.PRESCRIBER, "prescriber", 3),
    (User.Role.NURSE, "nurse", 4),
    (User.Role.CLINIC_ADMIN, "admin", 1),
)


def staff_username(clinic_number: int, label: str, k: int) -> str:
    return f"load{clinic_number}-{label}{k}"


def _staff(clinics: list[Clinic], counts: Counts) -> dict[int, dict[str, list[User]]]:
    password = make_password(LOAD_PASSWORD)  # one hash for all: PBKDF2 costs ~0.5 s each
    rows = []
    for number, clinic in enumerate(clinics, start=1):
        for role, label, how_many in STAFF:
            for k in range(1, how_many + 1):
                rows.append(
                    User(
                        username=staff_username(number, label, k),
                        clinic=clinic,
                        role=role,
                        first_name=label.title(),
                        last_name=f"{number}-{k}",
                        password=password,
                        is_staff=role == User.Role.CLINIC_ADMIN,
                    )
                )
    by_clinic: dict[int, dict[str, list[User]]] = {c.pk: {} for c in clinics}
    for user in _create(User, rows, counts, "users"):
        by_clinic[user.clinic_id].setdefault(user.role, []).append(user)
    return by_clinic


def _patients(
    rng: random.Random,
    clinics: list[Clinic],
    staff: dict[int, dict[str, list[User]]],
    n: int,
    counts: Counts,
) -> list[Patient]:
    rows = []
    for i in range(n):
        clinic = clinics[i % len(clinics)]
        team = staff[clinic.pk]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        mrn = f"LD{clinics.index(clinic) + 1}-{i:06d}"
        rows.append(
            Patient(
                clinic=clinic,
                mrn=mrn,
                first_name=first,
                last_name=last,
                date_of_birth=datetime.date(1940, 1, 1)
                + datetime.timedelta(days=rng.randint(0, 60 * 365)),
                email=f"{mrn.lower()}@example.com" if rng.random() < 0.8 else "",
                phone="" if rng.random() < 0.5 else f"07700 9{i % 100000:05d}",
                time_zone=clinic.time_zone,
                reminder_weekday=rng.randint(0, 6),
                reminder_time=datetime.time(rng.choice((8, 9, 10, 12, 17, 18)), 0),
                prescriber=rng.choice(team[User.Role.PRESCRIBER]),
                nurse=rng.choice(team[User.Role.NURSE]),
            )
        )
    return _create(Patient, rows, counts, "patients")


def _record_row(
    rng: random.Random, patient: Patient, regimen: Regimen, prescriber: User
) -> MedicationRecord:
    gabapentinoid = rng.random() < 0.15
    return MedicationRecord(
        patient=patient,
        regimen=regimen.record["regimen"],
        since=datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randint(0, 9 * 365)),
        days_per_week=rng.choice((7, 7, 7, 6, 5)),
        indication=regimen.record["indication"],
        alcohol=rng.choice(("none", "within-guidelines", "unknown", "above-guidelines")),
        gabapentinoids=gabapentinoid,
        other_medicines=[{"name": "Pregabalin 75 mg capsules", "kind": "gabapentinoid"}]
        if gabapentinoid
        else [],
        previous_tapers=[{"year": 2019, "outcome": "stopped-symptoms"}]
        if rng.random() < 0.2
        else [],
        updated_by=prescriber,
    )


# --- Template plans, built through the services -----------------------------------------------


def _template(
    patient: Patient, prescriber: User, nurse: User, regimen: Regimen, hold: bool
) -> Template:
    today = clinic_today(patient.clinic)
    body = default_request(
        regimen=regimen.record["regimen"],
        country=patient.clinic.country,
        start_date=today.isoformat(),
        **regimen.plan,
    )
    draft = plan_services.plan_create(patient=patient, user=prescriber, data=body)
    overrides = [
        plan_services.OverrideInput(v["rule"], v.get("step"), "Reviewed with the patient.")
        for v in draft.violations
    ]
    plan_services.revision_sign(revision=draft, user=prescriber, confirm=True, overrides=overrides)
    if hold:
        plan_services.plan_hold(
            plan=draft.plan, user=nurse, days=14, reason="Withdrawal symptoms: hold two weeks."
        )
    revisions = []
    for revision in (
        PlanRevision.objects.signed()
        .filter(plan=draft.plan)
        .order_by("number")
        .prefetch_related("steps__doses")
    ):
        fields = {
            f.attname: getattr(revision, f.attname)
            for f in PlanRevision._meta.concrete_fields
            if f.attname not in ("id", "plan_id", "previous_id", "created_at")
        }
        steps = []
        for step in sorted(revision.steps.all(), key=lambda s: s.index):
            step_fields = {
                f.attname: getattr(step, f.attname)
                for f in PlanStep._meta.concrete_fields
                if f.attname not in ("id", "revision_id")
            }
            doses = [
                {
                    f.attname: getattr(dose, f.attname)
                    for f in StepDose._meta.concrete_fields
                    if f.attname not in ("id", "step_id")
                }
                for dose in dose_rows(step)
            ]
            steps.append((step_fields, doses))
        revisions.append(TemplateRevision(fields, steps))
    plan = TaperPlan.objects.get(pk=draft.plan_id)
    return Template(
        start=revisions[0].fields["start_date"],
        snapshot=plan.record_snapshot,
        revisions=revisions,
    )


def dose_rows(step: PlanStep) -> list[StepDose]:
    return sorted(step.doses.all(), key=lambda d: d.slot_order)


# --- Copies of the templates, in bulk -------------------------------------------------------


@dataclass
class PatientPlan:
    """What the check-ins of one patient need: their plan and its revisions, as written."""

    patient: Patient
    plan: TaperPlan
    revisions: list[PlanRevision]
    steps: dict[int, list[PlanStep]]  # revision pk -> steps, by index

    def in_force_on(self, day: datetime.date) -> PlanRevision:
        current = self.revisions[0]
        for revision in self.revisions[1:]:
            if revision.effective_from <= day:
                current = revision
        return current


def _shift_request(request: dict[str, Any], start: datetime.date) -> dict[str, Any]:
    return {**request, "start_date": start.isoformat()}


def _copy_plans(
    rng: random.Random,
    patients: list[Patient],
    choices: list[tuple[Template, datetime.date]],
    counts: Counts,
    now: datetime.datetime,
) -> list[PatientPlan]:
    """Write each patient's plan as a copy of a template starting on the chosen day."""
    plans = _create(
        TaperPlan,
        [
            TaperPlan(
                patient=p,
                status=TaperPlan.Status.ACTIVE,
                created_by=p.prescriber,
                record_snapshot=t.snapshot,
            )
            for p, (t, _) in zip(patients, choices, strict=True)
        ],
        counts,
        "plans",
    )
    written: list[list[PlanRevision]] = [[] for _ in patients]
    depth = max(len(t.revisions) for t, _ in choices)
    for level in range(depth):
        rows, owners = [], []
        for i, (plan, (template, start)) in enumerate(zip(plans, choices, strict=True)):
            if level >= len(template.revisions):
                continue
            shift = start - template.start
            fields = dict(template.revisions[level].fields)
            for name in ("start_date", "end_date", "effective_from"):
                fields[name] = fields[name] + shift
            fields["request"] = _shift_request(fields["request"], start)
            signed_at = datetime.datetime.combine(
                fields["effective_from"] - datetime.timedelta(days=1 if level == 0 else 0),
                datetime.time(11, 0),
                tzinfo=datetime.UTC,
            )
            fields["signed_at"] = min(signed_at, now)
            fields["signed_by_id"] = (
                plan.created_by_id if level == 0 else patients[i].nurse_id or plan.created_by_id
            )
            fields["created_by_id"] = fields["signed_by_id"]
            previous = written[i][-1] if written[i] else None
            rows.append(PlanRevision(plan=plan, previous=previous, **fields))
            owners.append(i)
        for i, revision in zip(
            owners, _create(PlanRevision, rows, counts, "revisions"), strict=True
        ):
            written[i].append(revision)
    step_rows: list[PlanStep] = []
    dose_specs: list[list[dict[str, Any]]] = []
    for revisions, (template, start) in zip(written, choices, strict=True):
        shift = start - template.start
        for revision, spec in zip(revisions, template.revisions, strict=True):
            for step_fields, doses in spec.steps:
                row = dict(step_fields)
                row["start_date"] += shift
                row["end_date"] += shift
                step_rows.append(PlanStep(revision=revision, **row))
                dose_specs.append(doses)
    steps = _create(PlanStep, step_rows, counts, "plan steps")
    _create(
        StepDose,
        [StepDose(step=s, **d) for s, doses in zip(steps, dose_specs, strict=True) for d in doses],
        counts,
        "step doses",
    )
    by_revision: dict[int, list[PlanStep]] = {}
    for step in steps:
        by_revision.setdefault(step.revision_id, []).append(step)
    return [
        PatientPlan(patient, plan, revisions, by_revision)
        for patient, plan, revisions in zip(patients, plans, written, strict=True)
    ]


def _unsigned_plans(
    patients: list[Patient], template: Template, counts: Counts, today: datetime.date
) -> None:
    """A few patients have only a plan not signed yet (the prescriber's worklist)."""
    plans = _create(
        TaperPlan,
        [TaperPlan(patient=p, created_by=p.prescriber, record_snapshot=None) for p in patients],
        counts,
        "plans",
    )
    spec = template.revisions[0]
    start = today + datetime.timedelta(days=7 - today.weekday())
    shift = start - template.start
    revisions = []
    for plan in plans:
        fields = dict(spec.fields)
        for name in ("start_date", "end_date", "effective_from"):
            fields[name] = fields[name] + shift
        fields.update(
            status=PlanRevision.Status.DRAFT,
            signed_by_id=None,
            signed_at=None,
            created_by_id=plan.created_by_id,
            request=_shift_request(fields["request"], start),
        )
        revisions.append(PlanRevision(plan=plan, **fields))
    written = _create(PlanRevision, revisions, counts, "revisions")
    step_rows, dose_specs = [], []
    for revision in written:
        for step_fields, doses in spec.steps:
            row = dict(step_fields)
            row["start_date"] += shift
            row["end_date"] += shift
            step_rows.append(PlanStep(revision=revision, **row))
            dose_specs.append(doses)
    steps = _create(PlanStep, step_rows, counts, "plan steps")
    _create(
        StepDose,
        [StepDose(step=s, **d) for s, doses in zip(steps, dose_specs, strict=True) for d in doses],
        counts,
        "step doses",
    )


# --- Invitations, check-ins, reviews ----------------------------------------------------------


def _answers(rng: random.Random, total: int) -> dict[str, int]:
    """17 self-report answers (0-4) adding up to ``total`` (at most 68)."""
    values = [0] * 17
    for _ in range(min(total, 68)):
        i = rng.randrange(17)
        while values[i] >= 4:
            i = (i + 1) % 17
        values[i] += 1
    return {str(n + 1): v for n, v in enumerate(values)}


def _step_on(steps: list[PlanStep], day: datetime.date) -> PlanStep | None:
    for step in steps:
        if step.start_date <= day <= step.end_date and step.phase != PlanStep.Phase.STOP:
            return step
    return None


@dataclass
class _Pending:
    invitation: Invitation
    checkin: CheckIn | None = None
    review_action: str = ""


def _history_rows(
    rng: random.Random, item: PatientPlan, now: datetime.datetime, zone: str
) -> list[_Pending]:
    """One patient's weeks: an invitation a week from the plan's start, answers and reviews."""
    patient, tz = item.patient, zoneinfo.ZoneInfo(zone)
    start = item.revisions[0].start_date
    end = item.revisions[-1].end_date
    monday = start - datetime.timedelta(days=start.weekday())
    baseline = rng.randint(3, 16)
    nurse = patient.nurse
    points: list[ins.WeekPoint] = []
    rows: list[_Pending] = []
    week = monday
    instrument = ins.get_instrument("ciwa-b")
    while True:
        due = due_at_for(patient, week)
        week_start = week
        week += datetime.timedelta(days=7)
        if due.date() < start:
            continue
        if due > now or due.date() > end:
            break
        current = now < due + MISSED_AFTER
        invitation = Invitation(
            patient=patient,
            plan=item.plan,
            week_start=week_start,
            due_at=due,
            expires_at=due + VALID_FOR,
            attempts=1,
            sent_at=due,
        )
        answered = rng.random() < (0.6 if current else 0.94)
        if not answered:
            if current:
                invitation.status = Invitation.Status.SENT
                invitation.token_hash = f"{rng.getrandbits(256):064x}"
            else:
                invitation.status = Invitation.Status.MISSED
                if due + datetime.timedelta(days=5) < now:
                    invitation.reviewed_at = due + datetime.timedelta(days=3)
            rows.append(_Pending(invitation))
            continue
        invitation.status = Invitation.Status.ANSWERED
        at = min(due + datetime.timedelta(minutes=rng.randint(20, 36 * 60)), now)
        invitation.claimed_at = at
        day = at.astimezone(tz).date()
        revision = item.in_force_on(day)
        steps = item.steps[revision.pk]
        step = _step_on(steps, day)
        cut = last_reduction(steps, day)
        bump = 0
        if cut is not None and (day - cut).days <= 10:
            bump = rng.randint(0, 8)
        total = max(0, min(68, baseline + bump + rng.randint(-4, 4)))
        flags = dict(NO_FLAGS)
        if rng.random() < 0.004:
            flags[rng.choice(tuple(NO_FLAGS))] = True
        answers = _answers(rng, total)
        assessment = ins.assess(instrument, answers, None, flags)
        point = ins.WeekPoint(
            on=day,
            total=assessment.total,
            max=assessment.max,
            partial=assessment.partial,
            red_flag=assessment.red_flags.any,
            urgent=assessment.urgent,
            last_reduction=cut,
        )
        if points and points[-1].on >= day:
            rows.append(_Pending(invitation))
            continue
        previous = points[-1] if points else None
        points.append(point)
        suggestion = ins.suggest(points[-6:])
        recent = at > now - datetime.timedelta(days=3)
        reviewed = not recent and rng.random() < 0.97
        checkin = CheckIn(
            patient=patient,
            revision=revision,
            instrument=instrument.id,
            instrument_version=instrument.version,
            answers=answers,
            observed={},
            red_flags=assessment.red_flags.to_dict(),
            total=assessment.total,
            max=assessment.max,
            band=assessment.band.key if assessment.band else "",
            partial=assessment.partial,
            urgent=assessment.urgent,
            severity=severity_rank(instrument, assessment.total),
            took_as_scheduled=rng.random() < 0.92,
            extra_doses=rng.random() < 0.05,
            hours_slept=Decimal(rng.randint(8, 18)) / 2,
            source=CheckIn.Source.SELF,
            step_index=step.index if step else None,
            daily_mg=step.equivalent_mg if step else None,
            last_reduction=cut,
            previous_total=previous.total if previous else None,
            previous_max=previous.max if previous else None,
            suggested_action=suggestion.action.value,
            suggested_rule=suggestion.rule.key,
            suggestion_reason=suggestion.reason,
            suggestion_source=suggestion.source,
            reviewed_at=min(at + datetime.timedelta(hours=rng.randint(1, 30)), now)
            if reviewed and nurse is not None
            else None,
            created_at=at,
        )
        action = ""
        if checkin.reviewed_at is not None:
            action = Review.Action.CONTINUE
            if suggestion.action.value in (Review.Action.HOLD, Review.Action.ESCALATE):
                action = suggestion.action.value
        rows.append(_Pending(invitation, checkin, action))
    return rows


def _write_history(
    rng: random.Random, items: list[PatientPlan], now: datetime.datetime, counts: Counts
) -> None:
    pending: list[_Pending] = []
    for item in items:
        pending += _history_rows(rng, item, now, item.patient.time_zone)
    _create(Invitation, [p.invitation for p in pending], counts, "invitations")
    answered = [p for p in pending if p.checkin is not None]
    rows = []
    for p in answered:
        if p.checkin is not None:
            p.checkin.invitation = p.invitation
            rows.append(p.checkin)
    checkins = _create(CheckIn, rows, counts, "check-ins")
    reviews = []
    for p, checkin in zip(answered, checkins, strict=True):
        if p.review_action and checkin.reviewed_at is not None:
            reviews.append(
                Review(
                    patient_id=checkin.patient_id,
                    checkin=checkin,
                    nurse_id=checkin.patient.nurse_id,
                    action=p.review_action,
                    note="Spoke to the patient." if p.review_action != "continue" else "Fine.",
                    days=14 if p.review_action == Review.Action.HOLD else None,
                    needs_prescriber=p.review_action == Review.Action.ESCALATE,
                    resolved_at=checkin.reviewed_at
                    if p.review_action == Review.Action.ESCALATE
                    else None,
                )
            )
    for p in pending:
        i = p.invitation
        nurse_id = i.patient.nurse_id
        if i.status == Invitation.Status.MISSED and i.reviewed_at is not None and nurse_id:
            reviews.append(
                Review(
                    patient_id=i.patient_id,
                    invitation=i,
                    nurse_id=nurse_id,
                    action=Review.Action.CONTINUE,
                    note="Called: forgot, doing fine.",
                )
            )
    _create(Review, reviews, counts, "reviews")


# --- The whole load ------------------------------------------------------------------------


def seed_load(
    *,
    patients: int,
    weeks: int,
    clinics: int = 5,
    seed: int = 12,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write the dataset; return how many rows of each kind were written."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    counts = Counts()
    say = progress or (lambda message: None)
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        clinic_rows = _clinics(clinics, counts)
        staff = _staff(clinic_rows, counts)
        patient_rows = _patients(rng, clinic_rows, staff, patients, counts)
        chosen = [rng.randrange(len(REGIMENS)) for _ in patient_rows]
        regimen_of = {p.pk: r for p, r in zip(patient_rows, chosen, strict=True)}
        _create(
            MedicationRecord,
            [
                _record_row(rng, p, REGIMENS[r], p.prescriber)  # type: ignore[arg-type]
                for p, r in zip(patient_rows, chosen, strict=True)
            ],
            counts,
            "medication records",
        )
    say(f"{len(patient_rows)} patients with their records")
    # Templates: per clinic and regimen, one plan signed as is and one held after signing.
    templates: dict[tuple[int, int, bool], Template] = {}
    template_patients: set[int] = set()
    with document_services.renders_deferred():
        for clinic in clinic_rows:
            team = staff[clinic.pk]
            for r, regimen in enumerate(REGIMENS):
                mine = [
                    p
                    for p, c in zip(patient_rows, chosen, strict=True)
                    if c == r and p.clinic_id == clinic.pk and p.pk not in template_patients
                ]
                for hold, patient in zip((False, True), mine[:2], strict=False):
                    templates[(clinic.pk, r, hold)] = _template(
                        patient,
                        team[User.Role.PRESCRIBER][0],
                        team[User.Role.NURSE][0],
                        regimen,
                        hold,
                    )
                    template_patients.add(patient.pk)
                    counts.add("plans built through the services", 1)
    say(f"{len(templates)} template plans built, signed (and held) through the services")
    today_by_clinic = {c.pk: clinic_today(c) for c in clinic_rows}
    rest = [p for p in patient_rows if p.pk not in template_patients]
    for start in range(0, len(rest), CHUNK):
        chunk = rest[start : start + CHUNK]
        with transaction.atomic():
            signed, choices, drafts = [], [], []
            for p in chunk:
                r = regimen_of[p.pk]
                if rng.random() < 0.03:
                    drafts.append((p, templates[(p.clinic_id, r, False)]))
                    continue
                held = rng.random() < 0.15
                template = (
                    templates.get((p.clinic_id, r, held)) or templates[(p.clinic_id, r, False)]
                )
                today = today_by_clinic[p.clinic_id]
                begin = today - datetime.timedelta(days=weeks * 7 - rng.randint(0, 10))
                signed.append(p)
                choices.append((template, begin))
            for template in {id(t): t for _, t in drafts}.values():
                owners = [p for p, t in drafts if t is template]
                today = today_by_clinic[owners[0].clinic_id]
                _unsigned_plans(owners, template, counts, today)
            if signed:
                items = _copy_plans(rng, signed, choices, counts, now)
                _write_history(rng, items, now, counts)
        say(f"{min(start + CHUNK, len(rest))} of {len(rest)} patients with plans and history")
    if connection.vendor == "postgresql":
        # Fresh statistics: until autovacuum gets to them the planner believes the tables are
        # nearly empty and picks nested loops that take seconds at this size. VACUUM also sets
        # the visibility map that index-only scans need (not possible inside a transaction, as
        # in a test).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(command)
        say(f"{command} done")
    return counts.rows
