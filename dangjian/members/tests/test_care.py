"""Care (帮扶): recording care for members in hardship, elderly or ill; corrections by the recorder
within seven days; the list of members who need care with its filters and money per community;
the ledger export; the API; the scope."""

from __future__ import annotations

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook
from rest_framework.test import APIClient

from dangjian import urls as project_urls
from dangjian.core.models import User
from dangjian.core.tests.markers import postgres_only
from dangjian.members import care_api
from dangjian.members.choices import MemberStatus
from dangjian.members.models import CareRecord, Member, MemberCategory, add_months
from dangjian.members.selectors import care as selectors
from dangjian.members.services import care as services
from dangjian.members.services.care import day_label
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def _urlpatterns():
    """The project's URLs, with the care API added when the project's router does not hold it yet."""
    from dangjian.api.urls import Router, router

    patterns = list(project_urls.urlpatterns)
    if not any(prefix == "care-records" for prefix, *_ in router.registry):
        extra = Router()
        care_api.register(extra)
        patterns.append(path("api/v1/", include(extra.urls)))
    return patterns


urlpatterns = _urlpatterns()


def visit(member: Member, by: User | None = None, **fields) -> CareRecord:
    values = {
        "hardship": "illness",
        "form": "visit",
        "cared_on": today(),
        "carers": "社区书记、网格员",
        "situation": "术后在家休养，精神尚好。",
    }
    values.update(fields)
    return services.care_record_create(member=member, by=by, **values)


def categorize(member: Member, code: str) -> Member:
    member.categories.add(MemberCategory.objects.get(code=code))
    return member


def snapshot():
    return list(
        CareRecord.objects.order_by("pk").values_list(
            "pk", "member_id", "cared_on", "form", "assistance", "amount", "next_visit_on", "situation"
        )
    )


def refused(call, field: str) -> str:
    """Run a service that must refuse: returns the message on `field`, and nothing was written."""
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        call()
    assert snapshot() == before
    messages = error.value.message_dict if hasattr(error.value, "error_dict") else {"__all__": error.value.messages}
    assert field in messages, messages
    return " ".join(messages[field])


# --- Recording care ------------------------------------------------------------------------------


def test_a_visit_is_recorded_with_its_recorder_history_and_district(world):
    cadre = world.personas["community_cadre"]
    record = visit(
        world.members["B1"],
        by=cadre,
        assistance="money",
        amount=Decimal("500"),
        follow_up="协助申请临时救助",
        next_visit_on=today() + datetime.timedelta(days=30),
    )
    assert record.recorded_by == cadre and record.district == world.units["D1"]
    assert record.amount == Decimal("500.00")
    assert record.history.get().history_user == cadre


def test_money_without_an_amount_is_refused_on_the_amount_field(world):
    message = refused(lambda: visit(world.members["B1"], assistance="money"), "amount")
    assert "发放慰问金请填写金额" in message
    message = refused(lambda: visit(world.members["B1"], assistance="money", amount=Decimal("0")), "amount")
    assert "金额" in message


def test_an_amount_without_any_assistance_is_refused(world):
    message = refused(lambda: visit(world.members["B1"], amount=Decimal("100")), "amount")
    assert "帮扶内容为“无”时不应填写金额" in message


def test_goods_may_carry_their_value_and_a_referral_needs_no_amount(world):
    goods = visit(world.members["B1"], assistance="goods", amount=Decimal("150.00"))
    referral = visit(world.members["B1b"], form="assistance", assistance="referral")
    assert goods.amount == Decimal("150.00") and referral.amount is None


def test_dates_in_the_future_or_out_of_order_are_refused_naming_the_field(world):
    member = world.members["B1"]
    tomorrow = today() + datetime.timedelta(days=1)
    assert "不能晚于今天" in refused(lambda: visit(member, cared_on=tomorrow), "cared_on")
    message = refused(lambda: visit(member, next_visit_on=today()), "next_visit_on")
    assert "下次走访日期应晚于本次日期" in message


def test_missing_carers_or_situation_are_refused_on_their_fields(world):
    refused(lambda: visit(world.members["B1"], carers="  "), "carers")
    refused(lambda: visit(world.members["B1"], situation=""), "situation")


def test_a_member_no_longer_on_the_roll_cannot_be_cared_for(world):
    member = make_member(world.units["B1"], "已故党员", status=MemberStatus.DECEASED)
    message = refused(lambda: visit(member), "member")
    assert "已故" in message


def test_an_assistance_visit_must_say_what_was_given(world):
    message = refused(lambda: visit(world.members["B1"], form="assistance"), "assistance")
    assert "请选择提供的帮扶内容" in message


def test_the_same_visit_recorded_twice_gives_one_record_and_names_the_recorder(world):
    member = world.members["B1"]
    visit(member, by=world.personas["community_cadre"])
    message = refused(lambda: visit(member, by=world.personas["community_secretary"]), "cared_on")
    assert "已由community_cadre用户登记" in message and "请勿重复登记" in message
    # Another form of care on the same day is its own record.
    visit(member, form="phone")
    assert CareRecord.objects.filter(member=member).count() == 2


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_cadres_recording_the_same_visit_at_once_give_one_record(world):
    member = world.members["B1"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record(persona: str) -> None:
        try:
            barrier.wait(timeout=10)
            visit(member, by=world.personas[persona], assistance="money", amount=Decimal("300"))
            outcomes.append("saved")
        except ValidationError as error:
            outcomes.append(" ".join(error.message_dict.get("cared_on", [])))
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(p,)) for p in ("community_cadre", "community_secretary")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert CareRecord.objects.filter(member=member).count() == 1
    assert outcomes.count("saved") == 1
    refusal = next(outcome for outcome in outcomes if outcome != "saved")
    assert "请勿重复登记" in refusal


# --- Corrections within seven days ---------------------------------------------------------------


def _age(record: CareRecord, **delta) -> CareRecord:
    CareRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - datetime.timedelta(**delta))
    return CareRecord.objects.get(pk=record.pk)


def test_the_recorder_corrects_a_record_within_seven_days(world):
    cadre = world.personas["community_cadre"]
    record = _age(visit(world.members["B1"], by=cadre), days=6, hours=23)
    stamp = services.care_record_stamp(record)
    updated = services.care_record_update(
        record=record,
        by=cadre,
        expected_stamp=stamp,
        assistance="money",
        amount=Decimal("800"),
        situation="术后在家休养；医药费负担较重。",
    )
    assert (updated.assistance, updated.amount) == ("money", Decimal("800.00"))
    assert updated.history.count() == 2 and updated.history.first().history_user == cadre
    assert services.care_record_stamp(updated) != stamp


def test_a_record_older_than_seven_days_is_not_corrected_but_a_new_one_is_recorded(world):
    cadre = world.personas["community_cadre"]
    record = _age(visit(world.members["B1"], by=cadre, cared_on=today() - datetime.timedelta(days=9)), days=7, hours=1)
    message = refused(lambda: services.care_record_update(record=record, by=cadre, carers="网格员"), "__all__")
    assert "已超过7天，不能再修改" in message and "新增一条帮扶记录" in message
    visit(world.members["B1"], by=cadre, form="phone", situation="补充：已申请医疗救助。")
    assert CareRecord.objects.filter(member=world.members["B1"]).count() == 2


def test_only_the_recorder_may_correct_a_record(world):
    record = visit(world.members["B1"], by=world.personas["community_cadre"])
    secretary = world.personas["community_secretary"]
    message = refused(lambda: services.care_record_update(record=record, by=secretary, carers="书记"), "__all__")
    assert "只能由登记人（community_cadre用户）修改" in message
    unrecorded = visit(world.members["B1b"], by=None)
    message = refused(lambda: services.care_record_update(record=unrecorded, by=secretary, carers="书记"), "__all__")
    assert "系统导入" in message


def test_a_correction_made_on_a_stale_page_is_refused(world):
    cadre = world.personas["community_cadre"]
    record = visit(world.members["B1"], by=cadre)
    stamp = services.care_record_stamp(record)
    services.care_record_update(record=record, by=cadre, expected_stamp=stamp, carers="网格员甲")
    message = refused(
        lambda: services.care_record_update(record=record, by=cadre, expected_stamp=stamp, carers="网格员乙"),
        "__all__",
    )
    assert "已被他人修改" in message


def test_a_bad_correction_is_refused_on_its_field_and_changes_nothing(world):
    cadre = world.personas["community_cadre"]
    record = visit(world.members["B1"], by=cadre)
    message = refused(lambda: services.care_record_update(record=record, by=cadre, assistance="money"), "amount")
    assert "发放慰问金请填写金额" in message
    with pytest.raises(ValueError):
        services.care_record_update(record=record, by=cadre, member=world.members["B2"])


# --- The list of members who need care ----------------------------------------------------------


@pytest.fixture
def cared(world):
    """翠湖: one member in hardship never cared for, one elderly member with an overdue visit, one
    with hardship notes and a visit scheduled, one cared for recently without a category, one
    cared for 13 months ago only (not listed), one deceased in hardship (not listed)."""
    b1, b1b = world.units["B1"], world.units["B1b"]
    people = {
        "hardship": categorize(make_member(b1, "困难甲"), "in_hardship"),
        "elderly": categorize(make_member(b1b, "年老乙"), "elderly_ill"),
        "notes": make_member(b1, "困难丙", hardship_notes="独居，子女在外地。"),
        "recent": make_member(b1b, "近期丁"),
        "old": make_member(b1, "往年戊"),
        "deceased": categorize(make_member(b1, "已故己", status=MemberStatus.DECEASED), "in_hardship"),
        "outside": categorize(world.members["B2"], "in_hardship"),
    }
    elderly_first = today() - datetime.timedelta(days=90)
    visit(
        people["elderly"],
        cared_on=elderly_first,
        hardship="elderly",
        next_visit_on=today() - datetime.timedelta(days=60),
    )
    visit(
        people["elderly"],
        cared_on=today() - datetime.timedelta(days=40),
        hardship="elderly",
        next_visit_on=today() - datetime.timedelta(days=10),
        assistance="money",
        amount=Decimal("500"),
    )
    visit(
        people["notes"],
        cared_on=today() - datetime.timedelta(days=20),
        hardship="poverty",
        next_visit_on=today() + datetime.timedelta(days=10),
        assistance="goods",
        amount=Decimal("200"),
    )
    visit(people["recent"], cared_on=today() - datetime.timedelta(days=5), hardship="illness", form="phone")
    visit(people["old"], cared_on=add_months(today(), -13), hardship="poverty")
    visit(people["outside"], hardship="poverty", assistance="money", amount=Decimal("1000"))
    return people


def names(queryset) -> list[str]:
    return [member.name for member in queryset]


def test_the_list_holds_members_in_hardship_elderly_with_notes_or_cared_for_recently(world, cared):
    listed = selectors.care_member_list(user=world.personas["community_secretary"])
    assert set(names(listed)) == {"困难甲", "年老乙", "困难丙", "近期丁"}
    # Most urgent first: the overdue visit, then the scheduled one, then by the longest without care.
    assert names(listed) == ["年老乙", "困难丙", "困难甲", "近期丁"]
    elderly = next(member for member in listed if member.name == "年老乙")
    assert elderly.last_cared_on == today() - datetime.timedelta(days=40)
    assert elderly.next_visit_on == today() - datetime.timedelta(days=10)  # the latest record's
    assert [category.code for category in elderly.hardship_categories] == ["elderly_ill"]


def test_the_list_filters_by_follow_up_hardship_and_unit(world, cared):
    user = world.personas["community_secretary"]

    def listed(**filters) -> set[str]:
        return set(names(selectors.care_member_list(user=user, filters=selectors.CareFilters(**filters))))

    assert listed(follow="overdue") == {"年老乙"}
    assert listed(follow="unvisited") == {"困难甲"}
    assert listed(follow="scheduled") == {"困难丙"}
    assert listed(hardship="elderly") == {"年老乙"}
    assert listed(unit=world.units["B1b"]) == {"年老乙", "近期丁"}
    assert listed(q="kn") == {"困难甲", "困难丙"}
    counts = selectors.care_member_counts(user=user)
    assert counts == {"total": 4, "overdue": 1, "unvisited": 1, "scheduled": 1}


def test_a_visit_due_today_is_not_overdue(world, cared):
    member = cared["hardship"]
    visit(member, cared_on=today() - datetime.timedelta(days=30), next_visit_on=today())
    user = world.personas["community_secretary"]
    overdue = selectors.care_member_list(user=user, filters=selectors.CareFilters(follow="overdue"))
    assert "困难甲" not in names(overdue)


def test_the_totals_count_this_years_money_per_community_inside_the_scope(world):
    new_year = datetime.date(today().year, 1, 1)
    first, second = make_member(world.units["B1"], "甲"), make_member(world.units["B1b"], "乙")
    visit(first, cared_on=new_year, assistance="money", amount=Decimal("500"))
    visit(first, cared_on=new_year, form="service", assistance="service", amount=Decimal("120.50"))
    visit(second, cared_on=new_year, assistance="goods", amount=Decimal("200"))
    visit(second, cared_on=new_year, form="phone")  # no amount: not counted
    visit(second, cared_on=new_year - datetime.timedelta(days=1), assistance="money", amount=Decimal("900"))
    visit(world.members["B2"], cared_on=new_year, assistance="money", amount=Decimal("1000"))
    totals = selectors.care_totals_by_community(user=world.personas["community_secretary"], year=today().year)
    assert [(row.name, row.money, row.total, row.people, row.times) for row in totals.rows] == [
        ("翠湖社区", Decimal("500.00"), Decimal("820.50"), 2, 3)
    ]
    district = selectors.care_totals_by_community(user=world.personas["district_organizer"], year=today().year)
    assert [row.name for row in district.rows] == ["翠湖社区", "松涛社区"]
    assert (district.money, district.total, district.times) == (Decimal("1500.00"), Decimal("1820.50"), 4)
    last_year = selectors.care_totals_by_community(user=world.personas["community_secretary"], year=today().year - 1)
    assert last_year.money == Decimal("900.00")
    branch = selectors.care_totals_by_community(
        user=world.personas["community_secretary"], year=today().year, unit=world.units["B1b"]
    )
    assert branch.total == Decimal("200.00")


# --- Pages -------------------------------------------------------------------------------------


def test_the_list_page_shows_the_members_and_totals_in_scope(world, cared, login):
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("members:care_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "困难甲" in body and "年老乙" in body and "已逾期" in body
    assert "松涛" not in body and "北岭" not in body
    assert "翠湖社区" in body.split('id="care-totals"')[1]
    assert reverse("members:care_create", args=[cared["hardship"].pk]) in body
    # Filters through HTMX return only the results.
    response = client.get(reverse("members:care_list"), {"follow": "overdue"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<nav" not in body and "年老乙" in body and "困难甲" not in body


def test_members_residents_and_outsiders_cannot_open_the_care_pages(world, cared, login):
    record = CareRecord.objects.filter(member=cared["elderly"]).first()
    urls = [
        reverse("members:care_list"),
        reverse("members:care_export"),
        reverse("members:care_create", args=[cared["elderly"].pk]),
        reverse("members:care_edit", args=[record.pk]),
    ]
    for persona in ("member", "resident", "outsider"):
        client = login(world.personas[persona])
        assert [client.get(url).status_code for url in urls] == [403, 403, 403, 403]


def test_the_list_costs_the_same_queries_for_3_and_30_members(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("members:care_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    def add(index: int) -> None:
        unit = world.units["B1"] if index % 2 else world.units["B1b"]
        member = categorize(make_member(unit, f"帮扶{index}"), "in_hardship" if index % 3 else "elderly_ill")
        if index % 4:
            cared_on = today() - datetime.timedelta(days=10 + index)
            visit(
                member,
                cared_on=cared_on,
                assistance="money",
                amount=Decimal("100"),
                next_visit_on=cared_on + datetime.timedelta(days=20),  # overdue from the eleventh on
            )

    for index in range(3):
        add(index)
    count()  # the first request of this client loads and caches what the session needs
    few = count()
    for index in range(3, 30):
        add(index)
    assert count() == few
    assert client.get(url).context["page"].paginator.count == 30


def test_a_care_record_through_the_page(world, cared, login):
    client = login(world.personas["community_cadre"])
    member = cared["hardship"]
    url = reverse("members:care_create", args=[member.pk])
    assert client.get(url).status_code == 200
    data = {
        "hardship": "poverty",
        "form": "visit",
        "cared_on": today().isoformat(),
        "carers": "社区干部刘洋",
        "situation": "家中老人住院，收入紧张。",
        "assistance": "money",
        "amount": "600",
        "follow_up": "协助申请临时救助",
        "next_visit_on": (today() + datetime.timedelta(days=30)).isoformat(),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:member_detail", args=[member.pk]) + "?tab=care"
    record = CareRecord.objects.get(member=member)
    assert record.recorded_by == world.personas["community_cadre"] and record.amount == Decimal("600.00")


def test_bad_input_on_the_page_names_the_field_in_chinese_and_writes_nothing(world, cared, login):
    client = login(world.personas["community_cadre"])
    url = reverse("members:care_create", args=[cared["hardship"].pk])
    data = {
        "hardship": "poverty",
        "form": "visit",
        "cared_on": today().isoformat(),
        "carers": "社区干部刘洋",
        "situation": "家中老人住院。",
        "assistance": "money",
        "amount": "",
    }
    before = snapshot()
    body = client.post(url, data).content.decode()
    assert "<strong>金额（元）</strong>：发放慰问金请填写金额。" in body and snapshot() == before
    body = client.post(url, {**data, "amount": "-5"}).content.decode()
    assert "<strong>金额（元）</strong>：金额不能为负数。" in body and snapshot() == before
    body = client.post(url, {**data, "amount": "500", "carers": ""}).content.decode()
    assert "<strong>参与人员</strong>：请填写参与人员。" in body and snapshot() == before
    late = (today() - datetime.timedelta(days=1)).isoformat()
    body = client.post(url, {**data, "amount": "500", "next_visit_on": late}).content.decode()
    assert "<strong>下次走访日期</strong>：下次走访日期应晚于本次日期。" in body and snapshot() == before


def test_the_recorder_edits_on_the_page_and_others_are_told_why_not(world, cared, login):
    cadre = world.personas["community_cadre"]
    record = visit(cared["hardship"], by=cadre)
    url = reverse("members:care_edit", args=[record.pk])
    client = login(cadre)
    form = client.get(url).context["form"]
    data = {name: form.initial.get(name) or form.fields[name].initial or "" for name in form.fields}
    data.update({"situation": "补充：已联系卫生服务站。", "cared_on": record.cared_on.isoformat()})
    response = client.post(url, data)
    assert response.status_code == 302
    assert CareRecord.objects.get(pk=record.pk).situation == "补充：已联系卫生服务站。"
    # The same form posted again from the old page: refused on the form.
    body = client.post(url, {**data, "situation": "再改一次"}).content.decode()
    assert "已被他人修改" in body and CareRecord.objects.get(pk=record.pk).situation == "补充：已联系卫生服务站。"

    other = login(world.personas["community_secretary"])
    response = other.get(url)
    assert response.status_code == 200 and "只能由登记人（community_cadre用户）修改" in response.content.decode()
    before = snapshot()
    other.post(url, {**data, "situation": "书记改的"})
    assert snapshot() == before


def test_the_ledger_exports_the_years_records_in_scope(world, cared, login):
    last_year = datetime.date(today().year - 1, 6, 1)
    visit(cared["hardship"], cared_on=last_year, hardship="poverty", assistance="money", amount=Decimal("300"))
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("members:care_export"), {"year": today().year - 1})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][:5] == ["序号", "日期", "党员", "所在社区", "所在党支部"]
    data = [row for row in rows[1:] if row[0] != "合计"]
    assert {row[2] for row in data} >= {"困难甲"} and all("松涛" not in str(row) for row in rows)
    assert all(str(row[1])[:4] == str(today().year - 1) for row in data)
    assert next(row for row in data if row[2] == "困难甲")[3] == "翠湖社区"
    total = next(row for row in rows if row[0] == "合计")
    assert total[10] == sum(row[10] for row in data if row[10] != "")
    assert not any("身份" in str(title) or "手机" in str(title) for title in rows[0])
    summary = book.get_sheet_by_index(1).to_python()
    assert summary[1][0] == "翠湖社区"


def test_outside_the_scope_the_care_pages_answer_404(world, cared, login):
    client = login(world.personas["community_secretary"])
    outside = CareRecord.objects.get(member=world.members["B2"])
    assert client.get(reverse("members:care_create", args=[world.members["B2"].pk])).status_code == 404
    assert client.get(reverse("members:care_edit", args=[outside.pk])).status_code == 404
    before = snapshot()
    client.post(reverse("members:care_edit", args=[outside.pk]), {"situation": "改"})
    assert snapshot() == before
    branch = login(world.personas["branch_secretary"])  # GB1: B1 only
    assert branch.get(reverse("members:care_create", args=[cared["elderly"].pk])).status_code == 404
    body = branch.get(reverse("members:care_list")).content.decode()
    assert "困难甲" in body and "年老乙" not in body


# --- The API -----------------------------------------------------------------------------------


@pytest.fixture
def api(world):
    def _api(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.personas[persona])
        return client

    return _api


@pytest.mark.urls(__name__)
def test_the_api_lists_records_in_scope(world, cared, api):
    response = api("community_secretary").get("/api/v1/care-records/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["member_name"] for row in rows} == {"年老乙", "困难丙", "近期丁", "往年戊"}
    assert "松涛" not in response.content.decode()
    outside = CareRecord.objects.get(member=world.members["B2"])
    assert api("community_secretary").get(f"/api/v1/care-records/{outside.pk}/").status_code == 404
    assert api("member").get("/api/v1/care-records/").status_code == 403
    overdue = api("community_secretary").get("/api/v1/care-records/", {"visit_overdue": "true"}).json()
    assert {row["member_name"] for row in overdue["results"]} == {"年老乙"}
    money = api("community_secretary").get("/api/v1/care-records/", {"assistance": "money"}).json()
    assert [row["amount"] for row in money["results"]] == ["500.00"]


@pytest.mark.urls(__name__)
def test_the_api_records_and_corrects_care(world, cared, api):
    client = api("community_cadre")
    data = {
        "member": cared["hardship"].pk,
        "hardship": "poverty",
        "form": "visit",
        "cared_on": today().isoformat(),
        "carers": "社区干部刘洋",
        "situation": "收入紧张。",
        "assistance": "money",
        "amount": "400.00",
    }
    response = client.post("/api/v1/care-records/", data, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["recorded_by_name"] == "community_cadre用户" and created["amount"] == "400.00"
    url = f"/api/v1/care-records/{created['id']}/"
    response = client.patch(url, {"amount": "450.00", "stamp": created["stamp"]}, format="json")
    assert response.status_code == 200 and response.json()["amount"] == "450.00"
    stale = client.patch(url, {"amount": "460.00", "stamp": created["stamp"]}, format="json")
    assert stale.status_code == 400 and "已被他人修改" in stale.json()["non_field_errors"][0]
    other = api("community_secretary").patch(url, {"amount": "1.00"}, format="json")
    assert other.status_code == 400 and "只能由登记人" in other.json()["non_field_errors"][0]
    assert CareRecord.objects.get(pk=created["id"]).amount == Decimal("450.00")


@pytest.mark.urls(__name__)
def test_the_api_refusals_name_the_field(world, cared, api):
    client = api("community_cadre")
    data = {
        "member": cared["hardship"].pk,
        "hardship": "poverty",
        "form": "visit",
        "cared_on": today().isoformat(),
        "carers": "社区干部刘洋",
        "situation": "收入紧张。",
        "assistance": "money",
    }
    before = snapshot()
    response = client.post("/api/v1/care-records/", data, format="json")
    assert response.status_code == 400 and "发放慰问金请填写金额" in response.json()["amount"][0]
    response = client.post("/api/v1/care-records/", {**data, "member": world.members["B2"].pk}, format="json")
    assert response.status_code == 400 and "权限范围" in response.json()["member"][0]
    assert client.post("/api/v1/care-records/", {}, format="json").status_code == 400
    assert snapshot() == before
    outside = CareRecord.objects.get(member=world.members["B2"])
    assert client.patch(f"/api/v1/care-records/{outside.pk}/", {}, format="json").status_code == 404
    assert api("member").post("/api/v1/care-records/", data, format="json").status_code == 403


@pytest.mark.urls(__name__)
def test_the_api_lists_members_who_need_care_and_the_totals(world, cared, api):
    client = api("community_secretary")
    response = client.get("/api/v1/care-records/members/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["年老乙", "困难丙", "困难甲", "近期丁"]
    assert rows[0]["visit_overdue"] is True and rows[0]["categories"] == ["elderly_ill"]
    overdue = client.get("/api/v1/care-records/members/", {"follow": "unvisited"}).json()["results"]
    assert [row["name"] for row in overdue] == ["困难甲"]
    assert client.get("/api/v1/care-records/members/", {"unit": world.units["B2"].pk}).status_code == 400
    totals = client.get("/api/v1/care-records/totals/").json()
    assert totals["year"] == today().year
    assert client.get("/api/v1/care-records/totals/", {"year": "20xx"}).status_code == 400


@pytest.mark.urls(__name__)
def test_the_api_list_costs_the_same_queries_for_few_and_many(world, api):
    client = api("community_secretary")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/care-records/", {"page_size": 500}).status_code == 200
            assert client.get("/api/v1/care-records/members/", {"page_size": 500}).status_code == 200
        return len(queries)

    visit(categorize(world.members["B1"], "in_hardship"), by=world.personas["community_cadre"])
    count()
    few = count()
    for index in range(20):
        member = categorize(make_member(world.units["B1b"], f"帮扶{index}"), "elderly_ill")
        visit(member, by=world.personas["community_cadre"], assistance="goods", amount=Decimal("100"))
    assert count() == few


# --- The admin ---------------------------------------------------------------------------------


def test_the_admin_shows_care_records_in_scope_read_only(world, cared, login):
    user = world.personas["subdistrict_organizer"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = login(user)
    body = client.get(reverse("admin:members_carerecord_changelist")).content.decode()
    assert "困难丙" in body and "松涛" not in body
    assert client.get(reverse("admin:members_carerecord_add")).status_code == 403


# --- The scope matrix ----------------------------------------------------------------------------


def test_the_care_routes_are_declared_for_the_scope_matrix():
    from dangjian.core.tests.scope_matrix import iter_routes

    routes = {route.name: route for route in iter_routes()}
    for name in ("members:care_list", "members:care_export", "members:care_create", "members:care_edit"):
        assert name in routes
    assert routes["members:care_create"].declaration("scope_model") is Member
    assert routes["members:care_edit"].declaration("scope_model") is CareRecord


def test_day_label_reads_as_on_screen():
    assert day_label(datetime.date(2026, 11, 5)) == "2026年11月5日"


# --- The demo ----------------------------------------------------------------------------------


def test_the_demo_cares_for_members_in_hardship_once(world):
    import random

    from dangjian.demo.care import seed_care

    people = [
        categorize(make_member(world.units["B1" if index % 2 else "B1b"], f"演示{index}"), "in_hardship")
        for index in range(12)
    ]
    categorize(make_member(world.units["B1"], "已故演示", status=MemberStatus.DECEASED), "elderly_ill")
    created = seed_care(rng=random.Random(1997), today=today())
    records = CareRecord.objects.all()
    assert created == records.count() > len(people)
    assert not records.filter(member__status=MemberStatus.DECEASED).exists()
    assert records.filter(assistance="money", amount__gt=0).exists()
    assert records.filter(next_visit_on__lt=today()).exists()
    assert all(record.created_at.date() <= today() for record in records)
    user = world.personas["community_secretary"]
    assert selectors.care_member_counts(user=user)["unvisited"] >= 1
    assert seed_care(rng=random.Random(1997), today=today()) == 0
