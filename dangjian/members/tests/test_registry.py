"""The member registry: personal data at rest and on screen, search, filters, pages, export, API."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook
from rest_framework.test import APIClient

from dangjian.core.crypto import blind_index, mask_id_number, mask_phone
from dangjian.members.models import Member, MemberCategory, UnmaskLog, name_initials
from dangjian.members.selectors.registry import MemberFilters, member_list
from dangjian.members.services import registry as services
from dangjian.members.tests.factories import id_number, make_member

pytestmark = pytest.mark.django_db


def snapshot():
    return list(Member.objects.order_by("pk").values_list("pk", "name", "id_number_index", "phone_index", "version"))


# --- Personal data -----------------------------------------------------------------------------


def test_no_id_number_or_phone_is_stored_in_clear(world):
    member = world.members["B1"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_index, phone_index FROM members_member")
        rows = cursor.fetchall()
        cursor.execute("SELECT * FROM members_historicalmember")
        history = cursor.fetchall()
    stored = " ".join(str(value) for row in rows + history for value in row)
    assert member.id_number not in stored and member.phone not in stored
    assert all(row[0].startswith("v1:") and row[1].startswith("v1:") for row in rows)
    assert member.id_number_index == blind_index(member.id_number)


def test_masks_keep_the_region_and_the_last_digits():
    assert mask_id_number("11010119700501001X") == "110101********001X"
    assert mask_phone("13812345678") == "138****5678"


def test_unmasking_writes_a_log_row(world):
    member, cadre = world.members["B1"], world.personas["community_cadre"]
    value = services.member_unmask(member=member, field="id_number", by=cadre, ip_address="127.0.0.1")
    assert value == member.id_number
    log = UnmaskLog.objects.get()
    assert (log.user, log.member, log.field) == (cadre, member, "id_number")


def test_a_branch_secretary_may_not_unmask(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.member_unmask(member=world.members["B1"], field="phone", by=world.personas["branch_secretary"])
    assert not UnmaskLog.objects.exists()


# --- Rules ---------------------------------------------------------------------------------------


def test_a_wrong_check_digit_is_refused_in_chinese(world):
    good = id_number(datetime.date(1980, 1, 1))
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        make_member(world.units["B1"], id_number=bad)
    assert error.value.message_dict["id_number"] == ["公民身份号码校验位不正确，请核对。"]


def test_the_birth_date_comes_from_the_id_number(world):
    member = make_member(world.units["B1"], birth=datetime.date(1956, 10, 1))
    assert member.birth_date == datetime.date(1956, 10, 1)


def test_the_same_id_number_cannot_be_registered_twice(world):
    with pytest.raises(ValidationError) as error:
        make_member(world.units["B1b"], id_number=world.members["B1"].id_number)
    assert error.value.message_dict["id_number"] == ["该公民身份号码已登记在册。"]


def test_joining_before_eighteen_is_refused(world):
    with pytest.raises(ValidationError) as error:
        make_member(world.units["B1"], birth=datetime.date(1990, 1, 1), join_date=datetime.date(2007, 6, 1))
    assert "年满十八周岁" in error.value.message_dict["join_date"][0]


def test_a_stale_edit_is_refused(world):
    member = world.members["B1"]
    services.member_update(member=member, by=None, expected_version=member.version, occupation="教师")
    with pytest.raises(ValidationError) as error:
        services.member_update(member=member, by=None, expected_version=member.version, occupation="医生")
    assert error.value.code == "stale"


# --- Search and filters --------------------------------------------------------------------------


def test_zs_finds_zhang_san(world):
    zhang = make_member(world.units["B1"], name="张三")
    make_member(world.units["B1"], name="李四")
    found = member_list(user=world.personas["community_secretary"], filters=MemberFilters(q="zs"))
    assert list(found) == [zhang]
    assert name_initials("张三丰") == "zsf"


def test_exact_id_and_phone_find_through_the_blind_index(world):
    member, user = world.members["B1"], world.personas["community_secretary"]
    assert list(member_list(user=user, filters=MemberFilters(q=member.id_number.lower()))) == [member]
    assert list(member_list(user=user, filters=MemberFilters(q=member.phone))) == [member]
    assert not member_list(user=user, filters=MemberFilters(q=world.members["B2"].id_number)).exists()


def test_filters_by_category_age_band_join_year_and_subtree(world):
    user = world.personas["subdistrict_organizer"]
    retiree = MemberCategory.objects.get(code="enterprise_retiree")
    old = make_member(
        world.units["B1b"], name="王老", birth=datetime.date(1940, 3, 3), join_date=datetime.date(1965, 7, 1)
    )
    old.categories.set([retiree])
    assert list(member_list(user=user, filters=MemberFilters(categories=[retiree]))) == [old]
    assert old in member_list(user=user, filters=MemberFilters(age_band="80plus"))
    assert list(member_list(user=user, filters=MemberFilters(join_year=1965))) == [old]
    in_b1 = member_list(user=user, filters=MemberFilters(unit=world.units["GB1"]))
    assert list(in_b1) == [world.members["B1"]]


def test_the_list_is_scoped(world):
    names = {m.name for m in member_list(user=world.personas["community_secretary"])}
    assert names == {"翠湖第一支部党员", "翠湖第二支部党员"}
    assert list(member_list(user=world.personas["member"])) == [world.members["B1"]]
    assert not member_list(user=world.personas["resident"]).exists()


# --- Pages ---------------------------------------------------------------------------------------


def test_the_list_page_masks_numbers(world, login):
    member = world.members["B1"]
    body = login(world.personas["community_cadre"]).get(reverse("members:member_list")).content.decode()
    assert member.name in body and member.phone_masked in body
    assert member.phone not in body and member.id_number not in body
    assert "松涛" not in body


def test_the_list_costs_the_same_queries_for_10_and_500_members(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("members:member_list")
    retiree = MemberCategory.objects.get(code="enterprise_retiree")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"page": 1}).status_code == 200
        return len(queries)

    for n in range(8):
        make_member(world.units["B1"], name=f"十人{n}").categories.set([retiree])
    few = count()
    for n in range(490):
        make_member(world.units["B1b"], name=f"五百{n}").categories.set([retiree])
    assert Member.objects.filter(branch__path__startswith=world.units["C1"].path).count() == 500
    assert count() == few


def test_the_record_page_shows_masked_numbers_and_unmasks_on_request(world, login):
    member = world.members["B1"]
    client = login(world.personas["community_cadre"])
    body = client.get(reverse("members:member_detail", args=[member.pk])).content.decode()
    assert member.id_number_masked in body and member.id_number not in body
    response = client.post(
        reverse("members:member_unmask", args=[member.pk]), {"field": "id_number"}, HTTP_HX_REQUEST="true"
    )
    assert member.id_number in response.content.decode()
    assert UnmaskLog.objects.filter(member=member, user=world.personas["community_cadre"]).count() == 1


def test_the_unmask_log_is_for_organizers(world, login):
    services.member_unmask(member=world.members["B1"], field="phone", by=world.personas["community_cadre"])
    secretary = login(world.personas["community_secretary"])
    body = secretary.get(reverse("members:unmask_log")).content.decode()
    assert "community_cadre用户" in body and "手机号码" in body
    assert login(world.personas["community_cadre"]).get(reverse("members:unmask_log")).status_code == 403


def form_data(world, **overrides):
    data = {
        "name": "王五",
        "gender": "male",
        "ethnicity": "汉族",
        "id_number": id_number(datetime.date(1975, 2, 3)),
        "phone": "13900001111",
        "join_date": "2000-07-01",
        "full_member_date": "2001-07-01",
        "membership_type": "full",
        "standing": "normal",
        "status": "active",
        "branch": world.units["B1"].pk,
    }
    data.update(overrides)
    return data


def test_a_cadre_registers_a_member(world, login):
    client = login(world.personas["community_cadre"])
    response = client.post(reverse("members:member_create"), form_data(world))
    member = Member.objects.get(name="王五")
    assert response.status_code == 302 and response["Location"] == reverse("members:member_detail", args=[member.pk])
    assert member.birth_date == datetime.date(1975, 2, 3)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "姓名", "该字段是必填项"),
        ({"id_number": "12345"}, "公民身份号码", "公民身份号码应为 18 位"),
        ({"id_number": "110101197502030010"}, "公民身份号码", "校验位不正确"),
        ({"phone": "12345"}, "手机号码", "11 位数字"),
        ({"membership_type": "full", "full_member_date": ""}, "转正日期", "正式党员请填写转正日期"),
        ({"join_date": "1990-01-01"}, "入党日期", "年满十八周岁"),
        ({"ethnicity": "火星"}, "民族", "民族全称"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, login, overrides, field, message):
    client = login(world.personas["community_cadre"])
    data = form_data(world, **overrides)
    if "id_number" in overrides and overrides["id_number"] == "110101197502030010":
        good = id_number(datetime.date(1975, 2, 3), serial=1)
        data["id_number"] = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = snapshot()
    response = client.post(reverse("members:member_create"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"<strong>{field}</strong>：" in body and message in body
    assert snapshot() == before


def test_editing_keeps_the_numbers_when_left_blank(world, login):
    member = world.members["B1"]
    client = login(world.personas["community_cadre"])
    page = client.get(reverse("members:member_edit", args=[member.pk])).content.decode()
    assert member.id_number not in page and member.phone not in page
    data = form_data(world, name=member.name, id_number="", phone="", occupation="退休", version=member.version)
    assert client.post(reverse("members:member_edit", args=[member.pk]), data).status_code == 302
    member.refresh_from_db()
    assert member.occupation == "退休" and member.id_number_index == blind_index(member.id_number)


def test_the_export_is_masked_unless_asked_in_clear_and_then_logged(world, login):
    member = world.members["B1"]
    client = login(world.personas["community_secretary"])
    masked = client.get(reverse("members:member_export"))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(masked.content)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "姓名" and len(rows) == 3  # the header and the community's two members
    cells = {str(cell) for row in rows for cell in row}
    assert member.id_number_masked in cells and member.id_number not in cells
    assert not UnmaskLog.objects.exists()
    full = client.get(reverse("members:member_export"), {"full": "1"})
    cells = {
        str(cell)
        for row in CalamineWorkbook.from_filelike(io.BytesIO(full.content)).get_sheet_by_index(0).to_python()
        for cell in row
    }
    assert member.id_number in cells
    assert UnmaskLog.objects.filter(user=world.personas["community_secretary"]).count() == 4  # 2 members × 2 fields
    assert (
        login(world.personas["branch_secretary"]).get(reverse("members:member_export"), {"full": "1"}).status_code
        == 403
    )


# --- API -----------------------------------------------------------------------------------------


def test_the_api_lists_masked_members_in_scope_and_unmasks_with_a_log(world):
    client = APIClient()
    client.force_authenticate(world.personas["community_cadre"])
    rows = client.get("/api/v1/members/").json()["results"]
    assert {row["name"] for row in rows} == {"翠湖第一支部党员", "翠湖第二支部党员"}
    member = world.members["B1"]
    row = next(row for row in rows if row["id"] == member.pk)
    assert row["id_number"] == member.id_number_masked and row["phone"] == member.phone_masked
    assert client.get(f"/api/v1/members/{world.members['B2'].pk}/").status_code == 404
    response = client.post(f"/api/v1/members/{member.pk}/unmask/", {"field": "phone"}, format="json")
    assert response.json() == {"field": "phone", "value": member.phone}
    assert UnmaskLog.objects.filter(member=member, field="phone").count() == 1
    found = client.get("/api/v1/members/", {"q": "chdyzbdy"}).json()["results"]
    assert [row["id"] for row in found] == [member.pk]


def test_a_member_sees_their_own_record_masked(world, login):
    client = login(world.personas["member"])
    assert "我的党员档案" in client.get("/").content.decode()
    body = client.get(reverse("members:my_record")).content.decode()
    member = world.members["B1"]
    assert member.name in body and member.id_number_masked in body and member.id_number not in body
    assert "查看明文" not in body and "编辑" not in body
    assert login(world.personas["resident"]).get(reverse("members:my_record")).status_code == 404


# --- Bulk registration ---------------------------------------------------------------------------


def test_bulk_registration_writes_what_member_create_writes(world):
    """An import hands over the members its form built (birth date set from the ID number): they
    are stored as member_create stores a member, derived fields and categories included, with
    their history; a saved member is refused."""
    retiree = MemberCategory.objects.get(code="enterprise_retiree")

    def fields(name: str, birth: datetime.date, phone: str) -> dict:
        return {
            "name": name,
            "gender": "female",
            "id_number": id_number(birth, serial=7),
            "phone": phone,
            "join_date": datetime.date(1990, 7, 1),
            "full_member_date": datetime.date(1991, 7, 1),
            "branch": world.units["B1"],
        }

    one = services.member_create(
        by=None, categories=[retiree], **fields("甲", datetime.date(1970, 2, 3), "13912345678")
    )
    built = Member(**fields("乙", datetime.date(1971, 3, 4), "13912345679"))
    built.birth_date = datetime.date(1971, 3, 4)  # as the form sets it from the ID number
    [by_bulk] = services.members_create_bulk(by=world.personas["community_secretary"], rows=[(built, [retiree])])
    assert by_bulk is built
    columns = ["name_initials", "birth_date", "district_id", "branch_id", "version", "status", "standing"]
    stored = {row["pk"]: row for row in Member.objects.filter(pk__in=[one.pk, by_bulk.pk]).values("pk", *columns)}
    assert stored[one.pk]["birth_date"] == datetime.date(1970, 2, 3)
    assert stored[by_bulk.pk]["birth_date"] == datetime.date(1971, 3, 4)
    assert stored[one.pk]["name_initials"] == name_initials("甲")
    assert stored[by_bulk.pk]["name_initials"] == name_initials("乙")
    for column in ("district_id", "branch_id", "version", "status", "standing"):
        assert stored[one.pk][column] == stored[by_bulk.pk][column]
    for member in (one, by_bulk):
        again = Member.objects.get(pk=member.pk)
        assert again.id_number_index == blind_index(again.id_number)
        assert list(again.categories.all()) == [retiree]
    # One "created" record holding the categories (member_create records the categories set
    # after the creation as a second record).
    [created] = by_bulk.history.all()
    assert created.history_type == "+" and [link.membercategory_id for link in created.categories.all()] == [retiree.pk]
    with pytest.raises(ValueError):
        services.members_create_bulk(by=None, rows=[(Member.objects.get(pk=by_bulk.pk), [])])
