"""Bulk status updates of opinions from an .xlsx file: the template lists the open opinions in
scope; a filled file updates them through the services; any error, by row and column in
Chinese, and nothing is written."""

from __future__ import annotations

import datetime
import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dangjian.research import imports
from dangjian.research.choices import OpinionStatus
from dangjian.research.models import Opinion

from .factories import make_opinion, today

pytestmark = pytest.mark.django_db


def workbook(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(imports.SHEET)
    for column, title in enumerate(header or imports.TITLES):
        sheet.write(0, column, title)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, datetime.date):
                sheet.write_datetime(number, column, datetime.datetime.combine(value, datetime.time()))
            elif value is not None:
                sheet.write(number, column, value)
    book.close()
    return buffer.getvalue()


def row(code: str, **values: object) -> list[object]:
    cells = dict.fromkeys((column.key for column in imports.COLUMNS), "")
    cells["code"] = code
    cells.update(values)
    return [cells[column.key] for column in imports.COLUMNS]


def upload(client, content: bytes):
    return client.post(reverse("research:opinion_import"), {"file": SimpleUploadedFile("办理情况.xlsx", content)})


def test_the_template_lists_the_open_opinions_in_scope_with_drop_downs(world, login):
    mine = make_opinion(world.units["C1"])
    make_opinion(world.units["C2"], title="松涛意见")
    response = login(world.personas["community_cadre"]).get(reverse("research:opinion_import_template"))
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == [imports.SHEET, imports.HELP_SHEET, imports.LISTS_SHEET]
    sheet = book.get_sheet_by_name(imports.SHEET).to_python()
    assert sheet[0] == imports.TITLES
    assert [line[0] for line in sheet[1:] if line[0]] == [mine.tracking_code]
    lists = book.get_sheet_by_name(imports.LISTS_SHEET).to_python()
    assert "community_cadre用户（community_cadre）" in [line[0] for line in lists]


def test_a_filled_file_assigns_answers_and_closes(world, login):
    cadre = world.personas["community_cadre"]
    first, second, third = (make_opinion(world.units["C1"], title=f"意见{n}") for n in range(3))
    label = imports.cadre_label(cadre)
    content = workbook(
        [
            row(first.tracking_code, assignee=label),
            row(
                second.tracking_code.lower(),
                answer_kind="采纳",
                answer="马上修",
                promised_on=today(),
                progress="已落实",
                progress_note="已修好",
            ),
            row(third.tracking_code, answer_kind="不予采纳", answer="感谢", reason="不属于社区职责"),
        ]
    )
    response = upload(login(cadre), content)
    assert response.status_code == 200, response.content.decode()
    assert "已更新 3 条意见建议" in response.content.decode()
    first.refresh_from_db(), second.refresh_from_db(), third.refresh_from_db()
    assert first.status == OpinionStatus.ASSIGNED and first.assignee == cadre
    assert second.status == OpinionStatus.CLOSED and second.progress == "done" and second.promised_on == today()
    assert third.status == OpinionStatus.CLOSED and third.not_accepted_reason == "不属于社区职责"


def test_one_bad_row_and_nothing_is_written_with_errors_by_row_and_column(world, login):
    cadre = world.personas["community_cadre"]
    good, bad = make_opinion(world.units["C1"]), make_opinion(world.units["C1"])
    outside = make_opinion(world.units["C2"])
    content = workbook(
        [
            row(good.tracking_code, answer_kind="不予采纳", answer="感谢", reason="理由"),
            row(bad.tracking_code, answer_kind="采纳", answer="好的"),
            row(outside.tracking_code, answer_kind="采纳", answer="好的", promised_on=today()),
            row(good.tracking_code, progress="完成了"),
            row(bad.tracking_code, answer_kind="不予采纳", answer=""),
        ]
    )
    response = upload(login(cadre), content)
    assert response.status_code == 400
    errors = {(error["row"], error["column"], error["message"]) for error in response.context["errors"]}
    assert (3, "承诺完成日期", "采纳的意见请填写承诺完成日期。") in errors
    assert (4, "查询码", "查询码不存在，或不在您的权限范围内。") in errors
    assert (5, "查询码", "查询码与第 2 行重复，同一条意见建议只填一行。") in errors
    assert (6, "查询码", "查询码与第 3 行重复，同一条意见建议只填一行。") in errors
    page = response.content.decode()
    assert "没有任何数据被修改" in page and "承诺完成日期" in page
    # The good row was rolled back with the rest.
    good.refresh_from_db()
    assert good.status == OpinionStatus.SUBMITTED and good.version == 1
    assert not Opinion.objects.exclude(status=OpinionStatus.SUBMITTED).exists()


def test_the_same_rules_as_the_page(world, login):
    """A row's refusal is the service's message, the one the page shows on its field."""
    opinion = make_opinion(world.units["C1"])
    response = upload(
        login(world.personas["community_cadre"]),
        workbook([row(opinion.tracking_code, answer_kind="不予采纳", answer="否")]),
    )
    assert (2, "不予采纳理由", "不予采纳时请说明理由。") in {
        (error["row"], error["column"], error["message"]) for error in response.context["errors"]
    }


def test_a_wrong_file_is_refused_whole(world, login):
    client = login(world.personas["community_cadre"])
    response = upload(client, b"not a spreadsheet")
    assert response.status_code == 400 and "文件无法读取" in response.content.decode()
    response = upload(client, workbook([["X"]], header=["姓名", "性别"]))
    assert "不是意见建议办理模板" in response.content.decode()
    response = upload(client, workbook([]))
    assert "文件中没有数据" in response.content.decode()


def test_a_formula_cell_is_refused(world, login):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(imports.SHEET)
    for column, title in enumerate(imports.TITLES):
        sheet.write(0, column, title)
    sheet.write_formula(1, 0, '="AB"&"CD"')
    book.close()
    response = upload(login(world.personas["community_cadre"]), buffer.getvalue())
    assert "单元格是公式" in response.content.decode()
