"""The files a person downloads: the template to fill in, and the upload with its errors marked."""

from __future__ import annotations

import datetime
import io
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import xlsxwriter
from django.conf import settings
from python_calamine import CalamineWorkbook

from dangjian.core.forms import file_size_label
from dangjian.core.models import OrgUnit

from ..choices import ETHNIC_GROUPS
from ..forms import MemberForm
from ..models import Member
from .columns import (
    COLUMNS,
    DEFAULTED_FIELDS,
    HELP_SHEET,
    LISTS_SHEET,
    MESSAGES_COLUMN,
    SHEET,
    cell_text,
    column_title,
    is_blank,
)
from .rows import load_lookups


def _choice_labels(name: str) -> list[str]:
    return [str(label) for _, label in Member._meta.get_field(name).choices]


def write_template(*, root: OrgUnit | None, rows: Iterable[Iterable[Any]] = ()) -> bytes:
    """The roster template: one header row, a drop-down on every enumerated column (lists on a
    hidden sheet), text format for the numbers, date format for the dates, and a 说明 sheet.
    `rows` (cells in the order of COLUMNS) are filled in after the header, as a person would."""
    lookups = load_lookups(root)
    max_rows = settings.DANGJIAN_IMPORT_MAX_ROWS
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(SHEET)
    guide = workbook.add_worksheet(HELP_SHEET)
    lists = workbook.add_worksheet(LISTS_SHEET)

    required_header = workbook.add_format(
        {"bold": True, "bg_color": "#F4DCDC", "font_color": "#8C0017", "border": 1, "align": "center"}
    )
    optional_header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "align": "center"})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})

    options: dict[str, list[str]] = {
        "gender": _choice_labels("gender"),
        "education": _choice_labels("education"),
        "membership_type": _choice_labels("membership_type"),
        "standing": _choice_labels("standing"),
        "status": _choice_labels("status"),
        "ethnicity": list(ETHNIC_GROUPS),
        "branch": lookups.branch_labels,
        "categories": list(lookups.categories),
        "residence_community": lookups.community_labels,
    }
    sources: dict[str, str] = {}
    for index, (name, values) in enumerate(options.items()):
        lists.write(0, index, column_title(name))
        for offset, value in enumerate(values, start=1):
            lists.write_string(offset, index, value)
        if values:
            letter = xlsxwriter.utility.xl_col_to_name(index)
            sources[name] = f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    lists.hide()

    for index, column in enumerate(COLUMNS):
        required = MemberForm.base_fields[column.field].required and column.field not in DEFAULTED_FIELDS
        sheet.set_column(index, index, column.width, date if column.kind == "date" else text)
        sheet.write_string(0, index, column.title, required_header if required else optional_header)
        validation: dict[str, Any] | None = None
        if column.field in sources:
            validation = {"validate": "list", "source": sources[column.field]}
            if column.kind == "multi":
                validation.update(error_type="information", error_title="人员类别", error_message=column.note)
            elif column.field == "ethnicity":
                validation.update(error_type="warning", error_title="民族", error_message="请填写民族全称，如“汉族”。")
            else:
                validation.update(error_title=column.title, error_message="请从下拉列表中选择。")
        elif column.note:
            validation = {"validate": "any"}
        if validation is not None:
            if column.note:
                validation.update(input_title=column.title, input_message=column.note[:250])
            sheet.data_validation(1, index, max_rows, index, validation)
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            if isinstance(value, datetime.date):
                moment = (
                    value if isinstance(value, datetime.datetime) else datetime.datetime.combine(value, datetime.time())
                )
                sheet.write_datetime(number, index, moment, date)
            elif not is_blank(value):
                sheet.write(number, index, value)  # a text starting with "=" is a formula, as in Excel
    sheet.freeze_panes(1, 1)
    sheet.set_row(0, 22)

    _write_guide(workbook, guide, options, max_rows)
    workbook.close()
    return buffer.getvalue()


def _write_guide(workbook: Any, guide: Any, options: dict[str, list[str]], max_rows: int) -> None:
    title = workbook.add_format({"bold": True, "font_size": 14, "font_color": "#8C0017"})
    bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top", "border": 1})
    plain = workbook.add_format({"text_wrap": True, "valign": "top"})
    guide.set_column(0, 0, 16)
    guide.set_column(1, 1, 8)
    guide.set_column(2, 2, 46)
    guide.set_column(3, 3, 60)
    guide.write(0, 0, "党员名册导入说明", title)
    lines = [
        f"1. 在「{SHEET}」工作表第 2 行起，每行填写一名党员；第 1 行是表头，不要改动、删除或调换列名。",
        "2. 以公民身份号码识别党员：名册中已有的党员会按本表更新，空白单元格保留原有信息；没有的党员新增登记。",
        "3. 同一个公民身份号码在表中只能出现一次。公民身份号码、手机号码两列请保持文本格式。",
        "4. 不要使用公式：从别处复制来的内容，请用“选择性粘贴 → 数值”。",
        f"5. 单个文件不超过 {file_size_label(settings.DANGJIAN_IMPORT_MAX_BYTES)}、{max_rows} 行；更多请分批导入。",
        "6. 上传后系统逐行校验：有任何错误都不会写入，可下载标注了错误的文件，修改后直接重新上传。"
        "校验通过后先预览新增、更新、未变的人数，确认后才写入。",
    ]
    for offset, line in enumerate(lines, start=2):
        guide.merge_range(offset, 0, offset, 3, line, plain)
        if len(line) > 60:  # Excel does not grow a merged row to fit its text
            guide.set_row(offset, 32)
    start = len(lines) + 3
    for index, heading in enumerate(("列名", "必填", "填写要求", "可选值")):
        guide.write(start, index, heading, bold)
    for offset, column in enumerate(COLUMNS, start=start + 1):
        form_field = MemberForm.base_fields[column.field]
        required = "是" if form_field.required and column.field not in DEFAULTED_FIELDS else ""
        values = options.get(column.field, [])
        shown = "、".join(values[:40]) + ("……（见下拉列表）" if len(values) > 40 else "")
        note = column.note or ("日期，如 2001-07-01。" if column.kind == "date" else "")
        guide.write(offset, 0, column.title, wrap)
        guide.write(offset, 1, required, wrap)
        guide.write(offset, 2, note, wrap)
        guide.write(offset, 3, shown, wrap)


def write_error_file(content: bytes, errors: list[dict[str, Any]]) -> bytes:
    """The uploaded rows with a column of messages (cells in error marked), fixable and uploadable
    again as they are, and a sheet listing every error; only the list when the file is unreadable."""
    by_row: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for error in errors:
        if error.get("row"):
            by_row[error["row"]].append(error)
    cells: list[list[Any]] = []
    try:
        workbook_in = CalamineWorkbook.from_filelike(io.BytesIO(content))
        names = workbook_in.sheet_names
        sheet_in = workbook_in.get_sheet_by_name(SHEET if SHEET in names else names[0])
        cells = sheet_in.to_python(skip_empty_area=False, nrows=2 * settings.DANGJIAN_IMPORT_MAX_ROWS + 1)
    except Exception:  # an unreadable upload: the list of errors is all there is to give
        cells = []

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header_format = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    message_header = workbook.add_format({"bold": True, "bg_color": "#B4001E", "font_color": "#FFFFFF", "border": 1})
    bad = workbook.add_format({"bg_color": "#F8D7DA", "num_format": "@"})
    bad_date = workbook.add_format({"bg_color": "#F8D7DA", "num_format": "yyyy-mm-dd"})
    message_format = workbook.add_format({"font_color": "#B4001E", "text_wrap": True})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})

    if cells:
        sheet = workbook.add_worksheet(SHEET)
        header = [cell_text(value) for value in cells[0]]
        if MESSAGES_COLUMN in header:  # a corrected error file uploaded again: replace the old messages
            drop = header.index(MESSAGES_COLUMN)
            cells = [row[:drop] + row[drop + 1 :] for row in cells]
            header = header[:drop] + header[drop + 1 :]
        width = len(header)
        for index, title in enumerate(header):
            column = next((column for column in COLUMNS if column.title == title), None)
            sheet.set_column(
                index, index, column.width if column else 12, date if column and column.kind == "date" else text
            )
            sheet.write_string(0, index, title, header_format)
        sheet.set_column(width, width, 60, message_format)
        sheet.write_string(0, width, MESSAGES_COLUMN, message_header)
        for number, row in enumerate(cells[1:], start=2):
            row_errors = by_row.get(number, [])
            marked = {error["column"] for error in row_errors}
            for index, value in enumerate(row[:width]):
                in_error = header[index] in marked if index < len(header) else False
                if isinstance(value, datetime.date):
                    moment = (
                        value
                        if isinstance(value, datetime.datetime)
                        else datetime.datetime.combine(value, datetime.time())
                    )
                    sheet.write_datetime(number - 1, index, moment, bad_date if in_error else date)
                elif is_blank(value):
                    if in_error:
                        sheet.write_blank(number - 1, index, None, bad)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    sheet.write_number(number - 1, index, value, bad if in_error else None)
                else:
                    sheet.write_string(number - 1, index, str(value), bad if in_error else None)
            if row_errors:
                sheet.write_string(
                    number - 1,
                    width,
                    "；".join(
                        (f"「{error['column']}」：{error['message']}" if error["column"] else error["message"])
                        for error in row_errors
                    ),
                )
        sheet.freeze_panes(1, 1)

    listing = workbook.add_worksheet("错误清单")
    listing.set_column(0, 0, 8)
    listing.set_column(1, 1, 16)
    listing.set_column(2, 2, 80)
    for index, title in enumerate(("行号", "列", "错误说明")):
        listing.write_string(0, index, title, header_format)
    for offset, error in enumerate(errors, start=1):
        if error.get("row"):
            listing.write_number(offset, 0, error["row"])
        listing.write_string(offset, 1, error.get("column") or "")
        listing.write_string(offset, 2, error["message"])
    if not cells:
        listing.activate()
    workbook.close()
    return buffer.getvalue()
