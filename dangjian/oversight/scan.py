"""The blind-spot scan (盲点扫描): members who slipped out of reach, found by set-based queries.

As of a month M (by default the last complete month), the window is the
`settings.DANGJIAN_BLIND_SPOT_MONTHS` months ending with M. The members considered are found
once per run, into a temporary table (`ScanConsidered`) the rules start from. Every rule is one
query that finds the whole set of members (NOT EXISTS / EXISTS subqueries and correlated counts,
never a loop over members; the no-work rule first asks which branches record tasks); the new
cases of a kind are written by one INSERT that, on PostgreSQL, also gathers the evidence records
of the members found (elsewhere they are read by one more query per kind and grouped in memory,
and the cases written with `bulk_create`); their history is copied from the rows written by one
more statement. So a scan issues the same number of queries for fifty members as for a million.

Rules (see docs/oversight.md):
- members considered: status active or inflow, standing normal, on the roll since the window's
  first day (joined by then; a member registered by a transfer-in counts from the day the record
  was made, an inflow member from the day their inflow began);
- six_month_no_life: no attendance in the window marked present, and none marked excused with a
  reason; members away on an outflow are left to the lost-contact rule;
- six_month_no_dues: every month of the window has a ledger row that is due (unpaid);
- six_month_no_work: no task overlapping the window (not cancelled), in a branch that records
  tasks (another member has one overlapping the window);
- nominal_member (signals): pays every month but never attends; registered here, living in
  another community;
- pocket_member: a letter issued and past its last valid day is marked expired, and a case opens;
- lost_contact: an outflow member not reached for more than `DANGJIAN_LOST_CONTACT_MONTHS`.

A case stays open until the branch closes it with an outcome: a later scan that no longer finds
the member adds the note "最近一次扫描：情况已改善" instead of closing it.
"""

from __future__ import annotations

import calendar
import datetime
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Trim
from django.db.models.lookups import Exact
from django.utils import timezone

from dangjian.core.choices import OrgKind, OrgStatus
from dangjian.core.models import PATH_SEGMENT_WIDTH, OrgUnit, User
from dangjian.members.choices import (
    DuesMonthStatus,
    MemberStatus,
    MobileDirection,
    MobileStatus,
    Standing,
    TransferDirection,
    TransferStatus,
)
from dangjian.members.models import ContactLog, DuesMonth, Member, MobileMember, Transfer, add_months
from dangjian.orglife.choices import AttendanceStatus, MeetingKind, TaskStatus
from dangjian.orglife.models import Attendance, Meeting, MemberTask

from .choices import ActionKind, CaseKind, CaseStatus, NominalSignal
from .models import Case, CaseAction, ScanConsidered, ScanRun

IMPROVED_NOTE = "最近一次扫描：情况已改善"
BATCH_SIZE = 1000
# Found ids per evidence query: a city-wide scan reads the evidence of many thousands in a few.
EVIDENCE_CHUNK = 20000
# The contact attempts kept in a lost-contact case's evidence.
CONTACTS_IN_EVIDENCE = 10
# Statuses of a member whose mobility record still matters (not gone from the roll for good).
MOBILE_MEMBER_STATUSES = (MemberStatus.ACTIVE, MemberStatus.INFLOW, MemberStatus.LOST_CONTACT)


# --- Months and the window ---------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def last_complete_month(today: datetime.date) -> datetime.date:
    """The first day of the month before `today`'s month."""
    return add_months(month_start(today), -1)


def month_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月"


def day_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Window:
    """The months a scan looks at: first days, oldest first."""

    months: tuple[datetime.date, ...]

    @classmethod
    def ending(cls, as_of: datetime.date, length: int | None = None) -> Window:
        length = length or settings.DANGJIAN_BLIND_SPOT_MONTHS
        last = month_start(as_of)
        return cls(tuple(add_months(last, offset) for offset in range(1 - length, 1)))

    @property
    def start(self) -> datetime.date:
        return self.months[0]

    @property
    def last_month(self) -> datetime.date:
        return self.months[-1]

    @property
    def end(self) -> datetime.date:
        """The last day of the window."""
        last = self.months[-1]
        return last.replace(day=calendar.monthrange(last.year, last.month)[1])

    @property
    def label(self) -> str:
        return f"{month_label(self.start)}至{month_label(self.last_month)}"

    def evidence(self) -> dict[str, Any]:
        return {
            "months": [month.isoformat() for month in self.months],
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


# --- The member sets ---------------------------------------------------------------------------


def _next_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def considered_members(unit: OrgUnit, window: Window) -> QuerySet[Member]:
    """Members the rules apply to: on the roll (active or inflow), in normal standing, and on
    the roll since the window's first day."""
    registered_by_transfer = Transfer.objects.filter(member=OuterRef("pk"), direction=TransferDirection.IN)
    inflow_began_later = MobileMember.objects.filter(
        member=OuterRef("pk"), direction=MobileDirection.INFLOW, since__gt=window.start
    )
    return (
        Member.objects.filter(
            branch__path__startswith=unit.path,
            status__in=(MemberStatus.ACTIVE, MemberStatus.INFLOW),
            standing=Standing.NORMAL,
            join_date__lte=window.start,
        )
        # A record made by a transfer-in dates from its creation, not from the join date.
        .exclude(Exists(registered_by_transfer), created_at__gte=_next_midnight(window.start))
        .exclude(Exists(inflow_began_later))
    )


def _away_on_outflow() -> Exists:
    return Exists(
        MobileMember.objects.filter(member=OuterRef("pk"), direction=MobileDirection.OUTFLOW, status=MobileStatus.AWAY)
    )


def _attended_in(window: Window) -> QuerySet[Attendance]:
    return Attendance.objects.filter(member=OuterRef("pk"), held_on__gte=window.start, held_on__lte=window.end)


def no_life_members(considered: QuerySet[ScanConsidered], window: Window) -> QuerySet[ScanConsidered]:
    """No attendance in the window marked present, nor excused with a reason."""
    kept_in = (
        _attended_in(window)
        .alias(reason_text=Trim("reason"))
        .filter(Q(status=AttendanceStatus.PRESENT) | (Q(status=AttendanceStatus.EXCUSED) & ~Q(reason_text="")))
    )
    return considered.filter(away=False).exclude(Exists(kept_in))


def _every_month(window: Window, status: str) -> Q:
    """Members whose every month of the window has a ledger row in `status`: a correlated count
    of the member's rows in `status` equal to the window's months (a member has at most one row a
    month). Its plan is a short index range per member whatever the table statistics say (a
    grouped aggregate joined back to the members misplans badly on freshly loaded, not yet
    analyzed data), read from the index alone where a partial index holds the status (arrears)."""
    months = (
        DuesMonth.objects.filter(
            member=OuterRef("pk"), month__gte=window.start, month__lte=window.last_month, status=status
        )
        .order_by()
        .values("member")
        .annotate(months=Count("*"))
        .values("months")
    )
    return Q(Exact(Subquery(months, output_field=IntegerField()), len(window.months)))


def no_dues_members(considered: QuerySet[ScanConsidered], window: Window) -> QuerySet[ScanConsidered]:
    """Every month of the window due and unpaid; a month without a ledger row or exempt breaks it."""
    return considered.filter(_every_month(window, DuesMonthStatus.DUE))


def _task_overlaps(window: Window) -> Q:
    return (
        Q(assigned_on__lte=window.end)
        & (Q(done_on__isnull=True) | Q(done_on__gte=window.start))
        & ~Q(status=TaskStatus.CANCELLED)
    )


def no_work_members(considered: QuerySet[ScanConsidered], window: Window) -> QuerySet[ScanConsidered]:
    """No task overlapping the window, in a branch that records tasks: where a branch keeps no
    task records at all, their absence says nothing about a member. The branches that record
    tasks are found first, by a query of their own: once per branch of the members considered
    (a question that stops at its first task). Asked inside the rule's query, PostgreSQL would put
    the question again for every member without a task."""
    branches = considered.order_by().values("branch_id").distinct()
    recording = list(
        OrgUnit.objects.filter(pk__in=branches)
        .filter(Exists(MemberTask.objects.filter(_task_overlaps(window), member__branch=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    had_task = MemberTask.objects.filter(_task_overlaps(window), member=OuterRef("pk"))
    return considered.filter(branch__in=recording).exclude(Exists(had_task))


def pays_never_attends_members(considered: QuerySet[ScanConsidered], window: Window) -> QuerySet[ScanConsidered]:
    """Every month of the window paid, and no attendance marked present."""
    present = _attended_in(window).filter(status=AttendanceStatus.PRESENT)
    return considered.filter(away=False).filter(_every_month(window, DuesMonthStatus.PAID)).exclude(Exists(present))


def lives_elsewhere_members(considered: QuerySet[ScanConsidered]) -> QuerySet[ScanConsidered]:
    """Registered in a branch of one community, living in another."""
    return considered.filter(residence_community__isnull=False).exclude(
        branch__path__startswith=F("residence_community__path")
    )


def lost_contact_mobiles(unit: OrgUnit, today: datetime.date) -> QuerySet[MobileMember]:
    """Members away on an outflow, last reached (or, never reached, gone since) more than
    DANGJIAN_LOST_CONTACT_MONTHS months before today."""
    threshold = add_months(today, -settings.DANGJIAN_LOST_CONTACT_MONTHS)
    return (
        MobileMember.objects.filter(
            member__branch__path__startswith=unit.path,
            member__status__in=MOBILE_MEMBER_STATUSES,
            direction=MobileDirection.OUTFLOW,
            status=MobileStatus.AWAY,
        )
        .alias(last_reached=Coalesce("last_contact_on", "since"))
        .filter(last_reached__lt=threshold)
    )


def expire_letters(unit: OrgUnit, today: datetime.date) -> int:
    """Mark issued letters past their last valid day as expired: one UPDATE (a system change,
    recorded by the scan run rather than in each letter's history)."""
    return Transfer.objects.filter(
        branch__path__startswith=unit.path, status=TransferStatus.ISSUED, expires_on__lt=today
    ).update(status=TransferStatus.EXPIRED, version=F("version") + 1, updated_at=timezone.now())


def pocket_transfers(unit: OrgUnit) -> QuerySet[Transfer]:
    """Expired letters of a member that no case has been opened for, unless a later letter of
    the member (re-issued) has since been reported."""
    reported_later = Transfer.objects.filter(
        member=OuterRef("member"),
        direction=OuterRef("direction"),
        status=TransferStatus.REPORTED,
        issued_on__gte=OuterRef("issued_on"),
    ).exclude(pk=OuterRef("pk"))
    return (
        Transfer.objects.filter(branch__path__startswith=unit.path, status=TransferStatus.EXPIRED, member__isnull=False)
        .exclude(Exists(Case.objects.filter(transfer=OuterRef("pk"))))
        .exclude(Exists(reported_later))
    )


def _without_open_case(queryset: QuerySet, kind: str, member_ref: str = "pk") -> QuerySet:
    open_case = Case.objects.filter(member=OuterRef(member_ref), kind=kind).exclude(status=CaseStatus.CLOSED)
    return queryset.exclude(Exists(open_case))


# --- Evidence ----------------------------------------------------------------------------------

ATTENDANCE = "attendance"
DUES = "dues"
MEETING_LABELS = dict(MeetingKind.choices)
ATTENDANCE_LABELS = dict(AttendanceStatus.choices)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), EVIDENCE_CHUNK):
        yield ids[start : start + EVIDENCE_CHUNK]


# The evidence is read for the ids already found (not by repeating the rule as a subquery): the
# plan stays a plain index lookup whatever the planner thinks of the rule's subqueries.


def _attendance_records(ids: list[int], window: Window) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = (
            Attendance.objects.filter(member_id__in=chunk, held_on__gte=window.start, held_on__lte=window.end)
            .order_by("member_id", "held_on", "meeting_id")
            .values_list("member_id", "meeting_id", "held_on", "meeting__kind", "status", "reason")
        )
        for member_id, meeting_id, held_on, kind, status, reason in rows:
            grouped[member_id].append(
                {"meeting": meeting_id, "date": held_on.isoformat(), "kind": kind, "status": status, "reason": reason}
            )
    return grouped


def _dues_records(ids: list[int], window: Window) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = (
            DuesMonth.objects.filter(member_id__in=chunk, month__gte=window.start, month__lte=window.last_month)
            .order_by("member_id", "month")
            .values_list("member_id", "month", "amount_due", "status")
        )
        for member_id, month, amount, status in rows:
            grouped[member_id].append({"month": month.isoformat(), "amount": f"{amount:.2f}", "status": status})
    return grouped


def _contact_records(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        logs = (
            ContactLog.objects.filter(mobile_id__in=chunk)
            .order_by("mobile_id", "-contacted_on", "-pk")
            .values_list("mobile_id", "contacted_on", "channel", "result", "notes")
        )
        for mobile_id, contacted_on, channel, result, notes in logs:
            if len(grouped[mobile_id]) < CONTACTS_IN_EVIDENCE:
                grouped[mobile_id].append(
                    {"date": contacted_on.isoformat(), "channel": channel, "result": result, "notes": notes[:200]}
                )
    return grouped


def _community_path(branch_path: str) -> str:
    """The path of the community a branch belongs to (districts, sub-districts and communities
    always stand at depths 0, 1 and 2)."""
    return branch_path[: 3 * (PATH_SEGMENT_WIDTH + 1)]


# --- Writing the cases -------------------------------------------------------------------------


@dataclass
class Found:
    """A case to open: whose, where, and why."""

    member_id: int
    branch_id: int
    district_id: int | None
    summary: str
    # The case's own part of the evidence (a dated case's evidence begins with its window's).
    evidence: dict[str, Any]
    transfer_id: int | None = None
    mobile_id: int | None = None
    # The member's records of the window that go into the evidence, by source (ATTENDANCE,
    # DUES) → evidence key. Read beforehand into `evidence`, or on PostgreSQL gathered by the
    # INSERT that writes the case.
    records: dict[str, str] = field(default_factory=dict)


class Scan:
    """One run of the scan over a unit's subtree."""

    def __init__(self, run: ScanRun, today: datetime.date) -> None:
        self.run = run
        self.unit = run.org_unit
        self.today = today
        self.window = Window.ending(run.as_of)
        # The window's part of every dated case's evidence, built once (not per case).
        self.window_evidence = self.window.evidence()
        self.now = timezone.now()
        self.by: User | None = run.by
        self.opened: dict[str, int] = {kind: 0 for kind in CaseKind.values}
        self.records_in_insert = connection.vendor == "postgresql"

    def _records(self, source: str, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """The records of `source` of the members `ids`, grouped by member; none on PostgreSQL,
        where the INSERT writing the cases gathers them (`_insert_postgresql`)."""
        if self.records_in_insert:
            return {}
        read = _attendance_records if source == ATTENDANCE else _dues_records
        return read(ids, self.window)

    def _member_rows(self, queryset: QuerySet[ScanConsidered]) -> list[dict[str, Any]]:
        return list(queryset.order_by("pk").values("pk", "name", "branch_id", "district_id"))

    def _open(self, kind: str, found: Iterable[Found]) -> int:
        """Write the new cases in bulk; a case that another scan opened meanwhile is skipped by
        the one-open-case-per-kind constraint. History is written in bulk too, from the rows
        written."""
        items = list(found)
        if not items:
            return 0
        dated = kind not in (CaseKind.POCKET, CaseKind.LOST_CONTACT)
        period_start = self.window.start if dated else None
        period_end = self.window.last_month if dated else None
        # A dated case's evidence begins with its window's (months, first and last day).
        shared = self.window_evidence if dated else {}
        if connection.vendor == "postgresql":
            self._insert_postgresql(kind, period_start, period_end, shared, items)
        else:
            cases = [
                Case(
                    kind=kind,
                    status=CaseStatus.OPEN,
                    member_id=item.member_id,
                    branch_id=item.branch_id,
                    district_id=item.district_id,
                    period_start=period_start,
                    period_end=period_end,
                    evidence={**shared, **item.evidence},
                    summary=item.summary[:200],
                    transfer_id=item.transfer_id,
                    mobile_id=item.mobile_id,
                    opened_at=self.now,
                    scan=self.run,
                )
                for item in items
            ]
            Case.objects.bulk_create(cases, batch_size=BATCH_SIZE, ignore_conflicts=True)
        opened = self._write_history(kind)
        self.opened[kind] += opened
        return opened

    def _insert_postgresql(
        self,
        kind: str,
        period_start: datetime.date | None,
        period_end: datetime.date | None,
        shared: dict[str, Any],
        items: list[Found],
    ) -> None:
        """One INSERT … SELECT from a JSON array of the new cases. `bulk_create` would send every
        value as a parameter (the evidence as a jsonb[] literal that psycopg escapes character by
        character): seconds for a city's thousands of cases, where PostgreSQL parses the array in
        milliseconds. The evidence all the cases share (`shared`) is sent once."""
        rows = json.dumps(
            [
                {
                    "member_id": item.member_id,
                    "branch_id": item.branch_id,
                    "district_id": item.district_id,
                    "evidence": item.evidence,
                    "summary": item.summary[:200],
                    "transfer_id": item.transfer_id,
                    "mobile_id": item.mobile_id,
                    "attendance_key": item.records.get(ATTENDANCE),
                    "dues_key": item.records.get(DUES),
                }
                for item in items
            ],
            ensure_ascii=False,
        )
        quote = connection.ops.quote_name
        window = self.window
        # The records as `_attendance_records` and `_dues_records` make them: same keys, same
        # order, dates in ISO format (as PostgreSQL writes a date in JSON), amounts with two
        # decimals (the column's scale).
        attendance = f"""
            SELECT COALESCE(jsonb_agg(jsonb_build_object('meeting', a.meeting_id, 'date', a.held_on,
                                                         'kind', m.kind, 'status', a.status, 'reason', a.reason)
                                      ORDER BY a.held_on, a.meeting_id), '[]'::jsonb)
            FROM {quote(Attendance._meta.db_table)} a JOIN {quote(Meeting._meta.db_table)} m ON m.id = a.meeting_id
            WHERE a.member_id = r.member_id AND a.held_on BETWEEN %s AND %s"""
        dues = f"""
            SELECT COALESCE(jsonb_agg(jsonb_build_object('month', d.month, 'amount', d.amount_due::text,
                                                         'status', d.status) ORDER BY d.month), '[]'::jsonb)
            FROM {quote(DuesMonth._meta.db_table)} d
            WHERE d.member_id = r.member_id AND d.month BETWEEN %s AND %s"""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {quote(Case._meta.db_table)} (
                    kind, status, member_id, branch_id, district_id, period_start, period_end, evidence, summary,
                    transfer_id, mobile_id, assignee_id, outcome, outcome_note, opened_at, closed_at, closed_by_id,
                    scan_id, version)
                SELECT %s, %s, r.member_id, r.branch_id, r.district_id, %s, %s,
                       %s::jsonb || r.evidence
                       || CASE WHEN r.attendance_key IS NULL THEN '{{}}'::jsonb
                               ELSE jsonb_build_object(r.attendance_key, ({attendance})) END
                       || CASE WHEN r.dues_key IS NULL THEN '{{}}'::jsonb
                               ELSE jsonb_build_object(r.dues_key, ({dues})) END,
                       r.summary, r.transfer_id, r.mobile_id, NULL, '', '', %s, NULL, NULL, %s, 1
                FROM jsonb_to_recordset(%s::jsonb) AS r(
                    member_id bigint, branch_id bigint, district_id bigint, evidence jsonb, summary text,
                    transfer_id bigint, mobile_id bigint, attendance_key text, dues_key text)
                ON CONFLICT DO NOTHING
                """,
                [
                    kind,
                    CaseStatus.OPEN,
                    period_start,
                    period_end,
                    json.dumps(shared, ensure_ascii=False),
                    window.start,
                    window.end,
                    window.start,
                    window.last_month,
                    self.now,
                    self.run.pk,
                    rows,
                ],
            )

    def _write_history(self, kind: str) -> int:
        """The history rows ("+", by the scan's user, at its time) of the cases of `kind` this run
        opened, copied by the database from the rows written (what `bulk_history_create` makes
        of them, without reading the cases and their evidence back); how many."""
        history = Case.history.model
        quote = connection.ops.quote_name
        columns = [Case._meta.get_field(field.name).column for field in history.tracked_fields]
        user = self.by or history.get_default_history_user(Case())
        copied = ", ".join(quote(column) for column in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {quote(history._meta.db_table)} ({copied}, history_date, history_change_reason,
                                                              history_type, history_user_id)
                SELECT {copied}, opened_at, %s, %s, %s FROM {quote(Case._meta.db_table)}
                WHERE scan_id = %s AND kind = %s ORDER BY id
                """,
                ["", "+", user.pk if user else None, self.run.pk, kind],
            )
            return cursor.rowcount

    def _note_improved(
        self, kind: str, still_applies: QuerySet[ScanConsidered], *found: QuerySet[ScanConsidered]
    ) -> None:
        """Open cases of `kind` whose member the rule applies to but no longer finds (in none of
        the sets `found`): a note, not a closing (the branch closes a case with an outcome)."""
        note = f"{IMPROVED_NOTE}（截至{month_label(self.window.last_month)}）"
        # Correlated on each open case's member: the rules are asked about those members only,
        # never run over the whole subtree again. The cases this run opened are left out first
        # (their members were just found).
        improved = (
            Case.objects.filter(kind=kind, branch__path__startswith=self.unit.path)
            .exclude(status=CaseStatus.CLOSED)
            .exclude(scan=self.run)
            .filter(Exists(still_applies.filter(pk=OuterRef("member_id"))))
            .exclude(Exists(CaseAction.objects.filter(case=OuterRef("pk"), note=note)))
        )
        for members in found:
            improved = improved.exclude(Exists(members.filter(pk=OuterRef("member_id"))))
        improved = improved.order_by().values_list("pk", "district_id")
        actions = [
            CaseAction(case_id=pk, district_id=district_id, kind=ActionKind.NOTE, note=note, by=None, at=self.now)
            for pk, district_id in improved
        ]
        CaseAction.objects.bulk_create(actions, batch_size=BATCH_SIZE)

    # Each rule: find the set, read its evidence, open the cases, note the improved.

    def no_life(self, considered: QuerySet[ScanConsidered]) -> None:
        kind = CaseKind.NO_LIFE
        found_all = no_life_members(considered, self.window)
        rows = self._member_rows(_without_open_case(found_all, kind))
        records = self._records(ATTENDANCE, [row["pk"] for row in rows])
        months = len(self.window.months)
        self._open(
            kind,
            (
                Found(
                    row["pk"],
                    row["branch_id"],
                    row["district_id"],
                    f"{row['name']}{self.window.label}连续{months}个月未参加组织生活",
                    {"records": records.get(row["pk"], [])},
                    records={ATTENDANCE: "records"},
                )
                for row in rows
            ),
        )
        self._note_improved(kind, considered.filter(away=False), found_all)

    def no_dues(self, considered: QuerySet[ScanConsidered]) -> None:
        kind = CaseKind.NO_DUES
        found_all = no_dues_members(considered, self.window)
        rows = self._member_rows(_without_open_case(found_all, kind))
        records = self._records(DUES, [row["pk"] for row in rows])
        months = len(self.window.months)
        self._open(
            kind,
            (
                Found(
                    row["pk"],
                    row["branch_id"],
                    row["district_id"],
                    f"{row['name']}{self.window.label}连续{months}个月未交纳党费",
                    {"records": records.get(row["pk"], [])},
                    records={DUES: "records"},
                )
                for row in rows
            ),
        )
        self._note_improved(kind, considered, found_all)

    def no_work(self, considered: QuerySet[ScanConsidered]) -> None:
        kind = CaseKind.NO_WORK
        found_all = no_work_members(considered, self.window)
        found = _without_open_case(found_all, kind)
        months = len(self.window.months)
        self._open(
            kind,
            (
                Found(
                    row["pk"],
                    row["branch_id"],
                    row["district_id"],
                    f"{row['name']}{self.window.label}连续{months}个月未承担党组织分配的任务",
                    {"records": []},
                )
                for row in self._member_rows(found)
            ),
        )
        self._note_improved(kind, considered, found_all)

    def nominal(self, considered: QuerySet[ScanConsidered]) -> None:
        kind = CaseKind.NOMINAL
        pays_all = pays_never_attends_members(considered, self.window)
        elsewhere_all = lives_elsewhere_members(considered)
        pays = _without_open_case(pays_all, kind)
        elsewhere = _without_open_case(elsewhere_all, kind)
        signals: dict[int, dict[str, Any]] = {}

        pays_rows = self._member_rows(pays)
        pays_ids = [row["pk"] for row in pays_rows]
        paid = self._records(DUES, pays_ids)
        attended = self._records(ATTENDANCE, pays_ids)
        for row in pays_rows:
            signals[row["pk"]] = {
                "row": row,
                "signals": [NominalSignal.PAYS_NEVER_ATTENDS],
                "records": paid.get(row["pk"], []),
                "attendance": attended.get(row["pk"], []),
            }

        elsewhere_rows = list(
            elsewhere.order_by("pk").values(
                "pk",
                "name",
                "branch_id",
                "district_id",
                "branch__path",
                "residence_community_id",
                "residence_community__name",
            )
        )
        paths = {_community_path(row["branch__path"]) for row in elsewhere_rows}
        communities = (
            dict(OrgUnit.objects.filter(path__in=paths, kind=OrgKind.COMMUNITY).values_list("path", "name"))
            if paths
            else {}
        )
        for row in elsewhere_rows:
            entry = signals.setdefault(row["pk"], {"row": row, "signals": [], "records": [], "attendance": []})
            entry["signals"].append(NominalSignal.LIVES_ELSEWHERE)
            entry["residence"] = {"id": row["residence_community_id"], "name": row["residence_community__name"]}
            entry["registered"] = {"name": communities.get(_community_path(row["branch__path"]), "")}

        found = []
        for member_id, entry in sorted(signals.items()):
            row = entry["row"]
            signal = entry["signals"][0]
            evidence = {
                "signal": signal,
                "signals": entry["signals"],
                "records": entry["records"],
                "attendance": entry["attendance"],
            }
            if "residence" in entry:
                evidence["residence"] = entry["residence"]
                evidence["registered"] = entry["registered"]
            summary = (
                f"{row['name']}{self.window.label}按月交纳党费，但未参加组织生活"
                if signal == NominalSignal.PAYS_NEVER_ATTENDS
                else f"{row['name']}在{entry['registered']['name'] or '本社区'}登记，居住在{entry['residence']['name']}"
            )
            records = (
                {DUES: "records", ATTENDANCE: "attendance"}
                if NominalSignal.PAYS_NEVER_ATTENDS in entry["signals"]
                else {}
            )
            found.append(Found(member_id, row["branch_id"], row["district_id"], summary, evidence, records=records))
        self._open(kind, found)
        self._note_improved(kind, considered, pays_all, elsewhere_all)

    def pocket(self) -> None:
        kind = CaseKind.POCKET
        expire_letters(self.unit, self.today)
        transfers = _without_open_case(pocket_transfers(self.unit), kind, member_ref="member")
        rows = transfers.order_by("pk").values(
            "pk",
            "member_id",
            "member__name",
            "branch_id",
            "district_id",
            "direction",
            "letter_number",
            "counterpart",
            "to_branch__name",
            "issued_on",
            "expires_on",
        )
        found = []
        seen: set[int] = set()
        for row in rows:
            if row["member_id"] in seen:  # one open case a member: the earliest letter opens it
                continue
            seen.add(row["member_id"])
            destination = row["to_branch__name"] or row["counterpart"]
            found.append(
                Found(
                    row["member_id"],
                    row["branch_id"],
                    row["district_id"],
                    f"{row['member__name']}的介绍信{row['letter_number']}已于{day_label(row['expires_on'])}过期，"
                    f"仍未到{destination}报到",
                    {
                        "letter": {
                            "id": row["pk"],
                            "number": row["letter_number"],
                            "direction": row["direction"],
                            "destination": destination,
                            "issued_on": row["issued_on"].isoformat(),
                            "expires_on": row["expires_on"].isoformat(),
                        }
                    },
                    transfer_id=row["pk"],
                )
            )
        self._open(kind, found)

    def lost_contact(self) -> None:
        kind = CaseKind.LOST_CONTACT
        mobiles = _without_open_case(lost_contact_mobiles(self.unit, self.today), kind, member_ref="member")
        rows = list(
            mobiles.order_by("pk").values(
                "pk",
                "member_id",
                "member__name",
                "member__branch_id",
                "member__district_id",
                "place",
                "since",
                "last_contact_on",
            )
        )
        contacts = _contact_records([row["pk"] for row in rows])
        months = settings.DANGJIAN_LOST_CONTACT_MONTHS
        found = []
        for row in rows:
            last = row["last_contact_on"] or row["since"]
            found.append(
                Found(
                    row["member_id"],
                    row["member__branch_id"],
                    row["member__district_id"],
                    f"{row['member__name']}流动在{row['place']}，自{day_label(last)}起超过{months}个月未联系上",
                    {
                        "place": row["place"],
                        "since": row["since"].isoformat(),
                        "last_contact_on": row["last_contact_on"].isoformat() if row["last_contact_on"] else None,
                        "threshold_months": months,
                        "contacts": contacts.get(row["pk"], []),
                    },
                    mobile_id=row["pk"],
                )
            )
        self._open(kind, found)

    def _considered(self) -> QuerySet[ScanConsidered]:
        """The members the rules apply to, found once for the run into the temporary table of
        ScanConsidered (every rule would otherwise find them again: the rules' own look-ups are
        per member, finding who is considered is the longest part of each); the rules start
        from it. Sets the run's count of members scanned."""
        found = (
            considered_members(self.unit, self.window)
            .order_by()
            .annotate(away=_away_on_outflow())
            .values_list("pk", "name", "branch_id", "district_id", "residence_community_id", "away")
        )
        sql, params = found.query.sql_with_params()
        table = connection.ops.quote_name(ScanConsidered._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (id bigint PRIMARY KEY, name varchar(50) NOT NULL, "
                "branch_id bigint NOT NULL, district_id bigint, residence_community_id bigint, away boolean NOT NULL)"
            )
            cursor.execute(
                f"INSERT INTO {table} (id, name, branch_id, district_id, residence_community_id, away) {sql}", params
            )
            self.run.members_scanned = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {table}")  # a temporary table has no statistics until asked
        return ScanConsidered.objects.all()

    def execute(self) -> ScanRun:
        considered = self._considered()
        self.no_life(considered)
        self.no_dues(considered)
        self.no_work(considered)
        self.nominal(considered)
        self.pocket()
        self.lost_contact()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {connection.ops.quote_name(ScanConsidered._meta.db_table)}")
        self.run.opened = {kind: count for kind, count in self.opened.items()}
        self.run.finished_at = timezone.now()
        self.run.save(update_fields=["members_scanned", "opened", "finished_at", "started_at"])
        return self.run


# --- Entry points ------------------------------------------------------------------------------


@transaction.atomic
def run_scan(*, run: ScanRun, today: datetime.date | None = None) -> ScanRun:
    """Run a recorded scan (made by `services.scan_start` or `scan_blind_spots`)."""
    run = ScanRun.objects.select_for_update(of=("self",)).select_related("org_unit", "by").get(pk=run.pk)
    if run.finished_at is not None:
        return run
    run.started_at = timezone.now()
    if connection.vendor == "postgresql":
        # The rules are index lookups per member whose estimated cost is high enough for
        # PostgreSQL to compile each statement to machine code first: at city scale that takes
        # longer (about 0.7 s a statement) than running it. Off for this transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    return Scan(run, today or timezone.localdate()).execute()


def scan_blind_spots(
    *,
    unit: OrgUnit | None = None,
    as_of: datetime.date | None = None,
    by: User | None = None,
    today: datetime.date | None = None,
) -> list[ScanRun]:
    """Scan a unit's subtree, or (no unit) every active district, one run each; synchronously."""
    today = today or timezone.localdate()
    as_of = month_start(as_of) if as_of else last_complete_month(today)
    units = (
        [unit]
        if unit is not None
        else list(OrgUnit.objects.filter(kind=OrgKind.DISTRICT, status=OrgStatus.ACTIVE).order_by("path"))
    )
    runs = []
    for root in units:
        run = ScanRun.objects.create(org_unit=root, as_of=as_of, by=by)
        runs.append(run_scan(run=run, today=today))
    return runs
