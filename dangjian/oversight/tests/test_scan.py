"""The blind-spot scan: the six-month rule at its edges, dues, tasks, the nominal-member signals,
pocket members, lost contact, no duplicates, and a bounded number of queries."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.choices import OrgKind
from dangjian.core.tests.factories import make_unit
from dangjian.core.tests.markers import postgres_only
from dangjian.members.models import Transfer, add_months
from dangjian.oversight.choices import CaseKind, CaseStatus, NominalSignal
from dangjian.oversight.models import Case, CaseAction, ScanRun
from dangjian.oversight.scan import IMPROVED_NOTE, _attendance_records, _dues_records, scan_blind_spots

from . import factories as f

pytestmark = pytest.mark.django_db

NO_LIFE = CaseKind.NO_LIFE


def scan(world, unit: str = "C1", **kwargs) -> ScanRun:
    return scan_blind_spots(unit=world.units[unit], as_of=f.window().last_month, **kwargs)[0]


def cases(person, kind=NO_LIFE):
    return Case.objects.filter(member=person, kind=kind)


def absent_in(person, meetings, *, except_month: int | None = None, status: str = "present", reason: str = ""):
    """Absent from each meeting, except the one of month `except_month` (0-5) marked `status`."""
    for index, held in enumerate(meetings):
        if index == except_month:
            f.attend(person, held, status, reason)
        else:
            f.attend(person, held, "absent")


# --- Six months without organizational life ----------------------------------------------------


def test_a_member_absent_five_months_and_present_in_the_sixth_gets_no_case(world):
    person = f.member(world.units["B1"], "周五月")
    absent_in(person, f.monthly_meetings(world.units["B1"]), except_month=5)
    scan(world)
    assert not cases(person).exists()


def test_a_member_present_only_in_the_first_month_of_the_window_gets_no_case(world):
    person = f.member(world.units["B1"], "周首月")
    absent_in(person, f.monthly_meetings(world.units["B1"]), except_month=0)
    scan(world)
    assert not cases(person).exists()


def test_a_member_absent_all_six_months_gets_a_case_with_the_months_as_evidence(world):
    branch = world.units["B1"]
    person = f.member(branch, "吴六月")
    meetings = f.monthly_meetings(branch)
    absent_in(person, meetings)
    run = scan(world)
    case = cases(person).get()
    window = f.window()
    assert case.status == CaseStatus.OPEN and case.branch == branch and case.scan == run
    assert case.period_start == window.start and case.period_end == window.last_month
    assert case.evidence["months"] == [month.isoformat() for month in window.months]
    records = case.evidence["records"]
    assert [record["meeting"] for record in records] == [held.pk for held in meetings]
    assert {record["status"] for record in records} == {"absent"}
    assert records[0]["kind"] == "themed_day" and records[0]["date"] == meetings[0].held_on.isoformat()
    assert "吴六月" in case.summary and "连续6个月未参加组织生活" in case.summary
    assert case.history.get().history_type == "+"
    assert run.opened[NO_LIFE] >= 1 and run.finished_at is not None


def test_a_member_with_no_meeting_at_all_in_six_months_gets_a_case(world):
    person = f.member(world.units["B1b"], "郑无会")
    scan(world)
    assert cases(person).get().evidence["records"] == []


def test_an_excused_absence_with_a_reason_keeps_a_member_in(world):
    person = f.member(world.units["B1"], "王请假")
    absent_in(person, f.monthly_meetings(world.units["B1"]), except_month=2, status="excused", reason="住院治疗")
    scan(world)
    assert not cases(person).exists()


def test_an_excused_absence_without_a_reason_does_not_keep_a_member_in(world):
    blank = f.member(world.units["B1"], "王无由")
    spaces = f.member(world.units["B1"], "王空格")
    meetings = f.monthly_meetings(world.units["B1"])
    absent_in(blank, meetings, except_month=2, status="excused", reason="")
    absent_in(spaces, meetings, except_month=3, status="excused", reason="   ")
    scan(world)
    assert cases(blank).exists() and cases(spaces).exists()


def test_a_member_who_joined_three_months_ago_gets_no_case(world):
    joined = f.window().months[3]
    person = f.member(
        world.units["B1"], "钱新人", join_date=joined, membership_type="probationary", full_member_date=None
    )
    scan(world)
    assert not cases(person).exists()


def test_a_member_who_joined_on_the_first_day_of_the_window_is_considered(world):
    joined = f.window().start
    person = f.member(
        world.units["B1"], "钱首日", join_date=joined, membership_type="probationary", full_member_date=None
    )
    scan(world)
    assert cases(person).exists()


def test_a_member_registered_by_a_recent_transfer_in_gets_no_case(world):
    person = f.member(world.units["B1"], "孙转入")
    Transfer.objects.create(
        direction="transfer_in",
        status="registered",
        member=person,
        name=person.name,
        id_number=person.id_number,
        branch=person.branch,
        counterpart="外区某党委",
        issued_on=f.today(),
    )
    scan(world)
    assert not cases(person).exists()


def test_a_member_away_on_an_outflow_gets_no_no_life_case(world):
    person = f.member(world.units["B1"], "冯外出")
    f.outflow(person, since=f.today() - datetime.timedelta(days=400), last_contact_on=f.today())
    scan(world)
    assert not cases(person).exists()
    assert not cases(person, CaseKind.LOST_CONTACT).exists()


def test_members_off_the_roll_or_not_in_normal_standing_are_not_considered(world):
    gone = f.member(world.units["B1"], "陈转出", status="transferred_out")
    retained = f.member(world.units["B1"], "陈保留", standing="retained")
    run = scan(world)
    assert not Case.objects.filter(member__in=[gone, retained]).exists()
    assert run.members_scanned == 2  # the world's two members of 翠湖社区


# --- Six months without dues -------------------------------------------------------------------


def test_six_unpaid_months_open_a_dues_case_with_the_months_and_amounts(world):
    person = f.member(world.units["B1"], "褚欠费")
    f.dues(person, ["due"] * 6, amount="25.50")
    scan(world)
    case = cases(person, CaseKind.NO_DUES).get()
    assert [record["amount"] for record in case.evidence["records"]] == ["25.50"] * 6
    assert [record["month"] for record in case.evidence["records"]] == case.evidence["months"]


@pytest.mark.parametrize(
    "statuses",
    [
        ["due", "due", "due", "due", "due", "paid"],
        ["paid", "due", "due", "due", "due", "due"],
        ["due", "due", "exempt", "due", "due", "due"],
        ["due", "due", "due", None, "due", "due"],
    ],
    ids=["paid-last-month", "paid-first-month", "exempt-month", "month-without-ledger-row"],
)
def test_five_unpaid_months_and_one_that_is_not_open_no_dues_case(world, statuses):
    person = f.member(world.units["B1"], "褚五月")
    f.dues(person, statuses)
    scan(world)
    assert not cases(person, CaseKind.NO_DUES).exists()


# --- Six months without assigned work ----------------------------------------------------------


def test_no_task_in_a_branch_that_records_tasks_opens_a_work_case(world):
    branch = world.units["B1"]
    busy = f.member(branch, "蒋有活")
    idle = f.member(branch, "蒋无活")
    long_running = f.member(branch, "蒋长期")
    cancelled = f.member(branch, "蒋取消")
    window = f.window()
    f.task(busy, window.months[2].replace(day=5), status="done", done_on=window.months[2].replace(day=20))
    f.task(long_running, window.start - datetime.timedelta(days=100))  # still open: overlaps the window
    f.task(cancelled, window.months[1], status="cancelled")
    f.task(
        idle,
        window.start - datetime.timedelta(days=100),
        status="done",
        done_on=window.start - datetime.timedelta(days=1),
    )
    scan(world)
    assert cases(idle, CaseKind.NO_WORK).get().evidence["months"] == [m.isoformat() for m in window.months]
    assert cases(cancelled, CaseKind.NO_WORK).exists()
    assert not cases(busy, CaseKind.NO_WORK).exists()
    assert not cases(long_running, CaseKind.NO_WORK).exists()


def test_no_work_case_where_a_branch_records_no_tasks_at_all(world):
    person = f.member(world.units["B1b"], "沈无任务")
    scan(world)
    assert not cases(person, CaseKind.NO_WORK).exists()


# --- Nominal-member signals --------------------------------------------------------------------


def test_paying_every_month_without_attending_is_a_signal(world):
    person = f.member(world.units["B1"], "韩只交")
    f.dues(person, ["paid"] * 6)
    scan(world)
    case = cases(person, CaseKind.NOMINAL).get()
    assert case.evidence["signal"] == NominalSignal.PAYS_NEVER_ATTENDS
    assert len(case.evidence["records"]) == 6
    assert cases(person, CaseKind.NO_LIFE).exists()  # the six-month rule holds as well


def test_living_in_another_community_is_a_signal(world):
    here = f.member(world.units["B1"], "杨本地", residence_community=world.units["C1"])
    away = f.member(world.units["B1"], "杨外住", residence_community=world.units["C2"])
    scan(world)
    assert not cases(here, CaseKind.NOMINAL).exists()
    case = cases(away, CaseKind.NOMINAL).get()
    assert case.evidence["signal"] == NominalSignal.LIVES_ELSEWHERE
    assert case.evidence["residence"]["name"] == "松涛社区" and case.evidence["registered"]["name"] == "翠湖社区"


@postgres_only
def test_the_records_postgresql_gathers_while_writing_are_the_ones_read_elsewhere(world):
    # On PostgreSQL the INSERT writing the cases gathers the records; other databases read them
    # first (_attendance_records, _dues_records): the evidence must not depend on the database.
    branch = world.units["B1"]
    person = f.member(branch, "韩对照")
    absent_in(person, f.monthly_meetings(branch), except_month=2, status="excused", reason="  ")
    f.dues(person, ["paid"] * 6, amount="25.50")
    scan(world)
    window = f.window()
    attendance = _attendance_records([person.pk], window)[person.pk]
    paid = _dues_records([person.pk], window)[person.pk]
    assert len(attendance) == 6 and len(paid) == 6
    assert cases(person, NO_LIFE).get().evidence["records"] == attendance
    nominal = cases(person, CaseKind.NOMINAL).get().evidence
    assert nominal["records"] == paid and nominal["attendance"] == attendance


# --- Pocket members ----------------------------------------------------------------------------


def test_an_issued_letter_that_expired_yesterday_is_marked_expired_and_opens_a_case(world):
    person = f.member(world.units["B1"], "朱口袋")
    expired = f.letter(person, f.today() - datetime.timedelta(days=1), number="2026-0007")
    current = f.letter(f.member(world.units["B1"], "朱今天"), f.today(), number="2026-0008")
    scan(world)
    expired.refresh_from_db()
    current.refresh_from_db()
    assert expired.status == "expired" and expired.version == 2
    assert current.status == "issued"
    case = cases(person, CaseKind.POCKET).get()
    assert case.transfer == expired and case.evidence["letter"]["number"] == "2026-0007"
    assert case.period_start is None
    assert not Case.objects.filter(transfer=current).exists()


def test_an_expired_letter_reissued_and_reported_opens_no_case(world):
    person = f.member(world.units["B1"], "朱补开")
    old = f.letter(person, f.today() - datetime.timedelta(days=40), number="2026-0010")
    new = f.letter(person, f.today() - datetime.timedelta(days=2), number="2026-0011")
    Transfer.objects.filter(pk=old.pk).update(status="expired")
    Transfer.objects.filter(pk=new.pk).update(status="reported", reported_on=f.today() - datetime.timedelta(days=5))
    scan(world)
    assert not cases(person, CaseKind.POCKET).exists()


# --- Lost contact ------------------------------------------------------------------------------


def test_lost_contact_starts_one_day_after_six_months(world):
    six_months_ago = add_months(f.today(), -6)
    on_the_edge = f.member(world.units["B1"], "何六月")
    past_it = f.member(world.units["B1"], "何多一天")
    never_reached = f.member(world.units["B1"], "何从未")
    f.outflow(on_the_edge, since=six_months_ago - datetime.timedelta(days=200), last_contact_on=six_months_ago)
    lost = f.outflow(
        past_it,
        since=six_months_ago - datetime.timedelta(days=200),
        last_contact_on=six_months_ago - datetime.timedelta(days=1),
    )
    f.outflow(never_reached, since=six_months_ago - datetime.timedelta(days=1))
    scan(world)
    assert not cases(on_the_edge, CaseKind.LOST_CONTACT).exists()
    case = cases(past_it, CaseKind.LOST_CONTACT).get()
    assert case.mobile == lost and case.evidence["last_contact_on"] == lost.last_contact_on.isoformat()
    assert cases(never_reached, CaseKind.LOST_CONTACT).get().evidence["last_contact_on"] is None


def test_lost_contact_one_day_short_of_six_months_opens_no_case(world):
    person = f.member(world.units["B1"], "何差一天")
    f.outflow(person, since=add_months(f.today(), -6) + datetime.timedelta(days=1))
    scan(world)
    assert not cases(person, CaseKind.LOST_CONTACT).exists()


# --- Runs, scope and cost ----------------------------------------------------------------------


def test_running_the_scan_twice_opens_no_duplicates(world):
    person = f.member(world.units["B1"], "吕两次")
    f.dues(person, ["due"] * 6)
    f.letter(person, f.today() - datetime.timedelta(days=3))
    first = scan(world)
    second = scan(world)
    assert first.opened_total >= 3
    assert second.opened_total == 0
    assert cases(person).count() == 1 and cases(person, CaseKind.NO_DUES).count() == 1
    assert cases(person, CaseKind.POCKET).count() == 1


def test_a_closed_case_does_not_keep_a_new_one_from_opening(world):
    person = f.member(world.units["B1"], "吕再犯")
    scan(world)
    cases(person).update(status=CaseStatus.CLOSED, outcome="contacted", outcome_note="已谈话")
    scan(world)
    assert cases(person).count() == 2 and cases(person).filter(status=CaseStatus.OPEN).count() == 1


def test_a_case_that_no_longer_holds_stays_open_with_a_note(world):
    branch = world.units["B1"]
    person = f.member(branch, "施改善")
    meetings = f.monthly_meetings(branch)
    absent_in(person, meetings)
    scan(world)
    case = cases(person).get()
    f.attend(person, f.meeting(branch, f.window().last_month.replace(day=25)), "present")
    scan(world)
    scan(world)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    notes = CaseAction.objects.filter(case=case, note__startswith=IMPROVED_NOTE)
    assert notes.count() == 1 and notes.get().by is None


def test_a_scan_stays_inside_its_unit(world):
    inside = f.member(world.units["B1"], "曹翠湖")
    outside = f.member(world.units["B2"], "曹松涛")
    run = scan(world, "C1")
    assert cases(inside).exists() and not cases(outside).exists()
    assert run.org_unit == world.units["C1"]


@postgres_only
def test_the_scan_issues_the_same_number_of_queries_for_5_and_50_members(world):
    def run_on(count: int) -> int:
        branch = make_unit(OrgKind.BRANCH, world.units["C1"], name=f"测试{count}人支部")
        for index in range(count):
            person = f.member(branch, f"测{count}-{index}")
            f.dues(person, ["due"] * 6)
            if index % 5 == 0:
                f.outflow(person, since=f.today() - datetime.timedelta(days=400))
        with CaptureQueriesContext(connection) as queries:
            run = scan_blind_spots(unit=branch, as_of=f.window().last_month)[0]
        assert run.opened[CaseKind.NO_DUES] == count
        assert run.opened[CaseKind.LOST_CONTACT] == count // 5
        return len(queries)

    assert run_on(5) == run_on(50)


def test_the_whole_platform_is_scanned_one_district_at_a_time(world):
    runs = scan_blind_spots(as_of=f.window().last_month)
    assert [run.org_unit for run in runs] == [world.units["D1"], world.units["D2"]]
    assert Case.objects.filter(member=world.members["B3"], kind=NO_LIFE).exists()


def test_the_command_scans_a_unit_and_reports_the_figures(world):
    f.member(world.units["B1"], "卫命令")
    out = StringIO()
    call_command(
        "scan_blind_spots", "--unit", world.units["C1"].code, "--as-of", f"{f.window().last_month:%Y-%m}", stdout=out
    )
    text = out.getvalue()
    assert "翠湖社区" in text and "扫描 3 名党员" in text and "连续六个月未参加组织生活 3" in text


def test_the_command_refuses_a_bad_month(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="年-月"):
        call_command("scan_blind_spots", "--as-of", "2026/05")
