"""Mobile members (流动党员): registering outflow and inflow, the contact log and what a contact
that reached the member settles, ending a mobility, the lists by days since the last contact,
the pages and the API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dangjian.members.choices import MemberStatus, MobileDirection, MobileStatus
from dangjian.members.models import ContactLog, Member, MobileMember, add_months
from dangjian.members.selectors import mobile as selectors
from dangjian.members.selectors.mobile import MobileFilters
from dangjian.members.services import mobile as services
from dangjian.members.services.transfers import transfer_issue_out, transfer_report
from dangjian.members.tests.factories import id_number, make_member
from dangjian.oversight.choices import CaseKind, CaseStatus
from dangjian.oversight.models import Case

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def outflow(world, where: str = "B1", *, member: Member | None = None, **fields) -> MobileMember:
    values = {
        "place": "广东省深圳市",
        "counterpart": "深圳市南山区粤海街道流动党员党支部",
        "reason": "work",
        "since": today() - days(100),
        "contact_phone": "13800001111",
        "contact_other": "微信 zhangsan",
        "card_number": "LD2026001",
    }
    values.update(fields)
    return services.mobile_register_outflow(
        member=member or world.members[where], by=world.personas["community_cadre"], **values
    )


def inflow(world, *, number: str | None = None, branch: str = "B1", **fields) -> MobileMember:
    person = {
        "name": "何建华",
        "gender": "male",
        "ethnicity": "汉族",
        "id_number": number or id_number(datetime.date(1982, 6, 6), region="110108", serial=661),
        "join_date": datetime.date(2008, 7, 1),
        "full_member_date": datetime.date(2009, 7, 1),
        "membership_type": "full",
    }
    person.update(fields.pop("person", {}))
    values = {
        "place": "安徽省六安市",
        "counterpart": "中共六安市金安区城北街道工作委员会",
        "reason": "work",
        "since": today() - days(30),
        "contact_phone": "13700002222",
    }
    values.update(fields)
    return services.mobile_register_inflow(
        branch=world.units[branch], by=world.personas["community_cadre"], member_fields=person, **values
    )


def contact(mobile: MobileMember, on: datetime.date, result: str = "reached", by=None) -> ContactLog:
    return services.contact_add(mobile=mobile, contacted_on=on, channel="phone", result=result, notes="", by=by)


def lost_case(mobile: MobileMember) -> Case:
    """A lost-contact case, as the blind-spot scan opens it."""
    return Case.objects.create(
        kind=CaseKind.LOST_CONTACT,
        member=mobile.member,
        branch=mobile.member.branch,
        mobile=mobile,
        summary=f"{mobile.member.name}六个月未联系上",
    )


def snapshot():
    return (
        list(MobileMember.objects.order_by("pk").values_list("pk", "status", "last_contact_on", "version")),
        list(ContactLog.objects.order_by("pk").values_list("pk", "result")),
        list(Member.objects.order_by("pk").values_list("pk", "status", "branch_id", "version")),
    )


def refused(call, field: str | None = None) -> str:
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        call()
    assert snapshot() == before
    if field is None:
        return " ".join(error.value.messages)
    messages = error.value.message_dict
    assert field in messages, messages
    return " ".join(messages[field])


# --- Registering -------------------------------------------------------------------------------


def test_an_outflow_keeps_the_member_on_the_roll_with_the_phone_encrypted(world):
    mobile = outflow(world)
    assert mobile.direction == MobileDirection.OUTFLOW and mobile.status == MobileStatus.AWAY
    assert mobile.member.status == MemberStatus.ACTIVE and mobile.district_id == world.units["D1"].pk
    assert mobile.contact_phone_masked == "138****1111"
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone FROM members_mobilemember WHERE id = %s", [mobile.pk])
        assert "13800001111" not in cursor.fetchone()[0]
    assert mobile.history.first().history_user == world.personas["community_cadre"]


def test_an_outflow_is_refused_with_the_field_named(world):
    assert "晚于今天" in refused(lambda: outflow(world, since=today() + days(1)), "since")
    assert "11 位" in refused(lambda: outflow(world, contact_phone="12345"), "contact_phone")
    assert refused(lambda: outflow(world, place=""), "place")
    outflow(world)
    assert "请先结束该登记" in refused(lambda: outflow(world), "member")
    member = world.members["B1b"]
    transfer_report(
        transfer=transfer_issue_out(member=member, counterpart="外地", issued_on=today(), by=None),
        reported_on=today(),
        by=None,
    )
    assert "只有在册党员" in refused(lambda: outflow(world, "B1b"), "member")


def test_an_inflow_registers_a_member_of_the_host_branch_with_status_inflow(world):
    mobile = inflow(world)
    member = mobile.member
    assert mobile.direction == MobileDirection.INFLOW and mobile.counterpart.startswith("中共六安市")
    assert (member.name, member.branch, member.status, member.phone) == (
        "何建华",
        world.units["B1"],
        MemberStatus.INFLOW,
        "13700002222",
    )


def test_an_inflow_is_refused_with_every_field_named_at_once(world):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        inflow(world, counterpart="", person={"id_number": "110108198206061234", "join_date": today() + days(1)})
    messages = error.value.message_dict
    assert "组织关系所在的党组织" in messages["counterpart"][0]
    assert messages["id_number"] and "晚于今天" in " ".join(messages["join_date"])
    assert snapshot() == before


def test_an_inflow_of_a_member_on_the_roll_is_refused_and_one_who_left_comes_back(world):
    on_roll = world.members["B2"]
    message = refused(lambda: inflow(world, number=on_roll.id_number), "id_number")
    assert "已是本区党员" in message and "区内转接" in message
    left = world.members["B1b"]
    transfer_report(
        transfer=transfer_issue_out(member=left, counterpart="外地", issued_on=today(), by=None),
        reported_on=today(),
        by=None,
    )
    mobile = inflow(world, number=left.id_number, person={"name": left.name})
    assert mobile.member_id == left.pk
    left.refresh_from_db()
    assert left.status == MemberStatus.INFLOW and left.branch == world.units["B1"]


# --- Contacts ----------------------------------------------------------------------------------


def test_a_reached_contact_moves_the_last_contact_forward_and_never_back(world):
    mobile = outflow(world)
    contact(mobile, today() - days(20), result="not_reached")
    mobile.refresh_from_db()
    assert mobile.last_contact_on is None and mobile.days_since_contact == 100
    contact(mobile, today() - days(10))
    contact(mobile, today() - days(40))
    mobile.refresh_from_db()
    assert mobile.last_contact_on == today() - days(10) and mobile.days_since_contact == 10
    assert mobile.contacts.count() == 3


def test_a_reached_contact_closes_the_lost_contact_case(world):
    cadre = world.personas["community_cadre"]
    mobile = outflow(world, since=today() - days(400))
    case = lost_case(mobile)
    contact(mobile, today() - days(3), result="not_reached", by=cadre)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    contact(mobile, today() - days(1), by=cadre)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.outcome == "contacted" and case.closed_by == cadre
    assert "联系上本人" in case.outcome_note


def test_a_contact_older_than_the_lost_contact_window_does_not_close_the_case(world):
    mobile = outflow(world, since=today() - days(400))
    case = lost_case(mobile)
    window = add_months(today(), -6)
    contact(mobile, window)  # six months ago to the day: still out of reach since then
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    contact(mobile, window + days(1))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_a_contact_is_refused_with_the_field_named(world):
    mobile = outflow(world, since=today() - days(30))
    assert "早于流动开始日期" in refused(lambda: contact(mobile, today() - days(31)), "contacted_on")
    assert "晚于今天" in refused(lambda: contact(mobile, today() + days(1)), "contacted_on")
    services.mobile_end(mobile=mobile, ended_on=today(), by=None)
    assert "结束，不能再登记联系记录" in refused(lambda: contact(mobile, today()))


# --- Ending ------------------------------------------------------------------------------------


def test_ending_an_outflow_keeps_the_member_and_ending_an_inflow_takes_the_record_off_the_roll(world):
    out = outflow(world)
    case = lost_case(out)
    assert "不能早于" in refused(
        lambda: services.mobile_end(mobile=out, ended_on=today() - days(101), by=None), "ended_on"
    )
    stale = refused(
        lambda: services.mobile_end(mobile=out, ended_on=today(), by=None, expected_version=out.version + 1)
    )
    assert "已被他人修改" in stale
    ended = services.mobile_end(mobile=out, ended_on=today(), by=None, expected_version=out.version)
    case.refresh_from_db()
    assert ended.status == MobileStatus.ENDED and case.status == CaseStatus.CLOSED
    assert Member.objects.get(pk=out.member_id).status == MemberStatus.ACTIVE
    assert "已于" in refused(lambda: services.mobile_end(mobile=ended, ended_on=today(), by=None))
    into = inflow(world)
    services.mobile_end(mobile=into, ended_on=today(), by=None)
    assert Member.objects.get(pk=into.member_id).status == MemberStatus.TRANSFERRED_OUT


# --- Lists -------------------------------------------------------------------------------------


def test_the_list_sorts_by_the_longest_without_contact_and_filters_by_band(world):
    cadre = world.personas["community_cadre"]
    recent = outflow(world, "B1", since=today() - days(300))
    contact(recent, today() - days(5))
    middle = outflow(world, "B1b", since=today() - days(120))
    far = outflow(world, member=make_member(world.units["B1"], "久未联系"), since=today() - days(400))
    contact(far, today() - days(200))
    edge = outflow(world, member=make_member(world.units["B1b"], "九十天"), since=today() - days(90))
    outflow(world, "B2", since=today() - days(500))  # another community's
    listed = list(selectors.mobile_list(user=cadre))
    assert listed == [far, middle, edge, recent]
    band = {
        key: list(selectors.mobile_list(user=cadre, filters=MobileFilters(band=key)))
        for key in ("le90", "91to180", "gt180")
    }
    assert band == {"le90": [edge, recent], "91to180": [middle], "gt180": [far]}
    assert selectors.mobile_band_counts(user=cadre) == {"": 4, "le90": 2, "91to180": 1, "gt180": 1}
    unit = MobileFilters(unit=world.units["B1b"])
    assert list(selectors.mobile_list(user=cadre, filters=unit)) == [middle, edge]
    assert list(selectors.mobile_list(user=cadre, filters=MobileFilters(q="jwlx"))) == [far]
    assert list(selectors.mobile_list(user=cadre, filters=MobileFilters(direction="inflow"))) == []


def test_the_list_page_shows_mobile_members_in_scope_with_masked_phones(world, login):
    mobile = outflow(world)
    outflow(world, "B2")
    into = inflow(world)
    client = login(world.personas["community_cadre"])
    response = client.get(reverse("members:mobile_list"))
    body = response.content.decode()
    assert response.status_code == 200 and mobile.member.name in body and "松涛" not in body
    assert "13800001111" not in body and into.member.name not in body
    assert {value: count for value, _, count in response.context["direction_tabs"]} == {"outflow": 1, "inflow": 1}
    body = client.get(reverse("members:mobile_list"), {"direction": "inflow"}).content.decode()
    assert into.member.name in body and "安徽省六安市" in body
    partial = client.get(reverse("members:mobile_list"), {"q": "hjh", "direction": "inflow"}, HTTP_HX_REQUEST="true")
    assert (
        partial.content.decode().lstrip().startswith('<div id="results">')
        and into.member.name in partial.content.decode()
    )


def test_the_list_costs_the_same_queries_for_few_and_many(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("members:mobile_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    outflow(world)
    count()
    few = count()
    for index in range(15):
        mobile = outflow(
            world, member=make_member(world.units["B1b"], f"流出{index}"), since=today() - days(index * 20)
        )
        contact(mobile, today() - days(index * 10))
    assert count() == few


# --- Pages -------------------------------------------------------------------------------------


def test_a_cadre_registers_an_outflow_logs_contacts_and_ends_it_on_the_pages(world, login):
    member = world.members["B1"]
    client = login(world.personas["community_cadre"])
    url = reverse("members:mobile_outflow_create", args=[member.pk])
    body = client.post(url, {"place": "", "reason": "work", "since": today().isoformat()}).content.decode()
    assert "<strong>流入地（外出地点）</strong>" in body and not MobileMember.objects.exists()
    response = client.post(
        url,
        {
            "place": "浙江省杭州市",
            "reason": "work",
            "since": (today() - days(200)).isoformat(),
            "contact_phone": "13811112222",
            "card_number": "LD2026009",
        },
    )
    mobile = MobileMember.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("members:mobile_detail", args=[mobile.pk])
    page = client.get(response["Location"]).content.decode()
    assert "138****2222" in page and "13811112222" not in page and "从未联系上" in page and "200 天" in page
    assert 'id="contact-card"' in page and 'id="end-card"' in page
    contact_url = reverse("members:mobile_contact", args=[mobile.pk])
    body = client.post(
        contact_url, {"contacted_on": (today() + days(1)).isoformat(), "channel": "phone", "result": "reached"}
    )
    assert "晚于今天" in body.content.decode()
    response = client.post(
        contact_url, {"contacted_on": today().isoformat(), "channel": "visit", "result": "reached", "notes": "已见面"}
    )
    mobile.refresh_from_db()
    assert response.status_code == 302 and mobile.last_contact_on == today()
    assert client.get(contact_url).status_code == 405
    response = client.post(
        reverse("members:mobile_end", args=[mobile.pk]), {"ended_on": today().isoformat(), "version": mobile.version}
    )
    mobile.refresh_from_db()
    assert response.status_code == 302 and mobile.status == MobileStatus.ENDED
    assert 'id="contact-card"' not in client.get(reverse("members:mobile_detail", args=[mobile.pk])).content.decode()


def test_a_cadre_registers_an_inflow_member_on_the_page(world, login):
    client = login(world.personas["community_cadre"])
    number = id_number(datetime.date(1988, 8, 8), region="110108", serial=662)
    data = {
        "name": "钱少华",
        "gender": "male",
        "ethnicity": "汉族",
        "id_number": number,
        "membership_type": "full",
        "join_date": "2012-07-01",
        "full_member_date": "2013-07-01",
        "branch": world.units["B1"].pk,
        "place": "河南省信阳市",
        "reason": "work",
        "since": today().isoformat(),
        "contact_phone": "13900003333",
    }
    body = client.post(reverse("members:mobile_inflow_create"), data).content.decode()
    assert "<strong>组织关系所在党组织</strong>" in body and not MobileMember.objects.exists()
    response = client.post(reverse("members:mobile_inflow_create"), {**data, "counterpart": "中共信阳市委"})
    mobile = MobileMember.objects.get()
    assert response.status_code == 302 and mobile.member.status == MemberStatus.INFLOW
    assert number not in client.get(response["Location"]).content.decode()


def test_members_residents_and_outsiders_see_no_mobile_members(world, login):
    outflow(world)
    for persona in ("member", "resident", "outsider"):
        assert login(world.personas[persona]).get(reverse("members:mobile_list")).status_code == 403


# --- The API -----------------------------------------------------------------------------------


@pytest.fixture
def api(world):
    def _api(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.personas[persona])
        return client

    return _api


def test_the_api_lists_registers_and_logs_contacts(world, api):
    client = api("community_cadre")
    outflow(world, "B2")
    response = client.post(
        "/api/v1/mobile-members/",
        {
            "direction": "outflow",
            "member": world.members["B2"].pk,
            "place": "x",
            "reason": "work",
            "since": "2026-01-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "权限范围" in response.json()["member"][0]
    response = client.post(
        "/api/v1/mobile-members/",
        {
            "direction": "outflow",
            "member": world.members["B1"].pk,
            "place": "上海市浦东新区",
            "reason": "work",
            "since": (today() - days(60)).isoformat(),
            "contact_phone": "13812345678",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    row = response.json()
    assert row["contact_phone"] == "138****5678" and row["days_since_contact"] == 60
    pk = row["id"]
    listed = client.get("/api/v1/mobile-members/", {"band": "le90"}).json()["results"]
    assert [item["id"] for item in listed] == [pk]
    added = client.post(
        f"/api/v1/mobile-members/{pk}/contacts/",
        {"contacted_on": today().isoformat(), "channel": "phone", "result": "reached"},
        format="json",
    )
    assert added.status_code == 201 and added.json()["by_name"] == "community_cadre用户"
    logs = client.get(f"/api/v1/mobile-members/{pk}/contacts/").json()
    assert [log["result"] for log in logs] == ["reached"]
    assert client.get(f"/api/v1/mobile-members/{pk}/").json()["last_contact_on"] == today().isoformat()
    stale = client.post(
        f"/api/v1/mobile-members/{pk}/end/", {"ended_on": today().isoformat(), "version": 99}, format="json"
    )
    assert stale.status_code == 400 and "已被他人修改" in stale.json()["non_field_errors"][0]
    ended = client.post(f"/api/v1/mobile-members/{pk}/end/", {"ended_on": today().isoformat()}, format="json")
    assert ended.json()["status"] == "ended"
    assert client.post("/api/v1/mobile-members/", {}, format="json").status_code == 400
    assert api("member").get("/api/v1/mobile-members/").status_code == 403


def test_the_api_registers_an_inflow_member(world, api):
    client = api("community_cadre")
    data = {
        "direction": "inflow",
        "branch": world.units["B1"].pk,
        "name": "冯德明",
        "gender": "male",
        "id_number": id_number(datetime.date(1975, 5, 5), region="110108", serial=663),
        "join_date": "2000-07-01",
        "full_member_date": "2001-07-01",
        "place": "江西省九江市",
        "reason": "family",
        "since": today().isoformat(),
    }
    response = client.post("/api/v1/mobile-members/", data, format="json")
    assert response.status_code == 400 and "组织关系所在的党组织" in response.json()["counterpart"][0]
    response = client.post("/api/v1/mobile-members/", {**data, "counterpart": "中共九江市委"}, format="json")
    assert response.status_code == 201, response.json()
    assert Member.objects.get(pk=response.json()["member"]).status == MemberStatus.INFLOW


def test_the_api_list_costs_the_same_queries_for_few_and_many(world, api):
    client = api("community_secretary")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/mobile-members/", {"page_size": 500}).status_code == 200
        return len(queries)

    outflow(world)
    count()
    few = count()
    for index in range(12):
        outflow(world, member=make_member(world.units["B1b"], f"流出{index}"))
    assert count() == few
