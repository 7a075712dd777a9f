"""Factories for research records, made through the services so that every rule holds."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dangjian.core.models import OrgUnit, User
from dangjian.research.choices import ResearchKind
from dangjian.research.models import Event, Opinion, Research, Risk, Visit
from dangjian.research.services import events as event_services
from dangjian.research.services import opinions as opinion_services
from dangjian.research.services import research as research_services
from dangjian.research.services import risks as risk_services
from dangjian.research.services import visits as visit_services


def today() -> datetime.date:
    return timezone.localdate()


def make_risk(community: OrgUnit, *, by: User | None = None, level: str = "major", **fields: Any) -> Risk:
    values = {
        "title": "加装电梯引发邻里矛盾",
        "location": "12栋",
        "involved": "12栋低层与高层住户",
        "description": "低层住户反对加装电梯，双方多次争吵。",
        "reported_on": today(),
        "level": level,
    }
    values.update(fields)
    return risk_services.risk_report(by=by, community=community, **values)


def research_for_risk(risk: Risk, *, by: User | None = None, **fields: Any) -> Research:
    values = {
        "title": f"关于“{risk.title}”的调研",
        "conducted_from": today(),
        "conducted_to": today(),
        "methods": ["visits", "forum"],
        "researchers": "张书记、刘干部",
        "first_hand": "走访 20 户，低层住户担心采光和噪音。",
        "cause": "前期沟通不充分。",
        "crux": "费用分摊标准没有共识。",
    }
    values.update(fields)
    return research_services.research_record(
        by=by, community=risk.community, kind=ResearchKind.RISK, risk=risk, **values
    )


def visit_for_risk(risk: Risk, visitor: User, **fields: Any) -> Visit:
    values = {"visited_on": today(), "whom": "12栋101户", "topics": "了解对加装电梯的意见"}
    values.update(fields)
    return visit_services.visit_record(by=visitor, community=risk.community, visitor=visitor, risk=risk, **values)


def consult(risk: Risk, *, by: User | None = None):
    return risk_services.consultation_add(
        risk=risk,
        by=by,
        consulted_on=today(),
        method="council",
        participants="12栋业主代表、楼栋长",
        participant_count=12,
        opinions="同意按楼层分摊，低层住户要求保障采光。",
    )


def make_event(community: OrgUnit, *, by: User | None = None, submit: bool = True, **fields: Any) -> Event:
    values = {
        "title": "邻里文化节",
        "kind": "festival",
        "purpose": "增进邻里了解。",
        "planned_on": today() + datetime.timedelta(days=20),
        "place": "社区广场",
        "expected_participants": 200,
        "staff": "书记负责，干部 4 人，志愿者 10 人。",
        "staff_count": 15,
        "budget": Decimal("3000.00"),
        "materials": "帐篷、音响、桌椅。",
    }
    values.update(fields)
    event = event_services.event_create(by=by, community=community, **values)
    if submit:
        event = event_services.event_submit(event=event, by=by)
    return event


def research_for_event(event: Event, *, by: User | None = None) -> Research:
    return research_services.research_record(
        by=by,
        community=event.community,
        kind=ResearchKind.EVENT,
        event=event,
        title=f"“{event.title}”活动前调研",
        conducted_from=today(),
        conducted_to=today(),
        methods=["survey"],
        researchers="刘干部",
        people_reached=60,
        residents_want="希望有适合老人和孩子的活动。",
        purpose="新老居民互不熟悉。",
        goals="参与不少于 150 人。",
    )


def make_opinion(community: OrgUnit, **fields: Any) -> Opinion:
    values = {"title": "楼道灯不亮", "content": "3栋2单元楼道灯坏了。", "area": "facilities"}
    values.update(fields)
    return opinion_services.opinion_submit_public(community=community, **values)
