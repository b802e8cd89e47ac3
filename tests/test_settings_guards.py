"""The settings module refuses unsafe production configurations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "REDIS_", "DATABASE_", "TAPER_"))
    }
    clean.update({"DJANGO_READ_DOT_ENV_FILE": "False", **env})
    code = (
        "import taper_clinic.settings as s;"
        "print('DEBUG', s.DEBUG);"
        "print('EAGER', s.CELERY_TASK_ALWAYS_EAGER);"
        "print('BROKER', s.CELERY_BROKER_URL);"
        "print('CACHE', s.CACHES['default']['BACKEND']);"
        "print('DB', s.DATABASES['default']['ENGINE']);"
        "print('BACKGROUND', s.TAPER_RENDER_IN_BACKGROUND)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = load_settings()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_is_off_by_default():
    result = load_settings(DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


def test_debug_runs_without_secret_key_on_sqlite_with_eager_tasks():
    result = load_settings(DJANGO_DEBUG="True")
    assert result.returncode == 0, result.stderr
    assert "DEBUG True" in result.stdout
    assert "EAGER True" in result.stdout
    assert "sqlite3" in result.stdout
    assert "LocMemCache" in result.stdout
    assert "BACKGROUND True" in result.stdout  # PDFs render after the response, not in it


def test_redis_url_makes_redis_the_broker_and_cache():
    result = load_settings(DJANGO_SECRET_KEY="x" * 50, REDIS_URL="redis://127.0.0.1:6379/3")
    assert result.returncode == 0, result.stderr
    assert "EAGER False" in result.stdout
    assert "BROKER redis://127.0.0.1:6379/3" in result.stdout
    assert "RedisCache" in result.stdout
    assert "BACKGROUND False" in result.stdout  # the Celery worker renders


def test_database_url_selects_postgresql():
    result = load_settings(
        DJANGO_SECRET_KEY="x" * 50, DATABASE_URL="postgres://postgres@127.0.0.1:5432/taper"
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout


def test_check_deploy_is_clean_with_production_variables():
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_", "DATABASE_"))
    }
    env.update(
        DJANGO_READ_DOT_ENV_FILE="False",
        DJANGO_SECRET_KEY="q8#Jv2!mZ7@pL4$wX9^tR1&kC6*nB3(yH5)uF0-sD8=gA2+eW7",
        DJANGO_ALLOWED_HOSTS="taper.example.org",
        DATABASE_URL="sqlite:///:memory:",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_management_command_starts_quietly():
    """No library chatter (WeasyPrint's stylesheet progress, django-axes' banner) at start."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "REDIS_", "DATABASE_", "TAPER_"))
    }
    env.update(DJANGO_READ_DOT_ENV_FILE="False", DJANGO_DEBUG="True", DATABASE_URL="sqlite://")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
