"""Working a case: assigning, notes, closing with an outcome (once), reopening; starting a scan."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.services import STALE_MESSAGE
from dangjian.core.tests.factories import UserFactory, grant
from dangjian.oversight import services
from dangjian.oversight.choices import ActionKind, CaseOutcome, CaseStatus
from dangjian.oversight.models import Case, CaseAction, ScanRun
from dangjian.oversight.selectors import assignee_choices

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world) -> Case:
    return Case.objects.create(
        kind="six_month_no_life",
        member=world.members["B1"],
        branch=world.units["B1"],
        period_start=f.window().start,
        period_end=f.window().last_month,
        evidence={"months": [month.isoformat() for month in f.window().months], "records": []},
        summary="翠湖第一支部党员连续6个月未参加组织生活",
    )


def snapshot():
    return (
        list(Case.objects.order_by("pk").values_list("pk", "status", "outcome", "assignee_id", "version")),
        list(CaseAction.objects.order_by("pk").values_list("pk", "kind", "note")),
    )


def refused(call) -> ValidationError:
    """Run a service that must refuse: nothing is written."""
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        call()
    assert snapshot() == before
    return error.value


def test_the_people_who_may_be_assigned_are_those_whose_scope_holds_the_branch(world, case):
    secretary = world.personas["community_secretary"]
    names = set(assignee_choices(user=secretary, case=case).values_list("username", flat=True))
    assert names == {"community_secretary", "community_cadre", "branch_secretary"}
    # The district organizer sees those above the community too; nobody sees members or residents.
    names = set(
        assignee_choices(user=world.personas["district_organizer"], case=case).values_list("username", flat=True)
    )
    assert names == {
        "district_organizer",
        "subdistrict_organizer",
        "community_secretary",
        "community_cadre",
        "branch_secretary",
    }


def test_assigning_a_responsible_person_puts_the_case_in_hand(world, case):
    secretary = world.personas["community_secretary"]
    cadre = world.personas["community_cadre"]
    assigned = services.case_assign(case=case, assignee=cadre, by=secretary, expected_version=1, note="两周内联系")
    assert assigned.assignee == cadre and assigned.status == CaseStatus.WORKING and assigned.version == 2
    action = case.actions.get()
    assert action.kind == ActionKind.ASSIGN and action.by == secretary
    assert action.note == "指定责任人：community_cadre用户。两周内联系"
    assert assigned.history.first().history_user == secretary


def test_it_refuses_an_assignee_outside_the_branch_or_the_scope(world, case):
    secretary = world.personas["community_secretary"]
    elsewhere = UserFactory(username="songtao")
    grant(elsewhere, "community_secretary", world.units["C2"])
    for person in (elsewhere, world.personas["member"], world.personas["outsider"]):
        error = refused(lambda person=person: services.case_assign(case=case, assignee=person, by=secretary))
        assert "所选人员不能处理该盲点" in error.message_dict["assignee"][0]
    # Above the community secretary: not in their scope.
    error = refused(
        lambda: services.case_assign(case=case, assignee=world.personas["subdistrict_organizer"], by=secretary)
    )
    assert "assignee" in error.message_dict


def test_a_note_needs_its_text_and_a_kind(world, case):
    cadre = world.personas["community_cadre"]
    error = refused(lambda: services.case_add_note(case=case, kind=ActionKind.CONTACT, note="  ", by=cadre))
    assert error.message_dict["note"] == ["请填写记录内容。"]
    error = refused(lambda: services.case_add_note(case=case, kind=ActionKind.CLOSE, note="已办", by=cadre))
    assert "kind" in error.message_dict
    action = services.case_add_note(case=case, kind=ActionKind.VISIT, note="上门走访，本人在家。", by=cadre)
    case.refresh_from_db()
    assert action.kind == ActionKind.VISIT and action.district_id == case.district_id
    assert case.status == CaseStatus.WORKING and case.version == 2
    # A second note leaves the version alone: the case itself did not change.
    services.case_add_note(case=case, kind=ActionKind.NOTE, note="已电话提醒。", by=cadre)
    case.refresh_from_db()
    assert case.version == 2 and case.actions.count() == 2


def test_closing_needs_an_outcome_and_a_note(world, case):
    secretary = world.personas["community_secretary"]
    error = refused(lambda: services.case_close(case=case, outcome="", note="", by=secretary))
    assert error.message_dict == {"outcome": ["请选择处理结果。"], "note": ["请填写办结说明。"]}
    closed = services.case_close(case=case, outcome=CaseOutcome.RESUMED, note="已参加本月主题党日。", by=secretary)
    assert closed.status == CaseStatus.CLOSED and closed.outcome == CaseOutcome.RESUMED
    assert closed.closed_by == secretary and closed.closed_at is not None
    assert case.actions.get().note == "办结：已恢复参加组织生活。已参加本月主题党日。"


def test_two_people_closing_at_once_one_wins_and_the_other_is_told(world, case):
    first = world.personas["community_secretary"]
    second = world.personas["branch_secretary"]
    services.case_close(case=case, outcome=CaseOutcome.CONTACTED, note="已联系。", by=first, expected_version=1)
    error = refused(
        lambda: services.case_close(
            case=case, outcome=CaseOutcome.JUSTIFIED, note="有正当理由。", by=second, expected_version=1
        )
    )
    assert error.messages == ["该盲点已由他人办结。"]
    case.refresh_from_db()
    assert case.outcome == CaseOutcome.CONTACTED and case.closed_by == first


def test_a_stale_page_cannot_overwrite_a_change(world, case):
    secretary = world.personas["community_secretary"]
    services.case_assign(case=case, assignee=world.personas["community_cadre"], by=secretary)
    error = refused(
        lambda: services.case_close(
            case=case, outcome=CaseOutcome.CONTACTED, note="已联系", by=secretary, expected_version=1
        )
    )
    assert error.messages == [STALE_MESSAGE]


def test_a_closed_case_takes_no_note_or_assignee_until_reopened(world, case):
    secretary = world.personas["community_secretary"]
    services.case_close(case=case, outcome=CaseOutcome.CONTACTED, note="已联系。", by=secretary)
    assert (
        "重新打开"
        in refused(lambda: services.case_add_note(case=case, kind=ActionKind.NOTE, note="补记", by=secretary)).messages[
            0
        ]
    )
    refused(lambda: services.case_assign(case=case, assignee=world.personas["community_cadre"], by=secretary))
    error = refused(lambda: services.case_reopen(case=case, note="", by=secretary))
    assert error.message_dict["note"] == ["请填写重新打开的原因。"]
    reopened = services.case_reopen(case=case, note="本人又未参加本月活动。", by=secretary)
    assert reopened.status == CaseStatus.OPEN and reopened.outcome == "" and reopened.closed_at is None
    assert reopened.actions.last().note == "重新打开：本人又未参加本月活动。"
    assert "尚未办结" in refused(lambda: services.case_reopen(case=case, note="再开", by=secretary)).messages[0]


def test_reopening_is_refused_while_a_newer_case_of_the_kind_is_open(world, case):
    secretary = world.personas["community_secretary"]
    services.case_close(case=case, outcome=CaseOutcome.CONTACTED, note="已联系。", by=secretary)
    Case.objects.create(
        kind=case.kind, member=case.member, branch=case.branch, evidence={"months": []}, summary="新一轮扫描发现"
    )
    error = refused(lambda: services.case_reopen(case=case, note="重开", by=secretary))
    assert "已有一件同类盲点正在处理" in error.messages[0]


def test_resolving_linked_cases_closes_the_letters_case(world):
    person = f.member(world.units["B1"], "吕报到")
    letter = f.letter(person, f.today() - datetime.timedelta(days=2))
    from dangjian.oversight.scan import scan_blind_spots

    scan_blind_spots(unit=world.units["B1"])
    assert services.resolve_linked_cases(transfer=letter, by=None, note="已报到") == 1
    case = Case.objects.get(transfer=letter)
    assert case.status == CaseStatus.CLOSED and case.outcome == CaseOutcome.RESOLVED_ELSEWHERE


def test_starting_a_scan_records_it_and_the_task_runs_it(world, django_capture_on_commit_callbacks):
    organizer = world.personas["district_organizer"]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.scan_start(unit=world.units["C1"], as_of=None, by=organizer)
    run.refresh_from_db()
    assert run.by == organizer and run.as_of == f.window().last_month
    assert run.finished_at is not None and run.members_scanned == 2
    assert Case.objects.filter(scan=run, member=world.members["B1"]).exists()


def test_it_refuses_a_scan_of_the_current_month_or_while_one_is_running(world):
    organizer = world.personas["district_organizer"]
    error = refused(lambda: services.scan_start(unit=world.units["C1"], as_of=f.today(), by=organizer))
    assert "只能扫描已经结束的月份" in error.message_dict["as_of"][0]
    services.scan_start(unit=world.units["C1"], as_of=None, by=organizer)  # its task runs after commit
    with pytest.raises(ValidationError) as error:
        services.scan_start(unit=world.units["C1"], as_of=None, by=organizer)
    assert "正在进行" in error.value.message_dict["unit"][0]
    assert ScanRun.objects.count() == 1
