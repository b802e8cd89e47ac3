"""Real processes for the fault tests: a private redis-server, Celery workers and beats, a web
server, each started in its own process group so a finalizer (or the test, on purpose) can kill
it and everything it forked with one ``kill -9``.

The processes run the production settings module (``taper_clinic.settings``) against the test
database and a temporary media and mail directory; nothing here touches the shared Redis.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: Generous: the CI machine has two cores and runs the other tests beside these.
SLOW = 120.0


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], *, timeout: float = SLOW, what: str) -> Any:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


class Process:
    """A child process in its own session; its output goes to ``log`` for the failure report."""

    def __init__(self, name: str, args: list[str], *, env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.args = args
        self.log = log
        self._log_file = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """``kill -9`` the process and all it forked (its process group); wait for it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=30)
        self._log_file.close()

    def output(self, tail: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-tail:]
        except OSError:
            return ""


class Processes:
    """Every process a test starts; :meth:`kill_all` is the fixture's finalizer."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Process] = []

    def start(self, name: str, args: list[str], env: Mapping[str, str]) -> Process:
        process = Process(name, args, env=env, log=self.folder / f"{name}-{len(self.started)}.log")
        self.started.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.started:
            process.kill()

    def report(self) -> str:
        """The last lines each process wrote, to explain a failure."""
        return "\n".join(f"--- {p.name} ({p.log.name}) ---\n{p.output()}" for p in self.started)


class RedisServer:
    """A private, memory-only redis-server on a free port (never the shared one)."""

    def __init__(self, processes: Processes) -> None:
        binary = shutil.which("redis-server")
        if binary is None:  # .ci/run installs it; a missing binary is a broken setup, not a skip
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self.binary = binary
        self.processes = processes
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None
        self.start()

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.processes.folder)]
        self.process = self.processes.start("redis", args, os.environ)
        wait_until(self.ping, timeout=30, what="redis-server to answer")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.exceptions.ConnectionError:
            return False

    def drained(self) -> bool:
        """No message waits in the default queue, and none is out with a worker unacked."""
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=5)
        return client.llen("celery") == 0 and client.hlen("unacked") == 0

    def restart(self) -> None:
        """Kill it (``kill -9``: the queued messages are lost) and start a new one."""
        assert self.process is not None
        self.process.kill()
        self.start()


def app_env(*, database_url: str, redis_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a process of the app, as production runs it (DEBUG off)."""
    media = folder / "media"
    mail = folder / "mail"
    media.mkdir(exist_ok=True)
    mail.mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TAPER_", "PYTEST_", "CELERY_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "MEDIA_ROOT")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "taper_clinic.settings",
            "DJANGO_READ_DOT_ENV_FILE": "False",
            "DJANGO_DEBUG": "False",
            "DJANGO_SECRET_KEY": "faults-only-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "False",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(media),
            "EMAIL_URL": f"filemail:///{mail}",  # django-environ drops one leading slash
            "TAPER_SITE_URL": "https://clinic.example.org",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def worker_args(name: str, *, pool: str = "solo", concurrency: int = 1) -> list[str]:
    """``celery worker`` arguments after the program: quiet, no gossip between workers."""
    level = os.environ.get("FAULTS_WORKER_LOGLEVEL", "WARNING")  # INFO or DEBUG to investigate
    args = ["worker", "--pool", pool, "-n", f"{name}@%h", "--loglevel", level]
    if pool == "prefork":
        args += ["--concurrency", str(concurrency)]
    return [*args, "--without-gossip", "--without-mingle", "--without-heartbeat"]


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "taper_clinic", *args]


@contextlib.contextmanager
def broker(redis_url: str) -> Iterator[Any]:
    """A Celery app that only publishes to ``redis_url`` (the test's own, never eager), to send
    the very messages beat or a web process sends."""
    from celery import Celery

    app = Celery("faults", broker=redis_url, set_as_current=False)
    app.conf.task_serializer = "json"
    app.conf.broker_connection_retry_on_startup = True
    try:
        yield app
    finally:
        app.close()


def database_url() -> str:
    """The URL of pytest-django's test database, for the processes a test starts."""
    from django.db import connection

    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
