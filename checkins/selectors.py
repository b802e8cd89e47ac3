"""Reads for check-ins: the nurse's review queue, a patient's trend, the prescriber's worklist."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from accounts.clinic_time import clinic_today
from accounts.scoping import for_clinic, get_for_clinic_or_404
from checkins.models import CheckIn, Invitation, Review, band_label
from checkins.services import due_at_for
from patients.models import Patient
from schedules.models import PlanRevision, PlanStep

KIND_CHECKIN = "checkin"
KIND_MISSED = "missed"


@dataclass(frozen=True)
class MissedContext:
    """What a nurse needs before calling about a missed check-in."""

    step_index: int | None
    daily_mg: Decimal | None
    last_total: int | None
    last_max: int | None
    last_band: str
    last_instrument: str
    last_at: datetime.datetime | None

    @property
    def last_band_label(self) -> str:
        return band_label(self.last_instrument, self.last_band)


@dataclass(frozen=True)
class QueueRow:
    """One row of the review queue: an unreviewed check-in or a missed invitation."""

    kind: str
    id: int
    patient: Patient
    urgent: bool
    severity: int
    at: datetime.datetime
    checkin: CheckIn | None = None
    invitation: Invitation | None = None
    #: A missed row's context: the patient's step and dose today, and their last score.
    missed_context: MissedContext | None = None

    @property
    def sort_key(self) -> tuple[int, int, int, datetime.datetime]:
        # Urgent first, then missed, then by band (severe, moderate, mild), then oldest first.
        return (
            0 if self.urgent else 1,
            0 if self.kind == KIND_MISSED else 1,
            -self.severity,
            self.at,
        )

    @property
    def change(self) -> int | None:
        """Points since the previous check-in, on this check-in's scale."""
        c = self.checkin
        if c is None or c.previous_total is None or not c.previous_max:
            return None
        return c.total - round(c.previous_total * c.max / c.previous_max)

    def days_since_reduction(self, today: datetime.date) -> int | None:
        c = self.checkin
        if c is None or c.last_reduction is None:
            return None
        return (today - c.last_reduction).days

    def as_dict(self) -> dict[str, Any]:
        c, m = self.checkin, self.missed_context
        if m is not None:
            return {
                "id": self.id,
                "patient": self.patient.pk,
                "kind": self.kind,
                "urgent": self.urgent,
                "step": m.step_index,
                "daily_mg_equivalent": str(m.daily_mg.normalize()) if m.daily_mg else None,
                "last_checkin": None
                if m.last_total is None
                else {
                    "total": m.last_total,
                    "max": m.last_max,
                    "band": m.last_band or None,
                    "at": m.last_at.isoformat() if m.last_at else None,
                },
                "suggestion": {"action": "continue", "rule": "missed", "reason": "", "source": ""},
                "at": self.at.isoformat(),
            }
        return {
            "id": self.id,
            "patient": self.patient.pk,
            "kind": self.kind,
            "urgent": self.urgent,
            "total": c.total if c else None,
            "max": c.max if c else None,
            "band": (c.band or None) if c else None,
            "band_label": (c.band_label or None) if c else None,
            "partial": c.partial if c else None,
            "change": self.change,
            "step": c.step_index if c else None,
            "daily_mg_equivalent": str(c.daily_mg.normalize()) if c and c.daily_mg else None,
            "last_reduction": c.last_reduction.isoformat() if c and c.last_reduction else None,
            "took_as_scheduled": c.took_as_scheduled if c else None,
            "extra_doses": c.extra_doses if c else None,
            "suggestion": {
                "action": c.suggested_action,
                "rule": c.suggested_rule,
                "reason": c.suggestion_reason,
                "source": c.suggestion_source,
            }
            if c
            else {"action": "continue", "rule": "missed", "reason": "", "source": ""},
            "at": self.at.isoformat(),
        }


class ReviewQueue(Sequence[QueueRow]):
    """The review queue, most urgent first, read one page at a time.

    Rows sort urgent check-ins first (missed invitations are never urgent), then missed
    invitations, then the other check-ins; within each part by band (severe first) and oldest
    first. Each part is one ordered query the partial index ``checkin_unreviewed_queue`` (or
    ``invitation_missed_unreviewed``) answers, so a page costs its parts' counts (once) and
    exactly three slices, whatever the queue's length and whichever parts the page shows: a part
    the page does not reach is still read (one row, dropped), so the number of queries never
    depends on the mix of urgent, missed and other rows. ``Paginator`` takes it as it is.
    """

    def __init__(self, user: Any) -> None:
        self.user = user
        # The queue shows the score, the dose and the suggestion, never the answers: leaving
        # the three JSON documents and the comment unread saves decoding them for every row.
        # (Reading one of them from a row would cost a query per row: the query-count tests
        # in tests/checkins/test_queue_pages.py would fail.)
        checkins = (
            for_clinic(CheckIn.objects.all(), user)
            .filter(reviewed_at__isnull=True)
            .select_related("patient")
            .defer("answers", "observed", "red_flags", "comment")
        )
        order = ("-severity", "created_at", "pk")
        missed = for_clinic(Invitation.objects.all(), user).filter(
            status=Invitation.Status.MISSED, reviewed_at__isnull=True
        )
        self._parts: list[tuple[str, QuerySet[Any]]] = [
            (KIND_CHECKIN, checkins.filter(urgent=True).order_by(*order)),
            (KIND_MISSED, missed.order_by("due_at", "pk")),
            (KIND_CHECKIN, checkins.filter(urgent=False).order_by(*order)),
        ]
        self._counts: list[int] | None = None

    def counts(self) -> list[int]:
        """Each part's length: two queries (the check-ins' two parts are counted together)."""
        if self._counts is None:
            checkins = for_clinic(CheckIn.objects.all(), self.user).filter(reviewed_at__isnull=True)
            split = checkins.aggregate(
                n_urgent=Count("pk", filter=Q(urgent=True)),
                n_other=Count("pk", filter=Q(urgent=False)),
            )
            self._counts = [split["n_urgent"], self._parts[1][1].count(), split["n_other"]]
        return self._counts

    def __len__(self) -> int:
        return sum(self.counts())

    @overload
    def __getitem__(self, index: int) -> QueueRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[QueueRow]: ...

    def __getitem__(self, index: int | slice) -> QueueRow | list[QueueRow]:
        if isinstance(index, int):
            one = self[index : index + 1] if index >= 0 else self[len(self) + index :][:1]
            if not one:
                raise IndexError(index)
            return one[0]
        start, stop, step = index.indices(len(self))
        rows: list[QueueRow] = []
        offset = 0
        for (kind, part), n in zip(self._parts, self.counts(), strict=True):
            lo, hi = max(start - offset, 0), min(stop - offset, n)
            offset += n
            if lo >= hi:
                # Outside the page: read the part's first row anyway and drop it, so that every
                # page costs the same three slice queries (a LIMIT 1 on the partial index).
                self._rows(kind, part, 0, 1)
                continue
            rows += self._rows(kind, part, lo, hi)
        return rows[::step]

    def _rows(self, kind: str, part: QuerySet[Any], lo: int, hi: int) -> list[QueueRow]:
        if kind == KIND_CHECKIN:
            return [
                QueueRow(
                    KIND_CHECKIN, c.pk, c.patient, c.urgent, c.severity, c.created_at, checkin=c
                )
                for c in part[lo:hi]
            ]
        today = clinic_today(self.user.clinic)
        return [
            QueueRow(
                KIND_MISSED,
                i.pk,
                i.patient,
                False,
                0,
                i.due_at,
                invitation=i,
                missed_context=_missed_context(i),
            )
            for i in _with_missed_context(part, today).select_related("patient")[lo:hi]
        ]


def review_queue(user: Any) -> ReviewQueue:
    """Unreviewed check-ins and missed invitations of the user's clinic, most urgent first: a
    sequence read lazily, one page at a time (see :class:`ReviewQueue`)."""
    return ReviewQueue(user)


def _missed_context(annotated: Any) -> MissedContext:
    """The context read off an invitation annotated by :func:`_with_missed_context`."""
    return MissedContext(
        step_index=annotated.step_index,
        daily_mg=annotated.step_mg,
        last_total=annotated.last_total,
        last_max=annotated.last_max,
        last_band=annotated.last_band or "",
        last_instrument=annotated.last_instrument or "",
        last_at=annotated.last_at,
    )


def _with_missed_context(
    invitations: QuerySet[Invitation], today: datetime.date
) -> QuerySet[Invitation]:
    """Annotate each invitation, in the same query, with its patient's step in progress today
    (``step_index``, ``step_mg``, from the revision in force) and last check-in (``last_total``,
    ``last_max``, ``last_band``, ``last_at``)."""
    in_force = PlanRevision.objects.in_force().filter(plan__patient=OuterRef("patient_id"))
    in_progress = PlanStep.objects.filter(
        revision_id=OuterRef("revision_in_force"),
        start_date__lte=today,
        end_date__gte=today,
    ).exclude(phase=PlanStep.Phase.STOP)
    last = CheckIn.objects.filter(patient=OuterRef("patient_id")).order_by("-created_at", "-pk")
    return invitations.annotate(revision_in_force=Subquery(in_force.values("pk")[:1])).annotate(
        step_index=Subquery(in_progress.values("index")[:1]),
        step_mg=Subquery(in_progress.values("equivalent_mg")[:1]),
        last_total=Subquery(last.values("total")[:1]),
        last_max=Subquery(last.values("max")[:1]),
        last_band=Subquery(last.values("band")[:1]),
        last_instrument=Subquery(last.values("instrument")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
    )


def checkin_get(user: Any, checkin_id: int) -> CheckIn:
    return get_for_clinic_or_404(
        CheckIn.objects.select_related("patient__clinic", "entered_by", "revision"),
        user,
        pk=checkin_id,
    )


def patient_checkins(patient: Patient, limit: int = 26) -> list[CheckIn]:
    """The patient's latest check-ins, oldest first."""
    rows = list(CheckIn.objects.filter(patient=patient).order_by("-created_at", "-pk")[:limit])
    return rows[::-1]


def urgent_alerts(user: Any) -> QuerySet[CheckIn]:
    """Unreviewed urgent check-ins (red flags and severe totals) of the user's clinic."""
    return (
        for_clinic(CheckIn.objects.all(), user)
        .filter(urgent=True, reviewed_at__isnull=True)
        .select_related("patient")
        .order_by("created_at")
    )


def open_requests(user: Any) -> QuerySet[Review]:
    """Slow-down requests and escalations the prescriber has not dealt with."""
    return (
        for_clinic(Review.objects.all(), user)
        .filter(needs_prescriber=True, resolved_at__isnull=True)
        .select_related("patient", "nurse")
        .order_by("created_at")
    )


def next_due(patient: Patient, today: datetime.date | None = None) -> datetime.datetime:
    """When the patient's next reminder is due (their slot next week)."""
    today = today or clinic_today(patient.clinic)
    monday = today - datetime.timedelta(days=today.weekday())
    return due_at_for(patient, monday + datetime.timedelta(days=7))
