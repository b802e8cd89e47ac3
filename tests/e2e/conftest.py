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
    # Anything the Content-Security-Policy blocks is a console error; none is allowed.
    blocked: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(f"{page.url} {message.location}: {message.text[:120]}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not blocked, "\n".join(blocked)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
