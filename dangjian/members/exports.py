"""The roster as an xlsx file, written in constant memory (XlsxWriter)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

from dangjian.core.models import User

from .models import Member
from .services.registry import members_unmask_logged

ROSTER_COLUMNS = [
    ("姓名", 10),
    ("性别", 6),
    ("民族", 8),
    ("出生日期", 12),
    ("公民身份号码", 22),
    ("手机号码", 14),
    ("学历", 10),
    ("职业", 12),
    ("工作单位", 20),
    ("所在党支部", 24),
    ("所在党小组", 12),
    ("党员类型", 10),
    ("入党日期", 12),
    ("转正日期", 12),
    ("党籍状态", 10),
    ("在册状态", 10),
    ("人员类别", 24),
    ("居住社区", 14),
    ("网格", 10),
    ("楼栋", 8),
    ("房号", 8),
]


def _row(member: Member, full: bool) -> list[object]:
    return [
        member.name,
        member.get_gender_display(),
        member.ethnicity,
        member.birth_date,
        member.id_number if full else member.id_number_masked,
        member.phone if full else member.phone_masked,
        member.get_education_display(),
        member.occupation,
        member.work_unit,
        member.branch.name,
        member.group.name if member.group else "",
        member.get_membership_type_display(),
        member.join_date,
        member.full_member_date,
        member.get_standing_display(),
        member.get_status_display(),
        "、".join(category.name for category in member.categories.all()),
        member.residence_community.name if member.residence_community else "",
        member.grid,
        member.building,
        member.room,
    ]


def write_roster(members: Iterable[Member], *, full: bool) -> tuple[bytes, list[Member]]:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet("党员名册")
    header = workbook.add_format({"bold": True, "bg_color": "#F4DCDC", "border": 1})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for column, (title, width) in enumerate(ROSTER_COLUMNS):
        sheet.set_column(column, column, width)
        sheet.write(0, column, title, header)
    written = []
    for row, member in enumerate(members, start=1):
        for column, value in enumerate(_row(member, full)):
            if value is None or value == "":
                continue
            if hasattr(value, "isoformat"):
                sheet.write_datetime(row, column, timezone.datetime.combine(value, timezone.datetime.min.time()), date)
            else:
                sheet.write(row, column, value)
        written.append(member)
    sheet.freeze_panes(1, 1)
    workbook.close()
    return buffer.getvalue(), written


def member_roster_response(members: Iterable[Member], *, user: User, full: bool) -> HttpResponse:
    content, written = write_roster(
        members.iterator(chunk_size=2000) if hasattr(members, "iterator") else members, full=full
    )
    if full:
        members_unmask_logged(members=written, fields=("id_number", "phone"), by=user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filename = f"党员名册-{stamp}.xlsx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
