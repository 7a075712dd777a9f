"""The oversight part of the demo: the district is scanned as of last month, some cases are
worked to every outcome, the demo accounts get their reminders, and a second run adds nothing."""

from __future__ import annotations

import random

import pytest

from dangjian.core.choices import OrgKind, Role
from dangjian.core.tests.factories import UserFactory, grant, make_unit
from dangjian.demo.oversight import seed_oversight
from dangjian.oversight.choices import CaseOutcome, CaseStatus
from dangjian.oversight.models import Case, CaseAction, Reminder, ScanRun

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_district():
    district = make_unit(OrgKind.DISTRICT, name="示范区", code="QU01")
    subdistrict = make_unit(OrgKind.SUBDISTRICT, district, name="东湖街道", code="JD01")
    community = make_unit(OrgKind.COMMUNITY, subdistrict, name="翠湖社区", code="JD01-SQ01")
    other = make_unit(OrgKind.COMMUNITY, subdistrict, name="桂花社区", code="JD01-SQ02")
    branches = [
        make_unit(OrgKind.BRANCH, community, name="翠湖第一支部", code="JD01-SQ01-B01"),
        make_unit(OrgKind.BRANCH, other, name="桂花第一支部", code="JD01-SQ02-B01"),
    ]
    for index in range(30):
        f.member(branches[index % 2], f"演示{index}")
    for username, role, unit in (
        ("quzzb", Role.DISTRICT_ORGANIZER, district),
        ("jiedao", Role.SUBDISTRICT_ORGANIZER, subdistrict),
        ("shuji", Role.COMMUNITY_SECRETARY, community),
        ("ganbu", Role.COMMUNITY_CADRE, community),
    ):
        grant(UserFactory(username=username), role, unit)
    return district


def test_the_demo_scans_works_cases_to_every_outcome_and_refreshes_reminders(demo_district):
    created = seed_oversight(rng=random.Random(2012), today=f.today())
    run = ScanRun.objects.get()
    assert run.org_unit == demo_district and run.as_of == f.window().last_month and run.opened_total == 30
    closed = Case.objects.filter(status=CaseStatus.CLOSED)
    by_secretary = closed.filter(closed_by__username="shuji")
    assert by_secretary.count() == 10
    assert set(by_secretary.values_list("outcome", flat=True)) == {
        "resumed",
        "contacted",
        "justified",
        "removal_proposed",
    }
    assert set(closed.values_list("outcome", flat=True)) == set(CaseOutcome.values)
    assert closed.filter(closed_by__username="quzzb").exists()
    assert Case.objects.filter(status=CaseStatus.WORKING, assignee__username="ganbu").exists()
    assert CaseAction.objects.filter(kind="contact", by__username="shuji").exists()
    assert set(Reminder.objects.values_list("user__username", flat=True)) == {"quzzb", "jiedao", "shuji", "ganbu"}
    assert created > 30

    before = (Case.objects.count(), CaseAction.objects.count(), Reminder.objects.count(), ScanRun.objects.count())
    assert seed_oversight(rng=random.Random(2012), today=f.today()) == 0
    assert (
        Case.objects.count(),
        CaseAction.objects.count(),
        Reminder.objects.count(),
        ScanRun.objects.count(),
    ) == before
