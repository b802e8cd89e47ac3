"""Test overrides only; everything else comes from settings.py and the environment."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production")

from .settings import *  # noqa: F403

SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="taper-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="taper-test-static-")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Tests call Celery tasks as functions or capture on_commit callbacks; eager mode stays on so
# code that calls .delay() during a test does not need a broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
TAPER_RENDER_IN_BACKGROUND = False  # render inside the request; tests that want the thread say so
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
AXES_ENABLED = False  # re-enabled in the lockout test
LOGGING = {"version": 1, "disable_existing_loggers": False}
TAPER_SMS_BACKEND = "checkins.sms.LocmemSmsBackend"

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not SQLite's shared-cache memory database: there two threads writing at once get
    # "table is locked" at once instead of waiting (busy_timeout), which makes the tests of
    # concurrent claims flaky. One file per test process (xdist workers each have their own).
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"taper-test-{os.getpid()}.sqlite3")
    }
