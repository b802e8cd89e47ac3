"""factory_boy factories for the models tests touch."""

from __future__ import annotations

import datetime
import hashlib

import factory
from factory.django import DjangoModelFactory

from accounts.models import Clinic, User
from patients.models import Patient


class ClinicFactory(DjangoModelFactory[Clinic]):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    country = "GB"
    time_zone = "Europe/London"
    phone = factory.Sequence(lambda n: f"0161 496 {n:04d}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    clinic = factory.SubFactory(ClinicFactory)
    role = User.Role.PRESCRIBER
    password = factory.PostGenerationMethodCall("set_password", "secret-password")

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class PrescriberFactory(UserFactory):
    role = User.Role.PRESCRIBER


class NurseFactory(UserFactory):
    role = User.Role.NURSE


class ClinicAdminFactory(UserFactory):
    role = User.Role.CLINIC_ADMIN
    is_staff = True


class PatientFactory(DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"MRN{n:05d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1970, 5, 17)
    email = factory.LazyAttribute(lambda p: f"{p.mrn.lower()}@example.com")
    time_zone = "Europe/London"


class InvitationFactory(DjangoModelFactory["Invitation"]):
    """A sent invitation whose link token is ``token`` (only its hash is stored)."""

    class Meta:
        model = "checkins.Invitation"
        exclude = ("token",)

    token = factory.Sequence(lambda n: f"test-token-{n:04d}-" + "x" * 40)
    patient = factory.SubFactory(PatientFactory)
    plan = None
    week_start = datetime.date(2027, 1, 18)
    token_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    due_at = datetime.datetime(2027, 1, 18, 9, tzinfo=datetime.UTC)
    expires_at = factory.LazyAttribute(lambda o: o.due_at + datetime.timedelta(days=7))
    status = "sent"
    sent_at = factory.LazyAttribute(lambda o: o.due_at)


class CheckInFactory(DjangoModelFactory["CheckIn"]):
    class Meta:
        model = "checkins.CheckIn"

    patient = factory.SubFactory(PatientFactory)
    instrument = "ciwa-b"
    instrument_version = "1"
    answers = factory.LazyFunction(lambda: {str(n): 1 for n in range(1, 18)})
    red_flags = factory.LazyFunction(
        lambda: {
            "seizure": False,
            "confusion": False,
            "hallucinations": False,
            "suicidal_thoughts": False,
        }
    )
    total = 17
    max = 68
    band = ""
    partial = True
    urgent = False
    severity = 1
    source = "self"
    suggested_action = "continue"
    suggested_rule = "no-baseline-continue"
    created_at = datetime.datetime(2027, 1, 18, 10, tzinfo=datetime.UTC)
