"""A Spanish-speaking patient gets the reminder and the page in Spanish, the CIWA-B wording
marked as a translation not validated."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from checkins import services
from tests.checkins.helpers import IN_STEP_2, form_data, link_token
from tests.plan_helpers import signed_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def spanish(patient, prescriber):
    patient.language = "es"
    patient.save()
    signed_plan(patient, prescriber)
    return patient


def test_the_reminder_and_the_page_are_in_spanish(client, spanish):
    with time_machine.travel(datetime.datetime(2027, 1, 18, 9, 5, tzinfo=datetime.UTC)):
        [invitation_id] = services.create_due_invitations()
        services.claim_and_send(invitation_id)
    [message] = mail.outbox
    assert message.subject == "Su control semanal de Riverside"
    assert "Abra su control:" in message.body
    assert "Abrir mi control" in message.alternatives[0][0]
    token = link_token(message)
    with time_machine.travel(IN_STEP_2, tick=False):
        page = client.get(f"/c/{token}/").content.decode()
        assert '<html lang="es">' in page
        assert "¿Se siente irritable?" in page and "Muchísimo" in page
        assert "¿Ha tenido una convulsión o un ataque?" in page
        assert "translation not validated" in page
        done = client.post(f"/c/{token}/", form_data(1)).content.decode()
    assert "Gracias, su control se ha enviado" in done
    assert "Sus dosis esta semana" in done and "Mañana" in done


def test_an_english_patient_sees_no_translation_notice(client, patient, prescriber):
    signed_plan(patient, prescriber)
    with time_machine.travel(datetime.datetime(2027, 1, 18, 9, 5, tzinfo=datetime.UTC)):
        [invitation_id] = services.create_due_invitations()
        services.claim_and_send(invitation_id)
        page = client.get(f"/c/{link_token(mail.outbox[0])}/").content.decode()
    assert "Do you feel irritable?" in page and "not been validated" not in page
