"""Fixtures for the browser tests: one Chromium for the session, a fresh page per test, a live world."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from conftest import World, build_world

# Playwright's sync API keeps an event loop running in the main thread, which Django would
# otherwise take for async code and refuse ORM calls from.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium; skipped when it is missing, except on CI, where that is a failure."""
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in its own browser context, so cookies never leak between tests."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def live_world(live_server: LiveServer, transactional_db: None) -> World:
    """The shared test world, committed so that the live server's thread can see it. A
    transactional test empties every table afterwards, the rules the data migrations seeded
    included, so they are put back first."""
    restore_seeded_rules()
    return build_world()


def restore_seeded_rules() -> None:
    """The rows data migrations seed: meeting frequencies and dues brackets."""
    from decimal import Decimal

    from dangjian.members.choices import DEFAULT_DUES_RULES
    from dangjian.members.models import DuesRule
    from dangjian.orglife.choices import DEFAULT_MEETING_RULES
    from dangjian.orglife.models import MeetingRule

    for kind, (frequency, times, description) in DEFAULT_MEETING_RULES.items():
        MeetingRule.objects.get_or_create(
            kind=kind, defaults={"frequency": frequency, "times": times, "description": description}
        )
    for income_class, bound, rate, fixed in DEFAULT_DUES_RULES:
        DuesRule.objects.get_or_create(
            income_class=income_class,
            upper_bound=Decimal(bound) if bound else None,
            defaults={
                "rate_percent": Decimal(rate) if rate else None,
                "fixed_amount": Decimal(fixed) if fixed else None,
            },
        )
