"""The Django admin is scoped for organizers with staff status, and deletes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.core.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_organizer(world):
    user = world.personas["subdistrict_organizer"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_an_organizer_sees_only_units_in_scope_in_the_admin(world, staff_organizer, login):
    client = login(staff_organizer)
    body = client.get(reverse("admin:core_orgunit_changelist")).content.decode()
    assert "翠湖第一支部" in body and "松涛" not in body and "北岭" not in body
    assert client.get(reverse("admin:core_orgunit_change", args=[world.units["B2"].pk])).status_code == 302
    assert client.get(reverse("admin:core_orgunit_change", args=[world.units["B1"].pk])).status_code == 200


def test_admin_lists_of_committees_grants_and_users_are_scoped(world, staff_organizer, login):
    client = login(staff_organizer)
    committees = client.get(reverse("admin:core_branchcommittee_changelist")).content.decode()
    assert "翠湖第一支部" in committees and "松涛" not in committees
    users = client.get(reverse("admin:core_user_changelist")).content.decode()
    assert ">community_secretary<" in users and ">district_organizer<" not in users
    grants = client.get(reverse("admin:core_grant_changelist")).content.decode()
    assert "翠湖社区" in grants and "示范区" not in grants


def test_the_grant_form_offers_only_units_in_scope(world, staff_organizer, login):
    client = login(staff_organizer)
    form = client.get(reverse("admin:core_grant_add")).content.decode()
    assert "翠湖社区" in form and "松涛社区" not in form


def test_an_organizer_grants_a_role_in_scope_and_not_outside(world, staff_organizer, login):
    client = login(staff_organizer)
    user = world.personas["outsider"]
    inside = client.post(
        reverse("admin:core_grant_add"),
        {"user": user.pk, "role": "community_cadre", "org_unit": world.units["C1"].pk, "is_active": "on"},
    )
    assert inside.status_code == 302
    assert user.grants.get().granted_by == staff_organizer
    outside = client.post(
        reverse("admin:core_grant_add"),
        {"user": user.pk, "role": "community_cadre", "org_unit": world.units["C2"].pk, "is_active": "on"},
    )
    assert outside.status_code == 200 and user.grants.count() == 1


def test_the_tree_and_committees_are_read_only_in_the_admin(world, staff_organizer, login):
    client = login(staff_organizer)
    assert client.get(reverse("admin:core_orgunit_add")).status_code == 403
    page = client.get(reverse("admin:core_orgunit_change", args=[world.units["B1"].pk])).content.decode()
    assert 'name="name"' not in page  # shown, not editable
    assert client.get(reverse("admin:core_branchcommittee_add")).status_code == 403


def test_an_organizer_cannot_manage_an_account_that_also_works_elsewhere(world, staff_organizer, login):
    from dangjian.core.choices import Role
    from dangjian.core.tests.factories import grant

    wider = world.personas["district_organizer"]
    grant(wider, Role.RESIDENT, world.units["C1"])  # a resident of 翠湖社区, an organizer above it
    client = login(staff_organizer)
    assert ">district_organizer<" not in client.get(reverse("admin:core_user_changelist")).content.decode()
    assert client.get(reverse("admin:core_user_change", args=[wider.pk])).status_code == 302
    assert client.get(reverse("admin:auth_user_password_change", args=[wider.pk])).status_code in (302, 404)


def test_an_organizer_cannot_grant_staff_or_superuser_status(world, staff_organizer, login):
    client = login(staff_organizer)
    page = client.get(reverse("admin:core_user_change", args=[world.personas["community_cadre"].pk])).content.decode()
    assert 'name="is_staff"' not in page and 'name="is_superuser"' not in page


def test_the_admin_signs_in_through_the_platform_login(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:login"))


def test_the_admin_needs_the_second_factor_of_those_who_have_one(world, staff_organizer, login):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=staff_organizer, name="x", confirmed=True)
    response = login(staff_organizer).get(reverse("admin:index"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_nothing_can_be_deleted_in_the_admin(world, staff_organizer, login):
    client = login(staff_organizer)
    response = client.post(reverse("admin:core_orgunit_delete", args=[world.units["G1"].pk]), {"post": "yes"})
    assert response.status_code == 403
    assert OrgUnit.objects.filter(pk=world.units["G1"].pk).exists()


def test_cadres_have_no_admin(world, login):
    user = world.personas["community_cadre"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    body = login(user).get(reverse("admin:index")).content.decode()
    assert "组织" not in body.split("<main")[-1] or "您没有" in body
    assert login(user).get(reverse("admin:core_orgunit_changelist")).status_code == 403


def _add_user_form(username: str, grant_rows: list[dict]) -> dict:
    data = {
        "username": username,
        "password1": "A-long-password-2026",
        "password2": "A-long-password-2026",
        "usable_password": "true",
        "grants-TOTAL_FORMS": str(len(grant_rows)),
        "grants-INITIAL_FORMS": "0",
        "grants-MIN_NUM_FORMS": "1",
        "grants-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(grant_rows):
        data.update({f"grants-{index}-{key}": value for key, value in row.items()})
    return data


def test_an_organizer_creates_an_account_with_its_first_grant(world, staff_organizer, login):
    from dangjian.core.models import User

    client = login(staff_organizer)
    response = client.post(
        reverse("admin:core_user_add"),
        _add_user_form("xinganbu", [{"role": "community_cadre", "org_unit": world.units["C1"].pk, "is_active": "on"}]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="xinganbu")
    assert user.grants.get().org_unit == world.units["C1"]
    assert client.get(reverse("admin:core_user_change", args=[user.pk])).status_code == 200


def test_an_organizer_cannot_create_an_account_without_a_grant(world, staff_organizer, login):
    from dangjian.core.models import User

    client = login(staff_organizer)
    response = client.post(
        reverse("admin:core_user_add"), _add_user_form("wushouquan", [{"role": "", "org_unit": "", "is_active": "on"}])
    )
    assert response.status_code == 200
    assert "请至少提交 1 个表单" in response.content.decode()
    assert not User.objects.filter(username="wushouquan").exists()


def test_history_is_shown_but_never_reverted_in_the_admin(world, staff_organizer, login):
    client = login(staff_organizer)
    unit = world.units["B1"]
    record = unit.history.first()
    url = reverse("admin:core_orgunit_simple_history", args=[unit.pk, record.history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "回滚"}).status_code == 403
    unit.refresh_from_db()
    assert unit.name == "翠湖第一支部"


def test_a_signed_in_user_without_admin_access_is_refused_not_looped(world, login):
    response = login(world.personas["community_cadre"]).get(reverse("admin:index"), follow=True)
    assert response.status_code == 403
    assert "管理后台只供" in response.content.decode()
