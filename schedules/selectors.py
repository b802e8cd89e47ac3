"""Reads for the schedules app: the querysets views, the API and tasks use."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from accounts.clinic_time import clinic_today
from accounts.models import User
from catalogue.selectors import drug_list
from schedules.models import (
    PlanDocument,
    PlanRevision,
    PlanRevisionQuerySet,
    PlanStep,
    StepDose,
    TaperPlan,
)

if TYPE_CHECKING:
    from patients.models import Patient


def plan_queryset() -> QuerySet[TaperPlan]:
    return TaperPlan.objects.select_related("patient__clinic", "created_by")


def _with_steps(revisions: PlanRevisionQuerySet) -> PlanRevisionQuerySet:
    """Revisions with signers, steps, doses and overrides: a constant number of queries however
    many steps there are."""
    doses = StepDose.objects.select_related("drug").order_by("slot_order", "drug__name")
    return revisions.select_related("created_by", "signed_by", "discarded_by").prefetch_related(
        Prefetch(
            "steps",
            queryset=PlanStep.objects.order_by("index").prefetch_related(
                Prefetch("doses", queryset=doses)
            ),
        ),
        "overrides",
    )


def revisions_for(plan: TaperPlan) -> list[PlanRevision]:
    """Every revision of ``plan`` with steps, doses and overrides, in number order."""
    return list(_with_steps(plan.revisions.all()).order_by("number"))


def revision_history(plan: TaperPlan) -> list[PlanRevision]:
    """Every revision of ``plan`` in number order with who made, signed or discarded it and its
    overrides, without steps (two queries)."""
    return list(
        plan.revisions.select_related("created_by", "signed_by", "discarded_by")
        .prefetch_related("overrides")
        .order_by("number")
    )


def step_in_progress(steps: Iterable[PlanStep], today: datetime.date) -> PlanStep | None:
    """The step a patient is on ``today``: the one whose dates hold today (never the stop
    step, which has no doses); ``None`` before the plan starts and after it ends."""
    for step in steps:
        if step.start_date <= today <= step.end_date and step.phase != PlanStep.Phase.STOP:
            return step
    return None


@dataclass(frozen=True)
class PlanState:
    """Where a plan stands on ``today``: the one answer every page, API response and export uses.

    ``in_force`` is the signed revision in force (``PlanRevision.objects.in_force()``), with its
    steps loaded; ``draft`` the one open draft, if any, and ``draft_is_stale`` when it was built
    from a revision that is no longer in force (it cannot be signed); ``today_step`` the step of
    ``in_force`` in progress today. ``schedule`` is what a page shows as the plan: the revision in
    force, or for a plan no longer in force its last signed revision.
    """

    plan: TaperPlan
    today: datetime.date
    in_force: PlanRevision | None
    draft: PlanRevision | None
    last_signed: PlanRevision | None
    today_step: PlanStep | None

    @property
    def draft_is_stale(self) -> bool:
        if self.draft is None:
            return False
        return self.draft.previous_id != (self.in_force.pk if self.in_force else None)

    @property
    def schedule(self) -> PlanRevision | None:
        return self.in_force or self.last_signed

    @property
    def timing(self) -> str:
        """``before`` the start, on a ``step``, or ``after`` the end of the schedule shown."""
        schedule = self.schedule
        if self.today_step is not None:
            return "step"
        if schedule is not None and self.today < schedule.start_date:
            return "before"
        return "after"


def plan_state(plan: TaperPlan, today: datetime.date | None = None) -> PlanState:
    """The plan's state on ``today`` (the clinic's date unless given). Four queries for the
    revision in force and three for the draft, each with steps and doses, however long."""
    today = today or clinic_today(plan.patient.clinic)
    revisions = _with_steps(PlanRevision.objects.filter(plan=plan))
    in_force = revisions.in_force().first()
    draft = revisions.drafts().first()
    last_signed = in_force or revisions.signed().order_by("-number").first()
    today_step = step_in_progress(in_force.steps.all(), today) if in_force else None
    return PlanState(
        plan=plan,
        today=today,
        in_force=in_force,
        draft=draft,
        last_signed=last_signed,
        today_step=today_step,
    )


def open_draft(plan: TaperPlan) -> PlanRevision | None:
    """The plan's one open draft, without steps (one query): for actions on the draft that do not
    need the whole :func:`plan_state`."""
    return PlanRevision.objects.filter(plan=plan).drafts().first()


def schedule_revision(plan: TaperPlan) -> PlanRevision | None:
    """The revision a plan's documents come from (``PlanState.schedule`` without its steps):
    the revision in force, or for a plan no longer in force its last signed revision."""
    revisions: PlanRevisionQuerySet = PlanRevision.objects.filter(plan=plan)
    return revisions.in_force().first() or revisions.signed().order_by("-number").first()


def unsigned_plan_for_patient(patient: Patient) -> TaperPlan | None:
    """The patient's plan that has not been signed yet (at most one)."""
    return TaperPlan.objects.filter(patient=patient, status=TaperPlan.Status.DRAFT).first()


def in_force_for_patient(patient: Patient) -> PlanRevision | None:
    """The patient's revision in force (of their one plan in force), without its steps."""
    return (
        PlanRevision.objects.filter(plan__patient=patient)
        .in_force()
        .select_related("plan", "created_by", "signed_by", "discarded_by")
        .prefetch_related("overrides")
        .first()
    )


# --- Who prescribed what ----------------------------------------------------------------------


@dataclass(frozen=True)
class Prescribing:
    """Who prescribed ``revision``'s schedule, and who recorded it when that was someone else.

    ``prescribing`` is the nearest revision along the ``previous`` chain (``revision`` itself
    first) signed by a prescriber; ``prescriber`` its signer. A hold recorded by a nurse is not
    a prescription: then ``recorded_by`` is the nurse, else ``None``.
    """

    revision: PlanRevision
    prescribing: PlanRevision
    prescriber: User
    recorded_by: User | None


def prescribing_revision(revision: PlanRevision) -> PlanRevision:
    """The nearest revision in ``revision``'s chain signed by a prescriber (one query)."""
    return prescriber_for(revision).prescribing


def prescriber_for(
    revision: PlanRevision, chain: Sequence[PlanRevision] | None = None
) -> Prescribing:
    """Who prescribed ``revision`` (see :class:`Prescribing`). One query for the whole chain.

    The FHIR export's ``requester``, the PDF's prescriber line and the plan page all use this.
    Falls back to ``revision``'s own signer (or author) when no revision in the chain was
    signed by a prescriber, which the services do not allow. ``chain``: the plan's revisions
    with their signers, when the caller has them already (no query then).
    """
    revisions: Iterable[PlanRevision] = (
        chain
        if chain is not None
        else PlanRevision.objects.filter(plan_id=revision.plan_id).select_related(
            "signed_by", "created_by"
        )
    )
    by_pk = {r.pk: r for r in revisions}
    current: PlanRevision | None = by_pk.get(revision.pk, revision)
    seen: set[int] = set()
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        signer = current.signed_by
        if signer is not None and signer.role == User.Role.PRESCRIBER:
            break
        current = by_pk.get(current.previous_id) if current.previous_id else None
    own = by_pk.get(revision.pk, revision)
    recorder = own.signed_by or own.created_by
    if current is None or current.signed_by is None:
        return Prescribing(revision=own, prescribing=own, prescriber=recorder, recorded_by=None)
    return Prescribing(
        revision=own,
        prescribing=current,
        prescriber=current.signed_by,
        recorded_by=None if current.pk == own.pk else recorder,
    )


# --- Reads for the staff pages (schedules.views) ----------------------------------------------


def plan_summaries_for_patient(patient: Patient) -> list[TaperPlan]:
    """The patient's plans, newest first, each annotated from the one definition of the revision
    in force and the open draft: ``in_force_number``, ``draft_number`` and ``started_on`` (the
    plan's first start date, not its signing date). One query however many plans."""
    in_force = PlanRevision.objects.in_force().filter(plan=OuterRef("pk"))
    draft = PlanRevision.objects.drafts().filter(plan=OuterRef("pk"))
    first = (
        PlanRevision.objects.filter(plan=OuterRef("pk"))
        .exclude(status=PlanRevision.Status.DISCARDED)
        .order_by("number")
    )
    return list(
        TaperPlan.objects.filter(patient=patient).annotate(
            in_force_number=Subquery(in_force.values("number")[:1]),
            draft_number=Subquery(draft.values("number")[:1]),
            started_on=Subquery(first.values("start_date")[:1]),
        )
    )


def document_for(revision: PlanRevision | None) -> PlanDocument | None:
    if revision is None or revision.pk is None:
        return None
    return PlanDocument.objects.filter(revision=revision).first()


def regimen_equivalence(regimen: Sequence[tuple[str, Decimal]], source: str) -> dict[str, Any]:
    """Each regimen drug's daily mg in diazepam-equivalents by every source in the catalogue.

    ``regimen`` is ``[(drug slug, daily mg)]``. Returns ``{"drugs": [...], "total": {...}}``
    where each drug has its figures per source (``de`` = the regimen's DE by that source,
    ``chosen``, ``verified``, ``note``), the ``low``/``high`` DE across sources, the DE by the
    chosen ``source`` and ``disagree`` (highest figure >= 1.5x the lowest: clinical reference
    section 1b). The conversion is the engine's (:func:`to_equivalent`). Three queries.
    """
    from schedules.engine.equivalence import DISAGREEMENT_RATIO, to_equivalent

    slugs = [slug for slug, _mg in regimen]
    drugs = {d.slug: d for d in drug_list().filter(slug__in=slugs)}
    rows: list[dict[str, Any]] = []
    total_chosen: Decimal | None = Decimal(0)
    total_low, total_high = Decimal(0), Decimal(0)
    for slug, daily_mg in regimen:
        drug = drugs.get(slug)
        if drug is None:
            continue
        figures: list[dict[str, Any]] = [
            {
                "source": f.source.key,
                "source_label": f.source.short,
                "mg": f.mg,
                "low": f.low,
                "high": f.high,
                "de": to_equivalent(daily_mg, f.mg).quantize(Decimal("0.01")).normalize(),
                "chosen": f.source.key == source,
                "verified": f.verified,
                "note": f.note,
                "citation": f.citation,
            }
            for f in drug.equivalents.all()
        ]
        if slug == "diazepam" and not figures:
            figures = [
                {
                    "source": source,
                    "source_label": source,
                    "mg": Decimal(10),
                    "low": Decimal(10),
                    "high": Decimal(10),
                    "de": daily_mg,
                    "chosen": True,
                    "verified": True,
                    "note": "",
                    "citation": "Diazepam is the reference drug.",
                }
            ]
        chosen = next((f for f in figures if f["chosen"]), None)
        des: list[Decimal] = [f["de"] for f in figures]
        mgs: list[Decimal] = [f["mg"] for f in figures]
        low = min(des) if des else Decimal(0)
        high = max(des) if des else Decimal(0)
        row: dict[str, Any] = {
            "slug": slug,
            "name": drug.name,
            "daily_mg": daily_mg,
            "figures": figures,
            "chosen": chosen,
            "low": low,
            "high": high,
            "disagree": bool(mgs) and max(mgs) >= DISAGREEMENT_RATIO * min(mgs),
            "ratio": (max(mgs) / min(mgs)).quantize(Decimal("0.1")) if mgs else None,
            "unverified": [f for f in figures if not f["verified"]],
        }
        rows.append(row)
        if chosen is None or total_chosen is None:
            total_chosen = None
        else:
            total_chosen += chosen["de"]
        total_low += low
        total_high += high
    labels = [row["chosen"]["source_label"] for row in rows if row["chosen"]]
    return {
        "drugs": rows,
        "total": {"chosen": total_chosen, "low": total_low, "high": total_high},
        "source": source,
        "source_label": labels[0] if labels else source,
    }
