"""Relationship transfers (组织关系转接) and their introduction letters: numbering, the state
machine, transfers within the district seen from both sides, incoming letters and registering
the person, the printed letter, the pages, the API, and the scope matrix on every new route."""

from __future__ import annotations

import datetime
import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dangjian.core.choices import OrgKind
from dangjian.core.tests import scope_matrix
from dangjian.core.tests.factories import make_unit
from dangjian.core.tests.markers import postgres_only
from dangjian.members.choices import DuesMonthStatus, MemberStatus, TransferDirection, TransferStatus
from dangjian.members.models import DuesMonth, LetterSequence, Member, Transfer, UnmaskLog
from dangjian.members.selectors import transfers as selectors
from dangjian.members.services import transfers as services
from dangjian.members.services.mobile import mobile_register_outflow
from dangjian.members.tests.factories import id_number, make_member
from dangjian.oversight.choices import CaseKind, CaseStatus
from dangjian.oversight.models import Case

pytestmark = pytest.mark.django_db

DESTINATION = "中共杭州市西湖区北山街道工作委员会"


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def issue(world, place: str = "B1", *, by: str = "community_cadre", **fields) -> Transfer:
    values = {"counterpart": DESTINATION, "issued_on": today(), "reason": "工作调动"}
    values.update(fields)
    member = values.pop("member", None) or world.members[place]
    return services.transfer_issue_out(member=member, by=world.personas[by], **values)


def receive(world, *, number: str | None = None, **fields) -> Transfer:
    values = {
        "name": "周海燕",
        "gender": "female",
        "id_number": number or id_number(datetime.date(1985, 4, 12), region="110105", serial=771),
        "branch": world.units["B1"],
        "counterpart": "中共六安市金安区城北街道工作委员会",
        "issued_on": today(),
        "membership_type": "full",
        "phone": "13912345678",
    }
    values.update(fields)
    return services.transfer_receive_in(by=world.personas["community_cadre"], **values)


def pocket_case(transfer: Transfer) -> Case:
    """A pocket-member case, as the blind-spot scan opens it for an expired letter."""
    return Case.objects.create(
        kind=CaseKind.POCKET,
        member=transfer.member,
        branch=transfer.branch,
        transfer=transfer,
        summary=f"{transfer.name}的介绍信过期未报到",
    )


def expire(transfer: Transfer) -> Transfer:
    """What the scan does to an issued letter past its last day."""
    Transfer.objects.filter(pk=transfer.pk).update(status=TransferStatus.EXPIRED)
    transfer.refresh_from_db()
    return transfer


def snapshot():
    return (
        list(Transfer.objects.order_by("pk").values_list("pk", "status", "version", "letter_seq", "member_id")),
        list(LetterSequence.objects.order_by("pk").values_list("pk", "last_number")),
        list(Member.objects.order_by("pk").values_list("pk", "status", "branch_id", "version")),
    )


def refused(call, field: str | None = None) -> str:
    """Run a service that must refuse: nothing is written; returns the message (on `field`)."""
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        call()
    assert snapshot() == before
    if field is None:
        return " ".join(error.value.messages)
    messages = error.value.message_dict
    assert field in messages, messages
    return " ".join(messages[field])


# --- Numbering ---------------------------------------------------------------------------------


def test_letters_are_numbered_per_district_and_year_without_gaps(world):
    first = issue(world, "B1")
    second = issue(world, "B1b")
    third = issue(world, "B2", by="district_organizer")
    year = today().year
    assert [t.letter_seq for t in (first, second, third)] == [1, 2, 3]
    assert first.letter_number == f"（{year}）第0001号" and third.letter_number == f"（{year}）第0003号"
    assert LetterSequence.objects.get(district=world.units["D1"], year=year).last_number == 3
    # Another district counts its own letters.
    other = services.transfer_issue_out(member=world.members["B3"], counterpart=DESTINATION, issued_on=today(), by=None)
    assert (other.letter_seq, other.district_id) == (1, world.units["D2"].pk)


def test_a_letter_dated_last_year_takes_last_years_next_number(world):
    last_year = today().replace(year=today().year - 1, month=12, day=30)
    letter = issue(world, issued_on=last_year)
    assert (letter.letter_year, letter.letter_seq) == (last_year.year, 1)
    assert issue(world, "B1b").letter_seq == 1  # this year's first


def test_a_refused_letter_spends_no_number(world):
    message = refused(lambda: issue(world, counterpart="  "), "counterpart")
    assert "转往的党组织" in message
    assert refused(lambda: issue(world, valid_days=0), "valid_days") == "有效期应为 1 至 365 天。"
    assert "晚于今天" in refused(lambda: issue(world, issued_on=today() + days(1)), "issued_on")
    assert issue(world).letter_seq == 1


def test_the_database_refuses_two_letters_with_one_number(world):
    letter = issue(world)
    duplicate = Transfer(
        direction=TransferDirection.OUT,
        status=TransferStatus.ISSUED,
        member=world.members["B1b"],
        name="重号",
        id_number=world.members["B1b"].id_number,
        branch=world.units["B1b"],
        counterpart=DESTINATION,
        issued_on=today(),
        letter_year=letter.letter_year,
        letter_seq=letter.letter_seq,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_sequence_row_left_behind_never_hands_out_a_printed_number_again(world):
    issue(world, "B1")
    issue(world, "B1b")
    LetterSequence.objects.update(last_number=0)  # e.g. restored from an older backup
    assert issue(world, "B2", by="district_organizer").letter_seq == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_cadres_issuing_at_the_same_moment_get_two_consecutive_numbers():
    district = make_unit(OrgKind.DISTRICT, name="并发区")
    community = make_unit(OrgKind.COMMUNITY, make_unit(OrgKind.SUBDISTRICT, district, name="并发街道"), name="并发社区")
    branch = make_unit(OrgKind.BRANCH, community, name="并发支部")
    members = [make_member(branch, "甲"), make_member(branch, "乙")]
    barrier = threading.Barrier(2)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def cadre(member: Member) -> None:
        try:
            barrier.wait(timeout=10)
            letter = services.transfer_issue_out(member=member, counterpart=DESTINATION, issued_on=today(), by=None)
            numbers.append(letter.letter_seq)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=cadre, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(numbers) == [1, 2]
    assert LetterSequence.objects.get(district=district).last_number == 2


# --- The state machine -------------------------------------------------------------------------


def test_the_member_stays_on_the_roll_until_the_letter_is_reported(world):
    cadre = world.personas["community_cadre"]
    letter = issue(world)
    member = Member.objects.get(pk=world.members["B1"].pk)
    assert member.status == MemberStatus.ACTIVE and letter.status == TransferStatus.ISSUED
    assert letter.expires_on == today() + days(30) and letter.created_by == cadre
    reported = services.transfer_report(transfer=letter, reported_on=today(), note="回执已收回", by=cadre)
    assert reported.status == TransferStatus.REPORTED and reported.version == letter.version + 1
    member.refresh_from_db()
    assert member.status == MemberStatus.TRANSFERRED_OUT
    assert member.history.first().history_user == cadre
    assert reported.history.first().history_user == cadre
    # A second cadre recording the same report a moment later gets one result and a message.
    second = refused(lambda: services.transfer_report(transfer=letter, reported_on=today(), by=None))
    assert second == "该介绍信当前为“已报到”，不能登记报到。"


def test_reporting_a_letter_ends_the_members_outflow_and_closes_its_pocket_member_case(world):
    cadre = world.personas["community_cadre"]
    mobile = mobile_register_outflow(
        member=world.members["B1"], by=cadre, place="浙江省杭州市", reason="work", since=today() - days(90)
    )
    letter = issue(world)
    case = pocket_case(letter)
    services.transfer_report(transfer=letter, reported_on=today(), by=cadre)
    case.refresh_from_db()
    mobile.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.outcome == "resolved_elsewhere" and case.closed_by == cadre
    assert mobile.status == "ended" and mobile.ended_on == today()


def test_a_returned_letter_keeps_the_member_and_closes_its_case(world):
    letter = expire(issue(world, issued_on=today() - days(40)))
    case = pocket_case(letter)
    assert "退回原因" in refused(
        lambda: services.transfer_return(transfer=letter, note=" ", by=world.personas["community_cadre"]), "note"
    )
    returned = services.transfer_return(transfer=letter, note="本人暂缓迁移", by=world.personas["community_cadre"])
    case.refresh_from_db()
    assert returned.status == TransferStatus.RETURNED and returned.closed_note == "本人暂缓迁移"
    assert case.status == CaseStatus.CLOSED
    assert Member.objects.get(pk=world.members["B1"].pk).status == MemberStatus.ACTIVE


def test_a_cancelled_letter_cannot_be_used_again(world):
    cadre = world.personas["community_cadre"]
    letter = issue(world)
    assert "作废原因" in refused(lambda: services.transfer_cancel(transfer=letter, note="", by=cadre), "note")
    services.transfer_cancel(transfer=letter, note="单位名称有误", by=cadre)
    message = refused(lambda: services.transfer_report(transfer=letter, reported_on=today(), by=cadre))
    assert "已作废" in message and "登记报到" in message
    assert "已作废" in refused(lambda: services.transfer_cancel(transfer=letter, note="再次", by=cadre))
    # The number stays spent: the next letter takes the one after.
    assert issue(world, "B1").letter_seq == 2


def test_a_report_is_refused_with_the_field_named(world):
    cadre = world.personas["community_cadre"]
    letter = issue(world, issued_on=today() - days(10))
    before_issue = refused(
        lambda: services.transfer_report(transfer=letter, reported_on=today() - days(11), by=cadre), "reported_on"
    )
    assert "不能早于开具日期" in before_issue
    future = refused(
        lambda: services.transfer_report(transfer=letter, reported_on=today() + days(1), by=cadre), "reported_on"
    )
    assert "不能晚于今天" in future


def test_an_expired_letter_may_be_reported_only_for_a_report_made_in_time(world):
    cadre = world.personas["community_cadre"]
    letter = expire(issue(world, issued_on=today() - days(40)))
    late = refused(lambda: services.transfer_report(transfer=letter, reported_on=today(), by=cadre), "reported_on")
    assert "已于" in late and "过期" in late and "重新开具" in late
    # Reported on the 25th day, recorded after the scan marked the letter expired.
    reported = services.transfer_report(transfer=letter, reported_on=today() - days(15), by=cadre)
    assert reported.status == TransferStatus.REPORTED


def test_a_stale_version_is_refused(world):
    cadre = world.personas["community_cadre"]
    letter = issue(world)
    message = refused(
        lambda: services.transfer_return(transfer=letter, note="退回", by=cadre, expected_version=letter.version + 1)
    )
    assert "已被他人修改" in message


def test_a_second_letter_for_a_member_with_one_travelling_is_refused(world):
    first = issue(world)
    message = refused(lambda: issue(world), "member")
    assert first.letter_number in message and "未办结" in message
    services.transfer_report(transfer=first, reported_on=today(), by=None)
    message = refused(lambda: issue(world), "member")
    assert "已转出" in message and "在册党员" in message


def test_an_expired_letter_is_reissued_under_a_new_number_and_its_case_closes_when_reported(world):
    cadre = world.personas["community_cadre"]
    old = expire(issue(world, issued_on=today() - days(45)))
    case = pocket_case(old)
    issue(world, "B1b")  # another letter in between takes number 2
    new = services.transfer_reissue(transfer=old, issued_on=today(), by=cadre, expected_version=old.version)
    old.refresh_from_db()
    assert new.letter_seq == 3 and new.counterpart == old.counterpart and new.status == TransferStatus.ISSUED
    assert old.status == TransferStatus.EXPIRED and new.letter_number in old.closed_note
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN  # not until the member reports
    services.transfer_report(transfer=new, reported_on=today(), by=cadre)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and new.letter_number in case.outcome_note
    assert Member.objects.get(pk=world.members["B1"].pk).status == MemberStatus.TRANSFERRED_OUT


def test_a_letter_past_its_last_day_is_reissued_even_before_the_scan_marks_it(world):
    old = issue(world, issued_on=today() - days(31))
    new = services.transfer_reissue(transfer=old, issued_on=today(), by=None)
    old.refresh_from_db()
    assert old.status == TransferStatus.EXPIRED and new.letter_seq == 2


def test_a_valid_letter_is_not_reissued(world):
    letter = issue(world, issued_on=today() - days(29))
    message = refused(lambda: services.transfer_reissue(transfer=letter, issued_on=today(), by=None))
    assert "尚在有效期内" in message


def test_the_dues_month_is_prefilled_from_the_latest_paid_month(world):
    member = world.members["B1"]
    assert selectors.dues_paid_until_default(member=member) is None
    for month, status in ((8, DuesMonthStatus.PAID), (9, DuesMonthStatus.PAID), (10, DuesMonthStatus.DUE)):
        DuesMonth.objects.create(member=member, month=datetime.date(2025, month, 1), amount_due="20.00", status=status)
    assert selectors.dues_paid_until_default(member=member) == datetime.date(2025, 9, 1)


# --- Within the district -----------------------------------------------------------------------


def test_a_transfer_within_moves_the_member_when_reported(world):
    cadre = world.personas["community_cadre"]
    member = world.members["B1"]
    member.group = world.units["G1"]
    member.save()
    # The receiving branch may be outside the issuer's scope, as long as it is in the district.
    letter = services.transfer_issue_within(member=member, to_branch=world.units["B2"], issued_on=today(), by=cadre)
    assert letter.letter_seq == 1 and letter.counterpart == ""
    services.transfer_report(transfer=letter, reported_on=today(), by=cadre)
    member.refresh_from_db()
    assert member.branch == world.units["B2"] and member.group is None and member.status == MemberStatus.ACTIVE


def test_a_transfer_within_is_refused_outside_the_district_or_to_the_same_branch(world):
    cadre = world.personas["community_cadre"]
    member = world.members["B1"]

    def within(to_branch):
        return lambda: services.transfer_issue_within(member=member, to_branch=to_branch, issued_on=today(), by=cadre)

    assert refused(within(world.units["B3"]), "to_branch") == "区内转接只能转往本区的党支部。"
    assert refused(within(world.units["B1"]), "to_branch") == "转入党支部不能与原党支部相同。"
    assert refused(within(None), "to_branch") == "区内转接请选择转入的党支部。"
    assert world.units["B3"] not in selectors.within_targets(member)
    assert world.units["B2"] in selectors.within_targets(member)


def test_the_receiving_side_sees_a_letter_coming_to_its_branch_and_no_other(world):
    letter = services.transfer_issue_within(
        member=world.members["B1b"], to_branch=world.units["B1"], issued_on=today(), by=None
    )
    secretary = world.personas["branch_secretary"]  # GB1: B1 but not B1b
    assert list(selectors.transfer_incoming(user=secretary)) == [letter]
    assert not selectors.transfer_list(user=secretary).filter(pk=letter.pk).exists()
    assert selectors.transfer_get(user=secretary, pk=letter.pk) == letter
    assert not selectors.transfer_is_issuer(user=secretary, transfer=letter)
    assert list(selectors.transfer_incoming(user=world.personas["member"])) == []
    out = issue(world, member=make_member(world.units["B1b"], "另一人"))
    with pytest.raises(Http404):
        selectors.transfer_get(user=secretary, pk=out.pk)


# --- Incoming letters --------------------------------------------------------------------------


def test_an_incoming_letter_is_checked_and_registered_as_a_new_member(world):
    good = id_number(datetime.date(1985, 4, 12), region="110105", serial=772)
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    assert "校验位" in refused(lambda: receive(world, number=bad), "id_number")
    assert "开具介绍信的党组织" in refused(lambda: receive(world, counterpart=""), "counterpart")
    letter = receive(world)
    assert letter.status == TransferStatus.RECEIVED and letter.letter_seq is None and letter.expires_on is None
    assert "待编入支部" in refused(lambda: receive(world), "id_number")
    cadre = world.personas["community_cadre"]
    fields = {"join_date": datetime.date(2010, 7, 1), "full_member_date": datetime.date(2011, 7, 1)}
    missing = refused(
        lambda: services.transfer_register(
            transfer=letter, registered_on=today(), by=cadre, membership_type="full", join_date=fields["join_date"]
        ),
        "full_member_date",
    )
    assert "编入支部未成功" in missing and "转正日期" in missing
    registered = services.transfer_register(
        transfer=letter, registered_on=today(), by=cadre, membership_type="full", ethnicity="汉族", **fields
    )
    member = registered.member
    assert registered.status == TransferStatus.REGISTERED and registered.reported_on == today()
    assert (member.name, member.branch, member.status, member.phone) == (
        "周海燕",
        world.units["B1"],
        MemberStatus.ACTIVE,
        "13912345678",
    )
    assert member.id_number == letter.id_number


def test_an_incoming_letter_brings_a_member_who_left_back_onto_the_roll(world):
    member = world.members["B1b"]
    services.transfer_report(transfer=issue(world, "B1b"), reported_on=today(), by=None)
    letter = receive(world, number=member.id_number, name=member.name, gender=member.gender)
    registered = services.transfer_register(
        transfer=letter,
        registered_on=today(),
        by=None,
        membership_type="full",
        join_date=member.join_date,
        full_member_date=member.full_member_date,
    )
    assert registered.member_id == member.pk
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE and member.branch == world.units["B1"]
    assert Member.objects.filter(id_number_index=member.id_number_index).count() == 1


def test_an_incoming_letter_for_a_member_on_the_roll_is_refused(world):
    member = world.members["B2"]
    letter = receive(world, number=member.id_number)
    message = refused(
        lambda: services.transfer_register(
            transfer=letter,
            registered_on=today(),
            by=None,
            membership_type="full",
            join_date=member.join_date,
            full_member_date=member.full_member_date,
        ),
        "id_number",
    )
    assert "已是本区党员" in message and "在册" in message


def test_only_a_received_letter_is_registered(world):
    letter = issue(world)
    message = refused(lambda: services.transfer_register(transfer=letter, registered_on=today(), by=None))
    assert "转出的介绍信不能编入支部" in message


# --- Pages -------------------------------------------------------------------------------------


def test_the_list_shows_the_letters_in_scope_with_their_tabs(world, login):
    issue(world, "B1")
    issue(world, "B2", by="district_organizer")
    receive(world)
    client = login(world.personas["community_cadre"])
    response = client.get(reverse("members:transfer_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "翠湖第一支部党员" in body and "周海燕" in body and "松涛" not in body
    tabs = {value: count for value, _, count in response.context["tabs"]}
    assert tabs == {"": 2, "transfer_out": 1, "transfer_in": 1, "within": 0}
    page = client.get(reverse("members:transfer_list"), {"direction": "transfer_in"}).context["page"]
    assert [t.name for t in page] == ["周海燕"]
    # The filters refresh the results alone (HTMX).
    partial = client.get(reverse("members:transfer_list"), {"q": "周"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="results">') and "周海燕" in partial and "<nav" not in partial


def test_the_list_warns_of_letters_about_to_expire(world, login):
    issue(world, "B1", issued_on=today() - days(26))
    issue(world, "B1b", issued_on=today() - days(3))
    response = login(world.personas["community_secretary"]).get(reverse("members:transfer_list"))
    assert [t.name for t in response.context["expiring"]] == ["翠湖第一支部党员"]
    assert "剩 4 天" in response.content.decode()


def test_the_list_costs_the_same_queries_for_few_and_many_letters(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("members:transfer_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    issue(world, "B1")
    count()
    few = count()
    branch = world.units["B1b"]
    for index in range(15):
        member = make_member(branch, f"转出{index}")
        letter = issue(world, member=member, issued_on=today() - days(index * 3))
        if index % 3 == 0:
            services.transfer_report(transfer=letter, reported_on=letter.issued_on, by=None)
        receive(world, number=id_number(datetime.date(1980, 1, 1), region="110106", serial=200 + index))
    assert count() == few


def test_a_cadre_issues_a_letter_from_the_members_record(world, login):
    member = world.members["B1"]
    DuesMonth.objects.create(
        member=member, month=datetime.date(2026, 3, 1), amount_due="20.00", status=DuesMonthStatus.PAID
    )
    client = login(world.personas["community_cadre"])
    url = reverse("members:transfer_out_create", args=[member.pk])
    page = client.get(url).content.decode()
    assert 'value="2026-03"' in page and 'value="30"' in page
    body = client.post(url, {"counterpart": "", "issued_on": today().isoformat(), "valid_days": 30}).content.decode()
    assert "<strong>转往党组织</strong>" in body and not Transfer.objects.exists()
    response = client.post(
        url,
        {"counterpart": DESTINATION, "issued_on": today().isoformat(), "valid_days": 30, "dues_paid_until": "2026-03"},
    )
    letter = Transfer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("members:transfer_detail", args=[letter.pk])
    assert (
        letter.dues_paid_until == datetime.date(2026, 3, 1) and letter.created_by == world.personas["community_cadre"]
    )
    # A second letter is not offered while one travels.
    assert "未办结的介绍信" in client.get(url).content.decode()


def test_the_pick_page_finds_members_in_scope_only(world, login):
    client = login(world.personas["community_cadre"])
    body = client.get(reverse("members:transfer_pick"), {"q": "党员"}).content.decode()
    assert "翠湖第一支部党员" in body and "松涛" not in body
    assert reverse("members:transfer_out_create", args=[world.members["B1"].pk]) in body


def test_the_letter_page_offers_the_actions_of_its_state(world, login):
    letter = issue(world)
    client = login(world.personas["community_cadre"])
    body = client.get(reverse("members:transfer_detail", args=[letter.pk])).content.decode()
    for action in ("report", "return", "cancel"):
        assert reverse(f"members:transfer_{action}", args=[letter.pk]) in body
    assert reverse("members:transfer_print", args=[letter.pk]) in body
    assert reverse("members:transfer_reissue", args=[letter.pk]) not in body
    response = client.post(
        reverse("members:transfer_report", args=[letter.pk]),
        {"reported_on": (today() + days(2)).isoformat(), "version": letter.version},
    )
    assert "不能晚于今天" in response.content.decode()
    response = client.post(
        reverse("members:transfer_report", args=[letter.pk]),
        {"reported_on": today().isoformat(), "version": letter.version},
    )
    assert response.status_code == 302
    assert Member.objects.get(pk=letter.member_id).status == MemberStatus.TRANSFERRED_OUT
    assert client.get(reverse("members:transfer_report", args=[letter.pk])).status_code == 405


def test_an_expired_letter_is_shown_as_expired_and_offers_a_reissue(world, login):
    letter = expire(issue(world, issued_on=today() - days(40)))
    client = login(world.personas["community_cadre"])
    body = client.get(reverse("members:transfer_detail", args=[letter.pk])).content.decode()
    assert "已过期" in body and reverse("members:transfer_reissue", args=[letter.pk]) in body
    url = reverse("members:transfer_reissue", args=[letter.pk])
    response = client.post(
        url,
        {
            "counterpart": DESTINATION,
            "issued_on": today().isoformat(),
            "valid_days": 20,
            "version": letter.version,
        },
    )
    new = Transfer.objects.exclude(pk=letter.pk).get()
    assert response.status_code == 302 and new.valid_days == 20 and new.letter_seq == 2
    assert "只有已过期" in client.get(reverse("members:transfer_reissue", args=[new.pk])).content.decode()


def test_the_receiving_branch_confirms_a_letter_from_its_waiting_list(world, login):
    letter = services.transfer_issue_within(
        member=world.members["B1b"], to_branch=world.units["B1"], issued_on=today(), by=None
    )
    client = login(world.personas["branch_secretary"])
    body = client.get(reverse("members:transfer_incoming")).content.decode()
    assert letter.letter_number in body and "翠湖第二支部党员" in body
    assert client.post(reverse("members:transfer_cancel", args=[letter.pk]), {"note": "x"}).status_code == 403
    response = client.post(
        reverse("members:transfer_report", args=[letter.pk]),
        {"reported_on": today().isoformat(), "version": letter.version},
    )
    assert response.status_code == 302
    assert Member.objects.get(pk=world.members["B1b"].pk).branch == world.units["B1"]
    assert not selectors.transfer_incoming(user=world.personas["branch_secretary"]).exists()


def test_an_incoming_letter_is_recorded_and_registered_on_the_pages(world, login):
    client = login(world.personas["community_cadre"])
    number = id_number(datetime.date(1979, 9, 9), region="110106", serial=333)
    data = {
        "name": "吴志强",
        "gender": "male",
        "id_number": number,
        "membership_type": "full",
        "counterpart": "中共信阳市浉河区老城街道工作委员会",
        "issued_on": today().isoformat(),
        "branch": world.units["B2"].pk,
    }
    body = client.post(reverse("members:transfer_in_create"), data).content.decode()
    assert "权限范围" in body and not Transfer.objects.exists()
    response = client.post(reverse("members:transfer_in_create"), {**data, "branch": world.units["B1"].pk})
    letter = Transfer.objects.get()
    assert response.status_code == 302 and number not in client.get(response["Location"]).content.decode()
    url = reverse("members:transfer_register", args=[letter.pk])
    assert "编入支部" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "registered_on": today().isoformat(),
            "ethnicity": "汉族",
            "membership_type": "full",
            "join_date": "2005-06-01",
            "full_member_date": "2006-06-01",
            "version": letter.version,
        },
    )
    letter.refresh_from_db()
    assert response.status_code == 302 and letter.status == TransferStatus.REGISTERED
    assert response["Location"] == reverse("members:member_detail", args=[letter.member_id])


def test_the_printed_letter_shows_the_number_in_full_only_to_who_may_see_it_and_logs_it(world, login):
    letter = issue(world)
    member = world.members["B1"]
    url = reverse("members:transfer_print", args=[letter.pk])
    body = login(world.personas["community_cadre"]).get(url).content.decode()
    for text in (
        "中国共产党党员组织关系介绍信",
        "（存根）",
        "（回执）",
        letter.letter_number,
        member.name,
        DESTINATION,
    ):
        assert text in body
    assert body.count(letter.letter_number) >= 3
    assert member.id_number in body and "中共翠湖社区委员会" in body
    assert "css/print.css" in body and "js/print.js" in body and "data-print" in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body) and 'style="' not in body
    log = UnmaskLog.objects.get()
    assert (log.user, log.member, log.field) == (world.personas["community_cadre"], member, "id_number")
    # A branch secretary manages members but does not see numbers in full: masked, not logged.
    body = login(world.personas["branch_secretary"]).get(url).content.decode()
    assert member.id_number not in body and letter.id_number_masked in body
    assert UnmaskLog.objects.count() == 1


def test_a_cancelled_or_incoming_letter_does_not_print(world, login):
    client = login(world.personas["community_cadre"])
    assert client.get(reverse("members:transfer_print", args=[receive(world).pk])).status_code == 404
    letter = issue(world)
    services.transfer_cancel(transfer=letter, note="有误", by=None)
    assert client.get(reverse("members:transfer_print", args=[letter.pk])).status_code == 403


def test_members_residents_and_outsiders_see_no_transfers(world, login):
    issue(world)
    for persona in ("member", "resident", "outsider"):
        assert login(world.personas[persona]).get(reverse("members:transfer_list")).status_code == 403


def test_the_relationship_tab_shows_the_members_letters_and_mobility(world, login):
    from django.template.loader import render_to_string

    member = world.members["B1"]
    letter = issue(world)
    mobile_register_outflow(member=member, by=None, place="江苏省苏州市", reason="work", since=today() - days(10))
    tab = selectors.member_relationship_tab(member=member)
    assert tab["transfers"] == [letter] and tab["open_letter"] == letter and not tab["may_issue"]
    assert [m.place for m in tab["mobility"]] == ["江苏省苏州市"] and not tab["may_register_outflow"]
    html = render_to_string("members/partials/tab_relationship.html", {"relationship": tab, "can_manage": True})
    assert letter.letter_number in html and "江苏省苏州市" in html and "10 天未联系上" in html
    assert tab["expired_letter"] is None and "重新开具" not in html
    assert reverse("members:transfer_detail", args=[letter.pk]) in html
    # On the member's own record: the same rows, without links to pages members cannot open.
    own = render_to_string("members/partials/tab_relationship.html", {"relationship": tab, "own": True})
    assert letter.letter_number in own and "/members/transfers/" not in own and "/members/mobile/" not in own
    expire(letter)
    tab = selectors.member_relationship_tab(member=member)
    assert tab["expired_letter"] == letter and tab["may_issue"]
    html = render_to_string("members/partials/tab_relationship.html", {"relationship": tab, "can_manage": True})
    assert reverse("members:transfer_reissue", args=[letter.pk]) in html


# --- The API -----------------------------------------------------------------------------------


@pytest.fixture
def api(world):
    def _api(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.personas[persona])
        return client

    return _api


def test_the_api_lists_letters_in_scope_with_masked_numbers(world, api):
    letter = issue(world)
    issue(world, "B2", by="district_organizer")
    response = api("community_cadre").get("/api/v1/transfers/")
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [letter.pk]
    assert rows[0]["id_number"] == letter.id_number_masked and letter.id_number not in response.content.decode()
    assert rows[0]["letter_number"] == letter.letter_number and rows[0]["days_left"] == 30
    assert api("member").get("/api/v1/transfers/").status_code == 403


def test_the_api_issues_reports_and_refuses_with_the_field_named(world, api):
    client = api("community_cadre")
    data = {"direction": "transfer_out", "member": world.members["B1"].pk, "issued_on": today().isoformat()}
    response = client.post("/api/v1/transfers/", data, format="json")
    assert response.status_code == 400 and response.json()["counterpart"] == ["请填写转往的党组织名称。"]
    outside = {**data, "member": world.members["B2"].pk, "counterpart": DESTINATION}
    response = client.post("/api/v1/transfers/", outside, format="json")
    assert response.status_code == 400 and "权限范围" in response.json()["member"][0]
    response = client.post("/api/v1/transfers/", {**data, "counterpart": DESTINATION}, format="json")
    assert response.status_code == 201, response.json()
    letter = response.json()
    assert letter["letter_seq"] == 1 and letter["status"] == "issued"
    stale = client.post(
        f"/api/v1/transfers/{letter['id']}/report/",
        {"reported_on": today().isoformat(), "version": letter["version"] + 1},
        format="json",
    )
    assert stale.status_code == 400 and "已被他人修改" in stale.json()["non_field_errors"][0]
    done = client.post(
        f"/api/v1/transfers/{letter['id']}/report/",
        {"reported_on": today().isoformat(), "version": letter["version"]},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "reported"
    again = client.post(f"/api/v1/transfers/{letter['id']}/cancel/", {"note": "晚了"}, format="json")
    assert again.status_code == 400 and "已报到" in again.json()["non_field_errors"][0]
    assert client.post("/api/v1/transfers/", {}, format="json").status_code == 400


def test_the_api_handles_within_returned_cancelled_and_reissued_letters(world, api):
    client = api("community_cadre")
    within = client.post(
        "/api/v1/transfers/",
        {
            "direction": "within",
            "member": world.members["B1b"].pk,
            "to_branch": world.units["B3"].pk,
            "issued_on": today().isoformat(),
        },
        format="json",
    )
    assert within.status_code == 400 and "本区" in within.json()["to_branch"][0]
    within = client.post(
        "/api/v1/transfers/",
        {
            "direction": "within",
            "member": world.members["B1b"].pk,
            "to_branch": world.units["B1"].pk,
            "issued_on": today().isoformat(),
        },
        format="json",
    ).json()
    # The receiving branch's secretary sees it waiting and may not cancel it.
    secretary = api("branch_secretary")
    assert [row["id"] for row in secretary.get("/api/v1/transfers/incoming/").json()["results"]] == [within["id"]]
    assert secretary.post(f"/api/v1/transfers/{within['id']}/cancel/", {"note": "x"}, format="json").status_code == 403
    returned = client.post(f"/api/v1/transfers/{within['id']}/return/", {"note": "暂不转"}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    old = expire(issue(world, issued_on=today() - days(50)))
    reissued = client.post(f"/api/v1/transfers/{old.pk}/reissue/", {"issued_on": today().isoformat()}, format="json")
    assert reissued.status_code == 201 and reissued.json()["letter_seq"] == 3
    cancelled = client.post(f"/api/v1/transfers/{reissued.json()['id']}/cancel/", {"note": "有误"}, format="json")
    assert cancelled.json()["status"] == "cancelled"


def test_the_api_receives_and_registers_an_incoming_letter(world, api):
    client = api("community_cadre")
    number = id_number(datetime.date(1990, 2, 2), region="110106", serial=444)
    response = client.post(
        "/api/v1/transfers/",
        {
            "direction": "transfer_in",
            "name": "郑丽华",
            "gender": "female",
            "id_number": number,
            "branch": world.units["B1"].pk,
            "counterpart": "中共九江市浔阳区甘棠街道工作委员会",
            "issued_on": today().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201 and number not in response.content.decode()
    pk = response.json()["id"]
    bad = client.post(
        f"/api/v1/transfers/{pk}/register/",
        {"registered_on": today().isoformat(), "join_date": "2015-07-01", "group": world.units["G2"].pk},
        format="json",
    )
    assert bad.status_code == 400 and "党小组" in bad.json()["group"][0]
    done = client.post(
        f"/api/v1/transfers/{pk}/register/",
        {
            "registered_on": today().isoformat(),
            "join_date": "2015-07-01",
            "full_member_date": "2016-07-01",
            "group": world.units["G1"].pk,
            "categories": ["in_service"],
        },
        format="json",
    )
    assert done.status_code == 200, done.json()
    member = Member.objects.get(pk=done.json()["member"])
    assert member.group == world.units["G1"] and [c.code for c in member.categories.all()] == ["in_service"]


def test_the_api_list_costs_the_same_queries_for_few_and_many(world, api):
    client = api("community_secretary")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/transfers/", {"page_size": 500}).status_code == 200
        return len(queries)

    issue(world)
    count()
    few = count()
    for index in range(12):
        issue(world, member=make_member(world.units["B1b"], f"转出{index}"))
    assert count() == few


# --- The scope matrix walks every new route -----------------------------------------------------

MY_ROUTES = ("members:transfer_", "members:mobile_", "transfer-", "mobile-member-")


def test_the_scope_matrix_walks_every_transfer_and_mobile_route():
    """dangjian/core/tests/test_scope_matrix.py checks each of these routes for every persona."""
    mine = [route for route in scope_matrix.iter_routes() if route.name.startswith(MY_ROUTES)]
    assert {route.name for route in mine} >= {
        "members:transfer_list",
        "members:transfer_incoming",
        "members:transfer_pick",
        "members:transfer_out_create",
        "members:transfer_within_create",
        "members:transfer_in_create",
        "members:transfer_detail",
        "members:transfer_report",
        "members:transfer_return",
        "members:transfer_cancel",
        "members:transfer_reissue",
        "members:transfer_register",
        "members:transfer_print",
        "members:mobile_list",
        "members:mobile_pick",
        "members:mobile_outflow_create",
        "members:mobile_inflow_create",
        "members:mobile_detail",
        "members:mobile_contact",
        "members:mobile_end",
        "transfer-list",
        "transfer-detail",
        "transfer-report",
        "transfer-return-letter",
        "transfer-cancel",
        "transfer-reissue",
        "transfer-register",
        "transfer-incoming",
        "mobile-member-list",
        "mobile-member-detail",
        "mobile-member-end",
        "mobile-member-contacts",
    }
    for route in mine:
        model = route.declaration("scope_model")
        takes_object = [kwarg for kwarg in route.kwargs if kwarg != "format"]
        assert not takes_object or model in scope_matrix.OBJECT_MAKERS, route.name
        if not route.is_viewset:
            assert route.declaration("scope_cap") is not None, route.name
