"""Who looked at what: one row per request to a route about a patient, plan or check-in.

Writes are audited by django-simple-history on the models themselves; this is the read audit.
A row holds ids only (the route's name and its numeric ids), never names, search terms, query
strings or the patient link's token.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AccessRecord(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    clinic_id = models.BigIntegerField(null=True)
    method = models.CharField(max_length=8)
    route = models.CharField(max_length=80)
    object_kind = models.CharField(max_length=20, blank=True)
    object_id = models.BigIntegerField(null=True)
    ids = models.JSONField(default=dict)
    status = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["clinic_id", "-at"], name="audit_clinic_at"),
            models.Index(fields=["object_kind", "object_id", "-at"], name="audit_object_at"),
        ]

    def __str__(self) -> str:
        return f"Access #{self.pk}"
