"""The oversight API: cases and their actions, scan runs, the caller's own reminders."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from dangjian.oversight.choices import CaseStatus
from dangjian.oversight.models import Case, CaseAction, Reminder, ScanRun

from . import factories as f
from .test_views import open_case, remind

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    def _api(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.personas[persona])
        return client

    return _api


@pytest.fixture
def cases(world):
    return {place: open_case(world.members[place]) for place in ("B1", "B1b", "B2", "B3")}


def snapshot():
    return (
        list(Case.objects.order_by("pk").values_list("pk", "status", "outcome", "assignee_id", "version")),
        list(CaseAction.objects.order_by("pk").values_list("pk", "kind")),
        list(ScanRun.objects.values_list("pk", flat=True)),
    )


def test_the_case_list_is_scoped_and_masked(world, api, cases):
    response = api("community_secretary").get("/api/v1/cases/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {cases["B1"].pk, cases["B1b"].pk}
    member = world.members["B1"]
    row = next(row for row in rows if row["id"] == cases["B1"].pk)
    assert row["member_phone"] == member.phone_masked and member.phone not in response.content.decode()
    assert row["kind_display"] == "连续六个月未参加组织生活" and row["status"] == "open"
    filtered = api("district_organizer").get("/api/v1/cases/", {"unit": world.units["C2"].pk}).json()["results"]
    assert [row["id"] for row in filtered] == [cases["B2"].pk]
    assert api("community_secretary").get(f"/api/v1/cases/{cases['B2'].pk}/").status_code == 404
    assert api("member").get("/api/v1/cases/").status_code == 403


def test_a_case_is_worked_through_the_api(world, api, cases):
    client = api("community_secretary")
    url = f"/api/v1/cases/{cases['B1'].pk}/"
    cadre = world.personas["community_cadre"]
    assigned = client.post(f"{url}assign/", {"assignee": cadre.pk, "version": 1}, format="json")
    assert assigned.status_code == 200 and assigned.json()["assignee_name"] == cadre.display_name
    noted = client.post(f"{url}note/", {"kind": "visit", "note": "上门走访"}, format="json")
    assert noted.status_code == 201 and noted.json()["actions"][-1]["kind"] == "visit"
    closed = client.post(f"{url}close/", {"outcome": "justified", "note": "长期住院", "version": 2}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = client.post(f"{url}close/", {"outcome": "contacted", "note": "已联系", "version": 2}, format="json")
    assert again.status_code == 400 and "该盲点已由他人办结。" in str(again.json())
    reopened = client.post(f"{url}reopen/", {"note": "病愈后仍未参加"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == CaseStatus.WORKING
    detail = client.get(url).json()
    assert [action["kind"] for action in detail["actions"]] == ["assign", "visit", "close", "reopen"]


def test_api_refusals_name_the_field_and_write_nothing(world, api, cases):
    client = api("community_secretary")
    url = f"/api/v1/cases/{cases['B1'].pk}/"
    before = snapshot()
    for action in ("assign", "note", "close", "reopen"):
        assert client.post(f"{url}{action}/", {}, format="json").status_code == 400
    outsider = world.personas["outsider"]
    response = client.post(f"{url}assign/", {"assignee": outsider.pk}, format="json")
    assert response.status_code == 400 and "所选人员不能处理该盲点" in response.json()["assignee"][0]
    response = client.post(f"{url}close/", {"outcome": "nonsense", "note": "x"}, format="json")
    assert response.status_code == 400 and "outcome" in response.json()
    assert (
        client.post(f"/api/v1/cases/{cases['B2'].pk}/close/", {"outcome": "contacted", "note": "x"}).status_code == 404
    )
    assert snapshot() == before


def test_the_case_list_costs_the_same_queries_for_few_and_many(world, api):
    client = api("community_secretary")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/cases/", {"page_size": 500}).status_code == 200
        return len(queries)

    open_case(world.members["B1"], assignee=world.personas["community_cadre"])
    count()
    few = count()
    for index in range(20):
        open_case(f.member(world.units["B1b"], f"接口{index}"), assignee=world.personas["branch_secretary"])
    assert count() == few


def test_scan_runs_are_listed_and_started_by_those_who_may(world, api, django_capture_on_commit_callbacks):
    assert api("community_secretary").get("/api/v1/scan-runs/").status_code == 403
    client = api("district_organizer")
    assert client.post("/api/v1/scan-runs/", {}, format="json").status_code == 400
    response = client.post("/api/v1/scan-runs/", {"unit": world.units["B3"].pk}, format="json")
    assert response.status_code == 400 and "unit" in response.json()
    response = client.post("/api/v1/scan-runs/", {"unit": world.units["C1"].pk, "as_of": "2026-13"}, format="json")
    assert response.status_code == 400 and "as_of" in response.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/scan-runs/", {"unit": world.units["C1"].pk}, format="json")
    assert response.status_code == 201
    run = ScanRun.objects.get()
    assert response.json()["id"] == run.pk and response.json()["org_unit_name"] == "翠湖社区"
    listed = client.get("/api/v1/scan-runs/").json()["results"]
    assert [row["id"] for row in listed] == [run.pk] and listed[0]["opened_total"] == 2


def test_reminders_are_the_callers_own(world, api):
    secretary = world.personas["community_secretary"]
    mine = remind(secretary, world.units["C1"], "a", "我的提醒")
    theirs = remind(world.personas["community_cadre"], world.units["C1"], "a", "干部的提醒")
    client = api("community_secretary")
    rows = client.get("/api/v1/reminders/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert client.post(f"/api/v1/reminders/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/api/v1/reminders/{mine.pk}/read/").json()["read_at"] is not None
    assert client.get("/api/v1/reminders/", {"unread": "true"}).json()["results"] == []
    assert api("member").get("/api/v1/reminders/").status_code == 403


def test_read_all_needs_the_time_the_list_was_read(world, api):
    secretary = world.personas["community_secretary"]
    remind(secretary, world.units["C1"], "a", "一")
    remind(secretary, world.units["C1"], "b", "二")
    client = api("community_secretary")
    assert client.post("/api/v1/reminders/read-all/", {}, format="json").status_code == 400
    assert Reminder.objects.filter(read_at__isnull=True).count() == 2
    response = client.post("/api/v1/reminders/read-all/", {"seen_at": timezone.now().isoformat()}, format="json")
    assert response.json() == {"marked": 2}
