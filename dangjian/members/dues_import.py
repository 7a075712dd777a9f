"""Reading an uploaded sheet of income bases (党费基数) and checking every row.

The file goes through the roster import's checks (a real .xlsx within the size limit, no zip
bomb, the template's header, no formulas, blank rows skipped) and each row through the form the
sheet page uses (BaseRowForm), so a row's errors are the page's, named by row and column. Nothing
is written here: the caller saves the rows only when every row has passed, all in one go.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException
from django.conf import settings
from python_calamine import CalamineWorkbook, SheetTypeEnum

from dangjian.core.forms import file_size_label

from .choices import IncomeClass
from .dues_forms import BaseRowForm
from .exports_dues import BASE_COLUMNS, BASE_SHEET, BASE_TITLES
from .imports.columns import BROKEN_FILE, MESSAGES_COLUMN, FileRefused, cell_text, error_entry, is_blank
from .imports.reading import _formula_cells, _sheet_part
from .models import Member
from .services.dues import BaseEntry

# A branch has at most a few hundred members; a longer file is not this template.
MAX_ROWS = 2000
FORMULA_MESSAGE = "单元格是公式，请粘贴为数值（复制后“选择性粘贴 → 数值”）再上传。"


def _check_size(content: bytes) -> None:
    max_bytes = settings.DANGJIAN_IMPORT_MAX_BYTES
    if len(content) > max_bytes:
        raise FileRefused(
            [
                error_entry(
                    None,
                    "",
                    f"文件大小为 {file_size_label(len(content))}，超过上传上限 {file_size_label(max_bytes)}。",
                )
            ]
        )


def read_base_sheet(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The sheet's rows as (row number, {column key: cell}); blank rows left out."""
    _check_size(content)
    buffer = io.BytesIO(content)
    if not content or not zipfile.is_zipfile(buffer):
        raise FileRefused([error_entry(None, "", BROKEN_FILE)])
    try:
        archive = zipfile.ZipFile(buffer)
        if "xl/workbook.xml" not in set(archive.namelist()):
            raise FileRefused([error_entry(None, "", BROKEN_FILE)])
        limit = max(200 * 1024 * 1024, 20 * settings.DANGJIAN_IMPORT_MAX_BYTES)
        if sum(info.file_size for info in archive.infolist()) > limit:
            raise FileRefused([error_entry(None, "", "文件解压后过大，无法读取：请使用下载的模板。")])
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        worksheets = [meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
        if not worksheets:
            raise FileRefused([error_entry(None, "", BROKEN_FILE)])
        sheet_name = BASE_SHEET if BASE_SHEET in worksheets else worksheets[0]
        sheet = workbook.get_sheet_by_name(sheet_name)
        cells = sheet.to_python(skip_empty_area=False, nrows=2 * MAX_ROWS + 1)
        last_row = sheet.end[0] + 1 if sheet.end else 0
        part = _sheet_part(archive, sheet_name)
    except FileRefused:
        raise
    except Exception:  # calamine, zipfile and the XML parser each raise their own kinds
        raise FileRefused([error_entry(None, "", BROKEN_FILE)]) from None

    header = [str(value).strip() if not is_blank(value) else "" for value in (cells[0] if cells else [])]
    if not any(header):
        raise FileRefused([error_entry(None, "", "文件是空的：请下载本支部的党费基数表，填写后再上传。")])
    expected = [title for _, title, _ in BASE_COLUMNS]
    missing = [title for title in expected if title not in header]
    if missing:
        names = "".join(f"「{title}」" for title in missing)
        raise FileRefused(
            [error_entry(1, "", f"不是党费基数表：缺少列{names}。请下载本支部的党费基数表，按表填写后再上传。")]
        )
    duplicated = sorted({title for title in expected if header.count(title) > 1})
    if duplicated:
        names = "".join(f"「{title}」" for title in duplicated)
        raise FileRefused([error_entry(1, "", f"表头中{names}出现了不止一次：请使用下载的党费基数表。")])
    columns = {key: header.index(title) for key, title, _ in BASE_COLUMNS}

    if part is not None:
        try:
            formulas = _formula_cells(archive, part)
        except (ParseError, DefusedXmlException, KeyError, zipfile.BadZipFile):
            raise FileRefused([error_entry(None, "", BROKEN_FILE)]) from None
        if formulas:
            titles = dict(enumerate(header))
            raise FileRefused(
                [
                    error_entry(
                        row, titles.get(col, ""), "单元格是公式，请粘贴为数值（复制后“选择性粘贴 → 数值”）再上传。"
                    )
                    for row, col in formulas[:500]
                    if titles.get(col, "") != MESSAGES_COLUMN
                ]
            )

    rows = []
    for number, row in enumerate(cells[1:], start=2):
        if all(is_blank(value) for value in row):
            continue
        rows.append((number, {key: row[index] if index < len(row) else None for key, index in columns.items()}))
    if len(rows) > MAX_ROWS or last_row > len(cells):
        raise FileRefused([error_entry(None, "", f"文件超过 {MAX_ROWS} 行：请使用下载的本支部党费基数表。")])
    if not rows:
        raise FileRefused([error_entry(None, "", "文件中没有数据：请从第 2 行起，每行填写一名党员。")])
    return rows


@dataclass
class BaseCheck:
    """What a file would save (entries, with the row each came from), or every error."""

    entries: list[BaseEntry] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0


INCOME_CLASSES: dict[str, str] = {
    **{str(label): value for value, label in IncomeClass.choices},
    **{value: value for value in IncomeClass.values},
    # What people type for short.
    "在职": IncomeClass.IN_WORK,
    "离退休": IncomeClass.RETIREE,
    "退休": IncomeClass.RETIREE,
}


def _column(name: str) -> str:
    return BASE_TITLES.get(name, "")


def check_base_rows(rows: list[tuple[int, dict[str, Any]]], *, members: dict[int, Member]) -> BaseCheck:
    """Every row through the sheet page's form, with `members` the branch's members on the roll
    (by number). A blank row (no class, no income) leaves that member's base as it is."""
    check = BaseCheck()
    seen: dict[int, int] = {}
    for number, cells in rows:
        member_text = cell_text(cells["member"])
        if not member_text.isdigit():
            message = "请填写党员编号（从下载的表中复制，不要改动）。" if not member_text else "党员编号应为数字。"
            check.errors.append(error_entry(number, _column("member"), message))
            continue
        pk = int(member_text)
        member = members.get(pk)
        if member is None:
            check.errors.append(
                error_entry(number, _column("member"), f"编号 {pk} 不是本支部的在册党员：请使用本支部的党费基数表。")
            )
            continue
        name = cell_text(cells["name"])
        if name and name != member.name:
            check.errors.append(
                error_entry(number, _column("name"), f"与编号 {pk} 的党员姓名「{member.name}」不符，请核对是否错行。")
            )
            continue
        if pk in seen:
            check.errors.append(
                error_entry(number, _column("member"), f"与第 {seen[pk]} 行是同一名党员：每名党员只能填写一行。")
            )
            continue
        seen[pk] = number
        class_text = cell_text(cells["income_class"])
        data = {
            "member": pk,
            "income_class": INCOME_CLASSES.get(class_text, class_text),
            "monthly_income": cell_text(cells["monthly_income"]),
            "version": "",
        }
        form = BaseRowForm(data=data, members=members)
        if not form.is_valid():
            for field_name, messages in form.errors.items():
                title = "" if field_name == "__all__" else _column(field_name)
                check.errors.extend(error_entry(number, title, message) for message in messages)
            continue
        if form.is_blank:
            check.skipped += 1
            continue
        check.entries.append(
            BaseEntry(
                member=member,
                income_class=form.cleaned_data["income_class"],
                monthly_income=form.cleaned_data["monthly_income"],
            )
        )
        check.row_numbers.append(number)
    if check.errors:
        check.entries, check.row_numbers = [], []
    return check


def check_base_file(content: bytes, *, members: dict[int, Member]) -> BaseCheck:
    try:
        rows = read_base_sheet(content)
    except FileRefused as refused:
        return BaseCheck(errors=refused.errors)
    return check_base_rows(rows, members=members)


def refused_rows(check: BaseCheck, errors: dict[int, dict[str, list[str]]]) -> list[dict[str, Any]]:
    """The service's refusals (by entry index and field) as errors by row and column."""
    return [
        error_entry(check.row_numbers[index], "" if name == "__all__" else _column(name), message)
        for index, fields in sorted(errors.items())
        for name, messages in fields.items()
        for message in messages
    ]
