"""Reading an uploaded file: a real .xlsx, the template's header, no formulas, within limits."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from python_calamine import CalamineWorkbook, SheetTypeEnum

from dangjian.core.forms import file_size_label

from .columns import (
    BROKEN_FILE,
    COLUMNS,
    MAX_STORED_ERRORS,
    MESSAGES_COLUMN,
    SHEET,
    FileRefused,
    error_entry,
    is_blank,
)

MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index - 1


def _sheet_part(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The path inside the zip of the worksheet called `sheet_name`."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rel_id = None
    for sheet in workbook.iter(f"{MAIN_NS}sheet"):
        if sheet.get("name") == sheet_name:
            rel_id = sheet.get(f"{REL_NS}id")
    if rel_id is None:
        return None
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{PKG_REL_NS}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


# A formula element, with or without a namespace prefix (<f>, <f t="shared" …/>, <x:f>).
FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _formula_cells(archive: zipfile.ZipFile, part: str) -> list[tuple[int, int]]:
    """(row, column index) of every cell holding a formula, streamed from the sheet's XML."""
    found: list[tuple[int, int]] = []
    with archive.open(part) as stream:
        xml = stream.read()
    if not FORMULA_ELEMENT.search(xml):
        return found  # no <f> element anywhere: nothing to parse cell by cell
    for _, element in ElementTree.iterparse(io.BytesIO(xml), events=("end",)):
        if element.tag == f"{MAIN_NS}c":
            if element.find(f"{MAIN_NS}f") is not None:
                match = CELL_REF.match(element.get("r", ""))
                if match:
                    found.append((int(match.group(2)), _column_index(match.group(1))))
            element.clear()
        elif element.tag == f"{MAIN_NS}row":
            element.clear()
    return found


@dataclass
class SheetData:
    header: list[str]
    # (row number in the sheet, cells by column index); blank rows left out.
    rows: list[tuple[int, list[Any]]]
    columns: dict[str, int]  # field → column index


def read_sheet(content: bytes) -> SheetData:
    """The template's sheet: header checked, formulas refused, blank rows skipped, row limit."""
    max_bytes = settings.DANGJIAN_IMPORT_MAX_BYTES
    max_rows = settings.DANGJIAN_IMPORT_MAX_ROWS
    if len(content) > max_bytes:
        raise FileRefused(
            [
                error_entry(
                    None,
                    "",
                    f"文件大小为 {file_size_label(len(content))}，超过单次导入上限 "
                    f"{file_size_label(max_bytes)}：请拆分成几个文件分批导入。",
                )
            ]
        )
    buffer = io.BytesIO(content)
    if not content or not zipfile.is_zipfile(buffer):
        raise FileRefused([error_entry(None, "", BROKEN_FILE)])
    try:
        archive = zipfile.ZipFile(buffer)
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise FileRefused([error_entry(None, "", BROKEN_FILE)])
        # A small zip can unpack to gigabytes; refuse before anything is unpacked.
        if sum(info.file_size for info in archive.infolist()) > max(200 * 1024 * 1024, 20 * max_bytes):
            raise FileRefused([error_entry(None, "", "文件解压后过大，无法导入：请拆分成几个文件分批导入。")])
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        worksheets = [meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
        if not worksheets:
            raise FileRefused([error_entry(None, "", BROKEN_FILE)])
        sheet_name = SHEET if SHEET in worksheets else worksheets[0]
        sheet = workbook.get_sheet_by_name(sheet_name)
        # Header plus the most rows allowed, and room to count blank rows among them.
        cells = sheet.to_python(skip_empty_area=False, nrows=2 * max_rows + 1)
        last_row = sheet.end[0] + 1 if sheet.end else 0
        part = _sheet_part(archive, sheet_name)
    except FileRefused:
        raise
    except Exception:  # calamine, zipfile and the XML parser each raise their own kinds
        raise FileRefused([error_entry(None, "", BROKEN_FILE)]) from None

    header = [str(value).strip() if not is_blank(value) else "" for value in (cells[0] if cells else [])]
    if not any(header):
        raise FileRefused([error_entry(None, "", "文件是空的：请下载模板，在模板中填写后再上传。")])
    _check_header(header)
    columns = {column.field: header.index(column.title) for column in COLUMNS}

    if part is not None:
        try:
            formulas = _formula_cells(archive, part)
        except (ParseError, DefusedXmlException, KeyError, zipfile.BadZipFile):
            raise FileRefused([error_entry(None, "", BROKEN_FILE)]) from None
        if formulas:
            titles = {index: title for index, title in enumerate(header)}
            raise FileRefused(
                [
                    error_entry(
                        row, titles.get(col, ""), "单元格是公式，请粘贴为数值（复制后“选择性粘贴 → 数值”）再上传。"
                    )
                    for row, col in formulas[:MAX_STORED_ERRORS]
                ]
            )

    rows = [(number, row) for number, row in enumerate(cells[1:], start=2) if not all(is_blank(v) for v in row)]
    if len(rows) > max_rows or last_row > len(cells):
        count = f"{len(rows)} 行" if last_row <= len(cells) else f"超过 {2 * max_rows} 行"
        raise FileRefused(
            [error_entry(None, "", f"文件有 {count}数据，超过单次导入上限 {max_rows} 行：请拆分成几个文件分批导入。")]
        )
    if not rows:
        raise FileRefused([error_entry(None, "", "文件中没有数据：请从模板第 2 行起，每行填写一名党员。")])
    return SheetData(header=header, rows=rows, columns=columns)


def _check_header(header: list[str]) -> None:
    expected = [column.title for column in COLUMNS]
    missing = [title for title in expected if title not in header]
    if not missing:
        duplicated = sorted({title for title in expected if header.count(title) > 1})
        if duplicated:
            names = "".join(f"「{title}」" for title in duplicated)
            raise FileRefused(
                [error_entry(1, "", f"表头中{names}出现了不止一次：请下载最新模板，按模板填写后再上传。")]
            )
        return
    unknown = [title for title in header if title and title not in expected and title != MESSAGES_COLUMN]
    message = "不是党员名册导入模板：缺少列" + "".join(f"「{title}」" for title in missing)
    if unknown:
        message += "，无法识别的列" + "".join(f"「{title}」" for title in unknown)
    message += "。请下载最新模板，按模板填写后再上传（第 1 行为表头，不要改动列名）。"
    raise FileRefused([error_entry(1, "", message)])
