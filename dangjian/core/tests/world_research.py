"""Objects of the research models placed in the test world, for the scope matrix: each maker
returns (creating once) an object belonging to the community of the unit at `place` (B1 → 翠湖,
B2 → 松涛, B3 → 北岭), named after that community so that a list showing it outside the scope
shows the name."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dangjian.core.choices import OrgKind
from dangjian.core.models import OrgUnit
from dangjian.research.models import Correction, Event, Opinion, Research, ResearchRound, Risk, Visit, quarter_of


def _community(world: Any, place: str) -> OrgUnit:
    unit = world.units[place]
    if unit.kind == OrgKind.COMMUNITY:
        return unit
    return next(ancestor for ancestor in unit.ancestors() if ancestor.kind == OrgKind.COMMUNITY)


def _cadre(world: Any):
    return world.personas["community_cadre"]


def risk(world: Any, place: str) -> Risk:
    community = _community(world, place)
    found = Risk.objects.filter(community=community).first()
    if found:
        return found
    today = timezone.localdate()
    return Risk.objects.create(
        community=community,
        title=f"{community.name}楼道堆物隐患",
        level="major",
        location=f"{community.name}3栋",
        involved=f"{community.name}3栋住户",
        description="楼道堆放杂物，消防通道受阻。",
        reported_on=today,
        status_since=today,
    )


def event(world: Any, place: str) -> Event:
    community = _community(world, place)
    found = Event.objects.filter(community=community).first()
    if found:
        return found
    return Event.objects.create(
        community=community,
        title=f"{community.name}邻里节",
        kind="festival",
        purpose="增进邻里了解。",
        planned_on=timezone.localdate() + datetime.timedelta(days=30),
        place=f"{community.name}广场",
        expected_participants=200,
        staff="社区干部 5 人，志愿者 10 人。",
        staff_count=15,
        budget=Decimal("3000.00"),
        materials="帐篷、音响。",
        status="submitted",
    )


def research_round(world: Any, place: str) -> ResearchRound:
    community = _community(world, place)
    found = ResearchRound.objects.filter(community=community).first()
    if found:
        return found
    start, end = quarter_of(timezone.localdate())
    return ResearchRound.objects.create(
        community=community, title=f"{community.name}本季度走访", period_start=start, period_end=end
    )


def research(world: Any, place: str) -> Research:
    community = _community(world, place)
    found = Research.objects.filter(community=community).first()
    if found:
        return found
    today = timezone.localdate()
    return Research.objects.create(
        community=community,
        kind="periodic",
        title=f"{community.name}季度调研",
        conducted_from=today,
        conducted_to=today,
        methods=["visits"],
        researchers=f"{community.name}干部",
        first_hand="居民关心加装电梯。",
        conclusion="加快推进加装电梯。",
    )


def visit(world: Any, place: str) -> Visit:
    community = _community(world, place)
    found = Visit.objects.filter(community=community).first()
    if found:
        return found
    return Visit.objects.create(
        community=community,
        visitor=_cadre(world),
        visited_on=timezone.localdate(),
        whom=f"{community.name}3栋301户",
        topics="加装电梯意愿。",
    )


def opinion(world: Any, place: str) -> Opinion:
    community = _community(world, place)
    found = Opinion.objects.filter(community=community).first()
    if found:
        return found
    today = timezone.localdate()
    return Opinion.objects.create(
        community=community,
        tracking_code=f"T{community.pk:09d}"[-10:],
        source="online",
        submitter_kind="resident",
        submitter_name=f"{community.name}居民",
        contact_phone="13800001111",
        title=f"{community.name}路灯不亮",
        content="小区北门路灯不亮。",
        answer_due_on=today + datetime.timedelta(days=15),
        status="answered",
        answer_kind="accepted",
        answer="已报修。",
        promised_on=today + datetime.timedelta(days=10),
        answered_at=timezone.now(),
        progress="in_progress",
    )


def correction(world: Any, place: str) -> Correction:
    community = _community(world, place)
    found = Correction.objects.filter(community=community).first()
    if found:
        return found
    made = Correction.objects.create(
        community=community,
        title=f"{community.name}调整活动室开放时间",
        description="根据居民意见延长开放时间。",
        corrected_on=timezone.localdate(),
    )
    made.opinions.add(opinion(world, place))
    return made
