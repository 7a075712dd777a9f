"""The core flow in a real browser: a community secretary signs in, walks the org tree, which loads
its branches by HTMX, opens a branch, and is refused a branch of another community."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import World

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "Test-password-2026"
NOT_FOUND = "页面不存在，或不在您的权限范围内"


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")


def expand(page: Page, unit_pk: int) -> None:
    """Open a closed tree node by its arrow, as a user would, and wait for its children to arrive."""
    summary = page.locator(f'.org-tree summary[data-unit="{unit_pk}"]')
    with page.expect_response(re.compile(rf"/org/{unit_pk}/children/$")) as loaded:
        summary.locator(".toggle").click()
    assert loaded.value.status == 200
    expect(summary.locator("xpath=..")).to_have_attribute("open", "")


@pytest.mark.browser
def test_community_secretary_walks_tree_and_is_kept_in_scope(
    live_server: LiveServer, live_world: World, page: Page
) -> None:
    units = live_world.units
    base_url = live_server.url
    sign_in(page, base_url, "community_secretary")

    page.goto(f"{base_url}/org/")
    tree = page.locator(".org-tree")
    expect(tree.get_by_role("link", name="翠湖社区", exact=True)).to_be_visible()
    expect(tree.get_by_role("link", name="翠湖第二支部")).to_be_visible()
    expect(tree.get_by_role("link", name="翠湖第一支部")).to_have_count(0)

    expand(page, units["GB1"].pk)
    expect(tree.get_by_role("link", name="翠湖第一支部")).to_be_visible()

    expand(page, units["B1"].pk)
    group = tree.locator(f'div.leaf[data-unit="{units["G1"].pk}"]')
    expect(group).to_be_visible()
    expect(group).to_contain_text("翠湖第一小组")

    expect(page.locator("body")).not_to_contain_text("松涛")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "org_tree.png", full_page=True)

    tree.get_by_role("link", name="翠湖第一支部").click()
    expect(page).to_have_url(f"{base_url}/org/{units['B1'].pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("翠湖第一支部")

    response = page.goto(f"{base_url}/org/{units['B2'].pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(NOT_FOUND)
    expect(page.locator("body")).not_to_contain_text("松涛界外支部")
