"""The demo data set: its size, its states, that it loads twice without doubling, and that
every printed account signs in and sees only its own scope."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from dangjian.core.choices import OrgKind
from dangjian.core.models import BranchCommittee, OrgUnit, User
from dangjian.demo.seed import DEMO_ACCOUNTS

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 26)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, inside a transaction rolled back at its end; each
    test runs in a savepoint of its own within it."""
    from django.db import transaction
    from django.test import override_settings

    from dangjian.demo.seed import seed

    with (
        django_db_blocker.unblock(),
        override_settings(
            DANGJIAN_DEMO_PASSWORD="Demo-password-2026",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        with transaction.atomic():
            seed(today=TODAY)
            yield
            transaction.set_rollback(True)


def count(kind: str) -> int:
    return OrgUnit.objects.filter(kind=kind).count()


def test_it_builds_the_demo_district(demo):
    """One district, three sub-districts, twelve communities, about sixty branches."""
    assert count(OrgKind.DISTRICT) == 1 and OrgUnit.objects.get(kind=OrgKind.DISTRICT).name == "示范区"
    assert count(OrgKind.SUBDISTRICT) == 3
    assert count(OrgKind.COMMUNITY) == 12
    assert 55 <= count(OrgKind.BRANCH) <= 70
    assert count(OrgKind.GROUP) >= 100


def test_some_terms_end_soon_one_is_overdue_and_some_units_have_none(demo):
    ending = BranchCommittee.objects.ending_within(90, TODAY)
    assert ending.count() >= 5
    assert ending.filter(term_end__lt=TODAY).exists()
    assert OrgUnit.objects.filter(kind=OrgKind.BRANCH).exclude(committees__isnull=False).exists()


def test_it_loads_twice_without_doubling(demo):
    units, committees, users = OrgUnit.objects.count(), BranchCommittee.objects.count(), User.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert (OrgUnit.objects.count(), BranchCommittee.objects.count(), User.objects.count()) == (
        units,
        committees,
        users,
    )


def test_it_enrols_about_three_thousand_members_with_valid_id_numbers(demo):
    from collections import Counter

    from dangjian.members.models import Member, check_id_number

    members = list(Member.objects.prefetch_related("categories"))
    assert 2500 <= len(members) <= 3500
    assert all(check_id_number(member.id_number) == member.birth_date for member in members)
    categories = Counter(category.code for member in members for category in member.categories.all())
    for code in ("enterprise_retiree", "laid_off", "self_employed_mobile", "in_service", "in_hardship"):
        assert categories[code] >= 50, code
    statuses = Counter(member.status for member in members)
    assert statuses["active"] > 0.9 * len(members) and statuses["lost_contact"] > 0
    assert Member.objects.filter(membership_type="probationary").exists()
    assert Member.objects.get(user__username="dangyuan").branch.code == "JD01-SQ01-B01"


def test_the_command_prints_every_login(settings, capsys):
    settings.DANGJIAN_DEMO_PASSWORD = "Printed-password-1"
    call_command("seed_demo")
    out = capsys.readouterr().out
    for account in DEMO_ACCOUNTS:
        assert account.username in out
    assert "Printed-password-1" in out and "http://127.0.0.1:8000" in out


def test_every_demo_account_signs_in_and_sees_only_its_scope(demo, client):
    for account in DEMO_ACCOUNTS:
        client.post("/logout/")
        response = client.post("/login/", {"username": account.username, "password": "Demo-password-2026"})
        assert response.status_code == 302, account.username
        assert client.get("/").status_code == 200, account.username
        root = OrgUnit.objects.get(code=account.unit_code)
        api = client.get("/api/v1/org-units/", {"page_size": 500})
        if account.role in ("member", "resident"):
            assert api.status_code == 403, account.username  # no org-tree API for them
            continue
        ids = [row["id"] for row in api.json()["results"]]
        paths = OrgUnit.objects.filter(pk__in=ids).values_list("path", flat=True)
        assert paths and all(path.startswith(root.path) for path in paths), account.username
        outside = OrgUnit.objects.exclude(path__startswith=root.path).first()
        if outside is not None:
            assert client.get(f"/org/{outside.pk}/").status_code == 404, account.username


def test_a_revoked_demo_grant_stays_revoked(demo):
    from dangjian.core import services
    from dangjian.demo.seed import seed

    grant = User.objects.get(username="ganbu").grants.get()
    services.grant_revoke(grant=grant, by=None)
    seed(today=TODAY)
    grant.refresh_from_db()
    assert grant.is_active is False


def test_people_stand_at_every_stage_of_the_pipeline(demo):
    from dangjian.members.models import Development

    stages = set(Development.objects.values_list("stage", flat=True))
    assert stages == {"applicant", "activist", "candidate", "probationary", "full", "stopped"}
    confirmed = Development.objects.filter(stage="full").select_related("member")
    assert all(record.member.membership_type == "full" for record in confirmed)
