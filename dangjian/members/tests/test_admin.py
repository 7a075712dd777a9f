"""The members admin: scoped, read-only for members, and never a number in clear."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.members.models import MemberCategory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(world):
    def _staff(persona: str):
        user = world.personas[persona]
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        return user

    return _staff


def test_the_member_admin_is_scoped_and_masked(world, staff, login):
    client = login(staff("subdistrict_organizer"))
    listing = client.get(reverse("admin:members_member_changelist")).content.decode()
    member = world.members["B1"]
    assert member.name in listing and "松涛" not in listing
    assert member.id_number not in listing and member.id_number_masked in listing
    page = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    assert member.id_number not in page and member.phone not in page
    assert client.get(reverse("admin:members_member_change", args=[world.members["B2"].pk])).status_code == 302
    assert client.get(reverse("admin:members_member_add")).status_code == 403


def test_only_the_district_keeps_the_categories(world, staff, login):
    district = login(staff("district_organizer"))
    response = district.post(
        reverse("admin:members_membercategory_add"),
        {"code": "veteran", "name": "退役军人", "is_active": "on", "sort_order": 8},
    )
    assert response.status_code == 302 and MemberCategory.objects.filter(code="veteran").exists()
    subdistrict = login(staff("subdistrict_organizer"))
    assert subdistrict.get(reverse("admin:members_membercategory_add")).status_code == 403
