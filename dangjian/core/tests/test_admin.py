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


def test_the_admin_offers_only_units_in_scope_as_parents(world, staff_organizer, login):
    client = login(staff_organizer)
    form = client.get(reverse("admin:core_orgunit_add")).content.decode()
    assert "翠湖社区" in form and "松涛社区" not in form


def test_the_admin_adds_a_unit_through_the_service(world, staff_organizer, login):
    client = login(staff_organizer)
    response = client.post(
        reverse("admin:core_orgunit_add"),
        {"kind": "branch", "code": "ADM-1", "name": "后台支部", "parent": world.units["C1"].pk, "sort_order": 0},
    )
    assert response.status_code == 302
    unit = OrgUnit.objects.get(code="ADM-1")
    assert unit.path.startswith(world.units["C1"].path) and unit.depth == world.units["C1"].depth + 1


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
