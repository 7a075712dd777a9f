"""An introduction letter in a real browser: a community cadre finds a member, issues a
transfer-out letter and opens the printed letter, which carries the letter number, the member's
name and the return receipt; on paper (print media) the navigation and the buttons are gone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import World

PASSWORD = "Test-password-2026"
DESTINATION = "中共杭州市西湖区北山街道工作委员会"
SCREENSHOTS = Path("/tmp")


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")


@pytest.mark.browser
def test_a_cadre_issues_a_transfer_out_letter_and_prints_it(live_server: LiveServer, live_world: World, page: Page):
    base_url = live_server.url
    member = live_world.members["B1"]
    sign_in(page, base_url, "community_cadre")

    # From the transfer list: find the member, issue the letter.
    page.goto(f"{base_url}/members/transfers/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("组织关系转接")
    page.locator("#issue-link").click()
    expect(page).to_have_url(f"{base_url}/members/transfers/new/")
    page.locator("#id_q").fill("翠湖第一")
    picked = page.locator("#pick-table tbody tr").filter(has_text=member.name)
    expect(picked).to_have_count(1)
    picked.get_by_role("link", name="转出本区").click()
    expect(page).to_have_url(f"{base_url}/members/transfers/out/new/{member.pk}/")
    expect(page.locator("#id_valid_days")).to_have_value("30")

    # A refusal first: the destination is required, and the page says so on the field.
    page.get_by_role("button", name="开具介绍信").click()
    expect(page.locator("#field-counterpart .invalid-feedback")).to_contain_text("转往的党组织")
    page.locator("#id_counterpart").fill(DESTINATION)
    page.locator("#id_reason").fill("工作调动")
    page.get_by_role("button", name="开具介绍信").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/members/transfers/\d+/$"))
    number = page.locator("#letter-number").inner_text()
    assert re.fullmatch(r"（\d{4}）第0001号", number), number
    expect(page.get_by_role("heading", level=1)).to_contain_text("已开具")

    # The printed letter: stub, letter and receipt, each with the number.
    page.locator("#print-link").click()
    expect(page).to_have_url(re.compile(r"/members/transfers/\d+/print/$"))
    sheet = page.locator("#letter-sheet")
    for part in ("#letter-stub", "#letter-body", "#letter-receipt"):
        expect(sheet.locator(part)).to_contain_text(number)
        expect(sheet.locator(part)).to_contain_text(member.name)
    expect(sheet.locator("#letter-receipt")).to_contain_text("回执")
    expect(sheet.locator("#letter-body")).to_contain_text(DESTINATION)
    expect(sheet.locator("#letter-body")).to_contain_text("请转接组织关系")
    # The cadre may see numbers in full: printed in full (the printing is logged).
    expect(page.locator("#letter-id-number")).to_have_text(member.id_number)
    expect(page.locator("#print-button")).to_be_visible()
    expect(page.locator(".app-navbar")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "h1_letter_screen.png", full_page=True)

    # On paper: no navigation, no buttons, no breadcrumbs; the letter stays.
    page.emulate_media(media="print")
    expect(page.locator(".app-navbar")).to_be_hidden()
    expect(page.locator("#print-toolbar")).to_be_hidden()
    expect(page.locator("#print-button")).to_be_hidden()
    expect(page.locator("footer")).to_have_count(0)
    expect(sheet.locator("#letter-receipt")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "h1_letter_print.png", full_page=True)
    page.pdf(path=str(SCREENSHOTS / "h1_letter.pdf"), format="A4")
