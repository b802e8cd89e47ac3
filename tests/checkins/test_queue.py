"""The nurse's queue speaks plain words."""

from __future__ import annotations

import pytest

from checkins.instruments import RULES
from tests.factories import CheckInFactory

pytestmark = pytest.mark.django_db


def test_the_queue_names_the_suggestion_rule_in_plain_words(nurse_client, patient):
    rule = RULES[-1]
    CheckInFactory(patient=patient, suggested_action=rule.action.value, suggested_rule=rule.key)
    page = nurse_client.get("/checkins/").content.decode()
    assert rule.description in page
    assert rule.key not in page
