"""Reads of organizational life, always inside the user's scope: the meetings with their filters,
one meeting with its attendance, the frequency rules, the compliance table, the meetings a
branch still owes in the current period, the member tasks, and a member's organizational life.

The compliance table and `owed_meetings` run a constant number of queries whatever the number of
branches: the meetings are counted per branch and kind by one aggregate with conditional counts,
group meetings per group by a second."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.html import escape
from django.utils.safestring import mark_safe

from dangjian.core import scope
from dangjian.core.choices import OrgKind, OrgStatus
from dangjian.core.models import CommitteeSeat, OrgUnit, User, path_ids
from dangjian.members.models import Member

from .choices import FREQUENCY_MONTHS, AttendanceStatus, MeetingKind, MeetingStatus, TaskStatus
from .models import Attendance, Meeting, MeetingAttachment, MeetingRule, MemberTask
from .services import expected_members, serving_seats

# A meeting counts towards compliance when it was held and did not miss a quorum it needed
# (the same rule as Meeting.counts_for_compliance, for the database).
COUNTS_Q = Q(status=MeetingStatus.HELD) & (Q(quorum_met__isnull=True) | Q(quorum_met=True))

# Units whose compliance table may be asked for (a branch's own table is its row in its community's).
TABLE_UNIT_KINDS = (
    OrgKind.DISTRICT,
    OrgKind.SUBDISTRICT,
    OrgKind.COMMUNITY,
    OrgKind.PARTY_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
)


# --- Periods -----------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter, half-year or year (`months` = 1, 3, 6 or 12)."""

    start: datetime.date
    months: int

    @classmethod
    def containing(cls, day: datetime.date, months: int) -> Period:
        first_month = (day.month - 1) // months * months + 1
        return cls(datetime.date(day.year, first_month, 1), months)

    @classmethod
    def parse(cls, key: str) -> Period | None:
        """2026 · 2026-H1 · 2026-Q4 · 2026-11; None for anything else."""
        text = (key or "").strip().upper()
        try:
            if len(text) == 4 and text.isdigit():
                return cls(datetime.date(int(text), 1, 1), 12)
            year_text, _, part = text.partition("-")
            year = int(year_text)
            if not 1900 < year < 2200:
                return None
            if part.startswith("H") and part[1:] in ("1", "2"):
                return cls(datetime.date(year, 1 + (int(part[1:]) - 1) * 6, 1), 6)
            if part.startswith("Q") and part[1:] in ("1", "2", "3", "4"):
                return cls(datetime.date(year, 1 + (int(part[1:]) - 1) * 3, 1), 3)
            if part.isdigit() and 1 <= int(part) <= 12:
                return cls(datetime.date(year, int(part), 1), 1)
        except ValueError:
            return None
        return None

    @property
    def end(self) -> datetime.date:
        """The last day of the period."""
        last = add_months(self.start, self.months - 1)
        return last.replace(day=calendar.monthrange(last.year, last.month)[1])

    @property
    def key(self) -> str:
        year = self.start.year
        if self.months == 12:
            return f"{year}"
        if self.months == 6:
            return f"{year}-H{1 if self.start.month == 1 else 2}"
        if self.months == 3:
            return f"{year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{year}-{self.start.month:02d}"

    @property
    def label(self) -> str:
        year = self.start.year
        if self.months == 12:
            return f"{year}年"
        if self.months == 6:
            return f"{year}年{'上' if self.start.month == 1 else '下'}半年"
        if self.months == 3:
            return f"{year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{year}年{self.start.month}月"

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def shifted(self, steps: int) -> Period:
        return Period(add_months(self.start, steps * self.months), self.months)


def default_period(today: datetime.date) -> Period:
    """The compliance table's default: the current quarter."""
    return Period.containing(today, 3)


def period_choices(today: datetime.date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The periods offered in the filters: recent quarters, months and years."""
    quarter, month, year = Period.containing(today, 3), Period.containing(today, 1), Period.containing(today, 12)
    return [
        ("按季度", [(p.key, p.label) for p in (quarter.shifted(-i) for i in range(8))]),
        ("按月", [(p.key, p.label) for p in (month.shifted(-i) for i in range(12))]),
        ("按年度", [(p.key, p.label) for p in (year.shifted(-i) for i in range(3))]),
    ]


# --- Meetings ----------------------------------------------------------------------------------


@dataclass
class MeetingFilters:
    unit: OrgUnit | None = None
    kind: str = ""
    period: Period | None = None
    status: str = ""
    below_quorum: bool = False
    q: str = ""


def meeting_list(*, user: User, filters: MeetingFilters | None = None) -> QuerySet[Meeting]:
    filters = filters or MeetingFilters()
    queryset = scope.restrict(Meeting.objects.all(), user)
    if filters.unit is not None:
        if filters.unit.kind == OrgKind.GROUP:
            queryset = queryset.filter(group=filters.unit)
        else:
            queryset = queryset.filter(branch__path__startswith=filters.unit.path)
    if filters.kind in MeetingKind.values:
        queryset = queryset.filter(kind=filters.kind)
    if filters.period is not None:
        queryset = queryset.filter(held_on__gte=filters.period.start, held_on__lte=filters.period.end)
    if filters.status in MeetingStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.below_quorum:
        queryset = queryset.filter(quorum_met=False)
    if filters.q:
        queryset = queryset.filter(Q(title__icontains=filters.q) | Q(place__icontains=filters.q))
    return queryset.select_related("branch", "group").order_by("-held_at", "-pk")


def meeting_get(*, user: User, pk: Any) -> Meeting:
    return scope.get_or_404(Meeting.objects.select_related("branch", "group", "created_by"), user, pk=pk)


def meeting_attendance(*, meeting: Meeting) -> list[Attendance]:
    """The meeting's attendance rows (the meeting was fetched through the scope)."""
    status_order = Case(
        When(status=AttendanceStatus.PRESENT, then=Value(0)),
        When(status=AttendanceStatus.EXCUSED, then=Value(1)),
        default=Value(2),
    )
    return list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("member", "member__group")
        .order_by(status_order, "member__name_initials", "pk")
    )


def meeting_attachments(*, meeting: Meeting) -> list[MeetingAttachment]:
    return list(meeting.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk"))


def attachment_get(*, user: User, pk: Any) -> MeetingAttachment:
    return scope.get_or_404(MeetingAttachment.objects.select_related("meeting", "meeting__branch"), user, pk=pk)


def meeting_history(*, meeting: Meeting, limit: int = 30) -> list[dict[str, Any]]:
    from dangjian.core.selectors import history_entries

    return history_entries(meeting.history.all(), limit)


@dataclass
class RosterLine:
    """A member on a meeting's attendance page, with what is recorded so far."""

    member: Member
    status: str = ""
    reason: str = ""
    is_seat: bool = False
    voting: bool = False


def attendance_roster(*, meeting: Meeting) -> list[RosterLine]:
    """The members the attendance page lists, with their recorded status. For a committee
    meeting, members whose name matches a serving seat are marked (seats hold names)."""
    from .services import voting_members

    members = list(expected_members(meeting).select_related("group"))
    recorded = {row.member_id: row for row in Attendance.objects.filter(meeting=meeting)}
    seat_names: set[str] = set()
    if meeting.kind == MeetingKind.COMMITTEE:
        seat_names = set(serving_seats(meeting.branch).values_list("person_name", flat=True))
    voting: set[int] = set()
    if meeting.kind == MeetingKind.GENERAL:
        voting = set(voting_members(meeting.branch).values_list("pk", flat=True))
    lines = []
    for member in members:
        row = recorded.get(member.pk)
        lines.append(
            RosterLine(
                member=member,
                status=row.status if row else "",
                reason=row.reason if row else "",
                is_seat=member.name in seat_names,
                voting=member.pk in voting,
            )
        )
    if meeting.kind == MeetingKind.COMMITTEE:
        # Committee members first: the recorder ticks them.
        lines.sort(key=lambda line: (not (line.is_seat or line.status), line.member.name_initials, line.member.pk))
    return lines


def committee_seats(*, meeting: Meeting) -> list[CommitteeSeat]:
    return list(serving_seats(meeting.branch).order_by("rank", "pk"))


def meeting_rules() -> list[MeetingRule]:
    """The rules are platform-wide: every role that sees the meetings may read them."""
    order = {kind: index for index, kind in enumerate(MeetingKind.values)}
    return sorted(MeetingRule.objects.all(), key=lambda row: order.get(row.kind, 99))


def table_units(*, user: User) -> QuerySet[OrgUnit]:
    """The units whose compliance table the user may ask for."""
    return scope.units(user).active().filter(kind__in=TABLE_UNIT_KINDS).order_by("path")


def filter_units(*, user: User) -> QuerySet[OrgUnit]:
    """The units the meeting and task lists may be narrowed to (groups left out)."""
    return scope.units(user).active().exclude(kind=OrgKind.GROUP).order_by("path")


# --- Counting meetings against the rules -------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """What one rule asks of a branch in a window: `per_window` meetings (per group for group
    meetings) held between `window.start` and `window.end`."""

    kind: str
    window: Period
    per_window: int
    # Of the rule's periods inside the window, how many had begun by today (fewer than all while
    # the chosen period is still running).
    periods_begun: int | None = None
    periods_total: int | None = None


@dataclass
class BranchFacts:
    branch: OrgUnit
    has_committee: bool
    group_ids: list[int] = field(default_factory=list)


def _active_branches(units: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    return units.filter(kind=OrgKind.BRANCH, status=OrgStatus.ACTIVE)


def _branch_facts(branches: QuerySet[OrgUnit], today: datetime.date) -> list[BranchFacts]:
    """The active branches with whether a committee is in office and their active groups (two
    queries)."""
    seats = CommitteeSeat.objects.filter(
        committee__org_unit=OuterRef("pk"),
        committee__term_start__lte=today,
        committee__ended_on__isnull=True,
        left_on__isnull=True,
    )
    rows = list(_active_branches(branches).annotate(committee_in_office=Exists(seats)).order_by("path"))
    facts = {branch.pk: BranchFacts(branch, branch.committee_in_office) for branch in rows}
    if facts:
        # The branches again as a subquery: a district has over a thousand, too many to send
        # back as parameters.
        groups = OrgUnit.objects.filter(
            kind=OrgKind.GROUP, status=OrgStatus.ACTIVE, parent_id__in=_active_branches(branches).values("pk")
        )
        for group_id, parent_id in groups.order_by("path").values_list("pk", "parent_id"):
            facts[parent_id].group_ids.append(group_id)
    return list(facts.values())


def _held(
    branches: QuerySet[OrgUnit], facts: list[BranchFacts], requirements: Iterable[Requirement]
) -> tuple[dict[int, dict[str, int]], dict[tuple[int, int], int]]:
    """Meetings that count, per branch and kind (each kind in its own window), and group meetings
    per group, for the branches of `facts` (read from `branches`, which the queries take as a
    subquery): two aggregate queries, none when there is no branch or no rule."""
    requirements = list(requirements)
    per_branch: dict[int, dict[str, int]] = defaultdict(dict)
    per_group: dict[tuple[int, int], int] = {}
    if not facts or not requirements:
        return per_branch, per_group
    start = min(req.window.start for req in requirements)
    end = max(req.window.end for req in requirements)
    base = Meeting.objects.filter(
        COUNTS_Q, branch_id__in=_active_branches(branches).values("pk"), held_on__gte=start, held_on__lte=end
    ).order_by()
    counts = {
        f"n_{req.kind}": Count(
            "pk", filter=Q(kind=req.kind, held_on__gte=req.window.start, held_on__lte=req.window.end)
        )
        for req in requirements
        if req.kind != MeetingKind.GROUP
    }
    if counts:
        for row in base.values("branch_id").annotate(**counts):
            per_branch[row["branch_id"]] = {key[2:]: value for key, value in row.items() if key.startswith("n_")}
    group_req = next((req for req in requirements if req.kind == MeetingKind.GROUP), None)
    if group_req is not None:
        rows = (
            base.filter(kind=MeetingKind.GROUP, held_on__gte=group_req.window.start, held_on__lte=group_req.window.end)
            .exclude(group=None)
            .values("branch_id", "group_id")
            .annotate(n=Count("pk"))
        )
        per_group = {(row["branch_id"], row["group_id"]): row["n"] for row in rows}
    return per_branch, per_group


@dataclass(frozen=True)
class Cell:
    """Held against required for one branch and kind; required 0 means the rule does not apply
    (no group, no committee in office)."""

    kind: str
    required: int
    held: int

    @property
    def applies(self) -> bool:
        return self.required > 0

    @property
    def ok(self) -> bool:
        return self.held >= self.required

    @property
    def done(self) -> int:
        """Held, up to what was required (a surplus does not make up for another kind)."""
        return min(self.held, self.required)

    @property
    def text(self) -> str:
        if not self.applies:
            return "—"
        return "✓" if self.ok else f"{self.held}/{self.required}"

    @property
    def css(self) -> str:
        if not self.applies:
            return "text-body-secondary"
        if self.ok:
            return "table-success text-success fw-semibold"
        return "table-warning" if self.held else "table-danger"

    # A district's table has thousands of cells: each is built here in one f-string rather than
    # by a template loop that looks up a dozen variables a cell. Every part is an integer or one
    # of the fixed words above (the kind is a MeetingKind value), so nothing needs escaping.
    @property
    def td(self) -> str:
        """The cell in a branch's row of the compliance table."""
        return (
            f'<td class="text-center {self.css}" data-kind="{self.kind}" data-held="{self.held}" '
            f'data-required="{self.required}" title="已开 {self.held} / 应开 {self.required}">{self.text}</td>'
        )

    @property
    def total_td(self) -> str:
        """The cell in a community's totals row."""
        if not self.applies:
            return '<td class="text-center text-body-secondary">—</td>'
        css = "text-success" if self.ok else "text-danger"
        return f'<td class="text-center {css}">{self.held}/{self.required}</td>'


def _cell(facts: BranchFacts, req: Requirement, per_branch, per_group) -> Cell:
    branch_id = facts.branch.pk
    if req.kind == MeetingKind.GROUP:
        required = req.per_window * len(facts.group_ids)
        # Each group must meet: one group meeting often does not make up for another's.
        held = sum(min(per_group.get((branch_id, group_id), 0), req.per_window) for group_id in facts.group_ids)
        return Cell(req.kind, required, held)
    if req.kind == MeetingKind.COMMITTEE and not facts.has_committee:
        return Cell(req.kind, 0, per_branch.get(branch_id, {}).get(req.kind, 0))
    return Cell(req.kind, req.per_window, per_branch.get(branch_id, {}).get(req.kind, 0))


def _required_rules() -> list[MeetingRule]:
    order = {kind: index for index, kind in enumerate(MeetingKind.values)}
    return sorted(MeetingRule.objects.filter(is_required=True), key=lambda row: order.get(row.kind, 99))


# --- The compliance table ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    kind: str
    label: str
    rule: MeetingRule
    requirement: Requirement
    period: Period

    @property
    def judged_on_longer_period(self) -> bool:
        return self.requirement.window != self.period

    @property
    def note(self) -> str:
        rule = self.rule
        text = f"{rule.get_frequency_display()}{rule.times}次"
        if self.kind == MeetingKind.GROUP:
            text += "/每个党小组"
        if self.judged_on_longer_period:
            text += f"，按{self.requirement.window.label}"
        elif self.requirement.periods_begun is not None and self.requirement.periods_begun < (
            self.requirement.periods_total or 0
        ):
            text += f"，至今应开{self.requirement.per_window}次"
        return text


@dataclass
class Row:
    branch: OrgUnit
    community: OrgUnit | None
    cells: list[Cell]

    # The table is read, never changed, once built: its sums are computed once (a district's
    # table has ten thousand cells, and the page, the chart and the totals all ask).
    @cached_property
    def required(self) -> int:
        return sum(cell.required for cell in self.cells)

    @cached_property
    def done(self) -> int:
        return sum(cell.done for cell in self.cells)

    @cached_property
    def ok(self) -> bool:
        return all(cell.ok for cell in self.cells)

    @cached_property
    def rate(self) -> float:
        return _rate(self.done, self.required)

    def tr(self, meetings_url: str, period_key: str) -> str:
        """The branch's row of the compliance table: its name linking to its meetings of the
        period, a cell per kind, its rate. The URL and the period's key come escaped."""
        name = escape(self.branch.name)
        link = f"{meetings_url}?unit={self.branch.pk}&amp;period={period_key}"
        return (
            f'<tr id="branch-{self.branch.pk}" data-branch="{name}">'
            f'<td class="text-nowrap"><a href="{link}">{name}</a></td>{"".join(cell.td for cell in self.cells)}'
            f'<td class="text-end{" text-success" if self.ok else ""}">{self.rate}%</td></tr>'
        )


@dataclass
class CommunityBlock:
    """A community's branches and their totals."""

    community: OrgUnit | None
    rows: list[Row] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.community.name if self.community else "其他"

    @cached_property
    def totals(self) -> list[Cell]:
        if not self.rows:
            return []
        return [
            Cell(cells[0].kind, sum(c.required for c in cells), sum(c.done for c in cells))
            for cells in zip(*(row.cells for row in self.rows), strict=True)
        ]

    @cached_property
    def required(self) -> int:
        return sum(row.required for row in self.rows)

    @cached_property
    def done(self) -> int:
        return sum(row.done for row in self.rows)

    @cached_property
    def compliant(self) -> int:
        return sum(1 for row in self.rows if row.ok)

    @cached_property
    def rate(self) -> float:
        return _rate(self.done, self.required)

    def trs(self, meetings_url: str, period_key: str, width: int) -> str:
        """The community's divider, its branches' rows and its totals row."""
        name = escape(self.name)
        anchor = self.community.pk if self.community else "other"
        totals = "".join(cell.total_td for cell in self.totals)
        return "".join(
            (
                f'<tr class="table-group-divider"><th colspan="{width}" class="bg-body-tertiary">{name}</th></tr>',
                *(row.tr(meetings_url, period_key) for row in self.rows),
                f'<tr class="fw-semibold" id="community-{anchor}"><td class="text-nowrap">{name}合计'
                f'<div class="small fw-normal text-body-secondary">{self.compliant}/{len(self.rows)} 个支部全部达标'
                f'</div></td>{totals}<td class="text-end">{self.rate}%</td></tr>',
            )
        )


@dataclass
class ComplianceTable:
    period: Period
    unit: OrgUnit | None
    columns: list[Column]
    blocks: list[CommunityBlock]
    # The chosen period is still running: what it requires is counted up to today.
    running: bool = False

    @cached_property
    def rows(self) -> list[Row]:
        return [row for block in self.blocks for row in block.rows]

    @cached_property
    def required(self) -> int:
        return sum(block.required for block in self.blocks)

    @cached_property
    def done(self) -> int:
        return sum(block.done for block in self.blocks)

    @cached_property
    def compliant(self) -> int:
        return sum(block.compliant for block in self.blocks)

    @cached_property
    def rate(self) -> float:
        return _rate(self.done, self.required)

    def body_html(self, meetings_url: str) -> str:
        """The table's body, a community after another: written here in one pass rather than by
        a template loop that looks up a dozen variables a row (a district has thousands of rows).
        Names are escaped; everything else is a number or one of the fixed words of `Cell`."""
        width = len(self.columns) + 2
        if not self.blocks:
            return mark_safe(f'<tr><td colspan="{width}" class="text-body-secondary">范围内没有党支部。</td></tr>')
        url, key = escape(meetings_url), escape(self.period.key)
        return mark_safe("".join(block.trs(url, key, width) for block in self.blocks))

    def chart(self) -> dict[str, Any]:
        """The data of the bar chart: the completion rate of each community, or, when there are
        more communities than a chart can name (a district has some 250), of each sub-district,
        or of each district above that. Branches outside any community are one bar, 其他."""
        levels = [(depth, label, self._rolled_up(depth)) for depth, label in CHART_LEVELS]
        depth, label, groups = next((level for level in levels if len(level[2]) <= CHART_BARS), levels[-1])
        if depth == COMMUNITY_DEPTH:
            names = {block.community.pk: block.community.name for block in self.blocks if block.community is not None}
        else:
            units = OrgUnit.objects.filter(pk__in=[key for key in groups if key is not None])
            names = dict(units.values_list("pk", "name"))
        return {
            "title": f"各{label}应开会议完成率",
            "categories": [names.get(key, "") if key is not None else "其他" for key in groups],
            "series": [{"name": "完成率（%）", "data": [_rate(done, required) for done, required in groups.values()]}],
        }

    def _rolled_up(self, depth: int) -> dict[int | None, tuple[int, int]]:
        """Meetings held and required, summed per unit at `depth` (per community at its own)."""
        groups: dict[int | None, tuple[int, int]] = {}
        for block in self.blocks:
            key = path_ids(block.community.path)[depth] if block.community is not None else None
            done, required = groups.get(key, (0, 0))
            groups[key] = (done + block.done, required + block.required)
        return groups


# The chart's bars: per community while there are at most CHART_BARS of them, else per unit of
# the level above (depths in the tree: district 0, sub-district 1, community 2).
CHART_BARS = 30
COMMUNITY_DEPTH = 2
CHART_LEVELS = ((COMMUNITY_DEPTH, "社区"), (1, "街道"), (0, "区"))


def _rate(done: int, required: int) -> float:
    return round(100 * done / required, 1) if required else 100.0


def requirement_for(rule: MeetingRule, period: Period, today: datetime.date | None = None) -> Requirement:
    """A rule judged in a chosen period: the rule's times for each of its periods inside the chosen
    one, or — for a rule whose period is longer (the year's life meeting in a quarter) — the rule's
    period containing it. While the chosen period is still running (`today` inside it), only the
    rule's periods that have begun are required: in November the fourth quarter asks for the
    October and November themed days, not yet December's. A period not yet begun requires nothing."""
    months = FREQUENCY_MONTHS[rule.frequency]
    if months > period.months:
        window = Period.containing(period.start, months)
        begun = 1 if today is None or window.start <= today else 0
        return Requirement(rule.kind, window, rule.times * begun)
    inside = period.months // months
    if today is None or today > period.end:
        return Requirement(rule.kind, period, rule.times * inside)
    elapsed = (today.year - period.start.year) * 12 + today.month - period.start.month
    begun = 0 if today < period.start else min(inside, elapsed // months + 1)
    return Requirement(rule.kind, period, rule.times * begun, periods_begun=begun, periods_total=inside)


def compliance_table(
    *, user: User, period: Period, unit: OrgUnit | None = None, today: datetime.date | None = None
) -> ComplianceTable:
    """One row per branch under `unit` (default: the user's scope), a column per required kind of
    meeting: meetings that count, against what the rules require in the period. Six queries
    whatever the number of branches."""
    from django.utils import timezone

    today = today or timezone.localdate()
    # A row shows a branch's name and links to it; its community is read from its path.
    branches = scope.restrict(OrgUnit.objects.only("pk", "name", "path"), user)
    if unit is not None:
        branches = branches.filter(path__startswith=unit.path)
    rules = _required_rules()
    columns = [
        Column(rule.kind, rule.get_kind_display(), rule, requirement_for(rule, period, today), period) for rule in rules
    ]
    facts = _branch_facts(branches, today)
    per_branch, per_group = _held(branches, facts, [column.requirement for column in columns])

    # Branches sit under a community at the third level of the tree (district, sub-district, community).
    community_ids = {_community_id(fact.branch) for fact in facts} - {None}
    communities = OrgUnit.objects.in_bulk(list(community_ids)) if community_ids else {}
    blocks: dict[int | None, CommunityBlock] = {}
    for fact in facts:
        community_id = _community_id(fact.branch)
        block = blocks.setdefault(community_id, CommunityBlock(communities.get(community_id)))
        cells = [_cell(fact, column.requirement, per_branch, per_group) for column in columns]
        block.rows.append(Row(fact.branch, block.community, cells))
    return ComplianceTable(
        period=period, unit=unit, columns=columns, blocks=list(blocks.values()), running=period.contains(today)
    )


def _community_id(branch: OrgUnit) -> int | None:
    ids = path_ids(branch.path)
    return ids[COMMUNITY_DEPTH] if len(ids) > COMMUNITY_DEPTH + 1 else None


# --- What a branch still owes (for the reminders) ----------------------------------------------


@dataclass(frozen=True)
class OwedMeeting:
    branch: OrgUnit
    kind: str  # MeetingKind value
    period_label: str  # e.g. "2026年第4季度"
    period_end: datetime.date
    required: int
    held: int


def owed_meetings(*, branches: QuerySet[OrgUnit], today: datetime.date) -> list[OwedMeeting]:
    """For each active branch in `branches` and each required rule, the rule's current period
    (the one containing `today`): listed where fewer meetings that count were held than required.
    A constant number of queries."""
    requirements = [
        Requirement(rule.kind, Period.containing(today, FREQUENCY_MONTHS[rule.frequency]), rule.times)
        for rule in _required_rules()
    ]
    branches = OrgUnit.objects.filter(pk__in=branches.values("pk"))
    facts = _branch_facts(branches, today)
    per_branch, per_group = _held(branches, facts, requirements)
    owed = []
    for fact in facts:
        for req in requirements:
            cell = _cell(fact, req, per_branch, per_group)
            if cell.applies and not cell.ok:
                owed.append(
                    OwedMeeting(
                        branch=fact.branch,
                        kind=req.kind,
                        period_label=req.window.label,
                        period_end=req.window.end,
                        required=cell.required,
                        held=cell.done,
                    )
                )
    return owed


# --- Member tasks ------------------------------------------------------------------------------

TASK_STATES = {
    "open": "进行中",
    "overdue": "已逾期",
    "done": "已完成",
    "cancelled": "已取消",
}


@dataclass
class TaskFilters:
    unit: OrgUnit | None = None
    state: str = ""
    q: str = ""


def _task_state_q(state: str, today: datetime.date) -> Q:
    if state == "open":
        return Q(status=TaskStatus.OPEN)
    if state == "overdue":
        return Q(status=TaskStatus.OPEN, due_on__lt=today)
    if state == "done":
        return Q(status=TaskStatus.DONE)
    if state == "cancelled":
        return Q(status=TaskStatus.CANCELLED)
    return Q()


def _tasks(user: User, filters: TaskFilters) -> QuerySet[MemberTask]:
    queryset = scope.restrict(MemberTask.objects.all(), user)
    if filters.unit is not None:
        queryset = queryset.filter(member__branch__path__startswith=filters.unit.path)
    if filters.q:
        queryset = queryset.filter(Q(title__icontains=filters.q) | Q(member__name__icontains=filters.q))
    return queryset


def task_list(*, user: User, filters: TaskFilters | None = None, today: datetime.date) -> QuerySet[MemberTask]:
    filters = filters or TaskFilters()
    # Overdue first, then open, done and withdrawn; the latest assigned first within each.
    state_order = Case(
        When(status=TaskStatus.OPEN, due_on__lt=today, then=Value(0)),
        When(status=TaskStatus.OPEN, then=Value(1)),
        When(status=TaskStatus.DONE, then=Value(2)),
        default=Value(3),
    )
    return (
        _tasks(user, filters)
        .filter(_task_state_q(filters.state, today))
        .select_related("member", "member__branch")
        .order_by(state_order, "-assigned_on", "-pk")
    )


def task_counts(*, user: User, filters: TaskFilters | None = None, today: datetime.date) -> dict[str, int]:
    """How many tasks in each state (the other filters applied), in one query."""
    filters = filters or TaskFilters()
    totals = _tasks(user, filters).aggregate(
        all=Count("pk"), **{state: Count("pk", filter=_task_state_q(state, today)) for state in TASK_STATES}
    )
    return {"": totals.pop("all"), **totals}


def task_get(*, user: User, pk: Any) -> MemberTask:
    return scope.get_or_404(MemberTask.objects.select_related("member", "member__branch", "assigned_by"), user, pk=pk)


def task_history(*, task: MemberTask, limit: int = 20) -> list[dict[str, Any]]:
    from dangjian.core.selectors import history_entries

    return history_entries(task.history.all(), limit)


def task_members(*, user: User, branch: OrgUnit) -> QuerySet[Member]:
    """The members of a branch in scope to whom work may be assigned."""
    from .services import ATTENDING_STATUSES

    if not scope.contains(user, branch):
        raise Http404("不在您的权限范围内或不存在")
    return (
        scope.restrict(Member.objects.all(), user)
        .filter(branch=branch, status__in=ATTENDING_STATUSES)
        .order_by("name_initials", "pk")
    )


def members_with_tasks(
    *, members: QuerySet[Member] | Iterable[int], start: datetime.date, end: datetime.date
) -> set[int]:
    """The members (of those given) who had work assigned in [start, end] or a task open during
    it (assigned before the window's end and not finished or withdrawn before its start). For
    the six-month scan: one query."""
    member_ids = members.values("pk") if isinstance(members, QuerySet) else list(members)
    assigned = Q(assigned_on__gte=start, assigned_on__lte=end)
    still_open = Q(assigned_on__lte=end) & (Q(status=TaskStatus.OPEN) | Q(status=TaskStatus.DONE, done_on__gte=start))
    return set(
        MemberTask.objects.filter(member_id__in=member_ids)
        .filter(assigned | still_open)
        .exclude(status=TaskStatus.CANCELLED, assigned_on__lt=start)
        .values_list("member_id", flat=True)
        .distinct()
    )


# --- A member's organizational life (the member page's tab) ------------------------------------


def member_life_tab(*, member: Member, months: int = 12) -> dict[str, Any]:
    """The member's attendance over the last `months` months (this one included), counted by
    month, and their tasks. The member was fetched through the scope by the caller."""
    from django.utils import timezone

    today = timezone.localdate()
    this_month = today.replace(day=1)
    since = add_months(this_month, -(months - 1))
    rows = list(
        Attendance.objects.filter(member=member, held_on__gte=since)
        .select_related("meeting", "meeting__branch", "meeting__group")
        .order_by("-held_on", "-meeting__held_at", "-pk")
    )
    by_month: dict[datetime.date, dict[str, int]] = {
        add_months(this_month, -offset): {"present": 0, "excused": 0, "absent": 0} for offset in range(months)
    }
    for row in rows:
        counts = by_month.get(row.held_on.replace(day=1))
        if counts is not None:
            counts[row.status] += 1
    month_rows = [
        {
            "month": month,
            "label": f"{month.year}年{month.month}月",
            **counts,
            "meetings": sum(counts.values()),
            "took_part": counts["present"] + counts["excused"] > 0,
            "complete": month < this_month,
        }
        for month, counts in by_month.items()
    ]
    # Complete months, the most recent first, without a present or excused attendance.
    months_without = 0
    for entry in month_rows:
        if not entry["complete"]:
            continue
        if entry["took_part"]:
            break
        months_without += 1
    tasks = list(
        MemberTask.objects.filter(member=member)
        .filter(Q(assigned_on__gte=since) | Q(status=TaskStatus.OPEN))
        .select_related("assigned_by")
        .order_by("-assigned_on", "-pk")
    )
    return {
        "member": member,
        "since": since,
        "months": months,
        "rows": rows,
        "by_month": month_rows,
        "totals": {
            "present": sum(1 for row in rows if row.status == AttendanceStatus.PRESENT),
            "excused": sum(1 for row in rows if row.status == AttendanceStatus.EXCUSED),
            "absent": sum(1 for row in rows if row.status == AttendanceStatus.ABSENT),
        },
        "months_without": months_without,
        "tasks": tasks,
        "open_tasks": sum(1 for task in tasks if task.status == TaskStatus.OPEN),
        "today": today,
    }
