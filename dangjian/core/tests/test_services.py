"""The writes of the org tree and committees: shapes, moves, closing, terms, lost updates."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangjian.core import crypto, services
from dangjian.core.choices import OrgKind, OrgStatus, Position
from dangjian.core.models import BranchCommittee, OrgUnit, add_years
from dangjian.core.tests.factories import make_committee, make_unit

pytestmark = pytest.mark.django_db


def test_it_keeps_a_materialized_path_so_a_subtree_is_one_prefix(world):
    c1, b1, g1 = world.units["C1"], world.units["B1"], world.units["G1"]
    assert g1.path.startswith(b1.path) and b1.path.startswith(c1.path)
    assert g1.depth == 5
    assert g1.district_id == world.units["D1"].pk
    subtree = set(OrgUnit.objects.subtree(c1).values_list("name", flat=True))
    assert subtree == {"翠湖社区", "翠湖社区党总支", "翠湖第一支部", "翠湖第二支部", "翠湖第一小组"}


def test_it_refuses_a_unit_under_a_parent_of_the_wrong_kind(world):
    with pytest.raises(ValidationError) as error:
        services.org_unit_create(parent=world.units["S1"], kind=OrgKind.BRANCH, code="X1", name="错层支部", by=None)
    assert error.value.message_dict["parent"] == ["街道下不能设立党支部。"]
    assert not OrgUnit.objects.filter(code="X1").exists()


def test_it_refuses_a_district_with_a_parent_and_a_community_without_one(db):
    district = make_unit(OrgKind.DISTRICT)
    with pytest.raises(ValidationError) as error:
        services.org_unit_create(parent=None, kind=OrgKind.COMMUNITY, code="X2", name="无上级社区", by=None)
    assert "社区必须有上级组织。" in error.value.message_dict["parent"]
    with pytest.raises(ValidationError):
        services.org_unit_create(parent=district, kind=OrgKind.DISTRICT, code="X3", name="区下之区", by=None)


def test_it_refuses_a_duplicate_code_with_a_chinese_message(world):
    with pytest.raises(ValidationError) as error:
        services.org_unit_create(
            parent=world.units["C1"], kind=OrgKind.BRANCH, code=world.units["B1"].code, name="重码", by=None
        )
    assert "编码" in error.value.message_dict["code"][0]


def test_moving_a_unit_rewrites_its_whole_subtree(world):
    gb1, b1, g1, c2 = world.units["GB1"], world.units["B1"], world.units["G1"], world.units["C2"]
    services.org_unit_move(unit=b1, new_parent=c2, by=None)
    b1.refresh_from_db()
    g1.refresh_from_db()
    assert b1.parent_id == c2.pk
    assert b1.path == c2.path + f"{b1.pk:08d}."
    assert g1.path == b1.path + f"{g1.pk:08d}."
    assert (b1.depth, g1.depth) == (c2.depth + 1, c2.depth + 2)
    assert not OrgUnit.objects.descendants(gb1).filter(pk=g1.pk).exists()
    assert b1.history.first().parent_id == c2.pk


def test_moving_across_districts_carries_the_district_key(world):
    b1, g1, c3 = world.units["B1"], world.units["G1"], world.units["C3"]
    services.org_unit_move(unit=b1, new_parent=c3, by=None)
    g1.refresh_from_db()
    assert g1.district_id == world.units["D2"].pk


def test_it_refuses_to_move_a_unit_below_itself(world):
    with pytest.raises(ValidationError) as error:
        services.org_unit_move(unit=world.units["GB1"], new_parent=world.units["B1"], by=None)
    assert "new_parent" in error.value.message_dict


def test_it_refuses_to_move_a_branch_under_a_group(world):
    with pytest.raises(ValidationError) as error:
        services.org_unit_move(unit=world.units["B1b"], new_parent=world.units["G1"], by=None)
    assert error.value.message_dict["new_parent"] == ["党小组下不能设立党支部。"]


def test_a_stale_edit_is_refused_rather_than_lost(world):
    b1 = world.units["B1"]
    version = b1.version
    services.org_unit_update(unit=b1, by=None, expected_version=version, name="第一个人的改名")
    with pytest.raises(ValidationError) as error:
        services.org_unit_update(unit=b1, by=None, expected_version=version, name="第二个人的改名")
    assert error.value.code == "stale"
    b1.refresh_from_db()
    assert b1.name == "第一个人的改名"


def test_a_unit_with_open_units_below_it_cannot_close(world):
    with pytest.raises(ValidationError) as error:
        services.org_unit_close(
            unit=world.units["B1"], status=OrgStatus.DISSOLVED, closed_on=datetime.date.today(), by=None
        )
    assert "下级组织" in error.value.messages[0]


def test_closing_keeps_the_row_and_ends_the_committee(world):
    g1, b1 = world.units["G1"], world.units["B1"]
    services.org_unit_close(unit=g1, status=OrgStatus.DISSOLVED, closed_on=datetime.date.today(), by=None)
    today = datetime.date.today()
    services.org_unit_close(unit=b1, status=OrgStatus.MERGED, merged_into=world.units["B1b"], closed_on=today, by=None)
    b1.refresh_from_db()
    assert b1.status == OrgStatus.MERGED and b1.merged_into == world.units["B1b"]
    assert OrgUnit.objects.filter(pk=g1.pk).exists()
    assert world.committees["B1"].__class__.objects.get(pk=world.committees["B1"].pk).ended_on == today


def test_merging_needs_a_target_of_the_same_kind(world):
    with pytest.raises(ValidationError) as error:
        services.org_unit_close(
            unit=world.units["G1"],
            status=OrgStatus.MERGED,
            merged_into=world.units["B1b"],
            closed_on=datetime.date.today(),
            by=None,
        )
    assert "merged_into" in error.value.message_dict
    assert OrgUnit.objects.get(pk=world.units["G1"].pk).status == OrgStatus.ACTIVE


def test_a_community_term_is_five_years_and_a_branch_term_three(world):
    start = datetime.date(2024, 2, 29)
    c1 = make_unit(OrgKind.COMMUNITY, world.units["S1"])
    b = make_unit(OrgKind.BRANCH, c1)
    assert services.committee_create(org_unit=c1, term_start=start, by=None).term_end == datetime.date(2029, 2, 28)
    assert services.committee_create(org_unit=b, term_start=start, by=None).term_end == datetime.date(2027, 2, 28)


def test_a_new_term_ends_the_previous_one_and_its_seats(world):
    previous = world.committees["B1"]
    start = previous.term_end - datetime.timedelta(days=10)
    new = services.committee_create(org_unit=world.units["B1"], term_start=start, by=None)
    previous.refresh_from_db()
    assert new.term_number == previous.term_number + 1
    assert previous.ended_on == start
    assert not previous.seats.filter(left_on__isnull=True).exists()
    assert previous.seats.get().left_reason == "换届"


def test_a_new_term_must_start_after_the_previous_one(world):
    previous = world.committees["B1"]
    with pytest.raises(ValidationError) as error:
        services.committee_create(org_unit=world.units["B1"], term_start=previous.term_start, by=None)
    assert "term_start" in error.value.message_dict


def test_a_group_has_no_committee(world):
    with pytest.raises(ValidationError) as error:
        services.committee_create(org_unit=world.units["G1"], term_start=datetime.date(2025, 1, 1), by=None)
    assert error.value.message_dict["org_unit"] == ["党小组不设委员会。"]
    assert not BranchCommittee.objects.filter(org_unit=world.units["G1"]).exists()


def test_a_committee_has_one_serving_secretary(world):
    committee = world.committees["B1"]
    with pytest.raises(ValidationError) as error:
        services.seat_add(committee=committee, person_name="第二位书记", position=Position.SECRETARY, by=None)
    assert "在任书记" in " ".join(error.value.messages)
    seat = committee.seats.get()
    services.seat_end(seat=seat, left_on=datetime.date.today(), reason="调离", by=None)
    services.seat_add(committee=committee, person_name="新书记", position=Position.SECRETARY, by=None)
    assert committee.seats.filter(left_on__isnull=True).get().person_name == "新书记"


def test_seats_list_in_the_customary_order(world):
    committee = make_committee(make_unit(OrgKind.BRANCH, world.units["C1"]), secretary=None)
    for position in (Position.COMMITTEE_MEMBER, Position.ORGANIZATION_MEMBER, Position.SECRETARY):
        services.seat_add(committee=committee, person_name=str(position.label), position=position, by=None)
    assert list(committee.seats.values_list("person_name", flat=True)) == ["书记", "组织委员", "委员"]


def test_add_years_falls_back_on_29_february():
    assert add_years(datetime.date(2024, 2, 29), 1) == datetime.date(2025, 2, 28)
    assert add_years(datetime.date(2024, 3, 1), -1) == datetime.date(2023, 3, 1)


def test_every_write_is_in_the_history_with_its_author(world):
    user = world.personas["community_secretary"]
    unit = services.org_unit_create(parent=world.units["C1"], kind=OrgKind.BRANCH, code="H1", name="新支部", by=user)
    services.org_unit_update(unit=unit, by=user, name="新支部（改）")
    records = list(unit.history.order_by("history_date"))
    assert [record.history_type for record in records] == ["+", "~"]
    assert {record.history_user for record in records} == {user}


def test_a_code_taken_between_the_check_and_the_save_is_refused_cleanly(world, monkeypatch):
    # Two people create units with the same code at once: the second save meets the unique
    # index after its own check passed.
    from dangjian.core.models import OrgUnit as Model

    monkeypatch.setattr(Model, "validate_unique", lambda self, exclude=None: None)
    with pytest.raises(ValidationError) as error:
        services.org_unit_create(
            parent=world.units["C1"], kind=OrgKind.BRANCH, code=world.units["B1"].code, name="并发", by=None
        )
    assert error.value.code == "conflict"
    assert not OrgUnit.objects.filter(name="并发").exists()


def test_a_closed_unit_is_not_changed_any_more(world):
    g1 = world.units["G1"]
    services.org_unit_close(unit=g1, status=OrgStatus.DISSOLVED, closed_on=datetime.date.today(), by=None)
    with pytest.raises(ValidationError) as renamed:
        services.org_unit_update(unit=g1, by=None, name="复活")
    assert renamed.value.code == "closed"
    with pytest.raises(ValidationError):
        services.org_unit_move(unit=g1, new_parent=world.units["B1b"], by=None)


def test_closing_a_unit_ends_its_committee_and_its_seats(world):
    b1b = world.units["B1b"]
    today = datetime.date.today()
    services.org_unit_close(unit=b1b, status=OrgStatus.DISSOLVED, closed_on=today, by=None)
    committee = world.committees["B1b"]
    committee.refresh_from_db()
    assert committee.ended_on == today
    assert list(committee.seats.values_list("left_on", "left_reason")) == [(today, "组织撤销")]
    with pytest.raises(ValidationError):
        services.seat_add(committee=committee, person_name="补选", position=Position.COMMITTEE_MEMBER, by=None)


def test_a_term_cannot_start_after_a_seat_of_it_did(world):
    committee = world.committees["B1"]
    later = committee.term_start + datetime.timedelta(days=30)
    with pytest.raises(ValidationError) as error:
        services.committee_update(committee=committee, by=None, term_start=later)
    assert "term_start" in error.value.message_dict


def test_moving_across_districts_carries_the_district_key_of_committees_seats_and_grants(world):
    b1, c3, d2 = world.units["B1"], world.units["C3"], world.units["D2"]
    services.org_unit_move(unit=b1, new_parent=c3, by=None)
    committee = world.committees["B1"]
    committee.refresh_from_db()
    assert committee.district_id == d2.pk
    assert committee.seats.get().district_id == d2.pk
    assert world.personas["member"].grants.get().district_id == d2.pk
    # Rows of other apps that declare a scope path and a district key follow too.
    member = world.members["B1"]
    member.refresh_from_db()
    assert member.district_id == d2.pk


def test_the_creation_record_holds_the_path(world):
    record = world.units["G1"].history.get(history_type="+")
    assert record.path == world.units["G1"].path and record.district_id == world.units["D1"].pk


@pytest.mark.parametrize("as_sent", [False, True], ids=["prepared before", "prepared as each row is sent"])
def test_insert_rows_gives_keys_and_writes_what_save_would(world, as_sent):
    from dangjian.core.bulk import insert_rows
    from dangjian.members.models import Member
    from dangjian.members.tests.factories import id_number

    members = []
    for number in range(3):
        member = Member(
            name=f"批量{number}",
            gender="female",
            id_number=id_number(datetime.date(1970, 1, 1 + number), serial=900 + number),
            phone=f"1370000000{number}",
            join_date=datetime.date(2000, 7, 1),
            branch=world.units["B1"],
        )
        if not as_sent:
            member.prepare_derived()
        members.append(member)
    insert_rows(Member, members, prepare=Member.prepare_derived if as_sent else None)
    assert all(member.pk for member in members) and len({member.pk for member in members}) == 3
    stored = Member.objects.get(pk=members[1].pk)
    assert stored.id_number == members[1].id_number and stored.phone == "13700000001"
    assert stored.name_initials == "pl1" and stored.district == world.units["B1"].district
    assert stored.created_at is not None and stored.updated_at is not None and stored.version == 1
    # The numbers are stored encrypted, as save() stores them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM members_member WHERE id = %s", [stored.pk])
        assert cursor.fetchone()[0].startswith(crypto.PREFIX)


def test_insert_values_writes_plain_rows_and_gives_their_keys_in_order(world):
    from dangjian.core.bulk import insert_values
    from dangjian.members.models import Member, MemberCategory
    from dangjian.members.tests.factories import make_member

    first, second = make_member(world.units["B1"], "甲"), make_member(world.units["B1"], "乙")
    category = MemberCategory.objects.create(name="批量类别")
    through = Member.categories.through
    keys = insert_values(
        through, ["member_id", "membercategory_id"], [(second.pk, category.pk), (first.pk, category.pk)]
    )
    assert len(keys) == 2 and keys[0] < keys[1]
    assert through.objects.get(pk=keys[0]).member_id == second.pk
    assert through.objects.get(pk=keys[1]).member_id == first.pk
    assert insert_values(through, ["member_id", "membercategory_id"], []) == []
    # A field whose value is prepared before it is stored (the encrypted numbers) is refused.
    with pytest.raises(ValueError, match="phone"):
        insert_values(Member, ["name", "phone"], [("某人", "13700000000")])


def test_a_bulk_job_pauses_the_collector_and_leaves_it_as_it_found_it():
    import gc

    from dangjian.core.bulk import collector_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the job failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # paused by someone else before: not switched on here
    finally:
        gc.enable()


# --- Field encryption keys -----------------------------------------------------------------


def test_the_field_key_follows_the_setting_and_a_wrong_one_is_refused(settings):
    import base64

    from cryptography.exceptions import InvalidTag
    from django.core.exceptions import ImproperlyConfigured

    from dangjian.core.crypto import decrypt, encrypt

    settings.DANGJIAN_FIELD_KEY = base64.b64encode(b"a" * 32).decode()
    sealed = encrypt("13800138000")
    assert decrypt(sealed) == "13800138000"
    settings.DANGJIAN_FIELD_KEY = base64.b64encode(b"b" * 32).decode()
    with pytest.raises(InvalidTag):  # another key cannot open it
        decrypt(sealed)
    settings.DANGJIAN_FIELD_KEY = base64.b64encode(b"a" * 16).decode()
    with pytest.raises(ImproperlyConfigured, match="32 bytes"):
        encrypt("x")
    settings.DANGJIAN_FIELD_KEY, settings.DANGJIAN_TESTING, settings.DEBUG = "", False, False
    with pytest.raises(ImproperlyConfigured, match="must be set"):
        encrypt("x")
