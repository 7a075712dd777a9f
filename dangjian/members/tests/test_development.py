"""The development pipeline (发展党员): its rules kept as data, each step, what is due and
overdue, the pages, and the API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dangjian.core.models import add_years
from dangjian.core.tests.scope_matrix import iter_routes
from dangjian.members.choices import DevelopmentStage, MembershipType, RuleKey
from dangjian.members.models import Development, DevelopmentRule, Member, add_months, load_rules, rule
from dangjian.members.selectors.development import development_due
from dangjian.members.services import development as services
from dangjian.members.services.development import day_label
from dangjian.members.tests.factories import id_number, make_development

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def apply(world, *, birth: datetime.date, applied_on: datetime.date | None = None, serial: int = 501, **fields):
    values = {
        "name": "王小明",
        "gender": "male",
        "id_number": id_number(birth, region="110105", serial=serial),
        "branch": world.units["B1"],
        "applied_on": applied_on or today(),
    }
    values.update(fields)
    return services.development_apply(by=world.personas["branch_secretary"], **values)


def snapshot():
    return (
        list(Development.objects.order_by("pk").values_list("pk", "stage", "version", "extension_months")),
        list(Member.objects.order_by("pk").values_list("pk", "version")),
        list(DevelopmentRule.objects.order_by("pk").values_list("pk", "value", "version")),
    )


def refused(call, field: str) -> str:
    """Run a service that must refuse: returns the message on `field`, and nothing was written."""
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        call()
    assert snapshot() == before
    messages = error.value.message_dict
    assert field in messages, messages
    return " ".join(messages[field])


# --- The rules as data -------------------------------------------------------------------------


def test_the_default_rules_are_seeded_by_the_migration(db):
    assert {row.key: row.value for row in DevelopmentRule.objects.all()} == {
        "applicant_min_age": 18,
        "activist_min_months": 12,
        "probation_months": 12,
        "extension_min_months": 6,
        "extension_max_months": 12,
        "max_extensions": 1,
    }
    assert rule(RuleKey.APPLICANT_MIN_AGE) == 18
    assert load_rules().months(RuleKey.APPLICANT_MIN_AGE) == 18 * 12


def test_months_are_added_by_the_calendar():
    assert add_months(datetime.date(2025, 8, 31), 6) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2024, 2, 29), 12) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2025, 3, 15), -3) == datetime.date(2024, 12, 15)


# --- Applying ----------------------------------------------------------------------------------


def test_it_refuses_a_17_year_old_applicant_on_the_application_date(world):
    birth = add_years(today(), -17)
    message = refused(lambda: apply(world, birth=birth), "applied_on")
    assert "申请入党时应年满18周岁" in message
    assert day_label(add_years(birth, 18)) in message  # the day the person may apply


def test_it_accepts_an_applicant_on_their_18th_birthday(world):
    development = apply(world, birth=add_years(today(), -18))
    assert development.stage == DevelopmentStage.APPLICANT
    assert development.birth_date == add_years(today(), -18)
    assert development.district == world.units["D1"]
    assert development.history.get().history_user == world.personas["branch_secretary"]


def test_an_invalid_id_number_is_refused_on_its_field(world):
    number = id_number(datetime.date(1999, 1, 1), serial=7)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    message = refused(lambda: apply(world, birth=datetime.date(1999, 1, 1), id_number=wrong), "id_number")
    assert "校验位" in message


def test_one_open_record_per_person_and_none_for_a_member(world):
    apply(world, birth=datetime.date(2000, 1, 1), serial=11)
    message = refused(lambda: apply(world, birth=datetime.date(2000, 1, 1), serial=11), "id_number")
    assert "进行中的发展党员记录" in message
    member = world.members["B1"]
    message = refused(lambda: apply(world, birth=member.birth_date, id_number=member.id_number), "id_number")
    assert "已登记为党员" in message


def test_a_stopped_record_does_not_block_a_new_application(world):
    first = apply(world, birth=datetime.date(2000, 2, 2), serial=12)
    services.development_stop(development=first, reason="本人撤回申请", stopped_on=today(), by=None)
    second = apply(world, birth=datetime.date(2000, 2, 2), serial=12)
    assert second.pk != first.pk


# --- Steps -------------------------------------------------------------------------------------


def test_an_activist_becomes_a_candidate_only_after_the_training_period(world):
    activist_on = add_months(today(), -12) + datetime.timedelta(days=1)
    development = make_development(world.units["B1"], stage="activist", activist_on=activist_on)
    message = refused(
        lambda: services.development_make_candidate(development=development, candidate_on=today(), by=None),
        "candidate_on",
    )
    assert "12个月" in message and day_label(add_months(activist_on, 12)) in message
    # Trained exactly twelve months today: accepted.
    boundary = make_development(world.units["B1"], stage="activist", activist_on=add_months(today(), -12))
    done = services.development_make_candidate(development=boundary, candidate_on=today(), by=None)
    assert done.stage == DevelopmentStage.CANDIDATE and done.candidate_on == today()


def test_it_refuses_a_confirmation_before_the_probation_ends_and_names_the_earliest_date(world):
    admitted_on = add_months(today(), -12) + datetime.timedelta(days=1)
    development = make_development(world.units["B1"], stage="probationary", admitted_on=admitted_on)
    message = refused(
        lambda: services.development_confirm(development=development, confirmed_on=today(), by=None),
        "confirmed_on",
    )
    assert "最早转正日期为" + day_label(add_months(admitted_on, 12)) in message
    assert not Member.objects.filter(name="李四").exists()


def test_a_confirmation_on_the_day_the_probation_ends_makes_a_full_member(world):
    admitted_on = add_months(today(), -12)
    development = make_development(world.units["B1"], "赵敏", stage="probationary", admitted_on=admitted_on)
    secretary = world.personas["community_secretary"]
    done = services.development_confirm(development=development, confirmed_on=today(), by=secretary)
    assert done.stage == DevelopmentStage.FULL and done.confirmed_on == today()
    member = Member.objects.get(pk=done.member_id)
    assert (member.name, member.branch, member.gender) == ("赵敏", world.units["B1"], development.gender)
    assert member.membership_type == MembershipType.FULL
    assert (member.join_date, member.full_member_date) == (admitted_on, today())
    assert (member.id_number, member.phone) == (development.id_number, development.phone)
    assert member.history.get().history_user == secretary
    assert done.history.first().history_user == secretary


def test_a_probation_is_extended_once_by_6_to_12_months(world):
    admitted_on = add_months(today(), -12)
    development = make_development(world.units["B1"], stage="probationary", admitted_on=admitted_on)

    def extend(months: int):
        return services.development_extend(development=development, months=months, extended_on=today(), by=None)

    assert "6至12个月" in refused(lambda: extend(5), "extension_months")
    assert "6至12个月" in refused(lambda: extend(13), "extension_months")
    extended = extend(6)
    assert (extended.extensions, extended.extension_months) == (1, 6)
    assert "最多延长1次" in refused(lambda: extend(6), "extension_months")
    # The probation now ends six months later.
    message = refused(
        lambda: services.development_confirm(development=extended, confirmed_on=today(), by=None), "confirmed_on"
    )
    assert day_label(add_months(admitted_on, 18)) in message


def test_a_step_that_does_not_fit_the_stage_is_refused(world):
    development = world.developments["B1"]  # an activist
    with pytest.raises(ValidationError) as error:
        services.development_confirm(development=development, confirmed_on=today(), by=None)
    assert error.value.code == "stage" and "入党积极分子" in error.value.messages[0]


def test_a_stale_version_is_refused(world):
    development = world.developments["B1"]
    version = development.version
    services.development_stop(development=development, reason="迁出本地", stopped_on=today(), by=None)
    with pytest.raises(ValidationError) as error:
        services.development_make_candidate(
            development=development, candidate_on=today(), by=None, expected_version=version
        )
    assert error.value.code == "stale"


def test_stopping_needs_a_reason_and_keeps_the_record(world):
    development = world.developments["B1"]
    refused(
        lambda: services.development_stop(development=development, reason=" ", stopped_on=today(), by=None),
        "stop_reason",
    )
    stopped = services.development_stop(development=development, reason="本人放弃", stopped_on=today(), by=None)
    assert stopped.stage == DevelopmentStage.STOPPED and Development.objects.filter(pk=development.pk).exists()


# --- Editing the rules -------------------------------------------------------------------------


def test_a_district_organizer_edits_a_rule_and_the_next_check_uses_it(world):
    organizer = world.personas["district_organizer"]
    birth = add_years(today(), -19)
    apply(world, birth=birth, serial=21)  # 19 is old enough under the default rule
    services.development_rules_update(values={RuleKey.APPLICANT_MIN_AGE: 20}, by=organizer)
    assert rule(RuleKey.APPLICANT_MIN_AGE) == 20
    message = refused(lambda: apply(world, birth=birth, serial=22), "applied_on")
    assert "年满20周岁" in message
    row = DevelopmentRule.objects.get(key=RuleKey.APPLICANT_MIN_AGE)
    assert row.version == 2 and row.history.first().history_user == organizer


def test_only_the_district_organizer_may_edit_the_rules(world):
    for persona in ("subdistrict_organizer", "community_secretary"):
        with pytest.raises(PermissionDenied):
            services.development_rules_update(values={RuleKey.PROBATION_MONTHS: 6}, by=world.personas[persona])
    assert rule(RuleKey.PROBATION_MONTHS) == 12


def test_inconsistent_rules_are_refused(world):
    organizer = world.personas["district_organizer"]
    values = {RuleKey.EXTENSION_MIN_MONTHS: 9, RuleKey.EXTENSION_MAX_MONTHS: 8}
    assert "不能大于" in refused(
        lambda: services.development_rules_update(values=values, by=organizer), RuleKey.EXTENSION_MIN_MONTHS
    )


# --- Due and overdue ---------------------------------------------------------------------------


def test_due_and_overdue_lists_follow_the_rules(world):
    b1 = world.units["B1"]
    trained = make_development(b1, "培养期满", stage="activist", activist_on=add_months(today(), -13))
    make_development(b1, "培养未满", stage="activist", activist_on=add_months(today(), -6))
    ending = make_development(
        b1, "即将期满", stage="probationary", admitted_on=add_months(today(), -12) + datetime.timedelta(days=10)
    )
    overdue = make_development(
        b1, "逾期未转正", stage="probationary", admitted_on=add_months(today(), -12) - datetime.timedelta(days=5)
    )
    extended = make_development(
        b1, "已延长", stage="probationary", admitted_on=add_months(today(), -12) - datetime.timedelta(days=5)
    )
    services.development_extend(development=extended, months=6, extended_on=today(), by=None)
    make_development(
        world.units["B2"], "松涛逾期", stage="probationary", admitted_on=add_months(today(), -14)
    )  # outside the secretary's scope

    lists = development_due(user=world.personas["community_secretary"], today=today())
    assert [item.development.pk for item in lists.overdue] == [overdue.pk]
    assert lists.overdue[0].days_overdue == 5
    assert {item.development.pk for item in lists.due} == {trained.pk, ending.pk}
    assert next(item for item in lists.due if item.development.pk == ending.pk).days == 10


# --- Pages -------------------------------------------------------------------------------------


def test_the_pages_render_for_a_community_secretary(world, login):
    client = login(world.personas["community_secretary"])
    development = world.developments["B1"]
    body = client.get(reverse("members:development_list")).content.decode()
    assert "翠湖第一支部积极分子" in body and "翠湖第二支部积极分子" in body
    assert "松涛" not in body and "北岭" not in body
    assert "登记入党申请" in body
    body = client.get(reverse("members:development_detail", args=[development.pk])).content.decode()
    assert development.id_number not in body and development.id_number_masked in body
    assert "确定为发展对象" in body and "终止发展" in body
    assert client.get(reverse("members:development_create")).status_code == 200
    body = client.get(reverse("members:development_rules")).content.decode()
    assert "申请入党最低年龄" in body and "修改规则" not in body


def test_the_navigation_marks_only_the_development_entry(world, login):
    body = login(world.personas["community_secretary"]).get(reverse("members:development_list")).content.decode()
    assert 'dropdown-item active" href="/members/development/"' in body
    assert 'dropdown-item active" href="/members/"' not in body
    # The group holding the entry is marked too.
    assert 'nav-link dropdown-toggle active"' in body


def test_the_stage_tabs_filter_the_list(world, login):
    make_development(world.units["B1"], "申请人甲")
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("members:development_list"), {"stage": "applicant"})
    names = [development.name for development in response.context["page"]]
    assert names == ["申请人甲"]
    assert ("activist", "入党积极分子", 2) in response.context["tabs"]


def test_an_application_through_the_page(world, login):
    client = login(world.personas["branch_secretary"])
    data = {
        "name": "刘洋",
        "gender": "male",
        "id_number": id_number(add_years(today(), -25), serial=31),
        "phone": "13900000031",
        "branch": world.units["B1"].pk,
        "applied_on": today().isoformat(),
    }
    response = client.post(reverse("members:development_create"), data)
    development = Development.objects.get(name="刘洋")
    assert response.status_code == 302
    assert response["Location"] == reverse("members:development_detail", args=[development.pk])


def test_bad_input_names_the_field_in_chinese_and_writes_nothing(world, login):
    client = login(world.personas["branch_secretary"])
    data = {
        "name": "少年",
        "gender": "male",
        "id_number": id_number(add_years(today(), -17), serial=32),
        "branch": world.units["B1"].pk,
        "applied_on": today().isoformat(),
    }
    before = snapshot()
    response = client.post(reverse("members:development_create"), data)
    assert response.status_code == 200 and snapshot() == before
    body = response.content.decode()
    assert "<strong>申请入党日期</strong>：申请入党时应年满18周岁" in body

    development = make_development(world.units["B1"], stage="probationary", admitted_on=add_months(today(), -6))
    before = snapshot()
    url = reverse("members:development_confirm", args=[development.pk])
    response = client.post(url, {"confirmed_on": today().isoformat(), "version": development.version})
    assert response.status_code == 200 and snapshot() == before
    body = response.content.decode()
    assert "最早转正日期为" + day_label(add_months(today(), 6)) in body
    response = client.post(url, {"confirmed_on": "", "version": development.version})
    assert "转正日期" in response.content.decode() and snapshot() == before


def test_a_step_through_the_page_and_a_stale_page(world, login):
    client = login(world.personas["community_cadre"])
    development = make_development(world.units["B1"], "钱多", stage="applicant", applied_on=today())
    url = reverse("members:development_activist", args=[development.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"activist_on": today().isoformat(), "version": development.version})
    assert response.status_code == 302
    assert Development.objects.get(pk=development.pk).stage == DevelopmentStage.ACTIVIST
    # The same form posted again from an old page: refused, said on the form.
    stop_url = reverse("members:development_stop", args=[development.pk])
    response = client.post(
        stop_url, {"stop_reason": "迁出", "stopped_on": today().isoformat(), "version": development.version}
    )
    assert "已被他人修改" in response.content.decode()
    assert Development.objects.get(pk=development.pk).stage == DevelopmentStage.ACTIVIST


def test_an_htmx_step_with_an_error_returns_only_the_actions(world, login):
    client = login(world.personas["community_secretary"])
    development = world.developments["B1"]
    url = reverse("members:development_candidate", args=[development.pk])
    response = client.post(url, {"candidate_on": today().isoformat()}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<nav" not in body and 'id="actions"' in body
    assert "培养教育方可确定为发展对象" in body


def test_the_list_shows_due_and_overdue_panels(world, login):
    make_development(world.units["B1"], "逾期者", stage="probationary", admitted_on=add_months(today(), -13))
    make_development(world.units["B1b"], "可发展者", stage="activist", activist_on=add_months(today(), -12))
    body = login(world.personas["community_secretary"]).get(reverse("members:development_list")).content.decode()
    overdue = body.split('id="overdue-panel"')[1].split('id="due-panel"')[0]
    due = body.split('id="due-panel"')[1]
    assert "逾期者" in overdue and "可发展者" not in overdue
    assert "可发展者" in due and "可确定为发展对象" in due


def test_the_list_costs_the_same_queries_for_3_and_30_records(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("members:development_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    make_development(world.units["B1"], "甲", stage="probationary", admitted_on=add_months(today(), -13))
    assert Development.objects.filter(branch__path__startswith=world.units["C1"].path).count() == 3
    count()  # the first request of this client loads and caches what the session needs
    few = count()
    stages = ["applicant", "activist", "candidate", "probationary"]
    for index in range(27):
        unit = world.units["B1"] if index % 2 else world.units["B1b"]
        stage = stages[index % 4]
        admitted = add_months(today(), -12 - index % 3)  # some overdue, some due today
        make_development(unit, f"发展{index}", stage=stage, admitted_on=admitted)
    assert count() == few
    assert client.get(url).context["page"].paginator.count == 30


def test_the_rules_page_is_edited_only_by_the_district_organizer(world, login):
    edit = reverse("members:development_rules_edit")
    for persona in ("subdistrict_organizer", "community_secretary"):
        assert login(world.personas[persona]).get(edit).status_code == 403
    client = login(world.personas["district_organizer"])
    assert "修改规则" in client.get(reverse("members:development_rules")).content.decode()
    rows = {row.key: row for row in DevelopmentRule.objects.all()}
    data = {key: row.value for key, row in rows.items()}
    data.update({f"version_{key}": row.version for key, row in rows.items()})
    data[RuleKey.ACTIVIST_MIN_MONTHS] = 18
    response = client.post(edit, data)
    assert response.status_code == 302 and rule(RuleKey.ACTIVIST_MIN_MONTHS) == 18
    # A bad value is refused on its field, in Chinese, and changes nothing.
    data[RuleKey.PROBATION_MONTHS] = 0
    data[f"version_{RuleKey.ACTIVIST_MIN_MONTHS}"] = 2
    before = snapshot()
    body = client.post(edit, data).content.decode()
    assert "<strong>预备期</strong>" in body and snapshot() == before


def test_members_and_residents_see_no_development_records(world, login):
    from dangjian.core import scope

    for persona in ("member", "resident"):
        user = world.personas[persona]
        assert not scope.restrict(Development.objects.all(), user).exists()
        assert login(user).get(reverse("members:development_list")).status_code == 403


# --- The API -----------------------------------------------------------------------------------


@pytest.fixture
def api(world):
    def _api(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.personas[persona])
        return client

    return _api


def test_the_api_lists_records_in_scope_with_masked_numbers(world, api):
    response = api("community_secretary").get("/api/v1/development/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["name"] for row in rows} == {"翠湖第一支部积极分子", "翠湖第二支部积极分子"}
    development = world.developments["B1"]
    row = next(row for row in rows if row["id"] == development.pk)
    assert row["id_number"] == development.id_number_masked and row["phone"] == development.phone_masked
    assert development.id_number not in response.content.decode()
    assert row["next_step"]["label"] == "确定为发展对象"
    assert api("community_secretary").get(f"/api/v1/development/{world.developments['B2'].pk}/").status_code == 404
    assert api("member").get("/api/v1/development/").status_code == 403


def test_the_api_takes_a_record_through_its_steps(world, api):
    client = api("community_secretary")
    data = {
        "name": "孙丽",
        "gender": "female",
        "id_number": id_number(add_years(today(), -30), serial=41),
        "branch": world.units["B1"].pk,
        "applied_on": add_months(today(), -30).isoformat(),
    }
    response = client.post("/api/v1/development/", data, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    steps = [
        ("activist", {"activist_on": add_months(today(), -28).isoformat()}),
        ("candidate", {"candidate_on": add_months(today(), -15).isoformat()}),
        ("admit", {"admitted_on": add_months(today(), -13).isoformat()}),
        ("confirm", {"confirmed_on": add_months(today(), -1).isoformat()}),
    ]
    for action, body in steps:
        response = client.post(f"/api/v1/development/{pk}/{action}/", body, format="json")
        assert response.status_code == 200, (action, response.json())
    result = response.json()
    assert result["stage"] == "full" and result["member"]
    assert Member.objects.get(pk=result["member"]).join_date == add_months(today(), -13)


def test_the_api_refusals_name_the_field(world, api):
    client = api("community_secretary")
    data = {
        "name": "少年",
        "gender": "male",
        "id_number": id_number(add_years(today(), -17), serial=42),
        "branch": world.units["B1"].pk,
        "applied_on": today().isoformat(),
    }
    response = client.post("/api/v1/development/", data, format="json")
    assert response.status_code == 400 and "年满18周岁" in response.json()["applied_on"][0]
    response = client.post("/api/v1/development/", {**data, "branch": world.units["B2"].pk}, format="json")
    assert response.status_code == 400 and "权限范围" in response.json()["branch"][0]
    development = world.developments["B1"]
    response = client.post(
        f"/api/v1/development/{development.pk}/candidate/", {"candidate_on": today().isoformat()}, format="json"
    )
    assert response.status_code == 400 and "发展对象" in response.json()["candidate_on"][0]
    response = client.post(
        f"/api/v1/development/{development.pk}/stop/",
        {"stop_reason": "迁出", "stopped_on": today().isoformat(), "version": development.version + 5},
        format="json",
    )
    assert response.status_code == 400 and "已被他人修改" in response.json()["non_field_errors"][0]
    assert (
        api("community_cadre")
        .post(f"/api/v1/development/{world.developments['B2'].pk}/stop/", {}, format="json")
        .status_code
        == 404
    )


def test_the_api_lists_what_is_due_and_the_rules(world, api):
    make_development(world.units["B1"], "逾期者", stage="probationary", admitted_on=add_months(today(), -13))
    client = api("community_secretary")
    due = client.get("/api/v1/development/due/").json()
    assert [item["development"]["name"] for item in due["overdue"]] == ["逾期者"]
    assert client.get("/api/v1/development/due/", {"unit": world.units["B2"].pk}).status_code == 400
    rules = client.get("/api/v1/development/rules/").json()
    assert {row["key"]: row["value"] for row in rules}[RuleKey.PROBATION_MONTHS] == 12


def test_the_api_list_costs_the_same_queries_for_few_and_many(world, api):
    client = api("community_secretary")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/development/", {"page_size": 500}).status_code == 200
        return len(queries)

    count()
    few = count()
    for index in range(20):
        make_development(world.units["B1"], f"发展{index}", stage="probationary")
    assert count() == few


# --- The scope matrix walks every new route -----------------------------------------------------


def test_the_scope_matrix_walks_the_development_routes():
    names = {route.name for route in iter_routes()}
    assert {
        "members:development_list",
        "members:development_create",
        "members:development_detail",
        "members:development_activist",
        "members:development_candidate",
        "members:development_admit",
        "members:development_extend",
        "members:development_confirm",
        "members:development_stop",
        "members:development_rules",
        "members:development_rules_edit",
        "development-list",
        "development-detail",
        "development-activist",
        "development-confirm",
        "development-due",
        "development-rules",
    } <= names
