"""Research before acting in a real browser: a resident submits an opinion on the community's
public page without signing in; a community cadre answers it and reports it done; the resident
sees the answer with the tracking code and rates it; a sub-district organizer opens the
detachment indicators and sees the charts drawn."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from conftest import World

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "Test-password-2026"


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")


def sign_out(page: Page, base_url: str) -> None:
    page.locator("#user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(f"{base_url}/login/")


@pytest.mark.browser
def test_a_resident_is_answered_by_tracking_code_and_an_organizer_sees_the_indicators(
    live_server: LiveServer, live_world: World, page: Page
) -> None:
    base_url = live_server.url
    community = live_world.units["C1"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # The resident, not signed in, on the community's public page: anonymous by default.
    page.goto(f"{base_url}/research/public/{community.code}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("向翠湖社区提意见建议")
    expect(page.locator("#id_submitter_kind_2")).to_be_checked()  # 匿名
    page.locator("#id_area").select_option(label="公共设施")
    page.locator("#id_title").fill("小区北门路灯不亮")
    page.locator("#id_content").fill("北门两盏路灯坏了半个月，晚上进出不安全。")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已收到您的意见建议")
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{10}", code), code

    # The community cadre answers it and reports the promise kept.
    sign_in(page, base_url, "community_cadre")
    page.goto(f"{base_url}/research/opinions/")
    page.locator("#opinion-table").get_by_role("link", name="小区北门路灯不亮").click()
    expect(page.locator("#opinion-status")).to_have_text("待分派")
    answer = page.locator("#action-answer")
    answer.get_by_role("radio", name="采纳", exact=True).check()
    answer.locator("#id_answer_answer").fill("已联系物业，三天内修复。")
    promised = datetime.date.today() + datetime.timedelta(days=3)
    answer.locator("#id_answer_promised_on").fill(promised.isoformat())
    answer.get_by_role("button", name="答复").click()
    expect(page.locator("#opinion-status")).to_have_text("已答复，落实中")
    progress = page.locator("#action-progress")
    progress.get_by_role("radio", name="已落实", exact=True).check()
    progress.locator("#id_progress_note").fill("两盏路灯已更换。")
    progress.get_by_role("button", name="更新落实进展").click()
    expect(page.locator("#opinion-status")).to_have_text("已办结")
    sign_out(page, base_url)

    # The resident follows it with the code: the answer and the progress, and rates it.
    page.goto(f"{base_url}/research/public/{community.code}/track/")
    page.locator("#id_code").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#track-status")).to_have_text("已办结")
    expect(page.locator("#track-answer")).to_contain_text("已联系物业，三天内修复。")
    expect(page.locator("#track-progress")).to_contain_text("两盏路灯已更换。")
    expect(page.locator("#track-result")).not_to_contain_text("community_cadre")
    page.get_by_role("radio", name="5 分 · 很满意").check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#track-rating")).to_contain_text("5 分")
    page.screenshot(path=ARTIFACTS / "research_tracking.png", full_page=True)

    # The sub-district organizer sees the detachment indicators drawn as charts.
    sign_in(page, base_url, "subdistrict_organizer")
    page.goto(f"{base_url}/research/indicators/")
    for chart in ("#chart-visits", "#chart-action", "#chart-opinion"):
        expect(page.locator(f"{chart} canvas, {chart} svg").first).to_be_visible()
    expect(page.locator("#cadre-indicators")).to_contain_text("community_cadre用户")
    expect(page.locator("#cadre-indicators")).to_contain_text("100.0%")  # the one opinion, closed
    page.screenshot(path=ARTIFACTS / "research_indicators.png", full_page=True)
