"""A list's links, resolved once and formatted per row, are the links ``reverse`` gives."""

from __future__ import annotations

import pytest
from django.urls import reverse

from patients.links import id_url


@pytest.mark.parametrize("name", ["patients:detail", "schedules:plan", "checkins:detail"])
@pytest.mark.parametrize("pk", [0, 1, 7, 42, 987654321, 10**12])
def test_a_formatted_link_is_the_reversed_link(name, pk):
    assert id_url(name)(pk) == reverse(name, args=[pk])
