"""The REST API: the same scope as the pages, writes through the services, a valid schema."""

from __future__ import annotations

import re

import pytest
import yaml
from django.urls import reverse
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dangjian.core.choices import OrgKind, Role
from dangjian.core.models import BranchCommittee, OrgUnit
from dangjian.core.tests.factories import grant
from dangjian.core.tests.scope_matrix import iter_routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    def _api(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.personas[persona])
        return client

    return _api


def test_the_unit_list_holds_only_units_in_scope(world, api):
    response = api("subdistrict_organizer").get("/api/v1/org-units/", {"page_size": 100})
    names = {row["name"] for row in response.json()["results"]}
    assert "翠湖第一支部" in names and "东湖街道" in names
    assert not any(name.startswith(("松涛", "北岭", "南山", "示范区")) for name in names)


def test_the_unit_list_filters_by_kind_and_name(world, api):
    client = api("district_organizer")
    kinds = {row["kind"] for row in client.get("/api/v1/org-units/", {"kind": "branch"}).json()["results"]}
    assert kinds == {"branch"}
    found = client.get("/api/v1/org-units/", {"q": "松涛"}).json()["results"]
    assert {row["name"] for row in found} == {"松涛社区", "松涛界外支部", "松涛界外小组"}


def test_a_unit_outside_the_scope_is_404(world, api):
    response = api("community_secretary").get(f"/api/v1/org-units/{world.units['B2'].pk}/")
    assert response.status_code == 404


def test_a_secretary_creates_moves_and_closes_a_branch(world, api):
    client = api("community_secretary")
    created = client.post(
        "/api/v1/org-units/",
        {"parent": world.units["C1"].pk, "kind": "branch", "code": "API-1", "name": "接口支部"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    unit_id = created.json()["id"]
    moved = client.post(f"/api/v1/org-units/{unit_id}/move/", {"new_parent": world.units["GB1"].pk}, format="json")
    assert moved.status_code == 200 and moved.json()["parent"] == world.units["GB1"].pk
    closed = client.post(
        f"/api/v1/org-units/{unit_id}/close/", {"status": "dissolved", "closed_on": "2026-11-20"}, format="json"
    )
    assert closed.status_code == 200 and closed.json()["status"] == "dissolved"


def test_creating_under_a_parent_outside_the_scope_is_refused(world, api):
    response = api("community_secretary").post(
        "/api/v1/org-units/",
        {"parent": world.units["C2"].pk, "kind": "branch", "code": "API-2", "name": "越界支部"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"parent": ["所选组织不存在或不在您的权限范围内。"]}
    assert not OrgUnit.objects.filter(code="API-2").exists()


def test_bad_input_names_the_field_in_chinese(world, api):
    response = api("community_secretary").post(
        "/api/v1/org-units/",
        {"parent": world.units["C1"].pk, "kind": "group", "code": "API-3", "name": "错层小组"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"parent": ["社区下不能设立党小组。"]}


def test_a_stale_version_is_refused(world, api):
    client = api("community_secretary")
    b1 = world.units["B1"]
    url = f"/api/v1/org-units/{b1.pk}/"
    assert client.patch(url, {"name": "甲", "version": b1.version}, format="json").status_code == 200
    response = client.patch(url, {"name": "乙", "version": b1.version}, format="json")
    assert response.status_code == 400
    assert "已被他人修改" in response.json()["non_field_errors"][0]
    assert OrgUnit.objects.get(pk=b1.pk).name == "甲"


def test_a_cadre_reads_but_does_not_write(world, api):
    client = api("community_cadre")
    assert client.get(f"/api/v1/org-units/{world.units['B1'].pk}/").status_code == 200
    response = client.patch(f"/api/v1/org-units/{world.units['B1'].pk}/", {"name": "改"}, format="json")
    assert response.status_code == 403


def test_committees_and_seats_through_the_api(world, api):
    client = api("community_secretary")
    b1 = world.units["B1"]
    listed = client.get("/api/v1/committees/", {"ending_within": 90}).json()["results"]
    assert {row["org_unit_name"] for row in listed} == {"翠湖社区", "翠湖社区党总支", "翠湖第一支部", "翠湖第二支部"}
    start = world.committees["B1"].term_end.isoformat()
    created = client.post("/api/v1/committees/", {"org_unit": b1.pk, "term_start": start}, format="json")
    assert created.status_code == 201 and created.json()["term_number"] == 2
    committee_id = created.json()["id"]
    seat = client.post(
        "/api/v1/committee-seats/",
        {"committee": committee_id, "person_name": "新书记", "position": "secretary", "started_on": start},
        format="json",
    )
    assert seat.status_code == 201
    ended = client.post(
        f"/api/v1/committee-seats/{seat.json()['id']}/end/", {"left_on": start, "reason": "调离"}, format="json"
    )
    assert ended.status_code == 200 and ended.json()["left_on"] == start
    assert BranchCommittee.objects.get(pk=committee_id).seats.get().left_reason == "调离"


def test_me_lists_the_grants_and_the_header_picks_one(world, api):
    user = world.personas["community_secretary"]
    second = grant(user, Role.BRANCH_SECRETARY, world.units["B1"])
    client = api("community_secretary")
    me = client.get("/api/v1/me/").json()
    assert me["active_grant"]["role"] == "community_secretary"
    assert len(me["grants"]) == 2
    me = client.get("/api/v1/me/", HTTP_X_GRANT=str(second.pk)).json()
    assert me["active_grant"]["id"] == second.pk
    # Acting as the branch secretary of B1, the other branch of the community is out of scope.
    response = client.get(f"/api/v1/org-units/{world.units['B1b'].pk}/", HTTP_X_GRANT=str(second.pk))
    assert response.status_code == 404
    foreign = world.personas["district_organizer"].grants.get()
    assert client.get("/api/v1/me/", HTTP_X_GRANT=str(foreign.pk)).status_code == 403


def test_a_token_is_issued_for_the_right_password_and_works(world):
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "community_cadre", "password": "Test-password-2026"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=world.personas["community_cadre"]).key == token
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    names = {row["name"] for row in client.get("/api/v1/org-units/").json()["results"]}
    assert "翠湖社区" in names and "松涛社区" not in names
    wrong = APIClient().post("/api/v1/auth/token/", {"username": "community_cadre", "password": "x"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["detail"] == "用户名或密码不正确。"


def test_the_api_needs_a_signed_in_user(world):
    assert APIClient().get("/api/v1/org-units/").status_code in (401, 403)


def test_the_schema_is_valid_openapi_3_and_lists_every_api_route(client, world):
    client.force_login(world.personas["district_organizer"])
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate(schema)
    documented = set(schema["paths"])
    for route in iter_routes():
        if not route.pattern.startswith("api/v1/") or route.name == "api-root":
            continue
        path = "/" + re.sub(r"\(\?P<\w+>[^)]*\)", "{id}", route.pattern.replace("^", "").replace("$", ""))
        assert path in documented, f"{route.name} ({path}) is missing from the schema"


def test_the_api_reference_is_served_from_local_assets(client, world):
    client.force_login(world.personas["district_organizer"])
    body = client.get(reverse("api-docs")).content.decode()
    assert "swagger" in body.lower()
    assert "cdn" not in body.lower() and "https://" not in body


def test_the_kind_filter_rejects_an_unknown_kind(world, api):
    response = api("district_organizer").get("/api/v1/org-units/", {"kind": "planet"})
    assert response.status_code == 400
    assert OrgKind.BRANCH  # the enumeration the filter offers


def test_not_found_is_said_in_chinese(world, api):
    response = api("community_secretary").get(f"/api/v1/org-units/{world.units['B2'].pk}/")
    assert response.json() == {"detail": "不存在，或不在您的权限范围内。"}


def test_a_malformed_grant_header_names_the_header(world, api):
    response = api("community_secretary").get("/api/v1/org-units/", HTTP_X_GRANT="abc")
    assert response.status_code == 400 and response.json() == {"X-Grant": ["授权编号必须是整数。"]}


def test_page_size_asks_for_larger_pages(world, api):
    client = api("district_organizer")
    assert len(client.get("/api/v1/org-units/", {"page_size": 3}).json()["results"]) == 3
    assert client.get("/api/v1/org-units/", {"page_size": 500}).json()["next"] is None


def test_a_user_revokes_their_token(world):
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "community_cadre", "password": "Test-password-2026"}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    response = client.get("/api/v1/org-units/")
    assert response.status_code in (401, 403) and response.json()["detail"] == "认证令牌无效。"


def test_an_old_token_stops_working_when_two_factor_becomes_required(world, settings):
    token = Token.objects.create(user=world.personas["subdistrict_organizer"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/org-units/").status_code == 200
    settings.DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS = True
    response = client.get("/api/v1/org-units/")
    assert response.status_code == 403 and "双重验证" in response.json()["detail"]


def test_a_locked_account_gets_json_from_the_api(world):
    client = APIClient()
    for _ in range(5):
        client.post("/api/v1/auth/token/", {"username": "community_cadre", "password": "wrong"}, format="json")
    response = client.post(
        "/api/v1/auth/token/", {"username": "community_cadre", "password": "Test-password-2026"}, format="json"
    )
    assert response.status_code == 429
    assert "暂时锁定" in response.json()["detail"]


def test_the_unit_and_committee_lists_cost_the_same_queries_for_few_and_many(world, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.core.tests.factories import make_committee, make_unit

    client = api("community_secretary")

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"page_size": 500}).status_code == 200
        return len(queries)

    count("/api/v1/me/")  # the first request of this client loads and caches the grants
    units, committees = count("/api/v1/org-units/"), count("/api/v1/committees/")
    for _ in range(20):
        make_committee(make_unit(OrgKind.BRANCH, world.units["C1"]))
    assert count("/api/v1/org-units/") == units
    assert count("/api/v1/committees/") == committees
