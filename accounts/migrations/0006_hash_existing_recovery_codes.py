"""Recovery codes kept in clear by django-otp's static plugin become hashed codes of
``RecoveryCodeDevice``; the clear ones are deleted. Not reversible: a hash gives no code back."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from accounts import recovery_codes


def hash_clear_codes(apps: Any, schema_editor: Any) -> None:
    StaticDevice = apps.get_model("otp_static", "StaticDevice")
    RecoveryCodeDevice = apps.get_model("accounts", "RecoveryCodeDevice")
    RecoveryCode = apps.get_model("accounts", "RecoveryCode")
    for old in StaticDevice.objects.all().prefetch_related("token_set"):
        device = RecoveryCodeDevice.objects.create(
            user_id=old.user_id, name=old.name, confirmed=old.confirmed
        )
        rows = []
        for token in old.token_set.all():
            salt = recovery_codes.new_salt()
            rows.append(
                RecoveryCode(
                    device=device, salt=salt, digest=recovery_codes.digest(token.token, salt)
                )
            )
        RecoveryCode.objects.bulk_create(rows)
    StaticDevice.objects.all().delete()  # and their clear tokens (cascade)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_recovery_codes_hashed"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(hash_clear_codes, migrations.RunPython.noop)]
