"""Check-in writes: invitations and reminders, answers, phone check-ins and reviews.

Privacy: nothing here logs, e-mails or texts patient data. A reminder carries the clinic's name
and the link; an alert says "a check-in needs attention" and links to the staff page.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import logging
import secrets
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.clinic_time import clinic_today
from accounts.models import User
from accounts.scoping import for_clinic
from checkins import instruments as ins
from checkins.models import CheckIn, Digest, Invitation, Review
from checkins.sms import get_backend
from patients.models import Patient
from schedules.models import PlanRevision, PlanStep, TaperPlan
from schedules.selectors import step_in_progress
from schedules.services.plans import MAX_REASON_LENGTH, PlanError, hold_needs_cosign, plan_hold

logger = logging.getLogger(__name__)

MISSED_AFTER = datetime.timedelta(hours=48)
VALID_FOR = datetime.timedelta(days=7)
STALE_CLAIM = datetime.timedelta(minutes=10)
DEFAULT_HOLD_DAYS = 7
EMERGENCY_NUMBERS = {"GB": "999", "US": "911"}
INSTRUMENT = "ciwa-b"


class CheckInError(Exception):
    """Bad input: ``errors`` maps a field to its messages (the API's 400 body)."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {key: list(value) for key, value in errors.items()}
        super().__init__("; ".join(self.errors))


class TokenError(Exception):
    """A link that cannot be used: ``kind`` is ``unknown``, ``used`` or ``expired``.

    ``invitation`` is set for used and expired links (the page may name the clinic's phone);
    never for an unknown one.
    """

    def __init__(self, kind: str, invitation: Invitation | None = None) -> None:
        self.kind = kind
        self.invitation = invitation
        super().__init__(kind)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def emergency_number(country: str) -> str:
    return EMERGENCY_NUMBERS.get(country, "112")


def _site(path: str) -> str:
    return settings.TAPER_SITE_URL.rstrip("/") + path


# --- Invitations and reminders ---------------------------------------------------------------


def week_start_for(patient: Patient, now: datetime.datetime) -> datetime.date:
    """The Monday of the patient's local week at ``now``."""
    local = now.astimezone(zoneinfo.ZoneInfo(patient.time_zone)).date()
    return local - datetime.timedelta(days=local.weekday())


def due_at_for(patient: Patient, week_start: datetime.date) -> datetime.datetime:
    """The patient's reminder slot in ``week_start``'s week, on their wall clock, in UTC.

    A slot that does not exist (inside a spring-forward gap) falls an hour later; one that
    happens twice (autumn) is the first of the two.
    """
    day = week_start + datetime.timedelta(days=patient.reminder_weekday)
    local = datetime.datetime.combine(
        day, patient.reminder_time, tzinfo=zoneinfo.ZoneInfo(patient.time_zone)
    )
    return local.astimezone(datetime.UTC)


def create_due_invitations(now: datetime.datetime | None = None) -> list[int]:
    """Create this week's invitation for every patient with a plan in force whose reminder slot
    has come (and is less than 48 hours old); return the ids of every invitation due to send.

    Idempotent: the (patient, week) unique constraint decides.
    """
    now = now or timezone.now()
    plans = list(TaperPlan.objects.filter(status=TaperPlan.Status.ACTIVE).select_related("patient"))
    candidates: list[Invitation] = []
    for plan in plans:
        patient = plan.patient
        start = week_start_for(patient, now)
        due = due_at_for(patient, start)
        if due <= now < due + MISSED_AFTER:
            candidates.append(
                Invitation(
                    patient=patient,
                    plan=plan,
                    week_start=start,
                    due_at=due,
                    expires_at=due + VALID_FOR,
                )
            )
    if candidates:
        Invitation.objects.bulk_create(candidates, ignore_conflicts=True)
    return list(
        Invitation.objects.filter(
            status=Invitation.Status.QUEUED, due_at__lte=now, expires_at__gt=now
        ).values_list("pk", flat=True)
    )


def reminder_recipients(invitation_ids: Sequence[int]) -> dict[int, Patient]:
    """Each invitation's patient with their clinic, in one query: what :func:`claim_and_send`
    needs, read once for a batch of sends."""
    invitations = Invitation.objects.filter(pk__in=invitation_ids).select_related("patient__clinic")
    return {invitation.pk: invitation.patient for invitation in invitations}


def claim_and_send(
    invitation_id: int, now: datetime.datetime | None = None, patient: Patient | None = None
) -> bool:
    """Send one invitation's reminder, exactly once however many workers try.

    A conditional UPDATE moves it from queued to sending (or takes back a claim abandoned for
    10 minutes); only the worker whose UPDATE changed the row sends. A fresh token is made at
    send time and only its hash is stored. On a sending error the invitation goes back to
    queued and the error is raised, so the task retries. Returns whether this call sent it.
    ``patient``: the invitation's patient with their clinic when the caller read them already
    (:func:`reminder_recipients`); read after the claim otherwise.
    """
    now = now or timezone.now()
    claimable = Q(status=Invitation.Status.QUEUED) | Q(
        status=Invitation.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    )
    token = secrets.token_urlsafe(32)  # the claim stores its hash in the same UPDATE
    claimed = Invitation.objects.filter(claimable, pk=invitation_id, expires_at__gt=now).update(
        status=Invitation.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        token_hash=hash_token(token),
    )
    if not claimed:
        return False
    if patient is None:
        patient = Invitation.objects.select_related("patient__clinic").get(pk=invitation_id).patient
    try:
        send_reminder(patient, token)
    except Exception:
        Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
            status=Invitation.Status.QUEUED
        )
        logger.warning("Reminder for invitation %s not sent; will retry", invitation_id)
        raise
    Invitation.objects.filter(pk=invitation_id, status=Invitation.Status.SENDING).update(
        status=Invitation.Status.SENT, sent_at=timezone.now()
    )
    logger.info("Reminder for invitation %s sent", invitation_id)
    return True


def send_reminder(patient: Patient, token: str) -> None:
    """E-mail (text and HTML) or, without an address, a text message: the clinic's name and the
    link, in the patient's language. Nothing else about the patient."""
    link = _site(reverse("checkins:patient", args=[token]))
    context = {"clinic_name": patient.clinic.name, "link": link}
    with translation.override(patient.language):
        if patient.email:
            subject = " ".join(
                render_to_string("emails/checkin-reminder-subject.txt", context).split()
            )  # one line: a header never carries a line break
            body = render_to_string("emails/checkin-reminder-body.txt", context)
            html = render_to_string("emails/checkin-reminder-body.html", context)
            message = EmailMultiAlternatives(subject, body, to=[patient.email])
            message.attach_alternative(html, "text/html")
            message.send()
        elif patient.phone:
            text = _("%(clinic)s: your weekly check-in is ready: %(link)s") % {
                "clinic": patient.clinic.name,
                "link": link,
            }
            get_backend().send(patient.phone, text)


def mark_missed(now: datetime.datetime | None = None) -> int:
    """Invitations sent and unanswered 48 hours after they were due become missed (they go on
    the nurse's queue); invitations never sent before they expired become expired."""
    now = now or timezone.now()
    missed = Invitation.objects.filter(
        status=Invitation.Status.SENT, due_at__lte=now - MISSED_AFTER
    ).update(status=Invitation.Status.MISSED)
    Invitation.objects.filter(
        status__in=[Invitation.Status.QUEUED, Invitation.Status.SENDING], expires_at__lte=now
    ).update(status=Invitation.Status.EXPIRED)
    return missed


def send_missed_digests(now: datetime.datetime | None = None) -> int:
    """E-mail each nurse, at most once per clinic day, "N check-ins were missed; see the queue"
    for the missed check-ins of their patients not counted in an earlier digest. Returns how
    many e-mails were sent.

    The words and the queue's link only: no patient data. Idempotent: a :class:`Digest` row per
    nurse and day is created in the same transaction as the e-mail is sent, so a second pass the
    same day sends nothing; if sending fails the row is rolled back and the next pass retries.
    Missed check-ins that arrive after today's digest wait for tomorrow's.
    """
    now = now or timezone.now()
    pending = Invitation.objects.filter(
        status=Invitation.Status.MISSED, reviewed_at__isnull=True, digest__isnull=True
    )
    nurse_ids = set(
        pending.filter(patient__nurse__isnull=False).values_list("patient__nurse_id", flat=True)
    )
    nurses = User.objects.filter(pk__in=nurse_ids, is_active=True).select_related("clinic")
    link = _site(reverse("checkins:queue"))
    sent = 0
    for nurse in nurses:
        if not nurse.email or nurse.clinic is None:
            continue
        on = _local_day(now, nurse.clinic.time_zone)
        try:
            with transaction.atomic():
                digest = Digest.objects.create(nurse=nurse, on=on)
                count = pending.filter(patient__nurse=nurse).update(digest=digest)
                if not count:
                    transaction.set_rollback(True)
                    continue
                digest.count = count
                digest.save(update_fields=["count"])
                send_mail("Missed check-ins", _digest_text(count, link), None, [nurse.email])
        except IntegrityError:
            continue  # today's digest for this nurse went already
        except Exception:
            logger.exception("Missed check-in digest for user %s not sent; will retry", nurse.pk)
            continue
        sent += 1
    return sent


def _digest_text(count: int, link: str) -> str:
    if count == 1:
        return f"1 check-in was missed; see the queue:\n{link}\n"
    return f"{count} check-ins were missed; see the queue:\n{link}\n"


# --- Answers ---------------------------------------------------------------------------------


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link's token opens, if it can still be answered.

    Raises:
        TokenError: unknown token, already answered, or expired.
    """
    invitation = (
        Invitation.objects.select_related("patient__clinic", "plan")
        .filter(token_hash=hash_token(token))
        .first()
        if token
        else None
    )
    if invitation is None:
        raise TokenError("unknown")
    if invitation.status == Invitation.Status.ANSWERED:
        raise TokenError("used", invitation)
    if (
        invitation.status not in (Invitation.Status.SENT, Invitation.Status.MISSED)
        or timezone.now() >= invitation.expires_at
    ):
        raise TokenError("expired", invitation)
    return invitation


@transaction.atomic
def submit_checkin(token: str, data: Mapping[str, Any]) -> CheckIn:
    """The patient's answers through their link: scored, suggested, saved; single use.

    Raises:
        TokenError: the link cannot be used.
        CheckInError: the answers are not valid (nothing is saved).
    """
    found = invitation_for_token(token)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("patient__clinic", "plan")
        .get(pk=found.pk)
    )
    if invitation.status == Invitation.Status.ANSWERED:
        raise TokenError("used", invitation)
    body = {**data, "observed": None, "alert": None}
    checkin = _save_checkin(
        invitation.patient, body, source=CheckIn.Source.SELF, invitation=invitation
    )
    invitation.status = Invitation.Status.ANSWERED
    invitation.save(update_fields=["status"])
    return checkin


@transaction.atomic
def record_phone_checkin(*, user: User, patient: Patient, data: Mapping[str, Any]) -> CheckIn:
    """A nurse's check-in by phone or in person; observed items make it out of 80 and banded."""
    if not (user.is_nurse or user.is_prescriber) or patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Only a nurse or prescriber of the patient's clinic.")
    return _save_checkin(patient, data, source=CheckIn.Source.PHONE, entered_by=user)


def _optional_bool(data: Mapping[str, Any], key: str, errors: dict[str, list[str]]) -> bool | None:
    raw = data.get(key)
    if raw in (None, ""):
        return None
    try:
        return ins.parse_flag(raw)
    except ValueError:
        errors[key] = [_("Answer yes or no.")]
        return None


def _extras(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    took = _optional_bool(data, "took_as_scheduled", errors)
    extra = _optional_bool(data, "extra_doses", errors)
    hours: Decimal | None = None
    raw_hours = data.get("hours_slept")
    if raw_hours not in (None, ""):
        try:
            hours = Decimal(str(raw_hours))
        except InvalidOperation:
            hours = None
        if hours is None or not hours.is_finite() or not 0 <= hours <= 24:
            errors["hours_slept"] = [_("Give a number of hours from 0 to 24.")]
            hours = None
        else:
            hours = hours.quantize(Decimal("0.1"))
    comment = str(data.get("comment") or "").strip()
    if len(comment) > 2000:
        errors["comment"] = [_("Please keep the comment under 2000 characters.")]
    if errors:
        raise CheckInError(errors)
    return {
        "took_as_scheduled": took,
        "extra_doses": extra,
        "hours_slept": hours,
        "comment": comment,
    }


def _assess(data: Mapping[str, Any]) -> ins.Assessment:
    try:
        instrument = ins.get_instrument(str(data.get("instrument") or INSTRUMENT))
    except ins.UnknownInstrumentError as exc:
        raise CheckInError({"instrument": [f"Unknown instrument: {exc}."]}) from exc
    try:
        return ins.assess(
            instrument,
            data.get("answers"),
            data.get("observed") or None,
            data.get("red_flags"),
            alert=data.get("alert"),
            allow_missing=True,
        )
    except ins.InstrumentInputError as exc:
        raise CheckInError(exc.errors) from exc


def severity_rank(instrument: ins.Instrument, total: int) -> int:
    """The band a total is at least in, as a number (0 none ... 4 very severe). Unanswered items
    only add, so for a partial total this is a lower bound: it orders the queue, never a band."""
    band = instrument.band_for(total)
    return 0 if band is None else instrument.bands.index(band)


def last_reduction(steps: Sequence[PlanStep], day: datetime.date) -> datetime.date | None:
    """The start of the latest step on or before ``day`` with a lower dose than the step before."""
    found = None
    for previous, step in itertools.pairwise(steps):
        if step.start_date > day:
            break
        if step.equivalent_mg < previous.equivalent_mg:
            found = step.start_date
    return found


def _local_day(moment: datetime.datetime, zone: str) -> datetime.date:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).date()


def _history(
    patient: Patient, steps: Sequence[PlanStep], today: datetime.date, latest: ins.WeekPoint
) -> list[ins.WeekPoint]:
    """The patient's earlier check-ins and ``latest``, oldest first, one per day."""
    by_day: dict[datetime.date, ins.WeekPoint] = {}
    earlier = CheckIn.objects.filter(patient=patient).order_by("created_at", "pk")
    for row in earlier.only("created_at", "total", "max", "partial", "urgent", "red_flags"):
        on = _local_day(row.created_at, patient.clinic.time_zone)
        if on >= today:
            continue
        by_day[on] = ins.WeekPoint(
            on=on,
            total=row.total,
            max=row.max,
            partial=row.partial,
            red_flag=any(bool(v) for v in row.red_flags.values()),
            urgent=row.urgent,
            last_reduction=last_reduction(steps, on),
        )
    return [*sorted(by_day.values(), key=lambda p: p.on), latest]


def _values_by(assessment: ins.Assessment, rater: ins.Rater) -> dict[str, int]:
    return {item.key: item.value for item in assessment.score.items if item.rater is rater}


def _save_checkin(
    patient: Patient,
    data: Mapping[str, Any],
    *,
    source: str,
    invitation: Invitation | None = None,
    entered_by: User | None = None,
) -> CheckIn:
    assessment = _assess(data)
    extras = _extras(data)
    today = clinic_today(patient.clinic)
    revision = (
        PlanRevision.objects.filter(plan__patient=patient)
        .in_force()
        .prefetch_related("steps")
        .first()
    )
    steps = sorted(revision.steps.all(), key=lambda s: s.index) if revision else []
    step = step_in_progress(steps, today)
    cut = last_reduction(steps, today)
    latest = ins.WeekPoint(
        on=today,
        total=assessment.total,
        max=assessment.max,
        partial=assessment.partial,
        red_flag=assessment.red_flags.any,
        urgent=assessment.urgent,
        last_reduction=cut,
    )
    history = _history(patient, steps, today, latest)
    suggestion = ins.suggest(history)
    previous = history[-2] if len(history) > 1 else None
    checkin = CheckIn.objects.create(
        invitation=invitation,
        patient=patient,
        revision=revision,
        instrument=assessment.instrument.id,
        instrument_version=assessment.instrument.version,
        answers=_values_by(assessment, ins.Rater.PATIENT),
        observed=_values_by(assessment, ins.Rater.OBSERVER),
        red_flags=assessment.red_flags.to_dict(),
        total=assessment.total,
        max=assessment.max,
        band=assessment.band.key if assessment.band else "",
        partial=assessment.partial,
        urgent=assessment.urgent,
        severity=severity_rank(assessment.instrument, assessment.total),
        source=source,
        entered_by=entered_by,
        step_index=step.index if step else None,
        daily_mg=step.equivalent_mg if step else None,
        last_reduction=cut,
        previous_total=previous.total if previous else None,
        previous_max=previous.max if previous else None,
        suggested_action=suggestion.action.value,
        suggested_rule=suggestion.rule.key,
        suggestion_reason=suggestion.reason,
        suggestion_source=suggestion.source,
        created_at=timezone.now(),
        **extras,
    )
    logger.info("Check-in %s saved (urgent=%s)", checkin.pk, checkin.urgent)
    if checkin.urgent:
        transaction.on_commit(lambda: _after_commit(send_alert, checkin.pk))
    return checkin


# --- Alerts ----------------------------------------------------------------------------------


def _after_commit(send: Any, object_id: int) -> None:
    """Send a notice once the answer is saved; a mail server that fails must not turn a saved
    check-in into an error page for the patient (the dashboard shows it either way)."""
    try:
        send(object_id)
    except Exception:
        logger.exception("Notice %s for %s not sent", send.__name__, object_id)


def _team_addresses(patient: Patient) -> list[str]:
    return [u.email for u in (patient.nurse, patient.prescriber) if u is not None and u.email]


def send_alert(checkin_id: int) -> None:
    """Tell the patient's nurse and prescriber that a check-in needs attention: those words and
    the staff page's link, nothing else."""
    checkin = CheckIn.objects.select_related("patient__nurse", "patient__prescriber").get(
        pk=checkin_id
    )
    to = _team_addresses(checkin.patient)
    if not to:
        logger.warning("Urgent check-in %s: nobody on the care team has an e-mail", checkin_id)
        return
    link = _site(reverse("checkins:detail", args=[checkin.pk]))
    send_mail(
        "A check-in needs attention",
        f"A check-in needs attention:\n{link}\n",
        None,
        to,
    )


def _notify_prescriber(review_id: int) -> None:
    review = Review.objects.select_related("patient__prescriber", "patient__nurse").get(
        pk=review_id
    )
    link = _site(reverse("dashboard"))
    if review.action == Review.Action.SLOW:
        to = [review.patient.prescriber.email] if review.patient.prescriber else []
        subject = "A nurse asked to slow a taper"
    else:
        to = _team_addresses(review.patient)
        subject = "A check-in was escalated"
    to = [address for address in to if address]
    if to:
        send_mail(subject, f"{subject}. See your worklist:\n{link}\n", None, to)


# --- Reviews ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewInput:
    action: str
    note: str
    days: int = DEFAULT_HOLD_DAYS


@transaction.atomic
def review(*, user: User, subject: CheckIn | Invitation, data: ReviewInput) -> Review:
    """Record a nurse's decision on a check-in or a missed invitation.

    ``hold`` holds the current step for ``days`` (a new signed revision, or a draft for a
    prescriber to sign when the clinic's policy asks a nurse's hold to be co-signed); ``slow``
    puts a request on the prescriber's worklist and e-mails them; ``escalate`` e-mails the care
    team and flags it. Every action needs a note, and each review is kept with its history.

    Raises:
        CheckInError: no note, an unknown action, already reviewed, or the hold was refused.
    """
    if not (user.is_nurse or user.is_prescriber):
        raise PermissionDenied("Only a nurse or a prescriber reviews check-ins.")
    if data.action not in Review.Action.values:
        raise CheckInError({"action": [f"Choose one of {', '.join(Review.Action.values)}."]})
    note = data.note.strip()
    if len(note) < 3:
        raise CheckInError({"note": ["Write a note: what you decided and why."]})
    if len(note) > MAX_REASON_LENGTH:
        raise CheckInError({"note": [f"Keep the note under {MAX_REASON_LENGTH} characters."]})
    model = type(subject)
    locked = model.objects.select_for_update().select_related("patient").get(pk=subject.pk)
    if locked.patient.clinic_id != user.clinic_id:
        raise PermissionDenied("Another clinic's check-in.")
    if locked.reviewed_at is not None:
        raise CheckInError({"review": ["This has been reviewed already."]})
    resulting = None
    if data.action == Review.Action.HOLD:
        plan = TaperPlan.objects.filter(
            patient=locked.patient, status=TaperPlan.Status.ACTIVE
        ).first()
        if plan is None:
            raise CheckInError({"action": ["There is no plan in force to hold."]})
        try:
            resulting = plan_hold(
                plan=plan,
                user=user,
                days=data.days,
                reason=note,
                cosign=hold_needs_cosign(plan, user),
            )
        except PlanError as exc:
            raise CheckInError(exc.errors) from exc
    record = Review.objects.create(
        patient=locked.patient,
        checkin=locked if isinstance(locked, CheckIn) else None,
        invitation=locked if isinstance(locked, Invitation) else None,
        nurse=user,
        action=data.action,
        note=note,
        days=data.days if data.action == Review.Action.HOLD else None,
        resulting_revision=resulting,
        needs_prescriber=data.action in (Review.Action.SLOW, Review.Action.ESCALATE),
    )
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["reviewed_at"])
    if record.needs_prescriber:
        transaction.on_commit(lambda: _after_commit(_notify_prescriber, record.pk))
    logger.info("Review %s recorded (%s)", record.pk, record.action)
    return record


@transaction.atomic
def resolve_request(*, user: User, review_id: int, note: str) -> Review:
    """The prescriber has dealt with a slow-down request or escalation: it leaves the worklist,
    and who closed it, when and their note are kept (with a history row).

    Raises:
        PermissionDenied: not a prescriber.
        Review.DoesNotExist: no open request of the user's clinic has this id.
        CheckInError: no note, or the request was closed already.
    """
    if not user.is_prescriber:
        raise PermissionDenied("Only a prescriber resolves requests.")
    text = note.strip()
    if len(text) < 3:
        raise CheckInError({"note": ["Write a note: what you did about the request."]})
    if len(text) > 500:
        raise CheckInError({"note": ["Please keep the note under 500 characters."]})
    request = (
        for_clinic(Review.objects.select_for_update(of=("self",)), user)
        .filter(needs_prescriber=True)
        .get(pk=review_id)
    )
    if request.resolved_at is not None:
        raise CheckInError({"review": ["This request has been closed already."]})
    request.resolved_at = timezone.now()
    request.resolved_by = user
    request.resolution_note = text
    request._change_reason = "Resolved by the prescriber"  # type: ignore[attr-defined]
    request.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    logger.info("Request %s resolved", request.pk)
    return request
