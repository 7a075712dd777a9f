"""The pages of organizational life, for the personas: lists with their filters and query counts,
a meeting through its life (created, recorded, printed, its attachment up- and downloaded), the
rules, the compliance table and its export, and the tasks."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dangjian.orglife.models import Attendance, Meeting, MeetingAttachment, MeetingRule, MemberTask
from dangjian.orglife.selectors import Period
from dangjian.orglife.tests.factories import days_ago, make_meeting, make_members, make_task, record

pytestmark = pytest.mark.django_db


def body(response) -> str:
    return response.content.decode()


# --- The meeting list --------------------------------------------------------------------------


def test_the_list_shows_the_scope_and_flags_a_meeting_below_quorum(world, login):
    b1 = world.units["B1"]
    voters = make_members(b1, 3, "表决")
    below = make_meeting(b1, "general_meeting", title="第三季度党员大会")
    record(below, {world.members["B1"]: "present", **{member: "absent" for member in voters}})
    make_meeting(world.units["B2"], title="松涛主题党日")
    client = login(world.personas["community_secretary"])
    page = body(client.get(reverse("orglife:meeting_list")))
    assert "第三季度党员大会" in page and "未达法定人数（须 3 人）" in page
    assert "松涛" not in page and "北岭" not in page
    response = client.get(reverse("orglife:meeting_list"), {"below_quorum": "on"})
    assert [meeting.title for meeting in response.context["page"]] == ["第三季度党员大会"]
    response = client.get(reverse("orglife:meeting_list"), {"kind": "themed_day"})
    assert list(response.context["page"]) == []


def test_the_list_filters_by_unit_period_and_status(world, login):
    old = make_meeting(world.units["B1"], title="去年的会议", held_at=days_ago(400))
    recent = make_meeting(world.units["B1b"], title="本月的会议", held_at=days_ago(0, hour=0))
    client = login(world.personas["community_secretary"])
    period = Period.containing(timezone.localdate(), 1).key
    response = client.get(reverse("orglife:meeting_list"), {"period": period})
    assert [meeting.pk for meeting in response.context["page"]] == [recent.pk]
    response = client.get(reverse("orglife:meeting_list"), {"unit": world.units["B1"].pk, "status": "planned"})
    assert [meeting.pk for meeting in response.context["page"]] == [old.pk]


def test_the_list_runs_the_same_queries_for_2_and_20_meetings(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("orglife:meeting_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        make_meeting(world.units["B1"], "group_meeting", group=world.units["G1"])
    few = count()
    for index in range(18):
        record(make_meeting(world.units["B1b"], held_at=days_ago(index + 1)), {world.members["B1b"]: "present"})
    assert count() == few


def test_members_and_residents_get_403(world, login):
    for persona in ("member", "resident", "outsider"):
        client = login(world.personas[persona])
        assert client.get(reverse("orglife:meeting_list")).status_code == 403
        assert client.get(reverse("orglife:compliance")).status_code == 403


# --- A meeting through its life ----------------------------------------------------------------


def test_a_branch_secretary_creates_records_and_prints_a_meeting(world, login):
    client = login(world.personas["branch_secretary"])
    b1 = world.units["B1"]
    others = make_members(b1, 2, "支部")
    held_at = timezone.localtime() - datetime.timedelta(hours=2)
    response = client.post(
        reverse("orglife:meeting_create"),
        {
            "branch": b1.pk,
            "kind": "themed_day",
            "title": "学习党章主题党日",
            "held_at": held_at.strftime("%Y-%m-%dT%H:%M"),
            "place": "社区党群服务中心",
            "chair": "陈志强",
            "recorder": "刘洋",
        },
    )
    meeting = Meeting.objects.get(title="学习党章主题党日")
    assert response.status_code == 302 and response["Location"] == reverse("orglife:meeting_detail", args=[meeting.pk])
    assert meeting.status == "planned" and meeting.created_by == world.personas["branch_secretary"]

    url = reverse("orglife:meeting_attendance", args=[meeting.pk])
    page = body(client.get(url))
    for member in (world.members["B1"], *others):
        assert member.name in page
    data = {
        "version": meeting.version,
        f"status_{world.members['B1'].pk}": "present",
        f"status_{others[0].pk}": "excused",
        f"reason_{others[0].pk}": "",
        f"status_{others[1].pk}": "absent",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "请假，请填写请假事由" in body(response)
    assert not Attendance.objects.exists()

    data[f"reason_{others[0].pk}"] = "外出就医"
    response = client.post(url, data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.status, meeting.expected_count, meeting.present_count, meeting.excused_count) == ("held", 3, 1, 1)

    page = body(client.get(reverse("orglife:meeting_detail", args=[meeting.pk])))
    assert "外出就医" in page and "修改出席情况" in page
    printed = body(client.get(reverse("orglife:meeting_print", args=[meeting.pk])))
    assert "css/print.css" in printed and "主题党日记录" in printed and "外出就医" in printed
    assert 'class="navbar' not in printed


def test_a_stale_attendance_form_is_refused_on_the_page(world, login):
    client = login(world.personas["branch_secretary"])
    meeting = make_meeting(world.units["B1"])
    member = world.members["B1"]
    record(meeting, {member: "present"})
    response = client.post(
        reverse("orglife:meeting_attendance", args=[meeting.pk]), {"version": 1, f"status_{member.pk}": "absent"}
    )
    assert response.status_code == 400 and "已被他人修改" in body(response)
    assert Attendance.objects.get(meeting=meeting).status == "present"


def test_a_committee_meeting_lets_the_recorder_pick_the_committee_members(world, login):
    client = login(world.personas["community_secretary"])
    meeting = make_meeting(world.units["B1"], "committee_meeting")
    member = world.members["B1"]
    other = make_members(world.units["B1"], 1, "非委员")[0]
    url = reverse("orglife:meeting_attendance", args=[meeting.pk])
    page = body(client.get(url))
    assert "非委员" in page and "本届在任委员 1 名" in page
    response = client.post(
        url, {"version": meeting.version, f"status_{member.pk}": "present", f"status_{other.pk}": ""}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.expected_count, meeting.present_count, meeting.quorum_met) == (1, 1, True)
    assert list(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True)) == [member.pk]


def test_a_meeting_is_edited_and_cancelled(world, login):
    client = login(world.personas["community_cadre"])
    meeting = make_meeting(world.units["B1"], held_at=timezone.now() + datetime.timedelta(days=3))
    page = body(client.get(reverse("orglife:meeting_detail", args=[meeting.pk])))
    assert 'id="record-attendance"' not in page and "取消会议" in page
    form = client.get(reverse("orglife:meeting_edit", args=[meeting.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "branch": meeting.branch_id,
            "held_at": timezone.localtime(meeting.held_at).strftime("%Y-%m-%dT%H:%M"),
            "title": "改名后的主题党日",
        }
    )
    assert client.post(reverse("orglife:meeting_edit", args=[meeting.pk]), data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.version) == ("改名后的主题党日", 2)
    cancel = reverse("orglife:meeting_cancel", args=[meeting.pk])
    assert client.get(cancel).status_code == 405
    response = client.post(cancel, {"reason": "", "version": 2})
    assert response.status_code == 400 and "请填写取消原因" in body(response)
    assert client.post(cancel, {"reason": "台风停课", "version": 2}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and "台风停课" in meeting.minutes


def test_an_attachment_is_uploaded_downloaded_and_deleted(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(world.personas["branch_secretary"])
    meeting = make_meeting(world.units["B1"])
    upload = reverse("orglife:attachment_upload", args=[meeting.pk])
    response = client.post(upload, {"file": SimpleUploadedFile("名单.exe", b"MZ"), "name": ""})
    assert response.status_code == 400 and "文件扩展“exe”是不被允许" in body(response)
    response = client.post(upload, {"file": SimpleUploadedFile("签到表.pdf", b"%PDF-1.4 sign-in"), "name": "签到表"})
    assert response.status_code == 302
    attachment = MeetingAttachment.objects.get()
    response = client.get(reverse("orglife:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 sign-in"
    assert "attachment" in response["Content-Disposition"] and response["Content-Type"] == "application/pdf"
    delete = reverse("orglife:attachment_delete", args=[attachment.pk])
    assert client.get(delete).status_code == 405
    assert client.post(delete).status_code == 302
    assert not MeetingAttachment.objects.exists()


def test_an_attachment_of_another_community_is_not_found(world, login, settings, tmp_path):
    from dangjian.core.tests import world_objects

    settings.MEDIA_ROOT = tmp_path
    outside = world_objects.meeting_attachment(world, "B2")
    client = login(world.personas["community_secretary"])
    assert client.get(reverse("orglife:attachment_download", args=[outside.pk])).status_code == 404
    assert client.post(reverse("orglife:attachment_delete", args=[outside.pk])).status_code == 404
    assert MeetingAttachment.objects.filter(pk=outside.pk).exists()


# --- The rules ---------------------------------------------------------------------------------


def test_the_rules_are_read_by_all_and_edited_by_the_district(world, login):
    client = login(world.personas["community_secretary"])
    page = body(client.get(reverse("orglife:rule_list")))
    assert "支部党员大会" in page and "每季度" in page and "修改规则" not in page
    assert client.get(reverse("orglife:rule_edit")).status_code == 403

    client = login(world.personas["district_organizer"])
    form = client.get(reverse("orglife:rule_edit")).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial not in (None, False)}
    data["times_party_lecture"] = 2
    assert client.post(reverse("orglife:rule_edit"), data).status_code == 302
    rule = MeetingRule.objects.get(kind="party_lecture")
    assert (rule.times, rule.version) == (2, 2)
    # The same form again: its versions are stale now.
    data["times_party_lecture"] = 3
    response = client.post(reverse("orglife:rule_edit"), data)
    assert response.status_code == 200 and "已被他人修改" in body(response)
    assert MeetingRule.objects.get(kind="party_lecture").times == 2


# --- Compliance --------------------------------------------------------------------------------


def test_the_compliance_page_and_its_export(world, login):
    month = Period.containing(timezone.localdate(), 1)
    client = login(world.personas["community_secretary"])
    url = reverse("orglife:compliance")
    response = client.get(url, {"period": month.key, "unit": world.units["C1"].pk})
    page = body(response)
    assert response.context["table"].period == month
    assert 'data-kind="themed_day" data-held="0" data-required="1"' in page
    assert "compliance-chart" not in page  # one community: no chart
    record(make_meeting(world.units["B1"], held_at=days_ago(0, hour=0)), {world.members["B1"]: "present"})
    page = body(client.get(url, {"period": month.key, "unit": world.units["C1"].pk}))
    assert 'data-kind="themed_day" data-held="1" data-required="1" title="已开 1 / 应开 1">✓' in page
    assert "松涛" not in page

    response = client.get(reverse("orglife:compliance_export"), {"period": month.key, "unit": world.units["C1"].pk})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = (
        CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("组织生活合规统计").to_python()
    )
    header = next(row for row in rows if len(row) > 1 and row[1] == "党支部")
    themed = next(index for index, text in enumerate(header) if str(text).startswith("主题党日"))
    branch_row = next(row for row in rows if row[1] == "翠湖第一支部")
    assert branch_row[themed] == "1/1"
    assert any(str(row[1]).startswith("合计") for row in rows)


def test_the_compliance_page_defaults_to_the_current_quarter_with_a_chart_per_community(world, login):
    client = login(world.personas["district_organizer"])
    response = client.get(reverse("orglife:compliance"))
    assert response.context["table"].period == Period.containing(timezone.localdate(), 3)
    page = body(response)
    assert 'id="compliance-chart"' in page and 'data-chart="compliance-chart"' in page
    assert "翠湖社区" in page and "松涛社区" in page and "北岭" not in page


def test_the_compliance_page_runs_the_same_queries_for_few_and_many_branches(world, login):
    from dangjian.core.choices import OrgKind
    from dangjian.core.tests.factories import make_unit
    from dangjian.orglife.tests.factories import make_branch

    client = login(world.personas["subdistrict_organizer"])
    url = reverse("orglife:compliance")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    community = make_unit(OrgKind.COMMUNITY, world.units["S1"], name="新社区")
    for index in range(18):
        branch = make_branch(community, f"新支部{index}", seats=1)
        make_unit(OrgKind.GROUP, branch)
        record(make_meeting(branch, held_at=days_ago(0, hour=0)), {})
    assert count() == few


# --- Tasks -------------------------------------------------------------------------------------


def test_tasks_are_assigned_listed_done_and_cancelled(world, login):
    client = login(world.personas["branch_secretary"])
    member = world.members["B1"]
    form_page = client.get(reverse("orglife:task_create"), {"branch": world.units["B1"].pk})
    assert member.name in body(form_page)
    response = client.post(
        reverse("orglife:task_create"),
        {
            "branch": world.units["B1"].pk,
            "member": member.pk,
            "title": "联系 3 号楼住户",
            "assigned_on": timezone.localdate().isoformat(),
            "due_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200 and "完成期限不能早于交办日期" in body(response)
    response = client.post(
        reverse("orglife:task_create"),
        {
            "branch": world.units["B1"].pk,
            "member": world.members["B1b"].pk,  # not of the chosen branch
            "title": "联系 3 号楼住户",
            "assigned_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200 and not MemberTask.objects.exists()
    response = client.post(
        reverse("orglife:task_create"),
        {
            "branch": world.units["B1"].pk,
            "member": member.pk,
            "title": "联系 3 号楼住户",
            "assigned_on": timezone.localdate().isoformat(),
        },
    )
    task = MemberTask.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("orglife:task_detail", args=[task.pk])

    listing = client.get(reverse("orglife:task_list"), {"state": "open"})
    assert [row.pk for row in listing.context["page"]] == [task.pk]
    assert ("open", "进行中", 1) in listing.context["tabs"]
    done = reverse("orglife:task_done", args=[task.pk])
    response = client.post(done, {"done_on": timezone.localdate().isoformat(), "result": "", "version": 1})
    assert response.status_code == 400
    assert (
        client.post(
            done, {"done_on": timezone.localdate().isoformat(), "result": "走访 8 户", "version": 1}
        ).status_code
        == 302
    )
    task.refresh_from_db()
    assert (task.status, task.result) == ("done", "走访 8 户")
    other = make_task(member, "筹备主题党日")
    response = client.post(reverse("orglife:task_cancel", args=[other.pk]), {"reason": "活动取消", "version": 1})
    assert response.status_code == 302
    assert MemberTask.objects.get(pk=other.pk).status == "cancelled"


def test_the_overdue_filter(world, login):
    today = timezone.localdate()
    late = make_task(
        world.members["B1"],
        "逾期任务",
        assigned_on=today - datetime.timedelta(days=20),
        due_on=today - datetime.timedelta(days=1),
    )
    make_task(world.members["B1"], "未到期任务", due_on=today + datetime.timedelta(days=3))
    make_task(world.members["B2"], "松涛任务")
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("orglife:task_list"), {"state": "overdue"})
    assert [task.pk for task in response.context["page"]] == [late.pk]
    assert "松涛" not in body(client.get(reverse("orglife:task_list")))


def test_the_task_list_runs_the_same_queries_for_2_and_20_tasks(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("orglife:task_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(2):
        make_task(world.members["B1"])
    few = count()
    for index in range(18):
        make_task(world.members["B1b" if index % 2 else "B1"])
    assert count() == few


# --- The member page's tab ---------------------------------------------------------------------


def test_the_life_tab_partial_renders(world):
    from django.template.loader import render_to_string

    from dangjian.orglife.selectors import member_life_tab

    member = world.members["B1"]
    record(make_meeting(world.units["B1"], title="十月主题党日"), {member: ("excused", "住院治疗")})
    make_task(member, "整理学习资料")
    html = render_to_string("orglife/partials/tab_life.html", {"life": member_life_tab(member=member), "links": True})
    assert "十月主题党日" in html and "住院治疗" in html and "整理学习资料" in html
    assert reverse("orglife:task_detail", args=[member.tasks.get().pk]) in html
    plain = render_to_string("orglife/partials/tab_life.html", {"life": member_life_tab(member=member)})
    assert "十月主题党日" in plain and "/life/meetings/" not in plain
