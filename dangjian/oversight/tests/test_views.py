"""The oversight pages: the case list with its cards, signals, filters and chart; a case worked to
an outcome on its page; the scan runs; the reminder centre. With query budgets for the lists."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core.tests.scope_matrix import iter_routes
from dangjian.oversight.choices import CaseOutcome, CaseStatus
from dangjian.oversight.models import Case, CaseAction, Reminder, ScanRun
from dangjian.oversight.scan import scan_blind_spots

from . import factories as f

pytestmark = pytest.mark.django_db


def open_case(member, kind="six_month_no_life", **fields) -> Case:
    window = f.window()
    values = {
        "kind": kind,
        "member": member,
        "branch": member.branch,
        "period_start": window.start,
        "period_end": window.last_month,
        "evidence": {"months": [month.isoformat() for month in window.months], "records": []},
        "summary": f"{member.name}连续6个月未参加组织生活",
    }
    values.update(fields)
    return Case.objects.create(**values)


@pytest.fixture
def cases(world):
    return {place: open_case(world.members[place]) for place in ("B1", "B1b", "B2", "B3")}


# --- The case list ------------------------------------------------------------------------------


def test_the_case_list_shows_the_scopes_cases_with_counts_by_kind(world, login, cases):
    open_case(world.members["B1"], "six_month_no_dues")
    response = login(world.personas["community_secretary"]).get(reverse("oversight:case_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "翠湖第一支部党员" in body and "翠湖第二支部党员" in body
    assert "松涛" not in body and "北岭" not in body
    counts = {row["kind"]: row["open"] for row in response.context["counts"]}
    assert counts["six_month_no_life"] == 2 and counts["six_month_no_dues"] == 1
    assert response.context["chart"] is None  # the chart is for organizers


def test_the_list_shows_open_cases_by_default_and_filters_by_kind_status_unit_and_assignee(world, login, cases):
    client = login(world.personas["community_secretary"])
    url = reverse("oversight:case_list")
    Case.objects.filter(pk=cases["B1b"].pk).update(status=CaseStatus.CLOSED, outcome="contacted")
    assert [case.pk for case in client.get(url).context["page"]] == [cases["B1"].pk]
    assert {case.pk for case in client.get(url, {"status": ""}).context["page"]} == {cases["B1"].pk, cases["B1b"].pk}
    assert [case.pk for case in client.get(url, {"status": "closed"}).context["page"]] == [cases["B1b"].pk]
    in_b1b = client.get(url, {"status": "", "unit": world.units["B1b"].pk}).context["page"]
    assert [case.pk for case in in_b1b] == [cases["B1b"].pk]
    assert list(client.get(url, {"status": "", "kind": "six_month_no_dues"}).context["page"]) == []
    Case.objects.filter(pk=cases["B1"].pk).update(assignee=world.personas["community_cadre"])
    mine = client.get(url, {"status": "", "assignee": world.personas["community_cadre"].pk}).context["page"]
    assert [case.pk for case in mine] == [cases["B1"].pk]
    # A unit outside the scope is not a choice: the filter is ignored, nothing else is shown.
    outside = client.get(url, {"status": "", "unit": world.units["B2"].pk})
    assert "松涛" not in outside.content.decode()


def test_nominal_member_signals_have_their_own_section(world, login, cases):
    signal = open_case(
        world.members["B1"],
        "nominal_member",
        evidence={"months": [], "signal": "lives_elsewhere", "signals": ["lives_elsewhere"]},
        summary="翠湖第一支部党员在翠湖社区登记，居住在桂花社区",
    )
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("oversight:case_list"))
    assert signal not in response.context["page"]
    assert response.context["signals"].cases == [signal]
    assert dict((value, count) for value, _, count in response.context["signals"].counts)["lives_elsewhere"] == 1
    body = response.content.decode()
    panel = body.split('id="signals"')[1]
    assert (
        "不是结论" in panel and "翠湖第一支部党员" in panel and "翠湖第一支部 · 在本支部登记、居住在其他社区" in panel
    )
    only = client.get(reverse("oversight:case_list"), {"kind": "nominal_member"})
    assert list(only.context["page"]) == [signal]


def test_organizers_see_the_chart_of_open_cases_per_community(world, login, cases):
    open_case(world.members["B1"], "nominal_member", evidence={"signal": "lives_elsewhere"})  # a signal: not charted
    open_case(world.members["B2"], "six_month_no_dues")
    Case.objects.filter(pk=cases["B1b"].pk).update(status=CaseStatus.CLOSED)
    response = login(world.personas["district_organizer"]).get(reverse("oversight:case_list"))
    chart = response.context["chart"]
    assert chart["categories"] == ["翠湖社区", "松涛社区"]
    assert chart["series"] == [
        {"name": "连续六个月未参加组织生活", "data": [1, 1]},
        {"name": "连续六个月未交纳党费", "data": [0, 1]},
    ]
    assert 'id="chart-cases"' in response.content.decode()


def test_the_list_costs_the_same_queries_for_3_and_30_cases(world, login):
    client = login(world.personas["district_organizer"])
    url = reverse("oversight:case_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"status": ""}).status_code == 200
        return len(queries)

    people = [f.member(world.units["B1" if index % 2 else "B1b"], f"名单{index}") for index in range(30)]
    kinds = ["six_month_no_life", "six_month_no_dues", "nominal_member"]
    for person in people[:3]:
        open_case(person, assignee=world.personas["community_cadre"])
    count()
    few = count()
    for index, person in enumerate(people[3:]):
        open_case(
            person,
            kinds[index % 3],
            assignee=world.personas["branch_secretary"],
            evidence={"signal": "lives_elsewhere"},
        )
    assert count() == few


def test_members_residents_and_outsiders_may_not_see_cases(world, login):
    for persona in ("member", "resident", "outsider"):
        assert login(world.personas[persona]).get(reverse("oversight:case_list")).status_code == 403


# --- A case ------------------------------------------------------------------------------------


def test_a_case_page_shows_the_months_the_records_and_the_member_masked(world, login):
    branch = world.units["B1"]
    person = f.member(branch, "吴页面")
    for held in f.monthly_meetings(branch):
        f.attend(person, held, "absent")
    scan_blind_spots(unit=branch, as_of=f.window().last_month)
    case = Case.objects.get(member=person, kind="six_month_no_life")
    response = login(world.personas["community_secretary"]).get(reverse("oversight:case_detail", args=[case.pk]))
    body = response.content.decode()
    cells = response.context["evidence"].cells
    assert [cell.label for cell in cells] == [f"{m.year}年{m.month}月" for m in f.window().months]
    assert {cell.state for cell in cells} == {"bad"} and cells[0].text == "缺席 1 次"
    assert len(response.context["evidence"].rows) == 6 and "主题党日" in body and "缺席" in body
    assert person.phone_masked in body and person.phone not in body and person.id_number not in body
    assert 'id="evidence-months"' in body


def test_a_case_outside_the_scope_answers_404(world, login, cases):
    client = login(world.personas["community_secretary"])
    assert client.get(reverse("oversight:case_detail", args=[cases["B2"].pk])).status_code == 404
    assert client.post(reverse("oversight:case_close", args=[cases["B2"].pk]), {}).status_code == 404


def test_a_case_is_worked_to_an_outcome_on_its_page(world, login, cases):
    case = cases["B1"]
    client = login(world.personas["community_secretary"])
    note = client.post(
        reverse("oversight:case_note", args=[case.pk]), {"kind": "contact", "note": "电话联系本人", "version": 1}
    )
    assert note.status_code == 302
    assign = client.post(
        reverse("oversight:case_assign", args=[case.pk]),
        {"assignee": world.personas["community_cadre"].pk, "version": 2},
    )
    assert assign.status_code == 302
    close = client.post(
        reverse("oversight:case_close", args=[case.pk]),
        {"outcome": CaseOutcome.RESUMED, "note": "已参加本月主题党日", "version": 3},
        follow=True,
    )
    body = close.content.decode()
    assert "已办结该盲点" in body and "已恢复参加组织生活" in body and 'id="case-outcome"' in body
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.assignee == world.personas["community_cadre"]
    assert list(case.actions.values_list("kind", flat=True)) == ["contact", "assign", "close"]
    # Closed: the page offers reopening only.
    page = client.get(reverse("oversight:case_detail", args=[case.pk]))
    assert [item["name"] for item in page.context["actions"]] == ["reopen"]


def test_a_second_close_from_a_stale_page_is_told_the_case_was_closed(world, login, cases):
    case = cases["B1"]
    first = login(world.personas["community_secretary"])
    first.post(
        reverse("oversight:case_close", args=[case.pk]), {"outcome": "contacted", "note": "已联系", "version": 1}
    )
    second = login(world.personas["branch_secretary"])
    before = list(CaseAction.objects.values_list("pk", flat=True))
    response = second.post(
        reverse("oversight:case_close", args=[case.pk]), {"outcome": "justified", "note": "有理由", "version": 1}
    )
    assert "该盲点已由他人办结" in response.content.decode()
    assert list(CaseAction.objects.values_list("pk", flat=True)) == before


def test_bad_input_names_the_field_and_an_htmx_refusal_returns_only_the_actions(world, login, cases):
    case = cases["B1"]
    client = login(world.personas["community_cadre"])
    response = client.post(
        reverse("oversight:case_close", args=[case.pk]),
        {"outcome": "", "note": "", "version": 1},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "请选择处理结果。" in body and "请填写办结说明。" in body
    assert body.lstrip().startswith('<div id="actions">') and "<html" not in body
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not case.actions.exists()


def test_action_routes_take_only_post(world, login, cases):
    client = login(world.personas["community_secretary"])
    assert client.get(reverse("oversight:case_note", args=[cases["B1"].pk])).status_code == 405


# --- Scan runs ---------------------------------------------------------------------------------


def test_scan_runs_are_for_those_who_may_run_scans(world, login):
    ScanRun.objects.create(org_unit=world.units["C1"], as_of=f.window().last_month, opened={"six_month_no_life": 4})
    assert login(world.personas["community_secretary"]).get(reverse("oversight:scan_list")).status_code == 403
    response = login(world.personas["subdistrict_organizer"]).get(reverse("oversight:scan_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "翠湖社区" in body and "?scan=" in body


def test_a_scan_started_on_the_page_runs_and_its_cases_are_listed(world, login, django_capture_on_commit_callbacks):
    client = login(world.personas["district_organizer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("oversight:scan_start"), {"unit": world.units["C1"].pk, "as_of": f"{f.window().last_month:%Y-%m}"}
        )
    assert response.status_code == 302
    run = ScanRun.objects.get()
    assert run.finished_at is not None and run.opened["six_month_no_life"] == 2
    listed = client.get(reverse("oversight:case_list"), {"scan": run.pk, "status": ""}).context["page"]
    assert {case.member.name for case in listed} == {"翠湖第一支部党员", "翠湖第二支部党员"}


def test_a_bad_scan_request_names_the_field(world, login):
    client = login(world.personas["district_organizer"])
    response = client.post(reverse("oversight:scan_start"), {"unit": world.units["C1"].pk, "as_of": "2026/5"})
    assert response.status_code == 400 and "请按“年-月”填写月份" in response.content.decode()
    response = client.post(reverse("oversight:scan_start"), {"unit": world.units["B3"].pk})
    assert response.status_code == 400 and not ScanRun.objects.exists()


# --- The reminder centre -----------------------------------------------------------------------


def remind(user, unit, key: str, title: str, *, read: bool = False, kind: str = "open_cases") -> Reminder:
    return Reminder.objects.create(
        user=user,
        org_unit=unit,
        kind=kind,
        key=key,
        title=title,
        url="/oversight/cases/",
        read_at=timezone.now() if read else None,
    )


def test_the_reminder_centre_shows_only_the_users_own_reminders_unread_first(world, login):
    secretary = world.personas["community_secretary"]
    read = remind(secretary, world.units["C1"], "a", "已读的提醒", read=True)
    unread = remind(secretary, world.units["C1"], "b", "未读的提醒")
    letter = remind(secretary, world.units["C1"], "c", "介绍信提醒", kind="letter_expiring")
    remind(world.personas["community_cadre"], world.units["C1"], "a", "干部的提醒")
    remind(world.personas["district_organizer"], world.units["C1"], "a", "组织部的提醒")
    response = login(secretary).get(reverse("oversight:reminder_list"))
    body = response.content.decode()
    assert "干部的提醒" not in body and "组织部的提醒" not in body
    groups = response.context["groups"]
    assert [group.kind for group in groups] == ["letter_expiring", "open_cases"]
    assert groups[1].items == [unread, read] and groups[0].items == [letter]
    assert response.context["unread"] == 2


def test_a_reminder_is_marked_read_and_another_users_answers_404(world, login):
    secretary = world.personas["community_secretary"]
    mine = remind(secretary, world.units["C1"], "a", "我的提醒")
    theirs = remind(world.personas["community_cadre"], world.units["C1"], "a", "别人的提醒")
    client = login(secretary)
    assert client.get(reverse("oversight:reminder_read")).status_code == 405
    assert client.post(reverse("oversight:reminder_read"), {"reminder": theirs.pk}).status_code == 404
    response = client.post(reverse("oversight:reminder_read"), {"reminder": mine.pk, "go": "1"})
    assert response.status_code == 302 and response["Location"] == "/oversight/cases/"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    # Through HTMX the centre comes back, with the bell sent out of band.
    other = remind(secretary, world.units["C1"], "b", "另一条")
    body = client.post(
        reverse("oversight:reminder_read"), {"reminder": other.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert body.lstrip().startswith('<div id="reminders">') and 'hx-swap-oob="true"' in body


def test_mark_all_read_leaves_a_reminder_that_appeared_after_the_page_was_shown(world, login):
    secretary = world.personas["community_secretary"]
    shown = remind(secretary, world.units["C1"], "a", "页面上的提醒")
    seen_at = timezone.now()
    later = remind(secretary, world.units["C1"], "b", "之后出现的提醒")
    Reminder.objects.filter(pk=later.pk).update(created_at=seen_at + datetime.timedelta(seconds=5))
    client = login(secretary)
    response = client.post(reverse("oversight:reminder_read_all"), {"seen_at": seen_at.isoformat()}, follow=True)
    assert "已将 1 条提醒标为已读" in response.content.decode()
    shown.refresh_from_db()
    later.refresh_from_db()
    assert shown.read_at is not None and later.read_at is None


def test_the_reminder_centre_costs_the_same_queries_for_3_and_30_reminders(world, login):
    secretary = world.personas["community_secretary"]
    client = login(secretary)
    kinds = ["open_cases", "letter_expiring", "arrears"]

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("oversight:reminder_list")).status_code == 200
        return len(queries)

    for index in range(3):
        remind(secretary, world.units["C1"], f"k{index}", f"提醒{index}", kind=kinds[index])
    count()
    few = count()
    for index in range(3, 30):
        remind(secretary, world.units["C1"], f"k{index}", f"提醒{index}", kind=kinds[index % 3], read=index % 2 == 0)
    assert count() == few


def test_the_navigation_entries_route_to_the_pages():
    names = {route.name for route in iter_routes()}
    assert {
        "oversight:case_list",
        "oversight:case_detail",
        "oversight:case_note",
        "oversight:case_assign",
        "oversight:case_close",
        "oversight:case_reopen",
        "oversight:scan_list",
        "oversight:scan_start",
        "oversight:reminder_list",
        "oversight:reminder_read",
        "oversight:reminder_read_all",
        "case-list",
        "case-detail",
        "case-close",
        "scan-run-list",
        "reminder-list",
        "reminder-read",
        "reminder-read-all",
    } <= names


def test_the_chart_data_is_valid_json_for_echarts(world, login, cases):
    body = login(world.personas["district_organizer"]).get(reverse("oversight:case_list")).content.decode()
    data = json.loads(body.split('id="chart-cases" type="application/json">')[1].split("</script>")[0])
    assert set(data) == {"categories", "series"}


def test_every_kind_of_case_found_by_a_scan_renders_its_evidence(world, login):
    from dangjian.members.models import add_months

    branch = world.units["B1"]
    window = f.window()
    absent = f.member(branch, "甲缺席", residence_community=world.units["C2"])
    for held in f.monthly_meetings(branch):
        f.attend(absent, held, "absent")
    f.dues(absent, ["due"] * 6)
    payer = f.member(branch, "乙只交")
    f.dues(payer, ["paid"] * 6)
    f.task(payer, window.months[1])
    f.letter(f.member(branch, "丙口袋"), f.today() - datetime.timedelta(days=1))
    f.outflow(f.member(branch, "丁失联"), since=add_months(f.today(), -8))
    scan_blind_spots(unit=world.units["C1"], as_of=window.last_month)
    kinds = set(Case.objects.values_list("kind", flat=True))
    assert kinds == {
        "six_month_no_life",
        "six_month_no_dues",
        "six_month_no_work",
        "nominal_member",
        "pocket_member",
        "lost_contact",
    }
    client = login(world.personas["community_cadre"])
    for case in Case.objects.all():
        response = client.get(reverse("oversight:case_detail", args=[case.pk]))
        assert response.status_code == 200, case.kind
        assert case.member.name in response.content.decode()
    both = Case.objects.get(member=absent, kind="nominal_member").evidence
    assert both["signal"] == "lives_elsewhere" and both["signals"] == ["lives_elsewhere"]
    payer_signal = Case.objects.get(member=payer, kind="nominal_member")
    page = client.get(reverse("oversight:case_detail", args=[payer_signal.pk]))
    assert {cell.state for cell in page.context["evidence"].cells} == {"ok"}


def test_the_member_page_partial_lists_a_members_cases_in_scope(world, cases):
    from django.template.loader import render_to_string

    from dangjian.oversight.selectors import member_cases

    member = world.members["B1"]
    assert member_cases(user=world.personas["community_secretary"], member=member) == [cases["B1"]]
    assert member_cases(user=world.personas["member"], member=member) == []
    html = render_to_string(
        "oversight/partials/member_cases.html",
        {"member_cases": member_cases(user=world.personas["community_secretary"], member=member)},
    )
    assert reverse("oversight:case_detail", args=[cases["B1"].pk]) in html and "待处理" in html
