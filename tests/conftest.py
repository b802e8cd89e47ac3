"""Personas shared by the suite; each says what it may see."""

from __future__ import annotations

import pytest

from tests.factories import (
    ClinicAdminFactory,
    ClinicFactory,
    NurseFactory,
    PatientFactory,
    PrescriberFactory,
)


@pytest.fixture
def clinic(db):
    """Riverside: the clinic most tests act in."""
    return ClinicFactory(name="Riverside", phone="020 7946 0123")


@pytest.fixture
def other_clinic(db):
    """Hillside: a second clinic whose data the personas above must never see."""
    return ClinicFactory(name="Hillside", country="US", time_zone="America/New_York")


@pytest.fixture
def prescriber(clinic):
    """Prescriber at Riverside: sees and plans for Riverside's patients only."""
    return PrescriberFactory(clinic=clinic, username="dr-shah")


@pytest.fixture
def nurse(clinic):
    """Nurse at Riverside: sees Riverside's patients and plans read-only."""
    return NurseFactory(clinic=clinic, username="nurse-evans")


@pytest.fixture
def clinic_admin(clinic):
    """Clinic admin at Riverside: manages Riverside's staff in the admin site."""
    return ClinicAdminFactory(clinic=clinic, username="admin-morgan")


@pytest.fixture
def other_prescriber(other_clinic):
    """Prescriber at Hillside: must get 404 for anything of Riverside's."""
    return PrescriberFactory(clinic=other_clinic, username="dr-reyes")


@pytest.fixture
def patient(clinic, prescriber, nurse):
    return PatientFactory(clinic=clinic, prescriber=prescriber, nurse=nurse)


@pytest.fixture
def other_patient(other_clinic):
    return PatientFactory(clinic=other_clinic, first_name="Otto", last_name="Elsewhere")


@pytest.fixture
def prescriber_client(client, prescriber):
    client.force_login(prescriber)
    return client


@pytest.fixture
def nurse_client(client, nurse):
    client.force_login(nurse)
    return client


@pytest.fixture
def catalogue(transactional_db):
    """The reference catalogue, for transactional tests: the flush after an earlier
    transactional test empties the tables the data migration filled."""
    from django.apps import apps

    from catalogue.loading import load_catalogue

    names = ("Source", "Drug", "EquivalenceFigure", "Product")
    load_catalogue({name: apps.get_model("catalogue", name) for name in names})
