"""The roster in a real browser: a community cadre downloads the import template, imports three
new members, finds one by the initials of the name, opens the record and shows the ID number in
full; the community secretary then finds that showing in the unmask log."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from python_calamine import CalamineWorkbook

from conftest import World
from dangjian.members import imports
from dangjian.members.tests.factories import id_number

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "Test-password-2026"
BRANCH = "翠湖第一支部"
ZHANG_ID = id_number(datetime.date(1975, 3, 14), "110101", 101)


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(f"{base_url}/")


def person(name: str, number: str, gender: str) -> dict[str, Any]:
    """A row as a person fills the template: labels from the drop-downs, dates as dates."""
    return {
        "name": name,
        "gender": gender,
        "ethnicity": "汉族",
        "id_number": number,
        "education": "本科",
        "branch": BRANCH,
        "membership_type": "正式党员",
        "join_date": datetime.date(1998, 7, 1),
        "full_member_date": datetime.date(1999, 7, 1),
        "residence_community": "翠湖社区",
    }


NEW_MEMBERS = [
    person("张三丰", ZHANG_ID, "男"),
    person("李秀英", id_number(datetime.date(1972, 11, 2), "110101", 102), "女"),
    person("王建国", id_number(datetime.date(1969, 10, 1), "110101", 103), "男"),
]


def filled_roster(world: World) -> bytes:
    """The downloaded template filled in. Without openpyxl the download cannot be edited, so the
    file is written again as the import tests write theirs: the same template for 翠湖社区, with
    the new members after the header (the test checks it matches the download)."""
    rows = [[values.get(column.field, "") for column in imports.COLUMNS] for values in NEW_MEMBERS]
    return imports.write_template(root=world.units["C1"], rows=rows)


@pytest.mark.browser
def test_cadre_imports_finds_and_unmasks_a_member_and_the_secretary_sees_it_logged(
    live_server: LiveServer, live_world: World, page: Page, tmp_path: Path
) -> None:
    base_url = live_server.url
    sign_in(page, base_url, "community_cadre")

    # The template, downloaded from the import page.
    page.goto(f"{base_url}/members/")
    # Not exact: the accessible name begins with the icon font's glyph.
    page.get_by_role("link", name="导入名册").click()
    expect(page).to_have_url(f"{base_url}/members/import/")
    with page.expect_download() as downloading:
        page.locator("#template-download").click()
    download = downloading.value
    assert download.suggested_filename == "党员名册导入模板.xlsx"
    template = tmp_path / download.suggested_filename
    download.save_as(template)
    workbook = CalamineWorkbook.from_path(str(template))
    assert workbook.sheet_names == [imports.SHEET, imports.HELP_SHEET, imports.LISTS_SHEET]
    assert workbook.get_sheet_by_name(imports.SHEET).to_python()[0] == [column.title for column in imports.COLUMNS]
    lists = workbook.get_sheet_by_name(imports.LISTS_SHEET).to_python()
    branches = lists[0].index(imports.column_title("branch"))
    assert [row[branches] for row in lists[1:] if row[branches]] == [BRANCH, "翠湖第二支部"]

    # The filled file: uploaded, checked, previewed, confirmed, written.
    upload = tmp_path / "翠湖社区名册.xlsx"
    upload.write_bytes(filled_roster(live_world))
    filled = CalamineWorkbook.from_path(str(upload))
    assert filled.get_sheet_by_name(imports.LISTS_SHEET).to_python() == lists
    assert filled.get_sheet_by_name(imports.SHEET).to_python()[1][0] == "张三丰"
    page.locator("#id_file").set_input_files(upload)
    page.get_by_role("button", name="上传并校验").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/members/import/\d+/$"))
    expect(page.locator("#count-new")).to_have_text("3")
    expect(page.locator("#count-updated")).to_have_text("0")
    expect(page.locator("#preview-new")).to_contain_text("张三丰")
    page.once("dialog", lambda dialog: dialog.accept())  # 将新增 3 名、更新 0 名党员，确定导入吗？
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#import-done")).to_contain_text("新增 3 名，更新 0 名")

    # Found by the initials of the name; the table refreshes by HTMX.
    page.get_by_role("link", name="查看党员名册").click()
    expect(page).to_have_url(f"{base_url}/members/")
    table = page.locator("#member-table")
    expect(table.get_by_role("link", name="李秀英")).to_be_visible()
    page.locator("#id_q").fill("zsf")
    expect(page).to_have_url(re.compile(r"/members/\?q=zsf&"))  # pushed by HTMX, with the other filters
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.get_by_role("link", name="李秀英")).to_have_count(0)
    table.get_by_role("link", name="张三丰").click()

    # The record: the ID number masked until shown in full, and the showing logged.
    expect(page.get_by_role("heading", level=1)).to_contain_text("张三丰")
    number = page.locator("#id-number")
    expect(number).not_to_contain_text(ZHANG_ID)
    page.locator("#unmask-id").click()
    expect(number.locator('[data-unmasked="id_number"]')).to_have_text(ZHANG_ID)
    expect(number.locator(".badge")).to_have_text("已记录查看")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "member_unmasked.png", full_page=True)

    page.locator("#user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(f"{base_url}/login/")

    # The community secretary sees who showed which number of whom.
    sign_in(page, base_url, "community_secretary")
    page.goto(f"{base_url}/members/unmask-log/")
    row = page.locator("#unmask-log tbody tr").filter(has_text="张三丰")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("community_cadre用户")
    expect(row).to_contain_text(BRANCH)
    expect(row).to_contain_text("公民身份号码")
    expect(page.locator("#unmask-log")).not_to_contain_text(ZHANG_ID)
    page.screenshot(path=ARTIFACTS / "unmask_log.png", full_page=True)
