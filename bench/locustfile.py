"""Locust users for ``bench/load.py``: nurses, prescribers (with their two-factor code) and
patients opening their check-in link. Reads the ids and logins from ``TAPER_LOAD_TARGETS``.

Staff users also open the bare staff-only view of ``bench/pages_urls.py`` now and then: the
reference, the same middleware and session under the same load with no page work. Every
request is appended to ``TAPER_LOAD_LOG`` (name, start time, milliseconds, failed) when set, so
``bench/load.py`` can tell the logins from the steady state exactly."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import random
import struct
import time
from typing import Any

from locust import HttpUser, between, events, task

TARGETS: dict[str, Any] = json.loads(os.environ.get("TAPER_LOAD_TARGETS", "{}") or "{}")
NEXT_LOGIN = {"prescribers": itertools.count(), "nurses": itertools.count()}
LOG_PATH = os.environ.get("TAPER_LOAD_LOG", "")
LOG = open(LOG_PATH, "a", buffering=1) if LOG_PATH else None  # noqa: SIM115 (open for the run)


@events.request.add_listener
def record(
    name: str, response_time: float, exception: Any, start_time: float = 0, **_: Any
) -> None:
    if LOG is not None:
        LOG.write(f"{name}\t{start_time or time.time()}\t{response_time}\t{int(bool(exception))}\n")


def totp(key_hex: str, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (SHA-1), as the authenticator app computes it."""
    counter = struct.pack(">Q", int(time.time()) // step)
    digest = hmac.new(bytes.fromhex(key_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


class StaffUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    role = ""

    def on_start(self) -> None:
        logins = TARGETS[self.role]
        login = logins[next(NEXT_LOGIN[self.role]) % len(logins)]
        self.client.get("/login/", name="login page")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/login/",
            {
                "username": login["username"],
                "password": TARGETS["password"],
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.host}/login/"},
            name="login",
        )
        if login.get("key"):
            self.client.get("/account/two-factor/verify/", name="two-factor page")
            token = self.client.cookies.get("csrftoken", "")
            self.client.post(
                "/account/two-factor/verify/",
                {"code": totp(login["key"]), "csrfmiddlewaretoken": token},
                headers={"Referer": f"{self.host}/account/two-factor/verify/"},
                name="two-factor code",
            )

    def page(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")

    @task(1)
    def bare(self) -> None:
        self.page("/bench/bare/", "bare view (reference)")


class Nurse(StaffUser):
    weight = 2
    role = "nurses"

    @task(3)
    def queue(self) -> None:
        self.page("/checkins/", "nurse queue")

    @task(2)
    def search(self) -> None:
        self.page(f"/patients/?q={TARGETS['search']}", "patient list ?q=")

    @task(2)
    def patient(self) -> None:
        self.page(f"/patients/{random.choice(TARGETS['patients'])}/", "patient page")

    @task(1)
    def api_queue(self) -> None:
        self.page("/api/v1/checkins/queue/", "API queue")


class Prescriber(StaffUser):
    weight = 2
    role = "prescribers"

    @task(2)
    def patient(self) -> None:
        self.page(f"/patients/{random.choice(TARGETS['patients'])}/", "patient page")

    @task(2)
    def plan(self) -> None:
        self.page(f"/plans/{random.choice(TARGETS['plans'])}/", "plan page")

    @task(1)
    def dashboard(self) -> None:
        self.page("/", "dashboard")


class PatientLink(HttpUser):
    weight = 1
    wait_time = between(1.0, 3.0)

    @task
    def open_link(self) -> None:
        token = random.choice(TARGETS["tokens"])
        with self.client.get(f"/c/{token}/", name="patient link", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
