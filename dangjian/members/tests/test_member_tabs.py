"""The member page's tabs 组织关系, 组织生活, 党费 and 帮扶: each loaded by HTMX when first shown,
from its own scoped route; the member's own record shows them too; the page itself runs none of
their queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.members.models import CareRecord, DuesMonth
from dangjian.members.services import care as care_services
from dangjian.members.views import MEMBER_TABS
from dangjian.orglife.models import Attendance, Meeting

pytestmark = pytest.mark.django_db

TABS = ["relationship", "life", "dues", "care"]


def today() -> datetime.date:
    return timezone.localdate()


def care_visit(member, by=None, **fields) -> CareRecord:
    values = {
        "hardship": "elderly",
        "form": "visit",
        "cared_on": today() - datetime.timedelta(days=3),
        "carers": "社区干部",
        "situation": "独居，行动不便。",
    }
    values.update(fields)
    return care_services.care_record_create(member=member, by=by, **values)


def test_the_four_tabs_follow_the_existing_ones_in_order():
    assert [(tab.key, tab.label) for tab in MEMBER_TABS] == [
        ("relationship", "组织关系"),
        ("life", "组织生活"),
        ("dues", "党费"),
        ("care", "帮扶"),
    ]


def test_the_member_page_loads_each_tab_lazily_from_its_own_route(world, login):
    member = world.members["B1"]
    body = login(world.personas["community_secretary"]).get(reverse("members:member_detail", args=[member.pk]))
    html = body.content.decode()
    for key in TABS:
        url = reverse(f"members:member_tab_{key}", args=[member.pk])
        assert f'hx-get="{url}" hx-trigger="click once" hx-target="#tab-{key}-body"' in html
        assert f'id="tab-{key}-body"' in html
    labels = [html.index(f">{label}</button>") for label in ("困难情况", "组织关系", "组织生活", "党费", "帮扶")]
    assert labels == sorted(labels)
    # No tab's content is in the page itself.
    assert 'id="care-tab"' not in html and 'id="dues-tab"' not in html


def test_a_tab_named_in_the_address_loads_with_the_page(world, login):
    member = world.members["B1"]
    client = login(world.personas["community_secretary"])
    html = client.get(reverse("members:member_detail", args=[member.pk]), {"tab": "care"}).content.decode()
    url = reverse("members:member_tab_care", args=[member.pk])
    assert f'id="tab-care-body" aria-live="polite" hx-get="{url}" hx-trigger="load"' in html
    assert f'hx-get="{url}" hx-trigger="click once"' not in html
    # The dues tab keeps the year its own year links ask for.
    html = client.get(reverse("members:member_detail", args=[member.pk]), {"tab": "dues", "dues_year": "2025"})
    dues_url = reverse("members:member_tab_dues", args=[member.pk]) + "?year=2025"
    assert f'hx-get="{dues_url}" hx-trigger="load"' in html.content.decode()


@pytest.mark.parametrize("key", TABS)
def test_each_tab_answers_inside_the_scope_and_404_outside(world, login, key):
    client = login(world.personas["community_secretary"])
    inside = client.get(reverse(f"members:member_tab_{key}", args=[world.members["B1"].pk]))
    assert inside.status_code == 200
    assert "<nav" not in inside.content.decode()  # a fragment, not a page
    for place in ("B2", "B3"):
        assert client.get(reverse(f"members:member_tab_{key}", args=[world.members[place].pk])).status_code == 404
    branch = login(world.personas["branch_secretary"])  # GB1 holds B1, not B1b
    assert branch.get(reverse(f"members:member_tab_{key}", args=[world.members["B1"].pk])).status_code == 200
    assert branch.get(reverse(f"members:member_tab_{key}", args=[world.members["B1b"].pk])).status_code == 404
    for persona in ("member", "resident", "outsider"):
        response = login(world.personas[persona]).get(
            reverse(f"members:member_tab_{key}", args=[world.members["B1"].pk])
        )
        assert response.status_code == 403


def test_the_own_record_shows_the_four_tabs_from_routes_of_its_own(world, login):
    own = world.members["B1"]  # the member persona's record
    care_visit(own, by=world.personas["community_cadre"], assistance="money", amount=Decimal("300"))
    care_visit(world.members["B1b"], situation="别人的帮扶情况。")
    client = login(world.personas["member"])
    html = client.get(reverse("members:my_record")).content.decode()
    for key in TABS:
        url = reverse(f"members:my_tab_{key}")
        assert f'hx-get="{url}"' in html
        assert reverse(f"members:member_tab_{key}", args=[own.pk]) not in html
        assert client.get(url).status_code == 200
    care = client.get(reverse("members:my_tab_care")).content.decode()
    assert "独居，行动不便。" in care and "300.00 元" in care and "别人的帮扶情况" not in care
    assert "登记帮扶" not in care and "修改" not in care
    for persona in ("resident", "outsider"):  # no member record of their own
        assert login(world.personas[persona]).get(reverse("members:my_tab_care")).status_code == 404


def test_the_care_tab_offers_corrections_only_to_the_recorder_within_seven_days(world, login):
    member = world.members["B1"]
    cadre = world.personas["community_cadre"]
    fresh = care_visit(member, by=cadre, next_visit_on=today() - datetime.timedelta(days=1))
    old = care_visit(member, by=cadre, form="phone", cared_on=today() - datetime.timedelta(days=20))
    CareRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    url = reverse("members:member_tab_care", args=[member.pk])
    html = login(cadre).get(url).content.decode()
    assert reverse("members:care_edit", args=[fresh.pk]) in html
    assert reverse("members:care_edit", args=[old.pk]) not in html
    assert reverse("members:care_create", args=[member.pk]) in html
    assert "已逾期 1 天" in html
    html = login(world.personas["community_secretary"]).get(url).content.decode()
    assert reverse("members:care_edit", args=[fresh.pk]) not in html


def test_the_life_tab_links_meetings_for_those_who_may_open_them(world, login):
    member = world.members["B1"]
    response = login(world.personas["community_secretary"]).get(reverse("members:member_tab_life", args=[member.pk]))
    assert response.context["links"] is True and response.context["life"]["member"] == member
    response = login(world.personas["member"]).get(reverse("members:my_tab_life"))
    assert response.context["links"] is False


def test_the_dues_tab_shows_the_year_asked_for(world, login):
    member = world.members["B1"]
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("members:member_tab_dues", args=[member.pk]), {"year": "2025"})
    assert response.context["dues"]["year"] == 2025
    response = client.get(reverse("members:member_tab_dues", args=[member.pk]), {"year": "abc"})
    assert response.context["dues"]["year"] == today().year


def _first_of_month(offset: int) -> datetime.date:
    index = today().year * 12 + today().month - 1 - offset
    return datetime.date(index // 12, index % 12 + 1, 1)


def _fill(world, member, count: int) -> None:
    branch = member.branch
    for index in range(count):
        meeting = Meeting.objects.create(
            branch=branch,
            kind="themed_day",
            status="held",
            title=f"主题党日{index}",
            held_at=timezone.now() - datetime.timedelta(days=7 * index + 1),
            place="活动室",
        )
        Attendance.objects.create(meeting=meeting, member=member, status="present" if index % 3 else "excused")
        DuesMonth.objects.create(member=member, month=_first_of_month(index + 1), amount_due=Decimal("20.00"))
        CareRecord.objects.create(
            member=member,
            hardship="elderly",
            form="phone",
            cared_on=today() - datetime.timedelta(days=index),
            carers="网格员",
            situation="电话问候。",
        )


@pytest.mark.parametrize("persona,own", [("community_secretary", False), ("member", True)])
def test_the_member_page_costs_the_same_with_0_or_50_rows_in_its_tabs(world, login, persona, own):
    member = world.members["B1"]
    client = login(world.personas[persona])
    url = reverse("members:my_record") if own else reverse("members:member_detail", args=[member.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()  # the first request of this client loads and caches what the session needs
    empty = count()
    _fill(world, member, 50)
    assert Attendance.objects.filter(member=member).count() == 50
    assert DuesMonth.objects.filter(member=member).count() == 50
    assert count() == empty
