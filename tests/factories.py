"""factory_boy factories for the models tests touch."""

from __future__ import annotations

import datetime

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
