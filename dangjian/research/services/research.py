"""Writes of research records (调研): the one service behind a risk's research, an event's
pre-event research and a periodic research."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.models import OrgUnit, User

from ..choices import OPEN_RISK_STATUSES, EventStatus, ResearchKind
from ..models import Event, Research, ResearchRound, Risk
from .common import clean_text, save
from .risks import start_research_if_reported

# An event's research is made before its approval: while the plan is drafted, returned or waiting.
EVENT_RESEARCH_STATUSES = (EventStatus.DRAFT, EventStatus.RETURNED, EventStatus.SUBMITTED)


@transaction.atomic
def research_record(
    *,
    by: User | None,
    community: OrgUnit,
    kind: str,
    title: str,
    conducted_from: datetime.date,
    conducted_to: datetime.date,
    methods: Iterable[str],
    researchers: str,
    people_reached: int = 0,
    first_hand: str = "",
    cause: str = "",
    crux: str = "",
    residents_want: str = "",
    purpose: str = "",
    goals: str = "",
    conclusion: str = "",
    risk: Risk | None = None,
    event: Event | None = None,
    round: ResearchRound | None = None,
) -> Research:
    """Record a piece of research. Research on a reported risk starts its research stage; an
    event's research must come before the event is approved."""
    if risk is not None:
        risk = Risk.objects.select_for_update(of=("self",)).get(pk=risk.pk)
        if risk.status not in OPEN_RISK_STATUSES:
            raise ValidationError({"risk": f"该隐患已{risk.get_status_display()}，不能再记录调研。"})
    if event is not None:
        event = Event.objects.select_for_update(of=("self",)).get(pk=event.pk)
        if event.status not in EVENT_RESEARCH_STATUSES:
            raise ValidationError(
                {"event": f"该活动已{event.get_status_display()}：活动前调研应在审批之前完成，复盘请在活动页面登记。"}
            )
    research = Research(
        community=community,
        kind=kind,
        risk=risk,
        event=event,
        round=round,
        title=clean_text(title),
        conducted_from=conducted_from,
        conducted_to=conducted_to,
        methods=sorted(set(methods or [])),
        researchers=clean_text(researchers),
        people_reached=people_reached or 0,
        first_hand=clean_text(first_hand),
        cause=clean_text(cause),
        crux=clean_text(crux),
        residents_want=clean_text(residents_want),
        purpose=clean_text(purpose),
        goals=clean_text(goals),
        conclusion=clean_text(conclusion),
        by=by,
    )
    save(research, by)
    if risk is not None and kind == ResearchKind.RISK:
        start_research_if_reported(risk, by)
    return research
