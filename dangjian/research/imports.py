"""Bulk status updates of opinions from an .xlsx file: the template (the open opinions in scope,
with drop-downs), reading an upload with the same file checks as the roster import, and applying
every row through the same services as the pages — all rows or none.

A row names an opinion by its tracking code and may assign it, answer it, and report the progress
of what was promised, in that order. Every error is given by row and column, in the words the
page would use; if any row has an error, nothing is written.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from python_calamine import CalamineWorkbook, SheetTypeEnum

from dangjian.core.forms import file_size_label
from dangjian.core.models import User
from dangjian.members.imports.columns import BROKEN_FILE, FileRefused, cell_text, error_entry, is_blank
from dangjian.members.imports.reading import _formula_cells, _sheet_part

from .choices import AnswerKind, OpinionStatus, Progress
from .models import Opinion
from .selectors.common import cadre_choices
from .selectors.opinions import open_opinions, opinions_by_code
from .services import opinions as services

SHEET = "意见建议办理"
HELP_SHEET = "说明"
LISTS_SHEET = "选项"
EXCEL_EPOCH = datetime.date(1899, 12, 30)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    note: str = ""
    # The service fields whose errors belong to this column.
    fields: tuple[str, ...] = ()
    read_only: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("code", "查询码", 14, "不要改动；用来找到对应的意见建议。", ("tracking_code",)),
    Column("community", "社区", 14, "仅供参考，不会导入。", read_only=True),
    Column("title", "事项", 30, "仅供参考，不会导入。", read_only=True),
    Column("status", "当前状态", 14, "仅供参考，不会导入。", read_only=True),
    Column("assignee", "承办干部", 18, "从下拉列表选择；留空则不改。", ("assignee", "area")),
    Column("answer_kind", "答复结果", 10, "采纳或不予采纳；留空则不答复。", ("answer_kind",)),
    Column("answer", "答复内容", 36, "答复时必填。", ("answer",)),
    Column("reason", "不予采纳理由", 30, "不予采纳时必填。", ("not_accepted_reason",)),
    Column("promised_on", "承诺完成日期", 14, "采纳时必填，如 2026-06-30。", ("promised_on",)),
    Column("progress", "落实进展", 10, "落实中或已落实；留空则不改。", ("progress",)),
    Column("progress_note", "进展说明", 36, "填写落实进展时必填。", ("progress_note",)),
)
TITLES = [column.title for column in COLUMNS]
BY_KEY = {column.key: column for column in COLUMNS}
FIELD_COLUMN = {name: column.title for column in COLUMNS for name in column.fields}

ANSWER_LABELS = {str(label): value for value, label in AnswerKind.choices}
PROGRESS_LABELS = {str(label): value for value, label in Progress.choices}


def cadre_label(user: User) -> str:
    return f"{user.display_name}（{user.username}）"


def write_template(*, user: User) -> bytes:
    """The open opinions in the user's scope, one a row, with drop-downs for the cadre, the answer
    and the progress."""
    cadres = list(cadre_choices(user=user))
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(SHEET)
    guide = workbook.add_worksheet(HELP_SHEET)
    lists = workbook.add_worksheet(LISTS_SHEET)
    header = workbook.add_format({"bold": True, "bg_color": "#F4DCDC", "font_color": "#8C0017", "border": 1})
    info_header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    grey = workbook.add_format({"font_color": "#6C757D", "num_format": "@"})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})

    options = {
        "assignee": [cadre_label(cadre) for cadre in cadres],
        "answer_kind": list(ANSWER_LABELS),
        "progress": list(PROGRESS_LABELS),
    }
    sources = {}
    for index, (key, values) in enumerate(options.items()):
        lists.write(0, index, BY_KEY[key].title)
        for offset, value in enumerate(values, start=1):
            lists.write_string(offset, index, value)
        if values:
            letter = xlsxwriter.utility.xl_col_to_name(index)
            sources[key] = f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    lists.hide()

    rows = list(open_opinions(user=user))
    last_row = max(len(rows) + 1, 200)
    for index, column in enumerate(COLUMNS):
        sheet.write(0, index, column.title, info_header if column.read_only else header)
        cell_format = date if column.key == "promised_on" else (grey if column.read_only else text)
        sheet.set_column(index, index, column.width, cell_format)
        if column.key in sources:
            sheet.data_validation(
                1, index, last_row, index, {"validate": "list", "source": sources[column.key], "ignore_blank": True}
            )
        if column.key == "promised_on":
            sheet.data_validation(
                1,
                index,
                last_row,
                index,
                {
                    "validate": "date",
                    "criteria": ">=",
                    "value": datetime.date(2000, 1, 1),
                    "error_message": "请填写日期，如 2026-06-30。",
                },
            )
    for number, opinion in enumerate(rows, start=1):
        sheet.write_string(number, 0, opinion.tracking_code)
        sheet.write_string(number, 1, opinion.community.name, grey)
        sheet.write_string(number, 2, opinion.title, grey)
        sheet.write_string(number, 3, opinion.get_status_display(), grey)
        if opinion.assignee is not None:
            sheet.write_string(number, 4, cadre_label(opinion.assignee))
    sheet.freeze_panes(1, 1)

    guide.set_column(0, 0, 18)
    guide.set_column(1, 1, 70)
    guide.write(0, 0, "列", header)
    guide.write(0, 1, "填写说明", header)
    for number, column in enumerate(COLUMNS, start=1):
        guide.write(number, 0, column.title)
        guide.write(number, 1, column.note)
    tail = len(COLUMNS) + 2
    guide.write(tail, 0, "规则")
    guide.write(
        tail,
        1,
        "每行一条意见建议。可以只分派、只答复、只更新进展，也可在同一行依次完成。"
        "任何一行有错，整个文件都不会导入，请按错误提示修改后重新上传。",
    )
    workbook.close()
    return buffer.getvalue()


@dataclass
class SheetRows:
    rows: list[tuple[int, dict[str, str]]]


def read_rows(content: bytes) -> SheetRows:
    """The filled sheet: a real .xlsx within the size and row limits, the template's header, no
    formulas; each non-blank row as text keyed by column."""
    max_bytes = settings.DANGJIAN_IMPORT_MAX_BYTES
    max_rows = settings.DANGJIAN_IMPORT_MAX_ROWS
    if len(content) > max_bytes:
        raise FileRefused(
            [
                error_entry(
                    None, "", f"文件大小为 {file_size_label(len(content))}，超过上限 {file_size_label(max_bytes)}。"
                )
            ]
        )
    buffer = io.BytesIO(content)
    if not content or not zipfile.is_zipfile(buffer):
        raise FileRefused([error_entry(None, "", BROKEN_FILE)])
    try:
        archive = zipfile.ZipFile(buffer)
        if "xl/workbook.xml" not in set(archive.namelist()):
            raise FileRefused([error_entry(None, "", BROKEN_FILE)])
        if sum(info.file_size for info in archive.infolist()) > max(200 * 1024 * 1024, 20 * max_bytes):
            raise FileRefused([error_entry(None, "", "文件解压后过大，无法导入：请拆分成几个文件分批导入。")])
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        worksheets = [meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
        if not worksheets:
            raise FileRefused([error_entry(None, "", BROKEN_FILE)])
        sheet_name = SHEET if SHEET in worksheets else worksheets[0]
        cells = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False, nrows=max_rows + 2)
        part = _sheet_part(archive, sheet_name)
        formulas = _formula_cells(archive, part) if part else []
    except FileRefused:
        raise
    except Exception:  # calamine, zipfile and the XML parser each raise their own kinds
        raise FileRefused([error_entry(None, "", BROKEN_FILE)]) from None

    header = [cell_text(value) for value in (cells[0] if cells else [])]
    missing = [title for title in TITLES if title not in header]
    if missing:
        raise FileRefused(
            [
                error_entry(
                    1,
                    "",
                    "不是意见建议办理模板：缺少列"
                    + "".join(f"「{title}」" for title in missing)
                    + "。请下载最新模板后填写。",
                )
            ]
        )
    if formulas:
        titles = dict(enumerate(header))
        raise FileRefused(
            [
                error_entry(row, titles.get(col, ""), "单元格是公式，请粘贴为数值后再上传。")
                for row, col in formulas[:200]
            ]
        )
    index = {column.key: header.index(column.title) for column in COLUMNS}
    rows = []
    for number, row in enumerate(cells[1:], start=2):
        if all(is_blank(value) for value in row):
            continue
        values = {}
        for key, position in index.items():
            value = row[position] if position < len(row) else None
            if key == "promised_on" and isinstance(value, int | float) and not isinstance(value, bool):
                # A date typed into a cell without a date format arrives as Excel's day number.
                value = EXCEL_EPOCH + datetime.timedelta(days=int(value))
            values[key] = (
                value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else cell_text(value)
            )
        values["promised_on"] = values["promised_on"][:10]
        rows.append((number, values))
    if len(rows) > max_rows:
        raise FileRefused([error_entry(None, "", f"文件超过单次导入上限 {max_rows} 行：请拆分后分批导入。")])
    if not rows:
        raise FileRefused([error_entry(None, "", "文件中没有数据：请从第 2 行起，每行填写一条意见建议。")])
    return SheetRows(rows=rows)


@dataclass
class ApplyResult:
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


class _Refused(Exception):
    pass


def _errors(number: int, error: ValidationError) -> list[dict[str, Any]]:
    if hasattr(error, "error_dict"):
        return [
            error_entry(number, FIELD_COLUMN.get(name, ""), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [error_entry(number, "", message) for message in error.messages]


def apply_rows(*, rows: SheetRows, by: User) -> ApplyResult:
    """Apply every row through the services, in one transaction: any error, and nothing is kept."""
    result = ApplyResult()
    codes = [values["code"].upper() for _, values in rows.rows]
    opinions = opinions_by_code(user=by, codes=codes)
    cadres = {cadre_label(cadre): cadre for cadre in cadre_choices(user=by)}
    seen: dict[str, int] = {}
    try:
        with transaction.atomic():
            for number, values in rows.rows:
                row_errors = _apply_row(number, values, opinions, cadres, seen, by, result)
                result.errors.extend(row_errors)
            if result.errors:
                raise _Refused
    except _Refused:
        result.updated = 0
    return result


def _apply_row(
    number: int,
    values: dict[str, str],
    opinions: dict[str, Opinion],
    cadres: dict[str, User],
    seen: dict[str, int],
    by: User,
    result: ApplyResult,
) -> list[dict[str, Any]]:
    code_title = BY_KEY["code"].title
    code = values["code"].upper()
    if not code:
        return [error_entry(number, code_title, "请填写查询码。")]
    if code in seen:
        return [error_entry(number, code_title, f"查询码与第 {seen[code]} 行重复，同一条意见建议只填一行。")]
    seen[code] = number
    opinion = opinions.get(code)
    if opinion is None:
        return [error_entry(number, code_title, "查询码不存在，或不在您的权限范围内。")]

    errors: list[dict[str, Any]] = []
    assignee_text = values["assignee"]
    answer_text = values["answer_kind"]
    progress_text = values["progress"]
    assignee = cadres.get(assignee_text) if assignee_text else None
    if assignee_text and assignee is None:
        errors.append(error_entry(number, BY_KEY["assignee"].title, "请从下拉列表选择承办干部。"))
    answer_kind = ANSWER_LABELS.get(answer_text) if answer_text else None
    if answer_text and answer_kind is None:
        errors.append(error_entry(number, BY_KEY["answer_kind"].title, "请填写“采纳”或“不予采纳”。"))
    progress = PROGRESS_LABELS.get(progress_text) if progress_text else None
    if progress_text and progress is None:
        errors.append(error_entry(number, BY_KEY["progress"].title, "请填写“落实中”或“已落实”。"))
    promised_on = None
    if values["promised_on"]:
        try:
            promised_on = datetime.date.fromisoformat(values["promised_on"])
        except ValueError:
            errors.append(error_entry(number, BY_KEY["promised_on"].title, "日期格式不正确，应如 2026-06-30。"))
    if errors:
        return errors

    changed = False
    try:
        with transaction.atomic():
            if assignee is not None and assignee.pk != opinion.assignee_id:
                if opinion.status in (OpinionStatus.SUBMITTED, OpinionStatus.ASSIGNED):
                    opinion = services.opinion_assign(opinion=opinion, by=by, assignee=assignee)
                    changed = True
                else:
                    raise ValidationError({"assignee": "该意见建议已答复，不能再改派承办干部。"})
            if answer_kind is not None:
                opinion = services.opinion_answer(
                    opinion=opinion,
                    by=by,
                    answer_kind=answer_kind,
                    answer=values["answer"],
                    not_accepted_reason=values["reason"],
                    promised_on=promised_on,
                )
                changed = True
            if progress is not None:
                opinion = services.opinion_progress(
                    opinion=opinion, by=by, progress=progress, note=values["progress_note"]
                )
                changed = True
    except ValidationError as error:
        return _errors(number, error)
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1
    return []
