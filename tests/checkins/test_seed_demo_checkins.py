"""seed_demo gives patients with a plan in force a few weeks of check-ins, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from checkins.models import CheckIn
from clinic.demo_plans import DEMO_TOTALS
from schedules.models import TaperPlan

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_seed_demo_adds_a_check_in_history_once(client):
    call_command("seed_demo", verbosity=0)
    active = TaperPlan.objects.filter(status=TaperPlan.Status.ACTIVE)
    assert active.exists()
    for plan in active:
        totals = list(
            CheckIn.objects.filter(patient=plan.patient)
            .order_by("created_at")
            .values_list("total", flat=True)
        )
        assert totals == list(DEMO_TOTALS)
    count = CheckIn.objects.count()
    call_command("seed_demo", verbosity=0)
    assert CheckIn.objects.count() == count
    latest = CheckIn.objects.filter(reviewed_at__isnull=True, patient__nurse__username="nurse")[0]
    assert latest is not None and latest.total == DEMO_TOTALS[-1]
    assert client.login(username="nurse", password="demo-password")
    page = client.get(f"/checkins/{latest.pk}/").content.decode()
    assert page.count("<circle") == len(DEMO_TOTALS)
