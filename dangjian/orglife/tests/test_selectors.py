"""Reads of organizational life: periods, the compliance table (exact cells on a known data set,
a constant number of queries), the meetings a branch owes, the member tasks in a window and a
member's organizational life."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.core.choices import OrgKind
from dangjian.core.tests.factories import make_unit
from dangjian.orglife import selectors, services
from dangjian.orglife.models import MeetingRule
from dangjian.orglife.selectors import Period, compliance_table, member_life_tab, members_with_tasks, owed_meetings
from dangjian.orglife.tests.factories import (
    held,
    make_branch,
    make_meeting,
    make_members,
    make_seats,
    make_task,
    on_day,
    record,
)

pytestmark = pytest.mark.django_db

# A fixed day in the middle of a quarter, so the data set means the same whenever the tests run.
TODAY = datetime.date(2026, 5, 20)


# --- Periods -----------------------------------------------------------------------------------


def test_periods_parse_label_and_end():
    assert Period.parse("2026-Q2") == Period(datetime.date(2026, 4, 1), 3)
    assert Period.parse("2026-q2").label == "2026年第2季度"
    assert Period.parse("2026-Q2").end == datetime.date(2026, 6, 30)
    assert Period.parse("2024-02").end == datetime.date(2024, 2, 29)
    assert Period.parse("2026-H2").label == "2026年下半年"
    assert Period.parse("2026").end == datetime.date(2026, 12, 31)
    assert Period.containing(TODAY, 3).key == "2026-Q2"
    assert Period.containing(TODAY, 1).shifted(-5).key == "2025-12"
    for bad in ("", "2026-Q5", "2026-13", "abc", "2026-H3", "12345"):
        assert Period.parse(bad) is None


def test_a_rule_longer_than_the_period_is_judged_on_the_period_containing_it():
    rules = {rule.kind: rule for rule in MeetingRule.objects.all()}
    quarter = Period.parse("2026-Q2")
    life = selectors.requirement_for(rules["life_meeting"], quarter)
    assert (life.window.key, life.per_window) == ("2026", 1)
    themed = selectors.requirement_for(rules["themed_day"], quarter)
    assert (themed.window, themed.per_window) == (quarter, 3)
    general_in_a_month = selectors.requirement_for(rules["general_meeting"], Period.parse("2026-05"))
    assert (general_in_a_month.window.key, general_in_a_month.per_window) == ("2026-Q2", 1)
    general_in_a_year = selectors.requirement_for(rules["general_meeting"], Period.parse("2026"))
    assert general_in_a_year.per_window == 4


# --- The compliance table ----------------------------------------------------------------------


@pytest.fixture
def known(world):
    """Two branches of 翠湖社区 in the second quarter of 2026 (today 20 May):

    B1 (one group G1, a committee of one seat): April and May themed days, a general meeting
    held below quorum, a committee meeting in April, a group meeting in April, the year's life
    meeting in March; B1b: the three themed days of the quarter and a party lecture, a general
    meeting that was only planned, a group meeting that was cancelled."""
    b1, b1b = world.units["B1"], world.units["B1b"]
    members_b1 = [world.members["B1"], *make_members(b1, 3, "一支部")]
    for month in (4, 5):
        record(make_meeting(b1, held_at=on_day(datetime.date(2026, month, 10))), {m: "present" for m in members_b1})
    below = make_meeting(b1, "general_meeting", held_at=on_day(datetime.date(2026, 5, 8)))
    record(below, {m: ("present" if i < 2 else "absent") for i, m in enumerate(members_b1)})  # 2 of 4: no quorum
    record(make_meeting(b1, "committee_meeting", held_at=on_day(datetime.date(2026, 4, 3))), {members_b1[0]: "present"})
    in_group = make_members(b1, 2, "小组", group=world.units["G1"])
    record(
        make_meeting(b1, "group_meeting", group=world.units["G1"], held_at=on_day(datetime.date(2026, 4, 20))),
        {m: "present" for m in in_group},
    )
    everyone = [*members_b1, *in_group]
    record(
        make_meeting(b1, "life_meeting", held_at=on_day(datetime.date(2026, 3, 2))), {m: "present" for m in everyone}
    )
    # Outside the quarter: March's themed day does not count for the second quarter.
    record(make_meeting(b1, held_at=on_day(datetime.date(2026, 3, 28))), {m: "present" for m in everyone})

    members_b1b = [world.members["B1b"]]
    for month in (4, 5, 6):
        day = datetime.date(2026, month, 1 if month == 6 else 15)
        meeting = make_meeting(b1b, held_at=on_day(day))
        if day <= TODAY:
            record(meeting, {m: "present" for m in members_b1b})
    record(make_meeting(b1b, "party_lecture", held_at=on_day(datetime.date(2026, 4, 25))), {members_b1b[0]: "present"})
    make_meeting(b1b, "general_meeting", held_at=on_day(datetime.date(2026, 5, 1)))  # planned, never recorded
    group = make_unit(OrgKind.GROUP, b1b, name="二支部小组")
    services.meeting_cancel(
        meeting=make_meeting(b1b, "group_meeting", group=group, held_at=on_day(datetime.date(2026, 4, 9))),
        reason="改期",
        by=None,
    )
    # A branch of another community, out of the secretary's scope.
    held(world.units["B2"], held_at=on_day(datetime.date(2026, 4, 2)))
    return world


def cells(table, branch) -> dict[str, str]:
    row = next(row for row in table.rows if row.branch == branch)
    return {cell.kind: cell.text for cell in row.cells}


def test_the_compliance_table_counts_exactly(known, django_assert_max_num_queries):
    user = known.personas["community_secretary"]
    table = compliance_table(user=user, period=Period.parse("2026-Q2"), unit=None, today=TODAY)
    assert [row.branch.name for row in table.rows] == ["翠湖第一支部", "翠湖第二支部"]
    assert [column.kind for column in table.columns] == [
        "general_meeting",
        "committee_meeting",
        "group_meeting",
        "party_lecture",
        "themed_day",
        "life_meeting",
        "member_appraisal",
    ]
    assert cells(table, known.units["B1"]) == {
        "general_meeting": "0/1",  # held below quorum: not counted
        "committee_meeting": "1/2",  # April and May have begun; June has not
        "group_meeting": "1/2",
        "party_lecture": "0/1",
        "themed_day": "✓",
        "life_meeting": "✓",  # judged on the year
        "member_appraisal": "0/1",
    }
    assert cells(table, known.units["B1b"]) == {
        "general_meeting": "0/1",  # planned only
        "committee_meeting": "0/2",  # B1b has a committee in office in the test world
        "group_meeting": "0/2",  # cancelled
        "party_lecture": "✓",
        "themed_day": "✓",  # June's is still planned, and June has not begun
        "life_meeting": "0/1",
        "member_appraisal": "0/1",
    }
    block = table.blocks[0]
    assert block.community == known.units["C1"]
    totals = {cell.kind: (cell.held, cell.required) for cell in block.totals}
    assert totals["themed_day"] == (4, 4) and totals["party_lecture"] == (1, 2)
    first = table.rows[0]
    assert (first.done, first.required) == (5, 10)
    assert block.required == 20 and block.done == 8 and block.rate == 40.0
    assert table.running and block.compliant == 0
    assert table.chart() == {
        "title": "各社区应开会议完成率",
        "categories": ["翠湖社区"],
        "series": [{"name": "完成率（%）", "data": [block.rate]}],
    }


def test_the_quarter_once_ended_requires_all_its_months(known):
    user = known.personas["community_secretary"]
    table = compliance_table(user=user, period=Period.parse("2026-Q2"), today=datetime.date(2026, 7, 1))
    b1 = cells(table, known.units["B1"])
    assert (b1["themed_day"], b1["committee_meeting"], b1["group_meeting"]) == ("2/3", "1/3", "1/3")
    assert not table.running


def test_a_running_period_requires_only_the_periods_begun():
    rules = {rule.kind: rule for rule in MeetingRule.objects.all()}
    quarter = Period.parse("2026-Q2")
    assert selectors.requirement_for(rules["themed_day"], quarter, TODAY).per_window == 2
    assert selectors.requirement_for(rules["themed_day"], quarter, datetime.date(2026, 4, 1)).per_window == 1
    assert selectors.requirement_for(rules["themed_day"], quarter, datetime.date(2026, 6, 30)).per_window == 3
    assert selectors.requirement_for(rules["themed_day"], Period.parse("2026-Q3"), TODAY).per_window == 0
    assert selectors.requirement_for(rules["life_meeting"], quarter, TODAY).per_window == 1
    assert selectors.requirement_for(rules["general_meeting"], Period.parse("2026"), TODAY).per_window == 2


def test_the_compliance_table_for_one_month(known):
    user = known.personas["community_secretary"]
    table = compliance_table(user=user, period=Period.parse("2026-05"), unit=known.units["C1"], today=TODAY)
    assert cells(table, known.units["B1"])["themed_day"] == "✓"
    assert cells(table, known.units["B1"])["general_meeting"] == "0/1"  # judged on the quarter
    assert cells(table, known.units["B1b"])["themed_day"] == "✓"


def test_rules_not_required_are_left_out_and_edited_rules_apply(known):
    MeetingRule.objects.filter(kind="member_appraisal").update(is_required=False)
    MeetingRule.objects.filter(kind="themed_day").update(times=2)
    table = compliance_table(user=known.personas["community_secretary"], period=Period.parse("2026-05"), today=TODAY)
    assert "member_appraisal" not in [column.kind for column in table.columns]
    assert cells(table, known.units["B1"])["themed_day"] == "1/2"


def test_a_branch_without_groups_or_committee_owes_no_such_meetings(world):
    branch = make_branch(world.units["C1"], "新建支部")
    table = compliance_table(
        user=world.personas["community_secretary"], period=Period.parse("2026-Q2"), unit=branch.parent, today=TODAY
    )
    row = cells(table, branch)
    assert row["group_meeting"] == "—" and row["committee_meeting"] == "—"


def test_the_table_stays_inside_the_scope(known):
    table = compliance_table(user=known.personas["branch_secretary"], period=Period.parse("2026-Q2"), today=TODAY)
    assert [row.branch.name for row in table.rows] == ["翠湖第一支部"]
    district = compliance_table(user=known.personas["district_organizer"], period=Period.parse("2026-Q2"), today=TODAY)
    assert {block.name for block in district.blocks} == {"翠湖社区", "松涛社区"}
    assert cells(district, known.units["B2"])["themed_day"] == "1/2"


def test_the_chart_rolls_communities_up_a_level_when_they_are_more_than_it_can_name(known, monkeypatch):
    from dangjian.core.tests.factories import make_unit as unit

    make_branch(unit(OrgKind.COMMUNITY, known.units["S1"], name="东湖新社区"), "东湖新支部", seats=1)
    table = compliance_table(user=known.personas["district_organizer"], period=Period.parse("2026-Q2"), today=TODAY)
    blocks = {block.name: block for block in table.blocks}
    assert set(blocks) == {"翠湖社区", "东湖新社区", "松涛社区"}

    def rate(*names: str) -> float:
        done, required = sum(blocks[n].done for n in names), sum(blocks[n].required for n in names)
        return round(100 * done / required, 1)

    by_community = table.chart()
    assert by_community["title"] == "各社区应开会议完成率" and len(by_community["categories"]) == 3
    monkeypatch.setattr(selectors, "CHART_BARS", 2)
    by_subdistrict = table.chart()
    assert by_subdistrict["title"] == "各街道应开会议完成率"
    assert dict(zip(by_subdistrict["categories"], by_subdistrict["series"][0]["data"], strict=True)) == {
        "东湖街道": rate("翠湖社区", "东湖新社区"),
        "南山街道": rate("松涛社区"),
    }
    monkeypatch.setattr(selectors, "CHART_BARS", 1)
    by_district = table.chart()
    assert by_district["title"] == "各区应开会议完成率"
    assert by_district["categories"] == ["示范区"] and by_district["series"][0]["data"] == [table.rate]


def _branches(world, count: int):
    """`count` branches in a community of their own, each with a group, a committee and a held
    meeting of every kind."""
    from dangjian.core.tests.factories import make_unit as unit

    community = unit(OrgKind.COMMUNITY, world.units["S1"], name="计数社区")
    for index in range(count):
        branch = make_branch(community, f"计数支部{index}", seats=1)
        group = unit(OrgKind.GROUP, branch)
        make_members(branch, 1, f"计数{index}-", group=group)
        when = on_day(datetime.date(2026, 4, 10))
        for kind in ("themed_day", "general_meeting", "committee_meeting", "party_lecture"):
            held(branch, kind, held_at=when)
        held(branch, "group_meeting", group=group, held_at=when)
    return community


def test_the_compliance_table_runs_the_same_queries_for_2_and_20_branches(world):
    user = world.personas["subdistrict_organizer"]
    period = Period.parse("2026-Q2")

    def count(community) -> int:
        compliance_table(user=user, period=period, unit=community, today=TODAY)  # the grants, once
        with CaptureQueriesContext(connection) as queries:
            table = compliance_table(user=user, period=period, unit=community, today=TODAY)
            assert table.rows
        return len(queries)

    few = count(_branches(world, 2))
    many = count(_branches(world, 20))
    assert few == many <= 6


# --- Owed meetings -----------------------------------------------------------------------------


def test_owed_meetings_lists_the_current_periods_shortfalls(known):
    today = TODAY
    from dangjian.core.models import OrgUnit

    owed = owed_meetings(branches=OrgUnit.objects.filter(pk=known.units["B1"].pk), today=today)
    by_kind = {item.kind: item for item in owed}
    # May's themed day was held; the month's committee meeting and group meeting were not.
    assert "themed_day" not in by_kind
    assert (by_kind["committee_meeting"].period_label, by_kind["committee_meeting"].period_end) == (
        "2026年5月",
        datetime.date(2026, 5, 31),
    )
    assert (by_kind["group_meeting"].required, by_kind["group_meeting"].held) == (1, 0)
    # The quarter's general meeting was below quorum: still owed.
    assert (by_kind["general_meeting"].period_label, by_kind["general_meeting"].held) == ("2026年第2季度", 0)
    assert by_kind["party_lecture"].period_end == datetime.date(2026, 6, 30)
    assert "life_meeting" not in by_kind  # held in March, for the year
    assert by_kind["member_appraisal"].period_label == "2026年"
    assert all(item.branch == known.units["B1"] for item in owed)


def test_owed_meetings_runs_a_constant_number_of_queries(world):
    from dangjian.core.models import OrgUnit

    def count(community) -> int:
        with CaptureQueriesContext(connection) as queries:
            owed_meetings(branches=OrgUnit.objects.filter(parent=community), today=TODAY)
        return len(queries)

    assert count(_branches(world, 2)) == count(_branches(world, 20))


# --- Tasks in a window -------------------------------------------------------------------------


def test_members_with_tasks_in_a_window(world):
    today = timezone.localdate()
    start, end = today - datetime.timedelta(days=180), today - datetime.timedelta(days=1)
    b1 = world.units["B1"]
    assigned_inside, still_open, done_before, nothing, cancelled_before = make_members(b1, 5, "任务")
    make_task(assigned_inside, assigned_on=today - datetime.timedelta(days=30))
    make_task(still_open, assigned_on=today - datetime.timedelta(days=400))
    finished = make_task(done_before, assigned_on=today - datetime.timedelta(days=400))
    services.task_complete(task=finished, done_on=today - datetime.timedelta(days=300), result="完成", by=None)
    withdrawn = make_task(cancelled_before, assigned_on=today - datetime.timedelta(days=400))
    services.task_cancel(task=withdrawn, reason="取消", by=None)
    make_task(nothing, assigned_on=today)  # after the window
    found = members_with_tasks(
        members=[m.pk for m in (assigned_inside, still_open, done_before, nothing, cancelled_before)],
        start=start,
        end=end,
    )
    assert found == {assigned_inside.pk, still_open.pk}


# --- A member's organizational life ------------------------------------------------------------


def test_member_life_tab_counts_by_month_and_lists_tasks(world):
    member = world.members["B1"]
    other = make_members(world.units["B1"], 1, "同支部")[0]
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month_day = selectors.add_months(this_month, -1)
    two_ago = selectors.add_months(this_month, -2)
    record(make_meeting(world.units["B1"], held_at=on_day(two_ago)), {member: ("excused", "出差"), other: "present"})
    record(make_meeting(world.units["B1"], held_at=on_day(last_month_day)), {member: "absent", other: "present"})
    make_task(member, "整理党员活动室")
    life = member_life_tab(member=member, months=6)
    assert len(life["by_month"]) == 6 and life["by_month"][0]["month"] == this_month
    last = next(row for row in life["by_month"] if row["month"] == last_month_day)
    assert (last["absent"], last["took_part"]) == (1, False)
    earlier = next(row for row in life["by_month"] if row["month"] == two_ago)
    assert (earlier["excused"], earlier["took_part"]) == (1, True)
    assert life["months_without"] == 1
    assert life["totals"] == {"present": 0, "excused": 1, "absent": 1}
    assert [task.title for task in life["tasks"]] == ["整理党员活动室"] and life["open_tasks"] == 1
    assert [row.status for row in life["rows"]] == ["absent", "excused"]


def test_member_life_tab_runs_a_constant_number_of_queries(world):
    member = world.members["B1"]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            member_life_tab(member=member)
        return len(queries)

    record(make_meeting(world.units["B1"]), {member: "present"})
    one = count()
    for days in range(5, 60, 10):
        record(
            make_meeting(world.units["B1"], held_at=on_day(timezone.localdate() - datetime.timedelta(days=days))),
            {member: "present"},
        )
        make_task(member)
    assert count() == one


def test_the_roster_marks_committee_members_by_seat_name(world):
    branch = make_branch(world.units["C1"], "名单支部")
    make_seats(branch, 2, names=["王委员", "李委员"])
    make_members(branch, 1, "王委员")  # named 王委员1: not a seat name
    seat_holder = make_members(branch, 1, "李委员")[0]
    seat_holder.name = "李委员"
    seat_holder.save(update_fields=["name"])
    roster = selectors.attendance_roster(meeting=make_meeting(branch, "committee_meeting"))
    assert [(line.member.name, line.is_seat) for line in roster] == [("李委员", True), ("王委员1", False)]
