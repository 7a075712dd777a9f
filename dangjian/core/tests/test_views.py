"""The pages: what each persona sees, forms that refuse bad input, query budgets."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.choices import OrgKind, OrgStatus, Role
from dangjian.core.models import BranchCommittee, CommitteeSeat, OrgUnit
from dangjian.core.tests.factories import grant, make_committee, make_unit

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(OrgUnit.objects.order_by("pk").values_list("pk", "name", "code", "parent_id", "path", "status")),
        list(BranchCommittee.objects.order_by("pk").values_list("pk", "term_start", "term_end", "ended_on")),
        list(CommitteeSeat.objects.order_by("pk").values_list("pk", "person_name", "left_on")),
    )


def post_refused(client, url: str, data: dict) -> str:
    """Post `data` to a form page: the form comes back with its messages and nothing in the
    database changed. Returns the page."""
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200
    assert snapshot() == before
    return response.content.decode()


# --- Home pages ------------------------------------------------------------------------------


def test_the_community_secretary_home_shows_the_community_and_terms_ending(world, login):
    body = login(world.personas["community_secretary"]).get("/").content.decode()
    assert "翠湖社区" in body and "即将届满的委员会" in body
    assert "翠湖第一支部 第1届" in body
    assert "松涛" not in body and "北岭" not in body


def test_the_district_organizer_home_charts_its_subdistricts(world, login):
    response = login(world.personas["district_organizer"]).get("/")
    body = response.content.decode()
    assert 'data-chart="chart-branches"' in body
    chart = response.context["chart"]
    assert chart["categories"] == ["东湖街道", "南山街道"]
    assert chart["series"][0]["data"] == [2, 1]  # branches under each sub-district
    assert "北岭" not in body


def test_a_member_sees_their_branch_and_its_committee(world, login):
    body = login(world.personas["member"]).get("/").content.decode()
    assert "翠湖第一支部" in body and "翠湖第一支部书记" in body
    assert "组织架构" not in body  # the navigation offers only what the role may use


def test_a_resident_sees_their_community(world, login):
    body = login(world.personas["resident"]).get("/").content.decode()
    assert "我所在的社区" in body and "翠湖社区书记" in body


def test_a_user_without_grants_is_told_so(world, login):
    body = login(world.personas["outsider"]).get("/").content.decode()
    assert "还没有任何授权" in body


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/org/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- Switching grants ------------------------------------------------------------------------


def test_a_user_with_two_grants_switches_between_them(world, login):
    user = world.personas["community_secretary"]
    second = grant(user, Role.BRANCH_SECRETARY, world.units["B1"])
    client = login(user)
    assert "翠湖社区" in client.get("/").context["root"].name
    response = client.post(reverse("core:grant_switch"), {"grant": second.pk})
    assert response.status_code == 302
    home = client.get("/")
    assert home.context["root"] == world.units["B1"]
    assert 'id="grant-switcher"' in home.content.decode()
    # The branch secretary of B1 no longer sees the other branch of the community.
    assert client.get(reverse("core:org_detail", args=[world.units["B1b"].pk])).status_code == 404


def test_a_user_cannot_switch_to_someone_elses_grant(world, login):
    other = world.personas["district_organizer"].grants.get()
    response = login(world.personas["community_secretary"]).post(reverse("core:grant_switch"), {"grant": other.pk})
    assert response.status_code == 404


# --- The tree --------------------------------------------------------------------------------


def test_the_tree_starts_at_the_scope_root_with_its_children_open(world, login):
    body = login(world.personas["community_secretary"]).get("/org/").content.decode()
    assert "翠湖社区党总支" in body and "翠湖第二支部" in body
    assert "翠湖第一支部" not in body  # below the general branch, loaded when expanded


def test_expanding_a_node_loads_its_children(world, login):
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("core:org_children", args=[world.units["GB1"].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "翠湖第一支部" in response.content.decode()


def test_the_tree_search_finds_units_in_scope_only(world, login):
    client = login(world.personas["subdistrict_organizer"])
    body = client.get("/org/", {"q": "支部"}, HTTP_HX_REQUEST="true").content.decode()
    assert "翠湖第一支部" in body and "松涛" not in body
    assert "<nav" not in body  # only the results fragment for HTMX


def test_tree_children_cost_the_same_queries_for_3_and_30_children(world, login):
    client = login(world.personas["community_secretary"])
    c1 = world.units["C1"]
    url = reverse("core:org_children", args=[c1.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for _ in range(27):
        make_unit(OrgKind.BRANCH, c1)
    assert count() == few


def test_the_terms_ending_list_costs_the_same_queries_for_2_and_40_committees(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("core:committees_ending")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    few = count()
    for _ in range(38):
        make_committee(make_unit(OrgKind.BRANCH, world.units["C1"]), ends_in_days=20)
    many = count()
    assert many == few
    assert len(client.get(url).context["committees"]) >= 40


def test_the_terms_ending_list_takes_a_window_in_days(world, login):
    make_committee(make_unit(OrgKind.BRANCH, world.units["C1"], name="远期支部"), ends_in_days=200)
    client = login(world.personas["community_secretary"])
    assert "远期支部" not in client.get(reverse("core:committees_ending")).content.decode()
    assert "远期支部" in client.get(reverse("core:committees_ending"), {"days": 365}).content.decode()
    assert client.get(reverse("core:committees_ending"), {"days": "abc"}).status_code == 200


def test_the_unit_page_shows_its_committees_and_history(world, login):
    body = (
        login(world.personas["community_secretary"])
        .get(reverse("core:org_detail", args=[world.units["B1"].pk]))
        .content.decode()
    )
    assert "第1届委员会" in body and "翠湖第一支部书记" in body
    assert "变更记录" in body and "新增" in body


# --- Forms: good input -----------------------------------------------------------------------


def test_a_secretary_creates_a_branch_under_the_community(world, login):
    client = login(world.personas["community_secretary"])
    response = client.post(
        reverse("core:org_create", args=[world.units["C1"].pk]),
        {"kind": OrgKind.BRANCH, "name": "翠湖第三支部", "code": "CH-B3", "sort_order": 0},
    )
    unit = OrgUnit.objects.get(code="CH-B3")
    assert response.status_code == 302 and response["Location"] == reverse("core:org_detail", args=[unit.pk])
    assert unit.parent == world.units["C1"] and unit.path.startswith(world.units["C1"].path)


def test_a_secretary_moves_a_branch_under_the_general_branch(world, login):
    client = login(world.personas["community_secretary"])
    b1b = world.units["B1b"]
    response = client.post(
        reverse("core:org_move", args=[b1b.pk]), {"new_parent": world.units["GB1"].pk, "version": b1b.version}
    )
    assert response.status_code == 302
    b1b.refresh_from_db()
    assert b1b.parent == world.units["GB1"]


def test_a_secretary_records_a_new_term_and_its_secretary(world, login):
    client = login(world.personas["community_secretary"])
    b1 = world.units["B1"]
    start = world.committees["B1"].term_end
    response = client.post(reverse("core:committee_create", args=[b1.pk]), {"term_start": start.isoformat()})
    committee = BranchCommittee.objects.get(org_unit=b1, term_number=2)
    assert response.status_code == 302
    assert committee.term_end == start.replace(year=start.year + 3)
    client.post(
        reverse("core:seat_add", args=[committee.pk]),
        {"person_name": "新任书记", "position": "secretary", "started_on": start.isoformat()},
    )
    assert committee.seats.get().person_name == "新任书记"


# --- Forms: bad input gets a Chinese message naming the field, and nothing is written ---------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": OrgKind.BRANCH, "name": "", "code": "OK-1", "sort_order": 0}, "名称", "该字段是必填项"),
        ({"kind": OrgKind.BRANCH, "name": "支部", "code": "坏 编码", "sort_order": 0}, "编码", "编码只能包含"),
        ({"kind": OrgKind.GROUP, "name": "支部", "code": "OK-2", "sort_order": 0}, "类型", "不在可用的选项中"),
        ({"kind": OrgKind.BRANCH, "name": "支部", "code": "OK-3", "sort_order": -1}, "排序", "大于或等于0"),
        (
            {"kind": OrgKind.BRANCH, "name": "支部", "code": "OK-4", "sort_order": 0, "established_on": "2026-13-01"},
            "成立日期",
            "输入一个有效的日期",
        ),
    ],
)
def test_creating_a_unit_with_bad_input_names_the_field_and_writes_nothing(world, login, data, field, message):
    client = login(world.personas["community_secretary"])
    body = post_refused(client, reverse("core:org_create", args=[world.units["C1"].pk]), data)
    assert f"<strong>{field}</strong>：" in body and message in body


def test_a_duplicate_code_is_refused_on_the_form(world, login):
    client = login(world.personas["community_secretary"])
    body = post_refused(
        client,
        reverse("core:org_create", args=[world.units["C1"].pk]),
        {"kind": OrgKind.BRANCH, "name": "重码支部", "code": world.units["B2"].code, "sort_order": 0},
    )
    assert "<strong>编码</strong>：" in body and "已存在" in body


def test_a_stale_edit_form_is_refused_and_the_other_change_kept(world, login):
    client = login(world.personas["community_secretary"])
    b1 = world.units["B1"]
    url = reverse("core:org_edit", args=[b1.pk])
    form = {"name": "甲的改名", "code": b1.code, "sort_order": 0, "version": b1.version}
    assert client.post(url, form).status_code == 302
    body = client.post(url, {**form, "name": "乙的改名"}).content.decode()
    assert "已被他人修改" in body
    b1.refresh_from_db()
    assert b1.name == "甲的改名"


def test_moving_a_unit_below_itself_is_not_offered(world, login):
    client = login(world.personas["community_secretary"])
    gb1 = world.units["GB1"]
    body = post_refused(
        client, reverse("core:org_move", args=[gb1.pk]), {"new_parent": world.units["B1"].pk, "version": gb1.version}
    )
    assert "<strong>新的上级组织</strong>：所选上级组织不在可选范围内。" in body


def test_merging_without_a_target_names_the_field(world, login):
    client = login(world.personas["community_secretary"])
    g1 = world.units["G1"]
    body = post_refused(
        client,
        reverse("core:org_close", args=[g1.pk]),
        {"status": OrgStatus.MERGED, "closed_on": "2026-11-01", "version": g1.version},
    )
    assert "<strong>并入组织</strong>：合并时必须选择并入的组织。" in body


def test_closing_a_unit_with_open_children_is_refused(world, login):
    client = login(world.personas["community_secretary"])
    b1 = world.units["B1"]
    body = post_refused(
        client,
        reverse("core:org_close", args=[b1.pk]),
        {"status": OrgStatus.DISSOLVED, "closed_on": "2026-11-01", "version": b1.version},
    )
    assert "下级组织" in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"term_start": ""}, "任期开始", "该字段是必填项"),
        ({"term_start": "2020-01-01"}, "任期开始", "必须晚于上一届"),
        ({"term_start": "2030-01-01", "term_end": "2029-01-01"}, "任期届满", "必须晚于任期开始"),
    ],
)
def test_a_new_term_with_bad_dates_names_the_field_and_writes_nothing(world, login, data, field, message):
    client = login(world.personas["community_secretary"])
    body = post_refused(client, reverse("core:committee_create", args=[world.units["B1"].pk]), data)
    assert f"<strong>{field}</strong>：" in body and message in body


def test_ending_a_seat_before_it_started_names_the_field(world, login):
    client = login(world.personas["community_secretary"])
    seat = world.seats["B1"]
    body = post_refused(
        client,
        reverse("core:seat_end", args=[seat.pk]),
        {"left_on": (seat.started_on - datetime.timedelta(days=1)).isoformat(), "reason": "调离"},
    )
    assert "<strong>离任日期</strong>：离任日期不能早于任职日期。" in body


def test_a_cadre_may_look_but_not_change(world, login):
    client = login(world.personas["community_cadre"])
    b1 = world.units["B1"]
    assert client.get(reverse("core:org_detail", args=[b1.pk])).status_code == 200
    assert client.get(reverse("core:org_edit", args=[b1.pk])).status_code == 403
    assert "编辑" not in client.get(reverse("core:org_detail", args=[b1.pk])).content.decode().split("变更记录")[0]


def test_a_secretary_cannot_edit_their_own_community(world, login):
    client = login(world.personas["community_secretary"])
    assert client.get(reverse("core:org_edit", args=[world.units["C1"].pk])).status_code == 403


def test_a_committee_edit_with_the_end_before_the_start_names_the_field(world, login):
    client = login(world.personas["community_secretary"])
    committee = world.committees["B1"]
    body = post_refused(
        client,
        reverse("core:committee_edit", args=[committee.pk]),
        {
            "term_start": committee.term_start.isoformat(),
            "term_end": (committee.term_start - datetime.timedelta(days=1)).isoformat(),
            "version": committee.version,
        },
    )
    assert "<strong>任期届满</strong>：任期届满日期必须晚于任期开始日期。" in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"person_name": "", "position": "committee_member"}, "姓名", "该字段是必填项"),
        ({"person_name": "王五", "position": "emperor"}, "职务", "不在可用的选项中"),
        ({"person_name": "王五", "position": "secretary"}, None, "该委员会已有在任书记"),
        ({"person_name": "王五", "position": "committee_member", "started_on": "2000-01-01"}, "任职日期", "不能早于"),
    ],
)
def test_adding_a_seat_with_bad_input_says_why_and_writes_nothing(world, login, data, field, message):
    client = login(world.personas["community_secretary"])
    body = post_refused(client, reverse("core:seat_add", args=[world.committees["B1"].pk]), data)
    if field:
        assert f"<strong>{field}</strong>：" in body
    assert message in body


def test_an_empty_login_names_both_fields(client):
    body = client.post(reverse("core:login"), {"username": "", "password": ""}).content.decode()
    assert "<strong>用户名</strong>：该字段是必填项。" in body and "<strong>密码</strong>：该字段是必填项。" in body


def test_the_navigation_groups_entries_and_keeps_single_ones_plain(world, login):
    body = login(world.personas["community_secretary"]).get(reverse("core:home")).content.decode()
    # 首页 stands alone as a link; the members' pages are one drop-down.
    assert 'class="nav-link active" href="/"' in body
    assert 'data-bs-toggle="dropdown" aria-expanded="false"><i class="bi bi-person-vcard me-1"></i>党员</a>' in body
    assert 'class="dropdown-item" href="/members/"' in body
    # A member (no capabilities) sees no drop-down of empty entries.
    member_body = login(world.personas["member"]).get(reverse("core:home")).content.decode()
    assert 'class="dropdown-item" href=""' not in member_body


def test_the_navigation_follows_the_script_prefix_it_is_served_under(world, login):
    from django.urls import get_script_prefix, set_script_prefix

    client = login(world.personas["community_secretary"])
    before = get_script_prefix()
    try:
        # What the WSGI handler does for an application served under /dangjian/ (the test
        # client leaves the prefix alone).
        set_script_prefix("/dangjian/")
        served = client.get("/members/", SCRIPT_NAME="/dangjian").content.decode()
        set_script_prefix("/")
        plain = client.get("/members/").content.decode()
    finally:
        set_script_prefix(before)
    assert 'class="dropdown-item active" href="/dangjian/members/" aria-current="page"' in served
    assert 'class="nav-link" href="/dangjian/"' in served
    assert 'class="dropdown-item active" href="/members/" aria-current="page"' in plain


def test_every_area_has_its_entry_in_the_navigation(world, login):
    body = login(world.personas["district_organizer"]).get(reverse("core:home")).content.decode()
    for url_name in (
        "members:member_list",
        "members:transfer_list",
        "members:mobile_list",
        "members:care_list",
        "members:dues_ledger",
        "orglife:meeting_list",
        "orglife:compliance",
        "oversight:case_list",
        "oversight:scan_list",
        "research:opinion_list",
    ):
        assert f'href="{reverse(url_name)}"' in body, url_name
