"""A six-month case worked to an outcome in a real browser: the community secretary of 翠湖社区
opens the case list, opens the case of a member of 翠湖第一支部 who missed every meeting for six
months (attendance built here, then the scan service run), records a talk with the member, and
closes the case as resumed; the case then shows as closed with its outcome."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import World
from dangjian.oversight.models import Case
from dangjian.oversight.scan import scan_blind_spots
from dangjian.oversight.tests import factories as f

SHOTS = Path("/tmp")
PASSWORD = "Test-password-2026"


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")


def absent_six_months(world: World) -> Case:
    branch = world.units["B1"]
    person = f.member(branch, "吴浏览")
    for held in f.monthly_meetings(branch):
        f.attend(person, held, "absent")
    scan_blind_spots(unit=world.units["C1"], as_of=f.window().last_month)
    return Case.objects.get(member=person, kind="six_month_no_life")


@pytest.mark.browser
def test_community_secretary_works_a_six_month_case_to_an_outcome(
    live_server: LiveServer, live_world: World, page: Page
) -> None:
    base_url = live_server.url
    case = absent_six_months(live_world)
    sign_in(page, base_url, "community_secretary")

    # The case list: the card counts the open six-month cases; the member's case is listed.
    page.goto(f"{base_url}/oversight/cases/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("盲点")
    expect(page.locator("#card-six_month_no_life")).to_contain_text("3")
    table = page.locator("#case-table")
    expect(table).not_to_contain_text("松涛")
    page.screenshot(path=str(SHOTS / "h4_e2e_case_list.png"), full_page=True)
    table.get_by_role("link", name="吴浏览").click()
    expect(page).to_have_url(f"{base_url}/oversight/cases/{case.pk}/")

    # The evidence: six months, each with the absence recorded.
    months = page.locator("#evidence-months > .col")
    expect(months).to_have_count(6)
    expect(months.first).to_contain_text("缺席 1 次")
    expect(page.locator("#evidence-records tbody tr")).to_have_count(6)
    expect(page.locator("#case-status")).to_contain_text("待处理")

    # A talk with the member, recorded through HTMX: the page comes back with the note.
    page.locator("#id_note_kind").select_option("contact")
    page.locator("#id_note_note").fill("电话联系吴浏览，本人表示工作调整后会按时参加组织生活。")
    page.locator("#action-note").get_by_role("button", name="添加工作记录").click()
    expect(page.locator(".alert-success")).to_contain_text("已添加工作记录")
    expect(page.locator("#case-actions")).to_contain_text("电话联系吴浏览")
    expect(page.locator("#case-status")).to_contain_text("处理中")

    # Closed as resumed, with a note; the confirmation is accepted.
    page.locator("#action-close").get_by_role("button", name="展开").click()
    # The form slides open: its fields and button are used once the transition has ended.
    expect(page.locator("#form-close")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.locator("#id_close_outcome").select_option("resumed")
    page.locator("#id_close_note").fill("本人已参加本月主题党日，恢复正常组织生活。")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#action-close").get_by_role("button", name="办结").click()
    expect(page.locator("#case-outcome")).to_contain_text("已办结：已恢复参加组织生活")
    expect(page.locator("#case-outcome")).to_contain_text("本人已参加本月主题党日")
    expect(page.locator("#case-status")).to_contain_text("已办结")
    expect(page.locator("#action-reopen")).to_be_visible()
    page.screenshot(path=str(SHOTS / "h4_e2e_case_closed.png"), full_page=True)

    case.refresh_from_db()
    assert case.status == "closed" and case.outcome == "resumed"
    assert list(case.actions.values_list("kind", flat=True)) == ["contact", "close"]

    # Back on the list, the closed case is among the closed ones with its outcome.
    page.goto(f"{base_url}/oversight/cases/?status=closed")
    row = page.locator("#case-table tbody tr", has_text="吴浏览")
    expect(row).to_contain_text("已办结")
    expect(row).to_contain_text(re.compile("已恢复参加组织生活"))
