"""Meetings in a real browser: a branch secretary (acting on the general branch above 翠湖第一支部)
plans a themed day for the branch, records who came — present, excused with a reason, absent —
and the month's compliance table turns the branch's themed-day cell from 0/1 to ✓."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import World
from dangjian.orglife.models import Attendance, Meeting
from dangjian.orglife.selectors import Period
from dangjian.orglife.tests.factories import make_members

SHOTS = Path("/tmp")
PASSWORD = "Test-password-2026"


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")


def themed_day_cell(page: Page, branch: str):
    return page.locator(f'#compliance-table tr[data-branch="{branch}"] td[data-kind="themed_day"]')


def meeting_time() -> datetime.datetime:
    """A few minutes ago, on today's date (so in this month's period)."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    earlier = now - datetime.timedelta(minutes=5)
    return earlier if earlier.date() == now.date() else now.replace(hour=0, minute=0)


@pytest.mark.browser
def test_a_branch_secretary_records_a_meeting_and_the_compliance_table_changes(
    live_server: LiveServer, live_world: World, page: Page
) -> None:
    base_url = live_server.url
    branch = live_world.units["B1"]
    present = live_world.members["B1"]
    excused, absent = make_members(branch, 2, "第一支部党员")
    month = Period.containing(timezone.localdate(), 1)
    sign_in(page, base_url, "branch_secretary")

    # Before: this month's themed day for 翠湖第一支部 is owed.
    page.goto(f"{base_url}/life/compliance/")
    page.locator("#id_period").select_option(month.key)  # the table refreshes by HTMX
    expect(page.locator("#compliance-period")).to_have_text(month.label)
    cell = themed_day_cell(page, branch.name)
    expect(cell).to_have_text("0/1")
    page.screenshot(path=SHOTS / "h2_e2e_compliance_before.png", full_page=True)

    # The meeting, planned from the meeting list.
    page.goto(f"{base_url}/life/")
    page.locator("#meeting-create").click()
    expect(page).to_have_url(f"{base_url}/life/meetings/new/")
    page.locator("#id_branch").select_option(label=branch.name)
    page.locator("#id_kind").select_option("themed_day")
    expect(page.locator("#field-group")).to_be_hidden()  # only group meetings choose a group
    page.locator("#id_title").fill("重温入党誓词主题党日")
    page.locator("#id_held_at").fill(meeting_time().strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_place").fill("翠湖社区党群服务中心")
    page.locator("#id_chair").fill("陈志强")
    page.locator("#id_recorder").fill("刘洋")
    page.locator("#meeting-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/life/meetings/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("重温入党誓词主题党日")
    expect(page.get_by_role("heading", level=1)).to_contain_text("待登记出席")
    meeting = Meeting.objects.get(title="重温入党誓词主题党日")

    # The attendance: everyone present first, then one excused (the reason is asked) and one absent.
    page.locator("#record-attendance").click()
    expect(page).to_have_url(f"{base_url}/life/meetings/{meeting.pk}/attendance/")
    roster = page.locator("#attendance-roster")
    expect(roster.locator("tbody tr")).to_have_count(3)
    page.locator("#all-present").click()
    expect(page.locator(f"#id_status_{present.pk}_0")).to_be_checked()
    reason_box = page.locator(f'[data-reason-box="{excused.pk}"]')
    expect(reason_box).to_be_hidden()
    page.locator(f'label[for="id_status_{excused.pk}_1"]').click()
    expect(reason_box).to_be_visible()
    page.locator(f'label[for="id_status_{absent.pk}_2"]').click()
    page.locator("#attendance-save").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator(f'[data-reason-box="{excused.pk}"]')).to_contain_text("请假，请填写请假事由")
    assert not Attendance.objects.filter(meeting=meeting).exists()
    page.screenshot(path=SHOTS / "h2_e2e_attendance_refused.png", full_page=True)
    page.locator(f"#id_reason_{excused.pk}").fill("外出就医")
    page.locator("#attendance-save").click()

    expect(page).to_have_url(f"{base_url}/life/meetings/{meeting.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("应到 3 人，实到 1 人")
    table = page.locator("#attendance-table")
    expect(table.locator("tr", has_text=excused.name)).to_contain_text("外出就医")
    expect(table.locator("tr", has_text=absent.name)).to_contain_text("缺席")
    expect(page.get_by_role("heading", level=1)).to_contain_text("已召开")
    page.screenshot(path=SHOTS / "h2_e2e_meeting.png", full_page=True)

    # After: the month's themed day is held.
    page.goto(f"{base_url}/life/compliance/?period={month.key}")
    cell = themed_day_cell(page, branch.name)
    expect(cell).to_have_text("✓")
    expect(cell).to_have_attribute("data-held", "1")
    expect(cell).to_have_attribute("data-required", "1")
    page.screenshot(path=SHOTS / "h2_e2e_compliance_after.png", full_page=True)
