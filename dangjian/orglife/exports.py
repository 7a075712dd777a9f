"""The compliance table as an xlsx file, written in constant memory (XlsxWriter): the same rows,
columns and community totals as the page, each cell as held/required with the page's colours."""

from __future__ import annotations

import io
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

from .selectors import Cell, ComplianceTable

FILLS = {"ok": "#D1E7DD", "partial": "#FFF3CD", "none": "#F8D7DA", "na": "#FFFFFF"}


def _state(cell: Cell) -> str:
    if not cell.applies:
        return "na"
    if cell.ok:
        return "ok"
    return "partial" if cell.held else "none"


def _text(cell: Cell) -> str:
    return f"{cell.held}/{cell.required}" if cell.applies else "—"


def write_compliance(table: ComplianceTable) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet("组织生活合规统计")
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#F4DCDC", "border": 1, "text_wrap": True, "valign": "top"})
    plain = workbook.add_format({"border": 1})
    bold = workbook.add_format({"border": 1, "bold": True, "bg_color": "#F2F2F2"})
    percent = workbook.add_format({"border": 1, "num_format": "0.0%"})
    percent_bold = workbook.add_format({"border": 1, "num_format": "0.0%", "bold": True, "bg_color": "#F2F2F2"})
    cells = {
        state: workbook.add_format({"border": 1, "align": "center", "bg_color": colour})
        for state, colour in FILLS.items()
    }
    cells_bold = {
        state: workbook.add_format({"border": 1, "align": "center", "bold": True, "bg_color": colour})
        for state, colour in FILLS.items()
    }

    columns = table.columns
    widths = [14, 28, *([12] * len(columns)), 10, 10]
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    unit = table.unit.name if table.unit else "权限范围内全部"
    sheet.write(0, 0, f"组织生活合规统计：{table.period.label}（{unit}）", title)
    sheet.write(
        1, 0, f"导出时间 {timezone.localtime():%Y-%m-%d %H:%M}；单元格为“已开/应开”，只计已召开且达到法定人数的会议。"
    )
    headers = ["社区", "党支部", *(f"{column.label}\n{column.note}" for column in columns), "完成率", "全部达标"]
    sheet.set_row(3, 36)
    for index, text in enumerate(headers):
        sheet.write(3, index, text, header)

    row_index = 4
    for block in table.blocks:
        for row in block.rows:
            sheet.write(row_index, 0, block.name, plain)
            sheet.write(row_index, 1, row.branch.name, plain)
            for offset, cell in enumerate(row.cells):
                sheet.write(row_index, 2 + offset, _text(cell), cells[_state(cell)])
            sheet.write_number(row_index, 2 + len(columns), row.rate / 100, percent)
            sheet.write(row_index, 3 + len(columns), "是" if row.ok else "否", plain)
            row_index += 1
        sheet.write(row_index, 0, block.name, bold)
        sheet.write(row_index, 1, f"合计（{block.compliant}/{len(block.rows)} 个支部全部达标）", bold)
        for offset, cell in enumerate(block.totals):
            sheet.write(row_index, 2 + offset, _text(cell), cells_bold[_state(cell)])
        sheet.write_number(row_index, 2 + len(columns), block.rate / 100, percent_bold)
        sheet.write(row_index, 3 + len(columns), "", bold)
        row_index += 1
    sheet.write(row_index, 0, "总计", bold)
    sheet.write(row_index, 1, f"{table.compliant}/{len(table.rows)} 个支部全部达标", bold)
    for offset in range(len(columns)):
        sheet.write(row_index, 2 + offset, "", bold)
    sheet.write_number(row_index, 2 + len(columns), table.rate / 100, percent_bold)
    sheet.write(row_index, 3 + len(columns), "", bold)
    sheet.freeze_panes(4, 2)
    workbook.close()
    return buffer.getvalue()


def compliance_response(table: ComplianceTable) -> HttpResponse:
    content = write_compliance(table)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filename = f"组织生活合规统计-{table.period.key}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
