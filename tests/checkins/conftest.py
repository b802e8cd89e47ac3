from __future__ import annotations

import pytest
from django.core.cache import cache

from checkins.sms import LocmemSmsBackend


@pytest.fixture(autouse=True)
def _fresh_cache_and_sms():
    """The rate limit counts in the cache, and texts go to a class-level outbox."""
    cache.clear()
    LocmemSmsBackend.outbox.clear()
    yield
    cache.clear()
