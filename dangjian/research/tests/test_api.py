"""The research API: the scope of the pages, the same services (research before approval and
before a solution), related ids outside the scope refused on their field, masked phones, the
indicators, and list endpoints in a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dangjian.research.choices import EventStatus, RiskStatus
from dangjian.research.models import Opinion, Risk

from .factories import make_event, make_opinion, make_risk, research_for_event, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    def client_for(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.personas[persona])
        return client

    return client_for


RISK = {
    "title": "电动车楼道充电",
    "level": "major",
    "location": "5栋",
    "involved": "5栋住户",
    "description": "多户在楼道充电。",
}


def test_a_cadre_reports_a_risk_and_lists_only_the_scope(world, api):
    client = api("community_cadre")
    response = client.post("/api/v1/risks/", {**RISK, "community": world.units["C1"].pk, "reported_on": today()})
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == RiskStatus.REPORTED and response.json()["community_name"] == "翠湖社区"
    make_risk(world.units["C2"], title="松涛隐患")
    titles = [row["title"] for row in client.get("/api/v1/risks/").json()["results"]]
    assert titles == ["电动车楼道充电"]


def test_a_community_outside_the_scope_is_refused_on_its_field(world, api):
    response = api("community_cadre").post(
        "/api/v1/risks/", {**RISK, "community": world.units["C2"].pk, "reported_on": today()}
    )
    assert response.status_code == 400
    assert response.json()["community"] == ["所选社区不存在或不在您的权限范围内。"]
    assert not Risk.objects.exists()


def test_a_major_risks_solution_needs_research_through_the_api_too(world, api):
    risk = make_risk(world.units["C1"])
    response = api("community_cadre").post(f"/api/v1/risks/{risk.pk}/solution/", {"solution": "方案"})
    assert response.status_code == 400
    assert "重大维稳隐患须先深入调研" in response.json()["solution"][0]


def test_approving_through_the_api_needs_research_and_the_sub_district(world, api):
    event = make_event(world.units["C1"])
    assert api("community_secretary").post(f"/api/v1/events/{event.pk}/approve/", {}).status_code == 403
    refused = api("subdistrict_organizer").post(f"/api/v1/events/{event.pk}/approve/", {})
    assert refused.status_code == 400 and "还没有活动前调研记录" in str(refused.json())
    research_for_event(event)
    approved = api("subdistrict_organizer").post(f"/api/v1/events/{event.pk}/approve/", {"note": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == EventStatus.APPROVED
    again = api("district_organizer").post(f"/api/v1/events/{event.pk}/approve/", {})
    assert again.status_code == 400 and "无需重复审批" in str(again.json())


def test_an_event_of_another_community_is_not_found(world, api):
    event = make_event(world.units["C2"])
    assert api("subdistrict_organizer").post(f"/api/v1/events/{event.pk}/approve/", {}).status_code == 404


def test_opinions_show_the_phone_masked_and_are_answered(world, api):
    opinion = make_opinion(
        world.units["C1"], submitter_kind="resident", submitter_name="王", contact_phone="13912345678"
    )
    client = api("community_cadre")
    row = client.get(f"/api/v1/opinions/{opinion.pk}/").json()
    assert row["contact_phone"] == "139****5678" and "13912345678" not in str(row)
    response = client.post(
        f"/api/v1/opinions/{opinion.pk}/answer/",
        {"answer_kind": "accepted", "answer": "好的", "promised_on": today() + datetime.timedelta(days=5)},
    )
    assert response.status_code == 200 and response.json()["status"] == "answered"
    done = client.post(f"/api/v1/opinions/{opinion.pk}/progress/", {"progress": "done", "note": "已修好"})
    assert done.json()["status"] == "closed"


def test_a_visit_with_opinions_through_the_api(world, api):
    response = api("community_cadre").post(
        "/api/v1/visits/",
        {
            "community": world.units["C1"].pk,
            "visitor": world.personas["community_cadre"].pk,
            "visited_on": today(),
            "whom": "12栋101",
            "topics": "走访",
            "opinions": ["希望加装电梯"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert len(response.json()["opinions"]) == 1
    assert Opinion.objects.get().source == "visit"


def test_a_visitor_outside_the_scope_is_refused_on_the_field(world, api):
    response = api("community_cadre").post(
        "/api/v1/visits/",
        {
            "community": world.units["C1"].pk,
            "visitor": world.personas["member"].pk,
            "visited_on": today(),
            "whom": "12栋",
            "topics": "走访",
        },
        format="json",
    )
    assert response.status_code == 400 and "走访干部" in response.json()["visitor"][0]


def test_the_detachment_indicators_endpoint(world, api):
    make_opinion(world.units["C1"])
    body = api("community_secretary").get("/api/v1/detachment/").json()
    assert body["total"]["opinions"] == 1 and len(body["months"]) == 6
    assert [row["label"] for row in body["communities"]] == ["翠湖社区"]
    bad = api("community_secretary").get("/api/v1/detachment/", {"month_from": "2026/01"})
    assert bad.status_code == 400 and bad.json() == {"month_from": ["月份格式应为 2026-01。"]}
    outside = api("community_secretary").get("/api/v1/detachment/", {"community": world.units["C2"].pk})
    assert outside.status_code == 400


@pytest.mark.parametrize("endpoint", ["/api/v1/risks/", "/api/v1/opinions/", "/api/v1/events/", "/api/v1/visits/"])
def test_an_api_list_runs_the_same_queries_for_few_and_many(world, api, endpoint):
    client = api("district_organizer")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(endpoint, {"page_size": 500}).status_code == 200
        return len(queries)

    def more(n: int) -> None:
        for number in range(n):
            risk = make_risk(world.units["C1"], title=f"隐患{number}")
            make_event(world.units["C1"], title=f"活动{number}")
            from .factories import visit_for_risk

            visit_for_risk(risk, world.personas["community_cadre"], opinions=["意见"])
            make_opinion(world.units["C2"])

    more(1)
    count()
    few = count()
    more(5)
    assert count() == few


def test_the_research_routes_are_in_the_schema(client, world):
    client.force_login(world.personas["district_organizer"])
    # The whole schema's validity is core's test (test_api.py); this one checks research is in it.
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in (
        "/api/v1/risks/",
        "/api/v1/risks/{id}/solution/",
        "/api/v1/events/{id}/approve/",
        "/api/v1/events/{id}/return/",
        "/api/v1/research-rounds/{id}/coverage/",
        "/api/v1/opinions/{id}/answer/",
        "/api/v1/detachment/",
    ):
        assert path in schema["paths"], path
