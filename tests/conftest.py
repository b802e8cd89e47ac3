"""Personas shared by the suite; each says what it may see."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import (
    ClinicAdminFactory,
    ClinicFactory,
    NurseFactory,
    PatientFactory,
    PrescriberFactory,
)


class VerifiedClient(Client):
    """The test client whose ``force_login`` logs in as after the whole login: password and, for
    a user who needs it, the two-factor code (a confirmed authenticator device is made for the
    user and recorded in the session, as ``django_otp.login`` does). The login also counts as a
    fresh authentication for signing (``accounts.reauth``, via the ``user_logged_in`` signal).
    ``force_login(user, two_factor=False)`` stops after the password, as a real session would
    before the code is typed."""

    def force_login(self, user, backend=None, *, two_factor=True):  # type: ignore[no-untyped-def]
        super().force_login(user, backend)
        if two_factor and user.needs_two_factor:
            verify_session(self, user)


def verify_session(client, user):  # type: ignore[no-untyped-def]
    """Mark ``client``'s session as having passed 2FA with ``user``'s authenticator device."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def client():
    """pytest-django's ``client``, with a ``force_login`` that passes two-factor too."""
    return VerifiedClient()


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


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache: the check-in rate limit and the login throttle
    count in it per address, and every test's client comes from 127.0.0.1, so without this a
    test's outcome would depend on how many answers the tests before it in the same worker
    posted (the browser test of the check-in flow met the rate limit after the form fuzz)."""
    from django.core.cache import cache

    cache.clear()
