"""Reads of oversight, always inside the user's scope: the cases with their filters and counts,
the nominal-member signals, one case with its evidence made readable, who may be made
responsible, the chart of open cases per community, the scan runs, and the user's reminders."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from dangjian.core import scope
from dangjian.core.choices import OrgKind, OrgStatus
from dangjian.core.models import PATH_SEGMENT_WIDTH, Grant, OrgUnit, User
from dangjian.core.statements import Statements
from dangjian.members.choices import ContactChannel, ContactResult, DuesMonthStatus, TransferDirection
from dangjian.members.models import Member
from dangjian.orglife.choices import AttendanceStatus, MeetingKind

from .choices import SIX_MONTH_KINDS, CaseKind, CaseStatus, NominalSignal, ReminderKind
from .models import Case, CaseAction, Reminder, ScanRun

Cap = scope.Cap
SEGMENT = PATH_SEGMENT_WIDTH + 1
# Districts, sub-districts and communities always stand at depths 0, 1 and 2.
COMMUNITY_PATH_LENGTH = 3 * SEGMENT
# Roles that may be made responsible for a case: those that may work cases.
CASE_ROLES = [role for role, caps in scope.ROLE_CAPS.items() if Cap.CASE_MANAGE in caps]
SIGNALS_SHOWN = 10


def link(name: str, *args: Any, query: str = "") -> str:
    """The URL of a named page, or "" when that page does not exist in this deployment."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


def month_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月"


# --- The case list ------------------------------------------------------------------------------


@dataclass
class CaseFilters:
    kind: str = ""
    status: str = ""  # "", "open" (not closed: open or working), a CaseStatus value
    unit: OrgUnit | None = None
    assignee: User | None = None
    scan: int | None = None


def _scoped_cases(user: User) -> QuerySet[Case]:
    # Cases are the organization's working records: members and residents see none, not even
    # their own branch's (Case declares no scope_self).
    if scope.active_role(user) in scope.SELF_ROLES:
        return Case.objects.none()
    return scope.restrict(Case.objects.all(), user)


def _filtered(user: User, filters: CaseFilters, *, with_kind: bool = True) -> QuerySet[Case]:
    cases = _scoped_cases(user)
    if filters.unit is not None:
        cases = cases.filter(branch__path__startswith=filters.unit.path)
    if filters.assignee is not None:
        cases = cases.filter(assignee=filters.assignee)
    if filters.scan is not None:
        cases = cases.filter(scan_id=filters.scan)
    if filters.status == "open":
        cases = cases.exclude(status=CaseStatus.CLOSED)
    elif filters.status in CaseStatus.values:
        cases = cases.filter(status=filters.status)
    if with_kind and filters.kind in CaseKind.values:
        cases = cases.filter(kind=filters.kind)
    return cases


def case_list(*, user: User, filters: CaseFilters | None = None) -> QuerySet[Case]:
    """The cases in scope, filtered; nominal-member signals only when asked for by kind (they
    have their own section)."""
    filters = filters or CaseFilters()
    cases = _filtered(user, filters)
    if filters.kind != CaseKind.NOMINAL:
        cases = cases.exclude(kind=CaseKind.NOMINAL)
    return in_working_order(cases.select_related("member", "branch", "assignee"))


def in_working_order(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Open cases first, then those in hand, then the closed; newest first within each."""
    status_order = models.Case(
        When(status=CaseStatus.OPEN, then=Value(0)), When(status=CaseStatus.WORKING, then=Value(1)), default=Value(2)
    )
    return cases.alias(status_order=status_order).order_by("status_order", "-opened_at", "-pk")


def case_kind_counts(*, user: User, filters: CaseFilters | None = None) -> list[dict[str, Any]]:
    """For each kind, the open cases (and all) under the other filters: the cards above the list."""
    filters = filters or CaseFilters()
    rows = (
        _filtered(user, filters, with_kind=False)
        .order_by()
        .values("kind")
        .annotate(total=Count("pk"), open=Count("pk", filter=~Q(status=CaseStatus.CLOSED)))
    )
    found = {row["kind"]: row for row in rows}
    return [
        {
            "kind": kind,
            "label": label,
            "open": found.get(kind, {}).get("open", 0),
            "total": found.get(kind, {}).get("total", 0),
            "six_month": kind in SIX_MONTH_KINDS,
        }
        for kind, label in CaseKind.choices
    ]


@dataclass
class Signals:
    """The nominal-member signals: a few open ones, and how many of each signal are open."""

    cases: list[Case]
    counts: list[tuple[str, str, int]]
    total: int


def nominal_signals(*, user: User, filters: CaseFilters | None = None, limit: int = SIGNALS_SHOWN) -> Signals:
    filters = filters or CaseFilters()
    base = (
        _filtered(user, CaseFilters(unit=filters.unit, assignee=filters.assignee, scan=filters.scan))
        .filter(kind=CaseKind.NOMINAL)
        .exclude(status=CaseStatus.CLOSED)
    )
    cases = list(base.select_related("member", "branch").order_by("-opened_at", "-pk")[:limit])
    labels = dict(NominalSignal.choices)
    for case in cases:
        case.signal_label = labels.get((case.evidence or {}).get("signal"), "")
    rows = base.order_by().values("evidence__signal").annotate(n=Count("pk"))
    found = {row["evidence__signal"]: row["n"] for row in rows}
    counts = [(value, label, found.get(value, 0)) for value, label in NominalSignal.choices]
    return Signals(cases=cases, counts=counts, total=sum(found.values()))


def assignee_filter_choices(*, user: User) -> QuerySet[User]:
    """The people who are responsible for some case in scope (the list's filter)."""
    return User.objects.filter(
        pk__in=_scoped_cases(user).filter(assignee__isnull=False).values("assignee_id")
    ).order_by("full_name", "username")


def filter_units(*, user: User) -> QuerySet[OrgUnit]:
    return scope.units(user).active().exclude(kind=OrgKind.GROUP).order_by("path")


# --- The chart of open cases per community ------------------------------------------------------


def open_cases_chart(*, user: User) -> dict[str, Any]:
    """Open cases by kind for each community in scope: {categories, series} for ECharts. The
    nominal-member signals are not counted: they are signals to look into, not cases."""
    rows = (
        _scoped_cases(user)
        .exclude(status=CaseStatus.CLOSED)
        .exclude(kind=CaseKind.NOMINAL)
        .annotate(community_path=Substr("branch__path", 1, COMMUNITY_PATH_LENGTH))
        .order_by()
        .values("community_path", "kind")
        .annotate(n=Count("pk"))
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["community_path"]][row["kind"]] = row["n"]
    communities = (
        list(
            OrgUnit.objects.filter(path__in=list(counts), kind=OrgKind.COMMUNITY)
            .order_by("path")
            .values_list("path", "name")
        )
        if counts
        else []
    )
    kinds = [(kind, label) for kind, label in CaseKind.choices if any(kind in by_kind for by_kind in counts.values())]
    return {
        "categories": [name for _, name in communities],
        "series": [
            {"name": str(label), "data": [counts[path].get(kind, 0) for path, _ in communities]}
            for kind, label in kinds
        ],
    }


def shows_chart(user: User) -> bool:
    """The chart is for organizers, whose scope spans communities."""
    root = scope.scope_root(user)
    return scope.is_unrestricted(user) or (root is not None and root.kind in (OrgKind.DISTRICT, OrgKind.SUBDISTRICT))


# --- One case ----------------------------------------------------------------------------------


def case_get(*, user: User, pk: Any) -> Case:
    if scope.active_role(user) in scope.SELF_ROLES:
        raise Http404("不在您的权限范围内或不存在")
    return scope.get_or_404(
        Case.objects.select_related(
            "member", "member__residence_community", "branch", "assignee", "closed_by", "transfer", "mobile", "scan"
        ).prefetch_related(Prefetch("actions", queryset=CaseAction.objects.select_related("by").order_by("at", "pk"))),
        user,
        pk=pk,
    )


def member_other_cases(*, user: User, case: Case) -> list[Case]:
    """The member's other cases in scope (open first)."""
    return list(
        _scoped_cases(user).filter(member_id=case.member_id).exclude(pk=case.pk).order_by("status", "-opened_at")
    )


def member_cases(*, user: User, member: Member) -> list[Case]:
    """A member's cases, for the member page."""
    return list(_scoped_cases(user).filter(member=member).select_related("assignee").order_by("status", "-opened_at"))


def _path_prefixes(path: str) -> list[str]:
    return [path[:end] for end in range(SEGMENT, len(path) + 1, SEGMENT)]


def assignee_choices(*, user: User, case: Case) -> QuerySet[User]:
    """People who may be made responsible: an active grant of a role that works cases, on the
    case's branch or a unit above it, inside the user's scope."""
    grants = scope.restrict(
        Grant.objects.filter(
            is_active=True,
            role__in=CASE_ROLES,
            org_unit__status=OrgStatus.ACTIVE,
            org_unit__path__in=_path_prefixes(case.branch.path),
        ),
        user,
    )
    return User.objects.filter(is_active=True, pk__in=grants.values("user_id")).order_by("full_name", "username")


@dataclass
class MonthCell:
    month: datetime.date
    state: str  # "bad" (the rule holds this month), "ok", "none" (nothing recorded)
    text: str

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass
class EvidenceView:
    """A case's evidence as the page shows it."""

    cells: list[MonthCell] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    facts: list[tuple[str, Any]] = field(default_factory=list)
    note: str = ""
    extra_title: str = ""
    extra_columns: list[str] = field(default_factory=list)
    extra_rows: list[list[Any]] = field(default_factory=list)


MEETING_LABELS = dict(MeetingKind.choices)
ATTENDANCE_LABELS = dict(AttendanceStatus.choices)
DUES_LABELS = dict(DuesMonthStatus.choices)
CHANNEL_LABELS = dict(ContactChannel.choices)
RESULT_LABELS = dict(ContactResult.choices)


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _months(evidence: dict[str, Any]) -> list[datetime.date]:
    months = evidence.get("months")
    return [datetime.date.fromisoformat(value) for value in months] if isinstance(months, list) else []


def _in_month(day: datetime.date, month: datetime.date) -> bool:
    return (day.year, day.month) == (month.year, month.month)


def _attendance_cells(months: list[datetime.date], records: list[dict[str, Any]]) -> list[MonthCell]:
    cells = []
    for month in months:
        held = [record for record in records if _in_month(_date(record["date"]), month)]
        if not held:
            cells.append(MonthCell(month, "none", "无会议记录"))
            continue
        present = sum(record["status"] == AttendanceStatus.PRESENT for record in held)
        if present:
            cells.append(MonthCell(month, "ok", f"出席 {present} 次"))
            continue
        absent = sum(record["status"] == AttendanceStatus.ABSENT for record in held)
        excused = len(held) - absent
        parts = [f"缺席 {absent} 次"] if absent else []
        if excused:
            parts.append(f"请假 {excused} 次")
        cells.append(MonthCell(month, "bad", "，".join(parts)))
    return cells


def _attendance_rows(records: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for record in records:
        url = link("orglife:meeting_detail", record["meeting"])
        rows.append(
            [
                _date(record["date"]),
                {"text": MEETING_LABELS.get(record["kind"], record["kind"]), "url": url},
                ATTENDANCE_LABELS.get(record["status"], record["status"]),
                record.get("reason") or "—",
            ]
        )
    return rows


def _dues_cells(months: list[datetime.date], records: list[dict[str, Any]]) -> list[MonthCell]:
    by_month = {record["month"]: record for record in records}
    cells = []
    for month in months:
        record = by_month.get(month.isoformat())
        if record is None:
            cells.append(MonthCell(month, "none", "无账目"))
        elif record["status"] == DuesMonthStatus.DUE:
            cells.append(MonthCell(month, "bad", f"未交 {record['amount']} 元"))
        else:
            text = f"{DUES_LABELS.get(record['status'], record['status'])} {record['amount']} 元"
            cells.append(MonthCell(month, "ok", text))
    return cells


def evidence_view(case: Case) -> EvidenceView:
    """What the scan found, as month cells, a table of records and a few facts."""
    evidence = case.evidence or {}
    months = _months(evidence)
    records = evidence.get("records", [])
    view = EvidenceView()
    if case.kind == CaseKind.NO_LIFE:
        view.cells = _attendance_cells(months, records)
        view.columns = ["会议日期", "会议类型", "出席情况", "请假事由"]
        view.rows = _attendance_rows(records)
        view.note = "期间没有“出席”记录，也没有写明事由的请假。"
    elif case.kind == CaseKind.NO_DUES:
        view.cells = _dues_cells(months, records)
        view.columns = ["月份", "应交（元）", "状态"]
        view.rows = [
            [month_label(_date(record["month"])), record["amount"], DUES_LABELS.get(record["status"], record["status"])]
            for record in records
        ]
        view.note = "期间每个月的党费均为“未交”。"
    elif case.kind == CaseKind.NO_WORK:
        view.cells = [MonthCell(month, "bad", "无交办任务") for month in months]
        view.note = "期间没有交办给该党员的任务（已取消的任务不计），而本支部有交办任务的记录。"
    elif case.kind == CaseKind.NOMINAL:
        signal = evidence.get("signal")
        view.facts.append(("迹象", NominalSignal(signal).label if signal in NominalSignal.values else "—"))
        if len(evidence.get("signals", [])) > 1:
            view.facts.append(
                ("同时存在", "、".join(NominalSignal(value).label for value in evidence["signals"] if value != signal))
            )
        if records:
            view.cells = _dues_cells(months, records)
            view.columns = ["月份", "应交（元）", "状态"]
            view.rows = [
                [month_label(_date(r["month"])), r["amount"], DUES_LABELS.get(r["status"], r["status"])]
                for r in records
            ]
            view.extra_title = "期间的出席记录"
            view.extra_columns = ["会议日期", "会议类型", "出席情况", "请假事由"]
            view.extra_rows = _attendance_rows(evidence.get("attendance", []))
        if "residence" in evidence:
            view.facts.append(("登记所在社区", evidence.get("registered", {}).get("name") or "—"))
            view.facts.append(("居住社区", evidence["residence"].get("name") or "—"))
        view.note = "这是需要了解情况的迹象，不是结论：请联系本人核实。"
    elif case.kind == CaseKind.POCKET:
        letter = evidence.get("letter", {})
        direction = letter.get("direction")
        view.facts = [
            ("介绍信编号", letter.get("number") or "—"),
            ("转接类型", TransferDirection(direction).label if direction in TransferDirection.values else "—"),
            ("转往", letter.get("destination") or "—"),
            ("开具日期", _date(letter.get("issued_on"))),
            ("有效期至", _date(letter.get("expires_on"))),
        ]
        view.note = "介绍信已过有效期仍未报到。报到登记后本盲点自动办结；也可重新开具介绍信。"
    elif case.kind == CaseKind.LOST_CONTACT:
        view.facts = [
            ("流动地点", evidence.get("place") or "—"),
            ("流动开始", _date(evidence.get("since"))),
            ("最近联系上", _date(evidence.get("last_contact_on")) or "从未联系上"),
        ]
        view.columns = ["联系日期", "方式", "结果", "情况"]
        view.rows = [
            [
                _date(contact["date"]),
                CHANNEL_LABELS.get(contact["channel"], contact["channel"]),
                RESULT_LABELS.get(contact["result"], contact["result"]),
                contact.get("notes") or "—",
            ]
            for contact in evidence.get("contacts", [])
        ]
        view.note = f"超过 {evidence.get('threshold_months', 6)} 个月未联系上。联系上并登记后本盲点自动办结。"
    return view


def case_links(case: Case) -> dict[str, str]:
    """Pages about what the case is about, where they exist."""
    links = {"member": link("members:member_detail", case.member_id)}
    if case.transfer_id:
        links["transfer"] = link("members:transfer_detail", case.transfer_id)
    if case.mobile_id:
        links["mobile"] = link("members:mobile_detail", case.mobile_id)
    return links


# --- Scan runs ---------------------------------------------------------------------------------


def scan_runs(*, user: User) -> QuerySet[ScanRun]:
    if scope.active_role(user) in scope.SELF_ROLES:
        return ScanRun.objects.none()
    return scope.restrict(ScanRun.objects.all(), user).select_related("org_unit", "by").order_by("-started_at", "-pk")


def scan_units(*, user: User) -> QuerySet[OrgUnit]:
    """Units a scan may cover: the active units in scope above the branches' groups."""
    return scope.units(user).active().exclude(kind=OrgKind.GROUP).order_by("path")


# Short names of the kinds, for table headings.
KIND_SHORT = {
    CaseKind.NO_LIFE: "未参加组织生活",
    CaseKind.NO_DUES: "未交党费",
    CaseKind.NO_WORK: "未做分配工作",
    CaseKind.NOMINAL: "挂名迹象",
    CaseKind.POCKET: "口袋党员",
    CaseKind.LOST_CONTACT: "失联党员",
}


def kind_headings() -> list[tuple[str, str, str]]:
    return [(kind, KIND_SHORT[kind], label) for kind, label in CaseKind.choices]


def run_figures(run: ScanRun) -> list[tuple[str, str, int]]:
    return [(kind, label, run.opened.get(kind, 0)) for kind, label in CaseKind.choices]


# --- Reminders ---------------------------------------------------------------------------------


def reminders(*, user: User) -> QuerySet[Reminder]:
    """The user's own current reminders of the active grant: never anyone else's."""
    return scope.at_grant_unit(Reminder.objects.all(), user).filter(user=user, resolved_at__isnull=True)


def reminder_get(*, user: User, pk: Any) -> Reminder:
    return scope.get_or_404(reminders(user=user), user, pk=pk)


# The bell's count, by user, grant unit and scope: one statement each, built once per process.
UNREAD_STATEMENTS = Statements("unread reminders", maxsize=4096)


def unread_count(*, user: User) -> int:
    """The bell's figure (on every page): `reminders` not yet read, built with one filter less."""
    grant = scope.active_grant(user)
    key = (user.pk, grant.org_unit_id if grant else None, scope.restriction(user))

    def unread() -> QuerySet[Reminder]:
        mine = Reminder.objects.filter(user_id=user.pk, resolved_at__isnull=True, read_at__isnull=True)
        return scope.at_grant_unit(mine, user)

    return UNREAD_STATEMENTS.count(key, unread)


@dataclass
class ReminderGroup:
    kind: str
    label: str
    items: list[Reminder]

    @property
    def unread(self) -> int:
        return sum(item.read_at is None for item in self.items)


def reminder_groups(*, user: User) -> list[ReminderGroup]:
    """The reminders grouped by kind: groups with unread ones first, and in each group the
    unread first, then by due date."""
    rows = list(reminders(user=user).order_by("kind", "-read_at", "due_on", "-created_at", "pk"))
    order = {kind: index for index, kind in enumerate(ReminderKind.values)}
    groups: dict[str, ReminderGroup] = {}
    for row in rows:
        group = groups.setdefault(row.kind, ReminderGroup(row.kind, ReminderKind(row.kind).label, []))
        group.items.append(row)
    for group in groups.values():
        group.items.sort(key=lambda item: (item.read_at is not None, item.due_on or datetime.date.max, item.pk))
    return sorted(groups.values(), key=lambda group: (group.unread == 0, order.get(group.kind, 99)))
