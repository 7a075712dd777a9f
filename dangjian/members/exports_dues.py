"""Dues as xlsx files (XlsxWriter): a branch's yearly sheet of income bases to fill in, and the
arrears list. Neither holds an ID number or a phone in full: the sheet shows the masked number
so a cadre can tell two members of the same name apart, the arrears list no number at all."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

from dangjian.core.models import OrgUnit

from .choices import IncomeClass
from .models import to_fen
from .selectors.dues import SheetRow
from .services.dues import month_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The base sheet: (key, title, width). The member's number ties a row to the member; the name and
# the masked ID number are there for the person filling it in and are checked against the number.
BASE_SHEET = "党费基数"
BASE_HELP_SHEET = "说明"
BASE_LISTS_SHEET = "选项"
BASE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("member", "党员编号", 10),
    ("name", "姓名", 10),
    ("id_number", "公民身份号码（脱敏）", 22),
    ("income_class", "收入类别", 30),
    ("monthly_income", "月收入（元）", 14),
)
BASE_TITLES = {key: title for key, title, _ in BASE_COLUMNS}


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def write_base_template(*, branch: OrgUnit, year: int, rows: Iterable[SheetRow], max_rows: int = 2000) -> bytes:
    """The branch's members on the roll, one a row, with their base for the year where set; the
    income class from a drop-down, the income as a number with two decimals."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(BASE_SHEET)
    guide = workbook.add_worksheet(BASE_HELP_SHEET)
    lists = workbook.add_worksheet(BASE_LISTS_SHEET)

    header = workbook.add_format({"bold": True, "bg_color": "#F4DCDC", "font_color": "#8C0017", "border": 1})
    fixed_header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    locked = workbook.add_format({"bg_color": "#F7F7F7", "num_format": "@"})
    text = workbook.add_format({"num_format": "@"})
    money = workbook.add_format({"num_format": "0.00"})

    labels = [str(label) for label in IncomeClass.labels]
    lists.write(0, 0, "收入类别")
    for offset, label in enumerate(labels, start=1):
        lists.write_string(offset, 0, label)
    lists.hide()

    for index, (key, title, width) in enumerate(BASE_COLUMNS):
        editable = key in ("income_class", "monthly_income")
        sheet.set_column(index, index, width, money if key == "monthly_income" else text)
        sheet.write_string(0, index, title, header if editable else fixed_header)
    income_class_col = [key for key, _, _ in BASE_COLUMNS].index("income_class")
    income_col = [key for key, _, _ in BASE_COLUMNS].index("monthly_income")
    sheet.data_validation(
        1,
        income_class_col,
        max_rows,
        income_class_col,
        {
            "validate": "list",
            "source": f"='{BASE_LISTS_SHEET}'!$A$2:$A${len(labels) + 1}",
            "error_title": "收入类别",
            "error_message": "请从下拉列表中选择。",
        },
    )
    sheet.data_validation(
        1,
        income_col,
        max_rows,
        income_col,
        {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "input_title": "月收入（元）",
            "input_message": "在职填税后月工资收入，离退休填月退休费；学生、失业、领取低保的可填 0。",
            "error_title": "月收入（元）",
            "error_message": "请填写不小于 0 的数字，最多两位小数。",
        },
    )
    for number, row in enumerate(rows, start=1):
        member, base = row.member, row.base
        sheet.write_number(number, 0, member.pk, locked)
        sheet.write_string(number, 1, member.name, locked)
        sheet.write_string(number, 2, member.id_number_masked, locked)
        if base is not None:
            sheet.write_string(number, income_class_col, base.get_income_class_display())
            sheet.write_number(number, income_col, float(base.monthly_income), money)
    sheet.freeze_panes(1, 2)

    title = workbook.add_format({"bold": True, "font_size": 14, "font_color": "#8C0017"})
    plain = workbook.add_format({"text_wrap": True, "valign": "top"})
    guide.set_column(0, 0, 100)
    guide.write(0, 0, f"{branch.name} {year}年度党费基数", title)
    lines = [
        f"1. 在「{BASE_SHEET}」工作表中，每行是本支部一名在册党员；"
        "请填写「收入类别」和「月收入（元）」两列，不要改动前三列。",
        "2. 在职党员填每月工资收入（税后），离退休党员填每月退休费；学生、失业、领取低保的党员选第三类，月收入可填 0。",
        "3. 月交纳额由平台按党费交纳标准计算（按所在档次的比例计全部收入，四舍五入到分），无需填写。",
        "4. 两列都留空的行不核定；已核定的党员不能清空。不要使用公式。",
        "5. 上传后逐行校验：任何一行有错都不会保存，页面会按行号和列名列出错误；全部通过才一次保存。",
    ]
    for offset, line in enumerate(lines, start=2):
        guide.write(offset, 0, line, plain)
    workbook.close()
    return buffer.getvalue()


ARREARS_COLUMNS = [
    ("姓名", 10),
    ("所在党支部", 30),
    ("欠交月数", 10),
    ("欠交金额（元）", 14),
    ("最早欠交月份", 14),
    ("最近欠交月份", 14),
]


def write_arrears(rows: Iterable[dict[str, Any]], *, title: str) -> bytes:
    """The arrears list as cadres see it: names, branch, months and amounts; no personal numbers."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet("党费欠交")
    heading = workbook.add_format({"bold": True, "font_size": 13})
    header = workbook.add_format({"bold": True, "bg_color": "#F4DCDC", "border": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    total = workbook.add_format({"bold": True, "num_format": "#,##0.00", "top": 1})
    bold = workbook.add_format({"bold": True, "top": 1})
    for column, (_, width) in enumerate(ARREARS_COLUMNS):
        sheet.set_column(column, column, width)
    sheet.write_string(0, 0, title, heading)
    for column, (name, _) in enumerate(ARREARS_COLUMNS):
        sheet.write_string(1, column, name, header)
    number = 1
    members = months = 0
    owed = Decimal("0.00")
    for number, row in enumerate(rows, start=2):
        sheet.write_string(number, 0, row["member__name"])
        sheet.write_string(number, 1, row["member__branch__name"])
        sheet.write_number(number, 2, row["months"])
        sheet.write_number(number, 3, float(to_fen(row["owed"])), money)
        sheet.write_string(number, 4, month_label(row["oldest"]))
        sheet.write_string(number, 5, month_label(row["latest"]))
        members += 1
        months += row["months"]
        owed += to_fen(row["owed"])
    last = number + 1
    sheet.write_string(last, 0, f"合计 {members} 人", bold)
    sheet.write_blank(last, 1, None, bold)
    sheet.write_number(last, 2, months, bold)
    sheet.write_number(last, 3, float(owed), total)
    sheet.freeze_panes(2, 1)
    workbook.close()
    return buffer.getvalue()


def arrears_response(rows: Iterable[dict[str, Any]], *, scope_name: str, today: datetime.date) -> HttpResponse:
    title = f"{scope_name}党费欠交名单（截至{month_label(today.replace(day=1))}前，{today:%Y-%m-%d}导出）"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(write_arrears(rows, title=title), f"党费欠交名单-{stamp}.xlsx")
