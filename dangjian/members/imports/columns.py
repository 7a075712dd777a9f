"""The roster template's columns, the words of a refusal, and how a cell reads as text."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from ..forms import MemberForm

KIND = "member_roster"
SHEET = "党员名册"
HELP_SHEET = "说明"
LISTS_SHEET = "选项"
# A column the error file adds; a corrected error file can be uploaded again as it is.
MESSAGES_COLUMN = "错误说明"

# Member.clean's words for a number already on the roll, checked here for the whole column.
ALREADY_REGISTERED = "该公民身份号码已登记在册。"

BROKEN_FILE = "文件无法读取：请上传用 Excel 保存的 .xlsx 文件。"
# The most errors kept for the page and the error file; the count keeps the true total.
MAX_STORED_ERRORS = 5000
PREVIEW_ROWS = 20
ID_CHUNK = 2000

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass(frozen=True)
class Column:
    """A column of the template: the MemberForm field it fills, how it is typed, its width."""

    field: str
    width: int
    kind: str = "text"  # text, date, choice (a drop-down of the field's choices), lookup, multi
    note: str = ""

    @property
    def title(self) -> str:
        return str(MemberForm.base_fields[self.field].label)


COLUMNS: tuple[Column, ...] = (
    Column("name", 10),
    Column("gender", 6, "choice"),
    Column("ethnicity", 10, "lookup", "从下拉列表选择民族全称；新登记时留空为汉族。"),
    Column("id_number", 22, "text", "18 位，末位可以是 X。请保持文本格式，不要改成数字。"),
    Column("phone", 14, "text", "1 开头的 11 位数字。"),
    Column("education", 12, "choice"),
    Column("occupation", 12),
    Column("work_unit", 22),
    Column("branch", 30, "lookup", "从下拉列表选择您权限范围内的党支部。"),
    Column("group", 14, "text", "填写所在党支部下党小组的名称，可留空。"),
    Column("membership_type", 10, "choice", "新登记时留空为正式党员。"),
    Column("join_date", 12, "date", "日期，如 2001-07-01。"),
    Column("full_member_date", 12, "date", "正式党员必填，预备党员留空。"),
    Column("standing", 10, "choice", "新登记时留空为正常。"),
    Column("status", 10, "choice", "新登记时留空为在册。"),
    Column("categories", 26, "multi", "可填多个，用“、”分隔，如：在职党员、困难党员。"),
    Column("residence_community", 16, "lookup", "从下拉列表选择，可留空。"),
    Column("grid", 10),
    Column("building", 8),
    Column("room", 8),
    Column("hardship_notes", 30),
)
COLUMN_BY_FIELD = {column.field: column for column in COLUMNS}
CHOICE_FIELDS = tuple(column.field for column in COLUMNS if column.kind == "choice")
# Blank in a new row: the value the page's form starts with (the model's default).
DEFAULTED_FIELDS = ("ethnicity", "membership_type", "standing", "status")
CATEGORY_SEPARATORS = re.compile(r"[、，,；;\s]+")


def column_title(field_name: str) -> str:
    column = COLUMN_BY_FIELD.get(field_name)
    if column is not None:
        return column.title
    form_field = MemberForm.base_fields.get(field_name)
    return str(form_field.label) if form_field is not None else ""


def error_entry(row: int | None, column: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


def error_sentence(error: dict[str, Any]) -> str:
    """第 5 行「公民身份号码」：公民身份号码校验位不正确，请核对。"""
    row, column, message = error.get("row"), error.get("column") or "", error["message"]
    if row and column:
        return f"第 {row} 行「{column}」：{message}"
    if row:
        return f"第 {row} 行：{message}"
    if column:
        return f"「{column}」：{message}"
    return message


class FileRefused(Exception):
    """The file as a whole cannot be imported; `errors` say why."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(error_sentence(error) for error in errors))
        self.errors = errors


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as the text a person would type into the page's field."""
    if type(value) is str:  # most cells
        return value.strip()
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
