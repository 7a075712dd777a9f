"""The REST API of organizational life: meetings and their attendance, the rules, the compliance
table, member tasks; the scope and the capabilities."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from dangjian.orglife.models import Attendance, Meeting, MeetingRule, MemberTask
from dangjian.orglife.selectors import Period
from dangjian.orglife.tests.factories import days_ago, make_meeting, make_members, make_task, record

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_meeting_is_created_recorded_and_listed(world):
    client = api(world.personas["branch_secretary"])
    b1 = world.units["B1"]
    others = make_members(b1, 2, "接口")
    response = client.post(
        "/api/v1/meetings/",
        {
            "branch": b1.pk,
            "kind": "general_meeting",
            "title": "支部党员大会",
            "held_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
            "place": "活动室",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    meeting = response.data
    assert (meeting["status"], meeting["quorum_rule"], meeting["version"]) == ("planned", "more_than_half", 1)

    url = f"/api/v1/meetings/{meeting['id']}/attendance/"
    rows = [
        {"member": world.members["B1"].pk, "status": "present"},
        {"member": others[0].pk, "status": "excused"},
        {"member": others[1].pk, "status": "present"},
    ]
    response = client.put(url, {"version": 1, "rows": rows}, format="json")
    assert response.status_code == 400 and "reason" in response.data
    rows[1]["reason"] = "探亲"
    response = client.put(url, {"version": 1, "rows": rows}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["meeting"]["present_count"] == 2
    assert response.data["meeting"]["quorum_required"] == 2 and response.data["meeting"]["quorum_met"] is True
    assert {row["member_name"] for row in response.data["rows"]} == {
        member.name for member in (world.members["B1"], *others)
    }
    # The same body again: the version is stale now.
    response = client.put(url, {"version": 1, "rows": rows}, format="json")
    assert response.status_code == 400
    assert Attendance.objects.filter(meeting_id=meeting["id"]).count() == 3

    assert client.get(url).data["meeting"]["status"] == "held"
    listed = client.get("/api/v1/meetings/", {"below_quorum": "false", "kind": "general_meeting"}).data
    assert [row["id"] for row in listed["results"]] == [meeting["id"]]


def test_a_meeting_is_updated_with_its_version_and_cancelled(world):
    client = api(world.personas["community_cadre"])
    meeting = make_meeting(world.units["B1"], held_at=timezone.now() + datetime.timedelta(days=2))
    url = f"/api/v1/meetings/{meeting.pk}/"
    assert client.patch(url, {"title": "无版本"}, format="json").status_code == 400
    response = client.patch(url, {"title": "新主题", "version": 1}, format="json")
    assert response.status_code == 200 and response.data["title"] == "新主题" and response.data["version"] == 2
    assert client.patch(url, {"title": "旧版本", "version": 1}, format="json").status_code == 400
    response = client.post(f"{url}cancel/", {"reason": "场地维修", "version": 2}, format="json")
    assert response.status_code == 200 and response.data["status"] == "cancelled"


def test_an_empty_create_writes_nothing(world):
    client = api(world.personas["community_secretary"])
    assert client.post("/api/v1/meetings/", {}, format="json").status_code == 400
    assert client.post("/api/v1/member-tasks/", {}, format="json").status_code == 400
    assert not Meeting.objects.exists() and not MemberTask.objects.exists()


def test_a_branch_outside_the_scope_is_refused_on_its_field(world):
    client = api(world.personas["community_secretary"])
    response = client.post(
        "/api/v1/meetings/",
        {
            "branch": world.units["B2"].pk,
            "kind": "themed_day",
            "title": "越界",
            "held_at": timezone.now().isoformat(),
            "place": "外",
        },
        format="json",
    )
    assert response.status_code == 400 and "branch" in response.data
    assert not Meeting.objects.exists()


def test_meetings_of_other_communities_are_not_found(world):
    outside = make_meeting(world.units["B2"], title="松涛的会")
    client = api(world.personas["community_secretary"])
    assert client.get(f"/api/v1/meetings/{outside.pk}/").status_code == 404
    response = client.put(f"/api/v1/meetings/{outside.pk}/attendance/", {"rows": []}, format="json")
    assert response.status_code == 404
    assert "松涛" not in client.get("/api/v1/meetings/").content.decode()


def test_members_may_not_use_the_meeting_api(world):
    client = api(world.personas["member"])
    assert client.get("/api/v1/meetings/").status_code == 403
    assert client.get("/api/v1/meeting-rules/").status_code == 403


def test_the_meeting_list_runs_the_same_queries_for_2_and_20_meetings(world):
    client = api(world.personas["community_secretary"])
    client.get("/api/v1/meetings/")  # the persona's grants, read once and kept on the user

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/meetings/").status_code == 200
        return len(queries)

    for _ in range(2):
        make_meeting(world.units["B1"])
    few = count()
    for index in range(18):
        record(make_meeting(world.units["B1b"], held_at=days_ago(index + 1)), {world.members["B1b"]: "present"})
    assert count() == few


# --- Rules -------------------------------------------------------------------------------------


def test_the_rules_are_read_by_all_and_changed_only_by_the_district(world):
    rows = api(world.personas["branch_secretary"]).get("/api/v1/meeting-rules/").data
    assert {row["kind"]: row["frequency"] for row in rows}["general_meeting"] == "quarterly"
    body = {"rules": [{"kind": "party_lecture", "frequency": "monthly", "times": 1, "is_required": True, "version": 1}]}
    assert (
        api(world.personas["subdistrict_organizer"]).put("/api/v1/meeting-rules/bulk/", body, format="json").status_code
        == 403
    )
    organizer = api(world.personas["district_organizer"])
    response = organizer.put("/api/v1/meeting-rules/bulk/", body, format="json")
    assert response.status_code == 200
    assert {row["kind"]: row["version"] for row in response.data}["party_lecture"] == 2
    assert organizer.put("/api/v1/meeting-rules/bulk/", body, format="json").status_code == 400  # stale
    assert organizer.put("/api/v1/meeting-rules/bulk/", {}, format="json").status_code == 400
    assert MeetingRule.objects.get(kind="party_lecture").frequency == "monthly"


# --- Compliance --------------------------------------------------------------------------------


def test_the_compliance_endpoint(world):
    record(make_meeting(world.units["B1"], held_at=days_ago(0, hour=0)), {world.members["B1"]: "present"})
    month = Period.containing(timezone.localdate(), 1)
    client = api(world.personas["community_secretary"])
    response = client.get("/api/v1/meetings/compliance/", {"period": month.key, "unit": world.units["C1"].pk})
    assert response.status_code == 200
    data = response.data
    assert data["period"] == month.key and data["period_label"] == month.label
    rows = {row["branch_name"]: row for block in data["blocks"] for row in block["rows"]}
    assert set(rows) == {"翠湖第一支部", "翠湖第二支部"}
    themed = next(cell for cell in rows["翠湖第一支部"]["cells"] if cell["kind"] == "themed_day")
    assert (themed["held"], themed["required"], themed["ok"]) == (1, 1, True)
    assert client.get("/api/v1/meetings/compliance/", {"period": "2026-Q9"}).status_code == 400
    assert client.get("/api/v1/meetings/compliance/", {"unit": world.units["C2"].pk}).status_code == 400
    assert "松涛" not in client.get("/api/v1/meetings/compliance/").content.decode()


# --- Tasks -------------------------------------------------------------------------------------


def test_tasks_through_the_api(world):
    client = api(world.personas["branch_secretary"])
    today = timezone.localdate()
    response = client.post(
        "/api/v1/member-tasks/",
        {"member": world.members["B1"].pk, "title": "慰问困难党员", "assigned_on": today.isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.data
    task = response.data
    assert (
        client.post(
            "/api/v1/member-tasks/",
            {"member": world.members["B2"].pk, "title": "越界", "assigned_on": today.isoformat()},
            format="json",
        ).status_code
        == 400
    )
    response = client.post(
        f"/api/v1/member-tasks/{task['id']}/done/",
        {"done_on": today.isoformat(), "result": "已慰问", "version": 1},
        format="json",
    )
    assert response.status_code == 200 and response.data["status"] == "done"
    late = make_task(
        world.members["B1"],
        "逾期",
        assigned_on=today - datetime.timedelta(days=9),
        due_on=today - datetime.timedelta(days=2),
    )
    assert [row["id"] for row in client.get("/api/v1/member-tasks/", {"overdue": "true"}).data["results"]] == [late.pk]
    response = client.post(f"/api/v1/member-tasks/{late.pk}/cancel/", {"reason": "人员调整"}, format="json")
    assert response.status_code == 200 and response.data["result"] == "取消：人员调整"
