"""Headless Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM calls
as "async unsafe"; the live server and the test share nothing async, so allow them. The
catalogue rows that the data migration loads vanish with the transactional flush between
tests, so each test asks for the ``catalogue`` fixture (tests/conftest.py) to load them again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: apt-get install chromium chromium-driver")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a loaded CI machine renders a long preview slowly

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, catalogue):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=LAPTOP, locale="en-GB", timezone_id="UTC")
    # Signing and holding render the printable schedule inside the request under the test
    # settings; a loaded machine needs more than 15 s for a long plan.
    context.set_default_timeout(45_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    # Anything the Content-Security-Policy blocks is a console error, and so is htmx refusing
    # to evaluate an expression under it or missing the target of a swap; none is allowed. (An
    # aborted request, which hx-sync makes on purpose, also logs an htmx error: that one is fine.)
    blocked: list[str] = []
    refused = ("htmx:evalDisallowedError", "htmx:oobErrorNoTarget", "htmx:targetError")

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or message.text.startswith(refused):
            blocked.append(f"{page.url} {message.location}: {message.text[:120]}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not blocked, "\n".join(blocked)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def authenticator_code(username: str) -> str:
    """The code ``username``'s authenticator app shows now, or in the next 30 s when the current
    one was used already (django-otp accepts each code once, and the next one early)."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step
    return f"{totp.token():0{device.digits}d}"


PASSWORD = "secret-password"  # every factory user's


def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the real forms: the password, then, for a user who needs two-factor (a
    test prescriber is given an authenticator device first), the current code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user = User.objects.get(username=username)
    if user.needs_two_factor and not TOTPDevice.objects.filter(user=user, confirmed=True):
        TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    if "/two-factor/verify/" in page.url:
        page.get_by_label("Code from your authenticator app").fill(authenticator_code(username))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(lambda url: "/two-factor/" not in url)
