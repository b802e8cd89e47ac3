"""The one permission table: the README prints it as the code has it, and the admin site's
staff rule agrees with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.access import Action, can, permission_table_markdown
from accounts.permissions import may_manage_staff
from tests.factories import ClinicAdminFactory, NurseFactory, PrescriberFactory

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_prints_the_table_the_code_uses():
    assert permission_table_markdown() in README.read_text()


@pytest.mark.parametrize("factory", [PrescriberFactory, NurseFactory, ClinicAdminFactory])
def test_the_admin_sites_staff_rule_is_the_tables(factory, clinic):
    user = factory(clinic=clinic, is_staff=True)
    assert may_manage_staff(user) == can(user, Action.MANAGE_STAFF)


def test_only_prescribers_plan_and_clinic_admins_see_no_clinical_data(clinic):
    prescriber, nurse, admin = (
        PrescriberFactory(clinic=clinic),
        NurseFactory(clinic=clinic),
        ClinicAdminFactory(clinic=clinic),
    )
    assert [can(u, Action.PLAN) for u in (prescriber, nurse, admin)] == [True, False, False]
    assert [can(u, Action.VIEW_CLINICAL) for u in (prescriber, nurse, admin)] == [True, True, False]
    inactive = PrescriberFactory(clinic=clinic, is_active=False)
    assert not can(inactive, Action.PLAN)
