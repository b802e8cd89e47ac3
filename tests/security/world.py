"""Two clinics, each with every role and a patient with a plan, a draft, a check-in, a review and
a printable schedule: the objects every route can be asked about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checkins.models import Review
from medications import services as medication_services
from schedules.models import PlanDocument
from schedules.services import plans as plan_services
from schedules.tasks import render_plan_document
from tests.factories import (
    CheckInFactory,
    ClinicAdminFactory,
    ClinicFactory,
    InvitationFactory,
    NurseFactory,
    PatientFactory,
    PrescriberFactory,
)
from tests.medications.helpers import record_body
from tests.plan_helpers import preview_body, signed_plan

SHORT_PLAN = {"regimen": [{"drug": "diazepam", "doses": {"night": "2"}}], "reduction_percent": "25"}


@dataclass
class Side:
    clinic: Any
    prescriber: Any
    nurse: Any
    admin: Any
    patient: Any
    plan: Any
    draft: Any
    checkin: Any
    review: Any
    document: Any
    token: str
    member: Any  # a nurse whose authenticator the clinic admin may reset (nobody logs in as her)

    def ids(self) -> dict[str, int]:
        return {
            "patient_id": self.patient.pk,
            "plan_id": self.plan.pk,
            "revision_id": self.draft.pk,
            "checkin_id": self.checkin.pk,
            "review_id": self.review.pk,
            "document_id": self.document.pk,
            "staff_id": self.member.pk,
        }


def build_side(name: str, country: str, suffix: str) -> Side:
    clinic = ClinicFactory(name=name, country=country)
    prescriber = PrescriberFactory(clinic=clinic, username=f"prescriber-{suffix}")
    nurse = NurseFactory(clinic=clinic, username=f"nurse-{suffix}")
    admin = ClinicAdminFactory(clinic=clinic, username=f"admin-{suffix}")
    patient = PatientFactory(clinic=clinic, prescriber=prescriber, nurse=nurse)
    medication_services.record_save(patient=patient, user=prescriber, data=record_body())
    signed = signed_plan(patient, prescriber, preview_body(country=country, **SHORT_PLAN))
    plan = signed.plan
    draft = plan_services.plan_slow(
        plan=plan,
        user=prescriber,
        data={"strategy": "proportional", "reduction_percent": "10", "interval_days": 14},
        reason="Matrix: a draft to open",
        today=signed.start_date,
    )
    checkin = CheckInFactory(patient=patient)
    review = Review.objects.create(
        patient=patient,
        checkin=checkin,
        nurse=nurse,
        action=Review.Action.SLOW,
        note="Matrix: asks the prescriber to slow down",
        needs_prescriber=True,
    )
    render_plan_document.apply(args=(signed.pk,))
    document = PlanDocument.objects.get(revision=signed)
    token = f"matrix-token-{suffix}-" + "x" * 40
    InvitationFactory(patient=patient, plan=plan, token=token)
    member = NurseFactory(clinic=clinic, username=f"member-{suffix}")
    return Side(
        clinic,
        prescriber,
        nurse,
        admin,
        patient,
        plan,
        draft,
        checkin,
        review,
        document,
        token,
        member,
    )
