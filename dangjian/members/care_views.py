"""Pages of care (帮扶): the members who need care with their latest care and next visit, the
money given per community, the ledger of a year as xlsx, recording a care act for a member, and
its correction by the recorder within seven days."""

from __future__ import annotations

import io
from collections.abc import Iterable
from urllib.parse import quote

import xlsxwriter
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import render_page
from dangjian.core.models import OrgUnit
from dangjian.core.pages import submit_form

from .care_forms import CareFilterForm, CareRecordForm
from .choices import HardshipKind
from .models import CareRecord, Member
from .selectors import care as selectors
from .selectors.registry import member_tab_get
from .services import care as services

Cap = scope.Cap
PAGE_SIZE = 50


def _filter_form(request: HttpRequest) -> CareFilterForm:
    return CareFilterForm(
        data=request.GET or None,
        units=scope.units(request.user).active().exclude(kind="group").order_by("path"),
    )


@scoped_view(cap=Cap.MEMBER_VIEW)
def care_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = _filter_form(request)
    filters = form.filters()
    year = form.stats_year()
    page = Paginator(selectors.care_member_list(user=user, filters=filters, today=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    labels = dict(HardshipKind.choices)
    for member in page:
        member.last_hardship_label = labels.get(member.last_hardship, "")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "counts": selectors.care_member_counts(user=user, filters=filters, today=today),
        "totals": selectors.care_totals_by_community(user=user, year=year, unit=filters.unit),
        "year": year,
        "today": today,
        "lookback_months": selectors.LOOKBACK_MONTHS,
        "can_manage": scope.can(user, Cap.MEMBER_MANAGE),
    }
    return render_page(request, "members/care_list.html", context, partial="results")


@scoped_view(cap=Cap.MEMBER_VIEW)
def care_export_view(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    year = form.stats_year()
    unit = form.filters().unit
    records = selectors.care_record_list(user=request.user, year=year, unit=unit)
    totals = selectors.care_totals_by_community(user=request.user, year=year, unit=unit)
    return care_ledger_response(records, totals=totals, unit=unit)


@scoped_view(cap=Cap.MEMBER_MANAGE, model=Member)
def care_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = member_tab_get(user=request.user, pk=pk)  # outside the scope: 404
    tab = selectors.member_care_tab(member=member)
    latest = tab["latest"]
    form = CareRecordForm(data=request.POST or None, hardship=latest.hardship if latest else "")
    done = submit_form(
        request,
        form,
        lambda data: services.care_record_create(member=member, by=request.user, **form.service_fields()),
        lambda record: (
            f"已登记{record.member.name}的帮扶记录（{record.get_form_display()}）。",
            reverse("members:member_detail", args=[record.member_id]) + "?tab=care",
        ),
    )
    context = {"form": form, "member": member, "title": f"登记帮扶：{member.name}", "care": tab}
    return done or render(request, "members/care_form.html", context)


@scoped_view(cap=Cap.MEMBER_MANAGE, model=CareRecord)
def care_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.care_record_get(user=request.user, pk=pk)  # outside the scope: 404
    refusal = services.care_record_edit_refusal(record=record, by=request.user)
    form = CareRecordForm(
        data=(request.POST or None) if not refusal else None,
        record=record,
        stamp=services.care_record_stamp(record),
    )
    done = None
    if not refusal:
        done = submit_form(
            request,
            form,
            lambda data: services.care_record_update(
                record=record, by=request.user, expected_stamp=data["stamp"], **form.service_fields()
            ),
            lambda saved: (
                f"已修改{saved.member.name}{services.day_label(saved.cared_on)}的帮扶记录。",
                reverse("members:member_detail", args=[saved.member_id]) + "?tab=care",
            ),
        )
    context = {
        "form": form,
        "member": record.member,
        "record": record,
        "refusal": refusal,
        "editable_until": services.editable_until(record),
        "title": f"修改帮扶记录：{record.member.name}",
    }
    return done or render(request, "members/care_form.html", context)


# --- The ledger of a year as xlsx ---------------------------------------------------------------

LEDGER_COLUMNS = [
    ("序号", 6),
    ("日期", 12),
    ("党员", 10),
    ("所在社区", 14),
    ("所在党支部", 26),
    ("困难类型", 10),
    ("帮扶形式", 10),
    ("参与人员", 22),
    ("了解到的情况", 40),
    ("帮扶内容", 10),
    ("金额（元）", 12),
    ("后续安排", 26),
    ("下次走访日期", 14),
    ("登记人", 10),
    ("登记时间", 18),
]
TOTAL_COLUMNS = [("社区", 16), ("慰问金（元）", 14), ("帮扶金额合计（元）", 18), ("人数", 8), ("次数", 8)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_care_ledger(records: Iterable[CareRecord], *, totals: selectors.CareTotals, communities: dict) -> bytes:
    """The care ledger of a year (one row per act of care, a total line), and the money per
    community on a second sheet. Written in constant memory; no ID number or phone in it."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    header = workbook.add_format({"bold": True, "bg_color": "#F4DCDC", "border": 1})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    bold_money = workbook.add_format({"num_format": "#,##0.00", "bold": True})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})

    sheet = workbook.add_worksheet(f"{totals.year}年帮扶台账")
    for column, (title, width) in enumerate(LEDGER_COLUMNS):
        sheet.set_column(column, column, width)
        sheet.write(0, column, title, header)
    row = 0
    amount_sum = 0
    for row, record in enumerate(records, start=1):
        community = communities.get(record.member.branch.path[: selectors.COMMUNITY_PATH_LENGTH])
        sheet.write_number(row, 0, row)
        sheet.write_datetime(row, 1, timezone.datetime.combine(record.cared_on, timezone.datetime.min.time()), date)
        sheet.write(row, 2, record.member.name)
        sheet.write(row, 3, community.name if community else "")
        sheet.write(row, 4, record.member.branch.name)
        sheet.write(row, 5, record.get_hardship_display())
        sheet.write(row, 6, record.get_form_display())
        sheet.write(row, 7, record.carers)
        sheet.write(row, 8, record.situation, wrap)
        sheet.write(row, 9, record.get_assistance_display())
        if record.amount is not None:
            sheet.write_number(row, 10, float(record.amount), money)
            amount_sum += record.amount
        if record.follow_up:
            sheet.write(row, 11, record.follow_up)
        if record.next_visit_on:
            sheet.write_datetime(
                row, 12, timezone.datetime.combine(record.next_visit_on, timezone.datetime.min.time()), date
            )
        sheet.write(row, 13, record.recorded_by.display_name if record.recorded_by else "")
        sheet.write_datetime(row, 14, timezone.localtime(record.created_at).replace(tzinfo=None), stamp)
    sheet.write(row + 1, 0, "合计", bold)
    sheet.write(row + 1, 2, f"{row} 次", bold)
    sheet.write_number(row + 1, 10, float(amount_sum), bold_money)
    sheet.freeze_panes(1, 3)

    summary = workbook.add_worksheet("各社区帮扶金额")
    for column, (title, width) in enumerate(TOTAL_COLUMNS):
        summary.set_column(column, column, width)
        summary.write(0, column, title, header)
    line = 0
    for line, total in enumerate(totals.rows, start=1):
        summary.write(line, 0, total.name)
        summary.write_number(line, 1, float(total.money), money)
        summary.write_number(line, 2, float(total.total), money)
        summary.write_number(line, 3, total.people)
        summary.write_number(line, 4, total.times)
    summary.write(line + 1, 0, "合计", bold)
    summary.write_number(line + 1, 1, float(totals.money), bold_money)
    summary.write_number(line + 1, 2, float(totals.total), bold_money)
    summary.write_number(line + 1, 4, totals.times, bold)
    workbook.close()
    return buffer.getvalue()


def care_ledger_response(
    records: QuerySet[CareRecord], *, totals: selectors.CareTotals, unit: OrgUnit | None
) -> HttpResponse:
    communities = selectors.care_record_communities(records)
    content = write_care_ledger(records.iterator(chunk_size=2000), totals=totals, communities=communities)
    name = f"{unit.name}-" if unit else ""
    filename = f"帮扶台账-{name}{totals.year}年.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
