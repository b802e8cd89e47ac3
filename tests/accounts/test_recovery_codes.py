"""Recovery codes are kept only as keyed hashes: the database never holds a code, a code works
once, and the codes django-otp's static plugin kept in clear were hashed by a migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import override_settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts import recovery_codes
from accounts.models import RecoveryCode, RecoveryCodeDevice
from accounts.two_factor import check_recovery_code, new_recovery_codes, recovery_codes_left

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("accounts.migrations.0006_hash_existing_recovery_codes")


def everything_stored() -> str:
    """Every value of every row of every model, as one text."""
    values = []
    for model in apps.get_models():
        for row in model.objects.all().values_list():
            values.extend(str(v) for v in row)
    return "\n".join(values).lower()


def test_the_database_never_holds_a_code_in_clear(prescriber):
    codes = new_recovery_codes(prescriber)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = everything_stored()
    for code in codes:
        assert code not in stored and recovery_codes.clean(code) not in stored
    assert not StaticToken.objects.exists()
    row = RecoveryCode.objects.filter(device__user=prescriber).first()
    assert row is not None and len(row.digest) == 64 and len(row.salt) == 32


def test_the_same_code_hashes_apart_with_each_salt():
    assert recovery_codes.digest("abcdefghijkl", "a" * 32) != recovery_codes.digest(
        "abcdefghijkl", "b" * 32
    )


def test_a_code_works_once_and_a_used_code_fails(prescriber):
    codes = new_recovery_codes(prescriber)
    assert check_recovery_code(prescriber, codes[3]) is not None
    assert recovery_codes_left(prescriber) == 9
    assert check_recovery_code(prescriber, codes[3]) is None
    assert recovery_codes_left(prescriber) == 9


def test_a_code_is_accepted_as_typed_spaced_or_in_capitals(prescriber):
    code = new_recovery_codes(prescriber)[0]
    typed = " " + recovery_codes.clean(code).upper()[:6] + " " + recovery_codes.clean(code)[6:]
    assert check_recovery_code(prescriber, typed) is not None


def test_another_users_code_does_not_work(prescriber, nurse):
    theirs = new_recovery_codes(nurse)
    new_recovery_codes(prescriber)
    assert check_recovery_code(prescriber, theirs[0]) is None
    assert recovery_codes_left(nurse) == 10


def test_wrong_codes_are_throttled(prescriber):
    codes = new_recovery_codes(prescriber)
    assert check_recovery_code(prescriber, "aaaa-aaaa-aaaa") is None
    # right after a failure django-otp refuses even a right code (it doubles the wait each time)
    assert check_recovery_code(prescriber, codes[0]) is None
    assert recovery_codes_left(prescriber) == 10


def test_codes_survive_a_key_rotation_through_the_fallback_keys(prescriber, settings):
    codes = new_recovery_codes(prescriber)
    with override_settings(
        SECRET_KEY="a-new-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]
    ):
        assert check_recovery_code(prescriber, codes[0]) is not None
    with override_settings(SECRET_KEY="another-key-" + "y" * 40, SECRET_KEY_FALLBACKS=[]):
        assert check_recovery_code(prescriber, codes[1]) is None


def test_the_migration_hashes_old_clear_codes_and_deletes_them(prescriber, nurse):
    old = StaticDevice.objects.create(user=prescriber, name="Recovery codes", confirmed=True)
    clear = ["abcd2345", "efgh6723"]
    for token in clear:
        StaticToken.objects.create(device=old, token=token)
    StaticDevice.objects.create(user=nurse, name="Recovery codes", confirmed=True)

    MIGRATION.hash_clear_codes(apps, None)

    assert not StaticDevice.objects.exists() and not StaticToken.objects.exists()
    stored = everything_stored()
    assert not any(token in stored for token in clear)
    assert recovery_codes_left(prescriber) == 2
    assert RecoveryCodeDevice.objects.filter(user=nurse).count() == 1
    assert recovery_codes_left(nurse) == 0
    # an old code still works, once
    assert check_recovery_code(prescriber, "ABCD-2345") is not None
    assert check_recovery_code(prescriber, "abcd2345") is None
    assert recovery_codes_left(prescriber) == 1
