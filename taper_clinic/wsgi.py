"""WSGI entry point (gunicorn taper_clinic.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taper_clinic.settings")

application = get_wsgi_application()
