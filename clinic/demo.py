"""Demo data for ``seed_demo``: two clinics, their staff, patients and plans."""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Clinic, User
from clinic.demo_plans import seed_demo_checkins, seed_demo_plans
from clinic.demo_records import seed_demo_records
from patients.models import Patient

DEMO_PASSWORD = "demo-password"  # noqa: S105 (demo data, only created when DEBUG is on)
# The demo users who need two-factor (prescribers, the clinic admin) get an authenticator device
# with this published key: add it to an authenticator app, or run `manage.py demo_code <user>`.
DEMO_TOTP_KEY = "TAPERCLINICDEMOTOTPKEYISPUBLIC22"  # base32; published, DEBUG only
DEMO_DEVICE_NAME = "Demo authenticator (published key)"


@dataclass(frozen=True)
class DemoClinic:
    name: str
    country: str
    time_zone: str
    phone: str
    staff: tuple[tuple[str, str, str, str], ...]  # username, role, first, last
    patients: tuple[tuple[str, str, str, datetime.date], ...]  # mrn, first, last, dob


DEMO_CLINICS = (
    DemoClinic(
        name="Riverside Practice",
        country="GB",
        time_zone="Europe/London",
        phone="020 7946 0123",
        staff=(
            ("prescriber", User.Role.PRESCRIBER, "Priya", "Shah"),
            ("nurse", User.Role.NURSE, "Noah", "Evans"),
            ("admin", User.Role.CLINIC_ADMIN, "Ada", "Morgan"),
        ),
        patients=(
            ("RV-1001", "Alice", "Archer", datetime.date(1961, 3, 14)),
            ("RV-1002", "Ben", "Booth", datetime.date(1975, 11, 2)),
            ("RV-1003", "Carys", "Collins", datetime.date(1948, 6, 30)),
        ),
    ),
    DemoClinic(
        name="Hillside Health Centre",
        country="US",
        time_zone="America/New_York",
        phone="(555) 010-0199",
        staff=(
            ("other-prescriber", User.Role.PRESCRIBER, "Omar", "Reyes"),
            ("other-nurse", User.Role.NURSE, "Olive", "Grant"),
        ),
        patients=(
            ("HH-2001", "Dana", "Dale", datetime.date(1969, 1, 21)),
            ("HH-2002", "Eli", "Ellis", datetime.date(1982, 8, 9)),
        ),
    ),
)


def demo_authenticator(user: User) -> TOTPDevice:
    """The user's demo authenticator device (the published key), fresh: no code used yet."""
    device, _ = TOTPDevice.objects.update_or_create(
        user=user,
        name=DEMO_DEVICE_NAME,
        defaults={
            "key": base64.b32decode(DEMO_TOTP_KEY).hex(),
            "confirmed": True,
            "last_t": -1,
            "drift": 0,
            "throttling_failure_count": 0,
            "throttling_failure_timestamp": None,
        },
    )
    return device


def demo_code(user: User) -> str | None:
    """The code an authenticator app with the demo key shows now for ``user``; ``None`` for a
    user without the demo device (never a real user's code)."""
    device = TOTPDevice.objects.filter(
        user=user, name=DEMO_DEVICE_NAME, key=base64.b32decode(DEMO_TOTP_KEY).hex()
    ).first()
    if device is None:
        return None
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):0{device.digits}d}"


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Create (or bring back to their demo state) the demo clinics, staff and patients."""
    created = {"clinics": 0, "users": 0, "patients": 0, "plans": 0}
    # One hash for every demo user: the password is published anyway, and each hash costs about
    # half a second (PBKDF2), most of what seeding used to take.
    demo_password_hash = make_password(DEMO_PASSWORD)
    admin_perms = Permission.objects.filter(
        content_type__app_label="accounts", codename__in=["view_user", "add_user", "change_user"]
    )
    for demo in DEMO_CLINICS:
        clinic, was_created = Clinic.objects.update_or_create(
            name=demo.name,
            defaults={"country": demo.country, "time_zone": demo.time_zone, "phone": demo.phone},
        )
        created["clinics"] += was_created
        staff: dict[str, User] = {}
        for username, role, first, last in demo.staff:
            user, was_created = User.objects.get_or_create(
                username=username,
                defaults={"clinic": clinic, "role": role, "first_name": first, "last_name": last},
            )
            user.clinic, user.role = clinic, role
            user.is_staff = role == User.Role.CLINIC_ADMIN  # the admin site is for clinic admins
            user.password = demo_password_hash
            user.save()
            if role == User.Role.CLINIC_ADMIN:
                user.user_permissions.add(*admin_perms)
            if user.needs_two_factor:
                demo_authenticator(user)
            staff[role] = user
            created["users"] += was_created
        for mrn, first, last, dob in demo.patients:
            _, was_created = Patient.objects.get_or_create(
                clinic=clinic,
                mrn=mrn,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "date_of_birth": dob,
                    "email": f"{mrn.lower()}@example.com",
                    "time_zone": demo.time_zone,
                    "prescriber": staff.get(User.Role.PRESCRIBER),
                    "nurse": staff.get(User.Role.NURSE),
                },
            )
            created["patients"] += was_created
        prescriber = staff.get(User.Role.PRESCRIBER)
        if prescriber is not None:
            patients = list(Patient.objects.filter(clinic=clinic).order_by("mrn"))
            seed_demo_records(prescriber=prescriber, patients=patients)
            created["plans"] += seed_demo_plans(prescriber=prescriber, patients=patients)
            seed_demo_checkins(nurse=staff.get(User.Role.NURSE), patients=patients)
    return created
