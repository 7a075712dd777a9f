"""The research demo data: every state shown, the rules it stands for kept, loaded once."""

from __future__ import annotations

import random

import pytest

from dangjian.demo.research import seed_research
from dangjian.research.choices import EventStatus, OpinionStatus, ResearchKind, RiskLevel, RiskStatus
from dangjian.research.models import Event, Opinion, Research, ResearchRound, Risk, Visit
from dangjian.research.services.risks import research_gaps

from .factories import today

pytestmark = pytest.mark.django_db


def test_the_demo_shows_every_state_and_keeps_the_rules(world):
    created = seed_research(rng=random.Random(2035), today=today())
    assert created > 100
    statuses = set(Risk.objects.values_list("status", flat=True))
    events = set(Event.objects.values_list("status", flat=True))
    opinions = set(Opinion.objects.values_list("status", flat=True))
    # Three communities, two risks and two events each: together every state appears.
    assert statuses == set(RiskStatus.values)
    assert events >= {EventStatus.SUBMITTED, EventStatus.APPROVED, EventStatus.REVIEWED}
    assert opinions == set(OpinionStatus.values)
    # A major risk past "reported" has its visits, research and consultation.
    for risk in Risk.objects.filter(level=RiskLevel.MAJOR, status__in=[RiskStatus.SOLUTION, RiskStatus.RESOLVED]):
        assert research_gaps(risk) == []
    # Every approved or reviewed event has its pre-event research.
    for event in Event.objects.filter(status__in=[EventStatus.APPROVED, EventStatus.REVIEWED]):
        assert Research.objects.filter(event=event, kind=ResearchKind.EVENT).exists()
    assert ResearchRound.objects.filter(closed_on=None).count() == 3
    assert Visit.objects.filter(target__isnull=False).exists() and Opinion.objects.filter(rating__isnull=False).exists()
    assert all(row.district_id for row in Opinion.objects.all())


def test_the_demo_loads_once(world):
    seed_research(rng=random.Random(2035), today=today())
    counts = (Risk.objects.count(), Opinion.objects.count(), Visit.objects.count())
    assert seed_research(rng=random.Random(2035), today=today()) == 0
    assert (Risk.objects.count(), Opinion.objects.count(), Visit.objects.count()) == counts
