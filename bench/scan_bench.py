"""The six-month blind-spot scan of the whole city: the product's scan (every district, cases and
their history written) against one hand-written SQL statement that finds the same members and
writes the same cases with their evidence (the limit), and against a naive ORM loop (each member
asked about in turn) over a sample, extrapolated to every member considered.

Every side runs in a transaction that is rolled back, so each starts from the same state (no
cases open) and opens every case a first scan opens."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

from django.db import connection

from .import_bench import rolled_back


def ours(*, today: datetime.date) -> dict[str, Any]:
    from dangjian.oversight.scan import scan_blind_spots

    def work() -> dict[str, Any]:
        runs = scan_blind_spots(today=today)
        opened: dict[str, int] = {}
        for run in runs:
            for kind, count in run.opened.items():
                opened[kind] = opened.get(kind, 0) + count
        return {"districts": len(runs), "members_scanned": sum(run.members_scanned for run in runs), "opened": opened}

    seconds, result = rolled_back(work)
    return {"seconds": seconds, **result}


def hand_sql() -> str:
    """One statement opening the cases of the member rules (the rules reading the large tables:
    no life, no dues, no work, pays but never attends, lives elsewhere) with the evidence the
    product's cases hold (the window, the dues months, the attendance records with each
    meeting's kind), and writing their history rows as the product does."""
    from dangjian.members.models import DuesMonth, Member, MobileMember, Transfer
    from dangjian.orglife.models import Attendance, Meeting, MemberTask
    from dangjian.oversight.models import Case

    member = Member._meta.db_table
    attendance = Attendance._meta.db_table
    dues = DuesMonth._meta.db_table
    task = MemberTask._meta.db_table
    mobile = MobileMember._meta.db_table
    transfer = Transfer._meta.db_table
    case = Case._meta.db_table
    from dangjian.core.models import OrgUnit

    unit = OrgUnit._meta.db_table
    meeting = Meeting._meta.db_table
    history = Case.history.model
    tracked = ", ".join(Case._meta.get_field(field.name).column for field in history.tracked_fields)
    history = history._meta.db_table
    # The attendance records as the product's evidence holds them (the meeting's kind included).
    attendance_records = f"""COALESCE((
               SELECT jsonb_agg(jsonb_build_object('meeting', a.meeting_id, 'date', a.held_on, 'kind', mt.kind,
                                                   'status', a.status, 'reason', a.reason)
                                ORDER BY a.held_on, a.meeting_id)
               FROM {attendance} a JOIN {meeting} mt ON mt.id = a.meeting_id
               WHERE a.member_id = f.id AND a.held_on BETWEEN %(start)s AND %(end)s), '[]'::jsonb)"""
    return f"""
WITH open_cases AS MATERIALIZED (
  -- Read before the first row is written: a check against the table being written would
  -- re-read its new rows for every row found.
  SELECT member_id, kind FROM {case} WHERE status <> 'closed'
), considered AS (
  SELECT m.id, m.name, m.branch_id, m.district_id, m.residence_community_id, b.path AS branch_path
  FROM {member} m JOIN {unit} b ON b.id = m.branch_id
  WHERE m.status IN ('active', 'inflow') AND m.standing = 'normal' AND m.join_date <= %(start)s
    AND NOT (m.created_at >= %(next_midnight)s
             AND EXISTS (SELECT 1 FROM {transfer} t WHERE t.member_id = m.id AND t.direction = 'in'))
    AND NOT EXISTS (SELECT 1 FROM {mobile} i WHERE i.member_id = m.id AND i.direction = 'inflow'
                    AND i.since > %(start)s)
), here AS (
  SELECT c.* FROM considered c
  WHERE NOT EXISTS (SELECT 1 FROM {mobile} o WHERE o.member_id = c.id AND o.direction = 'outflow'
                    AND o.status = 'away')
), found AS (
  SELECT 'six_month_no_life' AS kind, h.id, h.name, h.branch_id, h.district_id,
         '连续' || %(months)s || '个月未参加组织生活' AS what
  FROM here h
  WHERE NOT EXISTS (SELECT 1 FROM {attendance} a WHERE a.member_id = h.id
                    AND a.held_on BETWEEN %(start)s AND %(end)s
                    AND (a.status = 'present' OR (a.status = 'excused' AND btrim(a.reason) <> '')))
  UNION ALL
  SELECT 'six_month_no_dues', c.id, c.name, c.branch_id, c.district_id, '连续' || %(months)s || '个月未交纳党费'
  FROM considered c
  WHERE (SELECT count(*) FROM {dues} d WHERE d.member_id = c.id AND d.month BETWEEN %(start)s AND %(last)s
         AND d.status = 'due') = %(months)s
  UNION ALL
  SELECT 'six_month_no_work', c.id, c.name, c.branch_id, c.district_id,
         '连续' || %(months)s || '个月未承担党组织分配的任务'
  FROM considered c
  WHERE EXISTS (SELECT 1 FROM {task} t JOIN {member} o ON o.id = t.member_id
                WHERE o.branch_id = c.branch_id AND t.assigned_on <= %(end)s
                AND (t.done_on IS NULL OR t.done_on >= %(start)s) AND t.status <> 'cancelled')
    AND NOT EXISTS (SELECT 1 FROM {task} t WHERE t.member_id = c.id AND t.assigned_on <= %(end)s
                    AND (t.done_on IS NULL OR t.done_on >= %(start)s) AND t.status <> 'cancelled')
  UNION ALL
  SELECT DISTINCT ON (c.id) 'nominal_member', c.id, c.name, c.branch_id, c.district_id, '名义党员信号'
  FROM considered c
  LEFT JOIN {unit} r ON r.id = c.residence_community_id
  WHERE ((SELECT count(*) FROM {dues} d WHERE d.member_id = c.id AND d.month BETWEEN %(start)s AND %(last)s
          AND d.status = 'paid') = %(months)s
         AND NOT EXISTS (SELECT 1 FROM {mobile} o WHERE o.member_id = c.id AND o.direction = 'outflow'
                         AND o.status = 'away')
         AND NOT EXISTS (SELECT 1 FROM {attendance} a WHERE a.member_id = c.id
                         AND a.held_on BETWEEN %(start)s AND %(end)s AND a.status = 'present'))
     OR (r.id IS NOT NULL AND c.branch_path NOT LIKE r.path || '%%')
), inserted AS (
  INSERT INTO {case} (kind, status, member_id, branch_id, district_id, period_start, period_end, evidence,
                      summary, outcome, outcome_note, opened_at, version)
  SELECT f.kind, 'open', f.id, f.branch_id, f.district_id, %(start)s, %(last)s,
         jsonb_build_object(
           'months', %(months_list)s::jsonb, 'start', %(start)s, 'end', %(end)s,
           'records', CASE
             WHEN f.kind IN ('six_month_no_dues', 'nominal_member') THEN COALESCE((
               SELECT jsonb_agg(jsonb_build_object('month', d.month, 'amount', d.amount_due::text,
                                                   'status', d.status) ORDER BY d.month)
               FROM {dues} d WHERE d.member_id = f.id AND d.month BETWEEN %(start)s AND %(last)s), '[]'::jsonb)
             WHEN f.kind = 'six_month_no_life' THEN ({attendance_records})
             ELSE '[]'::jsonb END)
         || CASE WHEN f.kind = 'nominal_member' THEN jsonb_build_object('attendance', ({attendance_records}))
                 ELSE '{{}}'::jsonb END,
         left(f.name || %(label)s || f.what, 200), '', '', now(), 1
  FROM found f
  WHERE NOT EXISTS (SELECT 1 FROM open_cases x WHERE x.member_id = f.id AND x.kind = f.kind)
  ON CONFLICT DO NOTHING
  RETURNING *
)
INSERT INTO {history} ({tracked}, history_date, history_change_reason, history_type, history_user_id)
SELECT {tracked}, opened_at, '', '+', NULL FROM inserted
"""


def limit(*, today: datetime.date) -> dict[str, Any]:
    from dangjian.oversight.scan import Window, _next_midnight, last_complete_month

    window = Window.ending(last_complete_month(today))
    sql = hand_sql()
    params = {
        "start": window.start,
        "end": window.end,
        "last": window.last_month,
        "months": len(window.months),
        "next_midnight": _next_midnight(window.start),
        "label": window.label,
        "months_list": json.dumps(window.evidence()["months"]),
    }

    def work(jit: bool) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL jit = {'on' if jit else 'off'}")
            cursor.execute(sql, params)
            return cursor.rowcount

    # The limit is the faster of the two: with the server's JIT compilation (which may pay off
    # for one large statement) and without it (as the product's scan runs).
    tries = {jit: rolled_back(lambda jit=jit: work(jit)) for jit in (True, False)}
    jit, (seconds, opened) = min(tries.items(), key=lambda item: item[1][0])
    return {"seconds": seconds, "opened": opened, "jit": jit, "seconds_other": tries[not jit][0]}


def naive(*, today: datetime.date, sample: int = 2000) -> dict[str, Any]:
    """Each member of a sample asked about in turn (a query or two per rule), extrapolated to
    every member considered."""
    from django.db.models import Q

    from dangjian.core.choices import OrgKind, OrgStatus
    from dangjian.core.models import OrgUnit
    from dangjian.members.models import DuesMonth, MobileMember
    from dangjian.orglife.models import Attendance, MemberTask
    from dangjian.oversight.models import Case
    from dangjian.oversight.scan import Window, considered_members, last_complete_month

    window = Window.ending(last_complete_month(today))
    districts = list(OrgUnit.objects.filter(kind=OrgKind.DISTRICT, status=OrgStatus.ACTIVE))
    total = sum(considered_members(district, window).count() for district in districts)

    def work() -> int:
        opened = 0
        members = list(considered_members(districts[0], window).order_by("pk")[:sample])
        for member in members:
            in_window = Attendance.objects.filter(member=member, held_on__gte=window.start, held_on__lte=window.end)
            away = MobileMember.objects.filter(member=member, direction="outflow", status="away").exists()
            months = DuesMonth.objects.filter(member=member, month__gte=window.start, month__lte=window.last_month)
            due = months.filter(status="due").count()
            paid = months.filter(status="paid").count()
            tasks = MemberTask.objects.filter(assigned_on__lte=window.end).exclude(status="cancelled")
            tasks = tasks.filter(Q(done_on__isnull=True) | Q(done_on__gte=window.start))
            found = []
            kept_in = in_window.filter(Q(status="present") | Q(status="excused") & ~Q(reason="")).exists()
            if not away and not kept_in:
                found.append("six_month_no_life")
            if due == len(window.months):
                found.append("six_month_no_dues")
            if tasks.filter(member__branch_id=member.branch_id).exists() and not tasks.filter(member=member).exists():
                found.append("six_month_no_work")
            if paid == len(window.months) and not away and not in_window.filter(status="present").exists():
                found.append("nominal_member")
            for kind in found:
                if Case.objects.filter(member=member, kind=kind).exclude(status="closed").exists():
                    continue
                records = list(
                    months.values("month", "amount_due", "status")
                    if kind in ("six_month_no_dues", "nominal_member")
                    else in_window.values("meeting_id", "held_on", "status", "reason")
                )
                Case.objects.create(
                    kind=kind,
                    member=member,
                    branch_id=member.branch_id,
                    district_id=member.district_id,
                    period_start=window.start,
                    period_end=window.last_month,
                    evidence={"records": [{key: str(value) for key, value in row.items()} for row in records]},
                    summary=f"{member.name}{window.label}"[:200],
                )
                opened += 1
        return len(members)

    seconds, measured = rolled_back(work)
    per_member = seconds / max(1, measured)
    return {
        "seconds": per_member * total,
        "measured_seconds": seconds,
        "sample_members": measured,
        "members_considered": total,
    }


def run(*, today: datetime.date | None = None, sample: int = 2000) -> dict[str, Any]:
    from django.utils import timezone

    today = today or timezone.localdate()
    started = time.perf_counter()
    hand = limit(today=today)
    mine = ours(today=today)
    loop = naive(today=today, sample=sample)
    return {
        "today": today.isoformat(),
        "sides": {"ours": mine, "hand-written SQL": hand, "naive ORM loop (extrapolated)": loop},
        "ratios": {
            "ours / hand-written SQL": mine["seconds"] / hand["seconds"],
            "naive loop / ours": loop["seconds"] / mine["seconds"],
        },
        "targets": {"ours / hand-written SQL": ("<=", 1.5)},
        "total_seconds": time.perf_counter() - started,
    }
