"""Writes of organizational life: meetings and their status, attendance with its quorum, the
rules, attachments and member tasks."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.members.models import Member
from dangjian.orglife import services
from dangjian.orglife.choices import MeetingStatus, Quorum, TaskStatus
from dangjian.orglife.models import Attendance, Meeting, MeetingAttachment, MeetingRule, MemberTask
from dangjian.orglife.tests.factories import (
    days_ago,
    make_branch,
    make_meeting,
    make_members,
    make_probationary,
    make_task,
    record,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Meeting.objects.order_by("pk").values_list("pk", "status", "version", "present_count", "quorum_met")),
        list(Attendance.objects.order_by("pk").values_list("pk", "meeting_id", "member_id", "status", "reason")),
        list(MemberTask.objects.order_by("pk").values_list("pk", "status", "version")),
        list(MeetingRule.objects.order_by("pk").values_list("pk", "frequency", "times", "version")),
    )


def refused(call, field: str | None = None) -> str:
    """Run a service that must refuse; nothing was written. Returns the messages (on `field`)."""
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        call()
    assert snapshot() == before
    if field is None:
        return " ".join(error.value.messages)
    messages = error.value.message_dict
    assert field in messages, messages
    return " ".join(messages[field])


def general_meeting_with(world, full: int, probationary: int = 0):
    branch = make_branch(world.units["C1"], "测试支部")
    voters = make_members(branch, full, "正式")
    others = make_probationary(branch, probationary)
    return make_meeting(branch, "general_meeting"), voters, others


def statuses(members, present: int):
    return {member: ("present" if index < present else "absent") for index, member in enumerate(members)}


# --- Quorum: the general meeting ---------------------------------------------------------------


def test_a_general_meeting_of_ten_voting_members_with_five_present_has_no_quorum(world):
    meeting, voters, _ = general_meeting_with(world, 10)
    meeting = record(meeting, statuses(voters, 5))
    assert (meeting.expected_count, meeting.present_count, meeting.absent_count) == (10, 5, 5)
    assert (meeting.quorum_rule, meeting.quorum_required, meeting.quorum_met) == (Quorum.MORE_THAN_HALF, 6, False)
    assert meeting.status == MeetingStatus.HELD and not meeting.counts_for_compliance


def test_a_general_meeting_of_ten_voting_members_with_six_present_has_its_quorum(world):
    meeting, voters, _ = general_meeting_with(world, 10)
    meeting = record(meeting, statuses(voters, 6))
    assert (meeting.quorum_required, meeting.quorum_met) == (6, True)
    assert meeting.counts_for_compliance


def test_probationary_members_attend_but_do_not_count_towards_the_quorum(world):
    meeting, voters, probationary = general_meeting_with(world, 10, probationary=3)
    attendance = {**statuses(voters, 5), **{member: "present" for member in probationary}}
    meeting = record(meeting, attendance)
    # Eight present, but only five of the ten voting members.
    assert (meeting.expected_count, meeting.present_count, meeting.quorum_required) == (13, 8, 6)
    assert meeting.quorum_met is False


def test_inflow_and_retained_members_do_not_vote(world):
    meeting, voters, _ = general_meeting_with(world, 4)
    branch = meeting.branch
    inflow = make_members(branch, 2, "流入", status="inflow")
    retained = make_members(branch, 1, "保留党籍", standing="retained")
    assert set(services.voting_members(branch)) == set(voters)
    meeting = record(meeting, {**statuses(voters, 3), **{m: "present" for m in inflow}, retained[0]: "present"})
    assert (meeting.expected_count, meeting.quorum_required, meeting.quorum_met) == (7, 3, True)


# --- Quorum: the committee meeting -------------------------------------------------------------


def committee_meeting_with(world, seats: int):
    branch = make_branch(world.units["C1"], "委员会测试支部", seats=seats)
    members = make_members(branch, seats + 2, "委员")
    return make_meeting(branch, "committee_meeting"), members


@pytest.mark.parametrize(
    ("seats", "present", "required", "met"),
    [(5, 2, 3, False), (5, 3, 3, True), (4, 2, 2, True), (4, 1, 2, False)],
)
def test_a_committee_meeting_needs_at_least_half_of_the_serving_seats(world, seats, present, required, met):
    meeting, members = committee_meeting_with(world, seats)
    attendance = {member: "present" for member in members[:present]}
    attendance[members[present]] = ("excused", "外出开会")
    meeting = record(meeting, attendance)
    assert meeting.expected_count == seats
    assert (meeting.present_count, meeting.excused_count, meeting.absent_count) == (
        present,
        1,
        seats - present - 1,
    )
    assert (meeting.quorum_rule, meeting.quorum_required, meeting.quorum_met) == (Quorum.AT_LEAST_HALF, required, met)


def test_a_seat_that_has_left_does_not_count(world):
    from dangjian.core import services as core_services

    meeting, members = committee_meeting_with(world, 5)
    seat = services.serving_seats(meeting.branch).last()
    core_services.seat_end(seat=seat, left_on=timezone.localdate(), reason="调离", by=None)
    meeting = record(meeting, {member: "present" for member in members[:2]})
    assert (meeting.expected_count, meeting.quorum_required, meeting.quorum_met) == (4, 2, True)


def test_a_committee_meeting_refuses_more_members_than_seats(world):
    meeting, members = committee_meeting_with(world, 3)
    message = refused(lambda: record(meeting, {member: "present" for member in members[:4]}), "attendance")
    assert "超过在任委员人数（3 名）" in message


def test_a_committee_meeting_needs_a_committee_in_office(world):
    branch = make_branch(world.units["C1"], "新建支部")
    message = refused(lambda: make_meeting(branch, "committee_meeting"), "kind")
    assert "没有在任的支部委员会" in message


def test_other_kinds_have_no_quorum(world):
    branch = make_branch(world.units["C1"])
    members = make_members(branch, 4)
    meeting = record(make_meeting(branch, "party_lecture"), statuses(members, 1))
    assert (meeting.quorum_rule, meeting.quorum_required, meeting.quorum_met) == (Quorum.NONE, 0, None)
    assert meeting.counts_for_compliance


# --- Recording attendance ----------------------------------------------------------------------


def test_an_excused_absence_needs_a_reason(world):
    branch = make_branch(world.units["C1"])
    members = make_members(branch, 2)
    meeting = make_meeting(branch)
    message = refused(lambda: record(meeting, {members[0]: "present", members[1]: ("excused", "  ")}), "reason")
    assert members[1].name in message and "请假事由" in message
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.PLANNED


def test_every_expected_member_must_be_marked(world):
    branch = make_branch(world.units["C1"])
    members = make_members(branch, 3)
    meeting = make_meeting(branch)
    message = refused(lambda: record(meeting, {members[0]: "present"}), "attendance")
    assert members[1].name in message and members[2].name in message


def test_a_member_of_another_branch_is_refused(world):
    branch = make_branch(world.units["C1"])
    members = make_members(branch, 1)
    meeting = make_meeting(branch)
    other = world.members["B1"]
    message = refused(lambda: record(meeting, {members[0]: "present", other: "present"}), "attendance")
    assert "不在本次会议的应到名单中" in message


def test_recording_again_replaces_the_attendance(world):
    branch = make_branch(world.units["C1"])
    members = make_members(branch, 3)
    meeting = record(make_meeting(branch), statuses(members, 1))
    again = record(meeting, {members[0]: "present", members[1]: ("excused", "住院"), members[2]: "present"})
    rows = Attendance.objects.filter(meeting=meeting)
    assert rows.count() == 3
    assert dict(rows.values_list("member_id", "status")) == {
        members[0].pk: "present",
        members[1].pk: "excused",
        members[2].pk: "present",
    }
    assert rows.get(member=members[1]).reason == "住院"
    assert (again.present_count, again.excused_count, again.absent_count, again.version) == (2, 1, 0, 3)
    assert all(row.held_on == meeting.held_on and row.district_id == world.units["D1"].pk for row in rows)


def test_a_stale_version_is_refused(world):
    branch = make_branch(world.units["C1"])
    members = make_members(branch, 2)
    meeting = make_meeting(branch)
    shown = meeting.version
    record(meeting, statuses(members, 2), expected_version=shown)
    with pytest.raises(ValidationError) as error:
        record(meeting, statuses(members, 1), expected_version=shown)
    assert error.value.code == "stale"
    assert Attendance.objects.filter(meeting=meeting, status="present").count() == 2


def test_a_meeting_whose_time_has_not_come_cannot_be_recorded(world):
    branch = make_branch(world.units["C1"])
    members = make_members(branch, 1)
    meeting = make_meeting(branch, held_at=timezone.now() + datetime.timedelta(hours=2))
    assert "尚未到会议时间" in refused(lambda: record(meeting, statuses(members, 1)), "held_at")


def test_the_history_keeps_who_recorded(world):
    secretary = world.personas["branch_secretary"]
    meeting = make_meeting(world.units["B1"], by=secretary)
    meeting = record(meeting, {world.members["B1"]: "present"}, by=secretary)
    assert meeting.created_by == secretary
    assert meeting.history.first().history_user == secretary


def test_a_group_meeting_lists_the_groups_members(world):
    branch, group = world.units["B1"], world.units["G1"]
    in_group = make_members(branch, 2, "小组", group=group)
    meeting = make_meeting(branch, "group_meeting", group=group)
    assert list(services.expected_members(meeting)) == in_group
    meeting = record(meeting, statuses(in_group, 2))
    assert (meeting.expected_count, meeting.present_count) == (2, 2)


def test_a_group_meeting_needs_a_group_of_the_branch(world):
    assert "请选择党小组" in refused(lambda: make_meeting(world.units["B1"], "group_meeting"), "group")
    assert "不属于该党支部" in refused(
        lambda: make_meeting(world.units["B1b"], "group_meeting", group=world.units["G1"]), "group"
    )


def test_a_lecture_needs_a_speaker(world):
    assert "授课人" in refused(lambda: make_meeting(world.units["B1"], "party_lecture", speaker=""), "speaker")


# --- Meeting status ----------------------------------------------------------------------------


def test_cancelling_writes_the_reason_into_the_minutes_and_stops_the_attendance(world):
    meeting = make_meeting(world.units["B1"], minutes="原定议程")
    cancelled = services.meeting_cancel(meeting=meeting, reason="暴雨预警", by=None)
    assert cancelled.status == MeetingStatus.CANCELLED
    assert (
        cancelled.minutes.startswith("会议取消") and "暴雨预警" in cancelled.minutes and "原定议程" in cancelled.minutes
    )
    assert "已取消" in refused(lambda: record(cancelled, {world.members["B1"]: "present"}))
    assert "只有计划中的会议" in refused(lambda: services.meeting_cancel(meeting=cancelled, reason="再取消", by=None))


def test_cancelling_needs_a_reason(world):
    meeting = make_meeting(world.units["B1"])
    assert "取消原因" in refused(lambda: services.meeting_cancel(meeting=meeting, reason=" ", by=None), "reason")


def test_a_held_meeting_keeps_its_kind_and_moves_its_attendance_dates(world):
    meeting = record(make_meeting(world.units["B1"]), {world.members["B1"]: "present"})
    assert "不能更改会议类型" in refused(
        lambda: services.meeting_update(meeting=meeting, by=None, kind="party_lecture"), "kind"
    )
    moved = services.meeting_update(meeting=meeting, by=None, held_at=days_ago(5), minutes="补记")
    assert moved.held_on == timezone.localdate() - datetime.timedelta(days=5)
    assert Attendance.objects.get(meeting=meeting).held_on == moved.held_on
    assert "尚未到会议时间" in refused(
        lambda: services.meeting_update(meeting=moved, by=None, held_at=timezone.now() + datetime.timedelta(days=1)),
        "held_at",
    )


def test_a_stale_edit_is_refused(world):
    meeting = make_meeting(world.units["B1"])
    services.meeting_update(meeting=meeting, by=None, expected_version=1, title="改过的主题")
    assert refused(lambda: services.meeting_update(meeting=meeting, by=None, expected_version=1, title="又改"))


# --- Attachments -------------------------------------------------------------------------------


def test_an_attachment_is_kept_and_deleted_with_its_file(world, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    meeting = make_meeting(world.units["B1"])
    attachment = services.attachment_add(meeting=meeting, file=SimpleUploadedFile("签到表.pdf", b"%PDF-1.4\n"), by=None)
    assert attachment.name == "签到表.pdf" and attachment.district_id == world.units["D1"].pk
    path = tmp_path / attachment.file.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(attachment=attachment, by=None)
    assert not MeetingAttachment.objects.exists() and not path.exists()


def test_an_attachment_of_the_wrong_kind_or_too_large_is_refused(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DANGJIAN_ATTACHMENT_MAX_BYTES = 1024 * 1024
    meeting = make_meeting(world.units["B1"])
    with pytest.raises(ValidationError) as error:
        services.attachment_add(meeting=meeting, file=SimpleUploadedFile("run.exe", b"MZ"), by=None)
    assert "file" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        big = SimpleUploadedFile("photo.jpg", b"0" * (1024 * 1024 + 1))
        services.attachment_add(meeting=meeting, file=big, by=None)
    assert "不能超过 1 MB" in " ".join(error.value.message_dict["file"])
    assert not MeetingAttachment.objects.exists()


# --- The rules ---------------------------------------------------------------------------------


def test_the_district_organizer_edits_a_rule_with_a_version_check(world):
    organizer = world.personas["district_organizer"]
    rule = MeetingRule.objects.get(kind="party_lecture")
    values = {"party_lecture": services.RuleValues("monthly", 1, True)}
    changed = services.meeting_rules_update(
        values=values, expected_versions={"party_lecture": rule.version}, by=organizer
    )
    assert [row.kind for row in changed] == ["party_lecture"]
    rule.refresh_from_db()
    assert (rule.frequency, rule.version, rule.history.first().history_user) == ("monthly", 2, organizer)
    with pytest.raises(ValidationError) as error:
        services.meeting_rules_update(values=values, expected_versions={"party_lecture": 1}, by=organizer)
    assert error.value.code == "stale"


def test_only_the_district_organizer_may_edit_the_rules(world):
    values = {"party_lecture": services.RuleValues("monthly", 2, True)}
    for persona in ("subdistrict_organizer", "community_secretary", "branch_secretary"):
        with pytest.raises(PermissionDenied):
            services.meeting_rules_update(values=values, by=world.personas[persona])
    assert MeetingRule.objects.get(kind="party_lecture").times == 1


def test_a_rule_out_of_bounds_is_refused(world):
    organizer = world.personas["district_organizer"]
    values = {"themed_day": services.RuleValues("monthly", 0, True)}
    assert "1 至 31" in refused(lambda: services.meeting_rules_update(values=values, by=organizer), "times_themed_day")


# --- Member tasks ------------------------------------------------------------------------------


def test_a_task_is_assigned_done_with_a_result_and_then_closed(world):
    member = world.members["B1"]
    task = make_task(member, due_on=timezone.localdate() + datetime.timedelta(days=7))
    assert task.status == TaskStatus.OPEN and task.district_id == world.units["D1"].pk
    assert "完成情况" in refused(
        lambda: services.task_complete(task=task, done_on=timezone.localdate(), result=" ", by=None), "result"
    )
    done = services.task_complete(task=task, done_on=timezone.localdate(), result="走访 12 户", by=None)
    assert (done.status, done.result, done.version) == (TaskStatus.DONE, "走访 12 户", 2)
    assert "已完成" in refused(lambda: services.task_cancel(task=done, reason="不需要了", by=None))


def test_a_task_is_cancelled_with_a_reason(world):
    task = make_task(world.members["B1"])
    assert "取消原因" in refused(lambda: services.task_cancel(task=task, reason="", by=None), "reason")
    cancelled = services.task_cancel(task=task, reason="活动延期", by=None)
    assert (cancelled.status, cancelled.result) == (TaskStatus.CANCELLED, "取消：活动延期")


def test_a_task_due_before_it_was_assigned_is_refused(world):
    today = timezone.localdate()
    message = refused(lambda: make_task(world.members["B1"], due_on=today - datetime.timedelta(days=1)), "due_on")
    assert "不能早于交办日期" in message


def test_a_member_who_left_gets_no_task(world):
    member = world.members["B1"]
    Member.objects.filter(pk=member.pk).update(status="transferred_out")
    member.refresh_from_db()
    assert "不能交办任务" in refused(lambda: make_task(member), "member")


def test_two_secretaries_completing_the_same_task_give_one_result(world):
    task = make_task(world.members["B1"])
    services.task_complete(task=task, done_on=timezone.localdate(), result="已完成", by=None, expected_version=1)
    with pytest.raises(ValidationError) as error:
        services.task_complete(task=task, done_on=timezone.localdate(), result="也完成", by=None, expected_version=1)
    assert error.value.code == "stale"
    assert MemberTask.objects.get(pk=task.pk).result == "已完成"
