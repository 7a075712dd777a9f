"""The generator loads a small scale that the product reads as its own data.

Run explicitly (benchmarks are not part of `make test`):
    DANGJIAN_TESTING=true .venv/bin/python -m pytest bench/tests -q -p no:logging
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
import pytest

from bench.generate import BENCH_USERS, PASSWORD, drop_database, generate
from bench.scales import SCALES

SCALE = SCALES["XS"]
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench_xs_test"


@contextmanager
def default_database(url: str) -> Iterator[None]:
    """Point Django's default connection at `url` for the duration (pytest-django has already
    configured it for the test database)."""
    from django.db import connections
    from django.db.utils import load_backend

    settings_dict = connections.configure_settings({"default": dj_database_url.parse(url)})["default"]
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    previous = connections["default"]
    connections["default"] = wrapper
    try:
        yield
    finally:
        wrapper.close()
        connections["default"] = previous


@pytest.fixture(scope="module")
def loaded() -> Iterator[dict]:
    drop_database(DATABASE_URL)
    try:
        yield generate(SCALE, DATABASE_URL, force=True)
    finally:
        drop_database(DATABASE_URL)


@pytest.fixture
def bench_db(loaded, django_db_blocker) -> Iterator[dict]:
    with django_db_blocker.unblock(), default_database(DATABASE_URL):
        yield loaded


def roughly(actual: int, expected: int, tolerance: float = 0.2) -> bool:
    return abs(actual - expected) <= expected * tolerance


def test_it_loads_about_the_rows_the_scale_asks_for(loaded):
    tables = loaded["tables"]
    assert tables["members_member"] == SCALE.members
    assert roughly(tables["orglife_attendance"], SCALE.attendance_rows)
    assert roughly(tables["members_duesmonth"], SCALE.dues_months)
    assert tables["orglife_meeting"] > 0
    assert tables["members_duespayment"] > 0


def test_it_returns_at_once_when_the_scale_is_loaded(loaded):
    started = time.perf_counter()
    again = generate(SCALE, DATABASE_URL)
    assert again["already_loaded"] is True
    assert again["tables"] == loaded["tables"]
    assert time.perf_counter() - started < 5


def test_it_fills_the_tree_and_the_district_keys_as_the_product_does(bench_db):
    from dangjian.core.choices import OrgKind
    from dangjian.core.models import OrgUnit
    from dangjian.members.models import DuesMonth, Member
    from dangjian.orglife.models import Attendance

    districts = OrgUnit.objects.filter(kind=OrgKind.DISTRICT)
    assert districts.count() == SCALE.districts
    assert OrgUnit.objects.filter(kind=OrgKind.COMMUNITY).count() == SCALE.communities
    district = districts.get()
    assert district.district_id == district.pk
    branch = OrgUnit.objects.filter(kind=OrgKind.BRANCH).first()
    assert branch.path.startswith(district.path)
    assert [unit.kind for unit in branch.ancestors()][:3] == [OrgKind.DISTRICT, OrgKind.SUBDISTRICT, OrgKind.COMMUNITY]
    assert not Member.objects.exclude(district=district).exists()
    assert not Attendance.objects.exclude(district=district).exists()
    assert not DuesMonth.objects.exclude(district=district).exists()


def test_it_stores_id_numbers_the_model_decrypts_and_validates(bench_db):
    from django.db import connection

    from dangjian.core.crypto import blind_index
    from dangjian.members.models import Member, check_id_number, name_initials

    members = list(Member.objects.order_by("pk")[:50])
    for member in members:
        assert check_id_number(member.id_number) == member.birth_date
        assert member.id_number_index == blind_index(member.id_number)
        assert member.name_initials == name_initials(member.name)
        if member.phone:
            assert member.phone_index == blind_index(member.phone)
            assert len(member.phone) == 11
        member.full_clean(exclude=["id_number"])  # the uniqueness look-up is the blind index's
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM members_member LIMIT 1")
        assert cursor.fetchone()[0].startswith("v1:")
    assert Member.objects.get(id_number_index=blind_index(members[0].id_number)) == members[0]


def test_it_creates_the_bench_users_with_their_grants(bench_db, settings):
    from django.contrib.auth.hashers import check_password

    # Hashed with the production hasher (the root conftest switches tests to MD5).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]

    from dangjian.core.models import Grant, User

    for username, _full_name, role, _unit, _staff in BENCH_USERS:
        user = User.objects.get(username=username)
        assert check_password(PASSWORD, user.password)
        grant = Grant.objects.get(user=user, is_active=True)
        assert grant.role == role
        grant.full_clean()
        assert grant.district_id == grant.org_unit.district_id


def test_the_blind_spot_scan_opens_cases_on_it(bench_db):
    from dangjian.oversight.choices import CaseKind
    from dangjian.oversight.scan import scan_blind_spots

    (run,) = scan_blind_spots()
    assert run.members_scanned > SCALE.members * 0.8
    assert run.opened[CaseKind.NO_LIFE] > 0
    assert run.opened[CaseKind.NO_DUES] > 0
    assert run.opened[CaseKind.NO_WORK] > 0
    assert run.opened[CaseKind.LOST_CONTACT] > 0
    # A few per cent of the members, not most of them.
    assert sum(run.opened.values()) < run.members_scanned * 0.15


def test_its_rows_pass_the_products_own_checks(bench_db):
    from django.utils import timezone

    from dangjian.core.models import BranchCommittee, CommitteeSeat, OrgUnit
    from dangjian.members.models import DuesBase, MobileMember, monthly_amount
    from dangjian.members.services.dues import load_dues_rules
    from dangjian.orglife.choices import AttendanceStatus
    from dangjian.orglife.models import Meeting, MemberTask

    for unit in OrgUnit.objects.order_by("?")[:30]:
        unit.full_clean()
    for model in (BranchCommittee, CommitteeSeat, MemberTask, MobileMember):
        for row in model.objects.order_by("?")[:20]:
            row.full_clean()
    rules = load_dues_rules()
    for base in DuesBase.objects.order_by("?")[:50]:
        assert base.monthly_amount == monthly_amount(base.income_class, base.monthly_income, rules)
    for meeting in Meeting.objects.filter(status="held").exclude(kind="committee_meeting").order_by("?")[:30]:
        meeting.full_clean()
        assert timezone.localtime(meeting.held_at).date() == meeting.held_on
        rows = list(meeting.attendance.all())
        assert meeting.expected_count == len(rows)
        assert meeting.present_count == sum(row.status == AttendanceStatus.PRESENT for row in rows)
        for row in rows:
            assert row.held_on == meeting.held_on
            assert row.district_id == meeting.district_id
            row.full_clean()


def test_it_rebuilds_the_indexes_and_sets_the_sequences(bench_db):
    from django.db import connection
    from django.utils import timezone

    from dangjian.members.models import Member
    from dangjian.orglife.models import MemberTask

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'orglife_attendance'::regclass")
        constraints = {row[0] for row in cursor.fetchall()}
    assert {"member_branch_status", "attendance_member_day_status", "dues_month_month_status"} <= indexes
    assert {"meeting_branch_kind_day", "attendance_meeting_member", "dues_month_member_month"} <= indexes
    assert "attendance_meeting_member" in constraints
    assert sum(name.endswith("_fk_orglife_meeting_id") for name in constraints) == 1
    member = Member.objects.first()
    task = MemberTask.objects.create(member=member, title="核对", assigned_on=timezone.localdate())
    assert task.pk > MemberTask.objects.exclude(pk=task.pk).order_by("-pk").values_list("pk", flat=True)[0]
