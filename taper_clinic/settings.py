"""Taper Clinic settings: one module, driven by the environment (django-environ).

With nothing set you get the embedded default: SQLite file, local-memory cache, Celery tasks run
eagerly, e-mail printed to the console. Production sets DATABASE_URL, REDIS_URL,
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, EMAIL_URL and MEDIA_ROOT. DJANGO_DEBUG defaults to
False, and then DJANGO_SECRET_KEY is required. The README lists every variable.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")  # the OS environment wins over the file

# --- Core -------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#core-settings
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production)."
        )
    SECRET_KEY = "django-insecure-dev-only-not-for-production"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",  # API tokens: stored hashed, each with an expiry
    "drf_spectacular",
    "simple_history",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "accounts",
    "audit",
    "catalogue",
    "patients",
    "medications",
    "clinic",
    "schedules",
    "checkins",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.sessions.SessionLifetimeMiddleware",  # 30 min idle, 12 h absolute
    "audit.middleware.ReadAuditMiddleware",  # who looked at which patient, plan, check-in
    "taper_clinic.middleware.NoStoreMiddleware",  # patient data is never cached
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (django-csp): CONTENT_SECURITY_POLICY
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",  # unverified sessions reach only the 2FA pages
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "taper_clinic.urls"
WSGI_APPLICATION = "taper_clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # healthchecks' SQLite hardening: wait on locks instead of failing, take the write lock early.
    # WAL lets pages read while the background thread writes a document, and with synchronous
    # NORMAL a commit no longer waits for an fsync (the 61 commits of the first migrate took
    # a third of its time). Durability of the last commits on power loss is the trade-off.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # The check-in queue's index carries patient_id as an INCLUDE column on PostgreSQL, for
    # index-only counts; SQLite ignores it, as this warning says on every start of `make run`.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    # A kept connection is checked before a request reuses it, so after a database restart the
    # next request reconnects instead of failing once (tests/faults/test_postgres_restart.py).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.SprayThrottleBackend",  # one address trying many usernames
    "axes.backends.AxesStandaloneBackend",  # lock out repeated failed logins (django-axes)
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 first (argon2-cffi); the others only check older hashes, which are upgraded at login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_URL_PATH = "/login/"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env.int("TAPER_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
#: Distinct usernames failing from one address within the cool-off before it is refused.
TAPER_LOGIN_SPRAY_LIMIT = env.int("TAPER_LOGIN_SPRAY_LIMIT", default=10)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and private media -----------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "var" / "static")
WHITENOISE_USE_FINDERS = DEBUG  # serve straight from static/ in development
WHITENOISE_AUTOREFRESH = DEBUG
# Patient documents live here. It is never served by URL: an authenticated view streams them.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "private")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Cache and Celery -------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_IGNORE_RESULT = True  # no patient data in a result backend
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("TAPER_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("TAPER_TASK_TIME_LIMIT", default=90)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # No broker: run tasks inline so the embedded default needs no other service (pretix).
    CELERY_BROKER_URL = "memory://localhost//"  # a host, so kombu does not warn of none
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without a broker the web process renders printable schedules on one background thread after
# the response (schedules/background.py), so signing never waits for the PDF. Tests turn it off.
TAPER_RENDER_IN_BACKGROUND = env.bool("TAPER_RENDER_IN_BACKGROUND", default=not REDIS_URL)

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DJANGO_DEFAULT_FROM_EMAIL", default="Taper Clinic <noreply@localhost>"
)

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request is then a 401 with WWW-Authenticate, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsClinicStaff"],
    "DEFAULT_SCHEMA_CLASS": "taper_clinic.api_schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's defaults, with JSON through our parser: depth-limited, no lone surrogates or NUL.
    "DEFAULT_PARSER_CLASSES": [
        "taper_clinic.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "taper_clinic.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=30),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Taper Clinic API",
    "DESCRIPTION": "Benzodiazepine taper planning: reference catalogue, plans, check-ins.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["accounts.permissions.IsClinicStaff"],
    # The API reads JSON bodies (the form parsers stay for DRF's own use, undocumented).
    "PARSER_WHITELIST": ["taper_clinic.parsers.SafeJSONParser"],
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}
    },
    "ENUM_NAME_OVERRIDES": {
        "ReleaseFormEnum": ["ir", "er"],
        "CheckinKindEnum": ["checkin", "missed"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "taper_clinic.api_schema.close_request_bodies",
    ],
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("TAPER_MAX_REQUEST_BYTES", default=256 * 1024)

# --- Security (production) --------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SESSION_COOKIE_HTTPONLY = True
# A session ends after 30 idle minutes, 12 hours after login, when the browser closes, at logout
# and when the user is deactivated (accounts/sessions.py).
SESSION_COOKIE_AGE = env.int("TAPER_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
TAPER_SESSION_ABSOLUTE_SECONDS = env.int("TAPER_SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp) on every response: scripts, styles, images and requests
# from this origin only; no inline script or style, no plugins, no framing, forms post here only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: ids only, never patient data ----------------------------------------------------
# Everything goes to the console once (Django's own "django" handler is replaced, so nothing is
# printed twice). A 4xx is one line without traceback. Chatty libraries speak only to warn:
# fontTools logs every font subset, WeasyPrint each stylesheet it parses (at import, too), Celery
# every task that succeeds, django-axes each login, the autoreloader a line at each start.
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
QUIET_LOGGERS = (
    "fontTools",
    "weasyprint",
    "PIL",
    "kombu",
    "celery.app.trace",
    "celery.worker.strategy",
    "axes",  # its start banner and four lines per login; failures and lockouts are warnings
    "django.utils.autoreload",
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_errors_without_traceback": {
            "()": "taper_clinic.log_filters.ClientErrorsWithoutTraceback"
        },
        # Search terms (/patients/?q=...) never reach the logs: request lines lose their query.
        "drop_query_strings": {"()": "taper_clinic.log_filters.DropQueryStrings"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_without_traceback", "drop_query_strings"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
    },
}

# --- Taper Clinic -----------------------------------------------------------------------------
TAPER_DEFAULT_COUNTRY = env.str("TAPER_DEFAULT_COUNTRY", default="GB")
TAPER_SITE_URL = env.str("TAPER_SITE_URL", default="http://127.0.0.1:8000")

# --- Weekly check-ins -------------------------------------------------------------------------
# A dotted path to a class with ``send(to: str, message: str) -> None`` (checkins.sms.SmsBackend).
TAPER_SMS_BACKEND = env.str("TAPER_SMS_BACKEND", default="checkins.sms.ConsoleSmsBackend")
TAPER_CHECKIN_POSTS_PER_HOUR = env.int("TAPER_CHECKIN_POSTS_PER_HOUR", default=20)
#: Seconds between beat's passes that queue due reminders, and between its sweeps of documents
#: a killed worker left half made; the fault tests (tests/faults/) shorten them.
TAPER_REMINDER_PASS_SECONDS = env.float("TAPER_REMINDER_PASS_SECONDS", default=60.0)
TAPER_DOCUMENT_SWEEP_SECONDS = env.float("TAPER_DOCUMENT_SWEEP_SECONDS", default=300.0)
#: A render claimed longer ago than this is presumed abandoned (its worker died) and may be
#: claimed again. The default is the render's hard time limit (90 s) plus 30 s: a live render is
#: never taken over. Only the fault tests shorten it.
TAPER_RENDER_STALE_SECONDS = env.int("TAPER_RENDER_STALE_SECONDS", default=120)
CELERY_BEAT_SCHEDULE = {
    "checkins-enqueue-due": {
        "task": "checkins.tasks.enqueue_due_reminders",
        "schedule": TAPER_REMINDER_PASS_SECONDS,
    },
    "checkins-mark-missed": {"task": "checkins.tasks.mark_missed_checkins", "schedule": 60.0},
    "schedules-requeue-documents": {
        "task": "schedules.sweeps.requeue_pending_documents",
        "schedule": TAPER_DOCUMENT_SWEEP_SECONDS,
    },
}
CELERY_IMPORTS = ["schedules.sweeps"]  # beat's repairs live outside tasks.py (no import cycle)

# --- Two-factor authentication and re-authentication ------------------------------------------
# TOTP (django-otp) for prescribers, clinic admins and superusers; for nurses by clinic policy
# (Clinic.nurses_need_2fa). Signing needs a password or a code within TAPER_REAUTH_SECONDS.
OTP_TOTP_ISSUER = "Taper Clinic"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret
TAPER_REAUTH_SECONDS = 5 * 60
