"""A clinic admin manages the users of their own clinic only."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, clinic_admin):
    clinic_admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "add_user", "change_user"])
    )
    client.force_login(clinic_admin)
    return client


def test_clinic_admin_lists_only_their_clinics_staff(admin_client, prescriber, other_prescriber):
    page = admin_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "dr-shah" in page
    assert "dr-reyes" not in page


def test_clinic_admin_cannot_open_another_clinics_user(admin_client, other_prescriber):
    url = reverse("admin:accounts_user_change", args=[other_prescriber.pk])
    response = admin_client.get(url)
    assert response.status_code in (302, 404)  # admin redirects a missing object to the index
    assert "dr-reyes" not in admin_client.get(url, follow=True).content.decode()


def test_user_added_by_clinic_admin_joins_their_clinic(admin_client, clinic, other_clinic):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new-nurse",
            "password1": "A-long-unusual-passphrase-42",
            "password2": "A-long-unusual-passphrase-42",
            "usable_password": "true",
            "first_name": "New",
            "last_name": "Nurse",
            "email": "new@example.org",
            "role": User.Role.NURSE,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(username="new-nurse")
    assert created.clinic == clinic
    assert not created.is_superuser


# --- Privilege escalation ----------------------------------------------------------------------


def change_form_data(client, user, **changes):
    """What the admin's change form for ``user`` would post as it stands, with ``changes``."""
    response = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, datetime.datetime):  # the admin's split date and time widget
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d %H:%M:%S").split()
            continue
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
            continue
        data[name] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def post_change(client, user, **changes):
    return client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        change_form_data(client, user, **changes),
    )


def test_clinic_admin_cannot_make_themselves_a_prescriber(admin_client, clinic_admin):
    response = post_change(admin_client, clinic_admin, role=User.Role.PRESCRIBER, is_superuser="on")
    assert response.status_code in (200, 302)
    clinic_admin.refresh_from_db()
    assert clinic_admin.role == User.Role.CLINIC_ADMIN
    assert clinic_admin.is_staff and not clinic_admin.is_superuser


def test_clinic_admin_cannot_drop_their_own_staff_flag_or_deactivate_themselves(
    admin_client, clinic_admin
):
    data = change_form_data(admin_client, clinic_admin)
    data.pop("is_staff", None)
    data.pop("is_active", None)
    admin_client.post(reverse("admin:accounts_user_change", args=[clinic_admin.pk]), data)
    clinic_admin.refresh_from_db()
    assert clinic_admin.is_staff and clinic_admin.is_active


def test_own_role_and_staff_fields_are_not_in_the_form(admin_client, clinic_admin, nurse):
    own = admin_client.get(reverse("admin:accounts_user_change", args=[clinic_admin.pk]))
    assert not {"role", "is_staff", "is_superuser", "is_active"} & set(
        own.context["adminform"].form.fields
    )
    other = admin_client.get(reverse("admin:accounts_user_change", args=[nurse.pk]))
    fields = set(other.context["adminform"].form.fields)
    assert "role" in fields and "is_active" in fields
    assert not {"is_staff", "is_superuser", "groups", "user_permissions"} & fields


def test_superuser_cannot_change_their_own_role_or_superuser_flag(client, clinic):
    boss = User.objects.create_superuser("root", "root@example.org", "pw-long-and-unusual-9")
    client.force_login(boss)
    response = post_change(client, boss, role=User.Role.PRESCRIBER, clinic=clinic.pk)
    assert response.status_code == 302, response.context["adminform"].form.errors
    boss.refresh_from_db()
    assert boss.clinic == clinic  # the rest of the form was saved
    assert boss.role == "" and boss.is_superuser and boss.is_staff


def test_clinic_admin_cannot_grant_admin_site_rights(admin_client, nurse):
    response = post_change(admin_client, nurse, is_staff="on", is_superuser="on")
    assert response.status_code == 302, response.content.decode()[:2000]
    nurse.refresh_from_db()
    assert not nurse.is_staff and not nurse.is_superuser


def test_clinic_admin_cannot_create_a_staff_user(admin_client):
    admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new-admin",
            "password1": "A-long-unusual-passphrase-42",
            "password2": "A-long-unusual-passphrase-42",
            "usable_password": "true",
            "role": User.Role.CLINIC_ADMIN,
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    created = User.objects.get(username="new-admin")
    assert not created.is_staff and not created.is_superuser


def test_clinic_admin_cannot_open_another_users_set_password_form(
    admin_client, prescriber, clinic_admin
):
    for user in (prescriber, clinic_admin):
        url = reverse("admin:auth_user_password_change", args=[user.pk])
        assert admin_client.get(url).status_code == 403
        response = admin_client.post(
            url, {"password1": "Taken-over-passphrase-7", "password2": "Taken-over-passphrase-7"}
        )
        assert response.status_code == 403
    prescriber.refresh_from_db()
    assert prescriber.check_password("secret-password")


def test_superuser_may_set_a_users_password(client, prescriber):
    boss = User.objects.create_superuser("root", "root@example.org", "pw-long-and-unusual-9")
    client.force_login(boss)
    url = reverse("admin:auth_user_password_change", args=[prescriber.pk])
    assert client.get(url).status_code == 200


def test_clinic_admin_cannot_change_a_superuser_of_their_clinic(admin_client, clinic):
    boss = User.objects.create_superuser("root", "root@example.org", "pw-long-and-unusual-9")
    boss.clinic = clinic
    boss.role = User.Role.PRESCRIBER
    boss.save()
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[boss.pk]), {"role": User.Role.NURSE}
    )
    assert response.status_code == 403
    boss.refresh_from_db()
    assert boss.role == User.Role.PRESCRIBER


def test_granting_the_prescriber_role_is_recorded_with_who_granted_it(
    admin_client, clinic_admin, nurse, caplog
):
    with caplog.at_level("WARNING", logger="accounts.admin"):
        response = post_change(admin_client, nurse, role=User.Role.PRESCRIBER)
    assert response.status_code == 302, response.content.decode()[:2000]
    nurse.refresh_from_db()
    assert nurse.role == User.Role.PRESCRIBER
    latest = nurse.history.latest()
    assert latest.history_user == clinic_admin
    assert latest.history_change_reason == f"Prescriber role granted by user #{clinic_admin.pk}"
    assert f"User #{clinic_admin.pk} granted the prescriber role to user #{nurse.pk}" in caplog.text


def test_a_nurse_with_admin_access_cannot_manage_staff(client, nurse, prescriber):
    nurse.is_staff = True
    nurse.save()
    nurse.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "add_user", "change_user"])
    )
    client.force_login(nurse)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    response = client.post(
        reverse("admin:accounts_user_change", args=[nurse.pk]), {"role": User.Role.PRESCRIBER}
    )
    assert response.status_code == 403
    nurse.refresh_from_db()
    assert nurse.role == User.Role.NURSE


def test_services_refuse_signing_and_creating_for_a_clinic_admin(clinic_admin, patient, prescriber):
    from django.core.exceptions import PermissionDenied

    from schedules.services import plans as plan_services
    from tests.plan_helpers import draft_plan, preview_body

    draft = draft_plan(patient, prescriber)
    with pytest.raises(PermissionDenied):
        plan_services.revision_sign(revision=draft, user=clinic_admin, confirm=True, overrides=[])
    with pytest.raises(PermissionDenied):
        plan_services.plan_create(patient=patient, user=clinic_admin, data=preview_body())
