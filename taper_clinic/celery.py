"""The Celery app, wired the standard Django way.

Settings prefixed ``CELERY_`` configure it. With no broker configured (``REDIS_URL`` unset) the
settings turn on eager mode, so the embedded default runs tasks inline.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taper_clinic.settings")

app = Celery("taper_clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
