"""Writes of periodic research (定期调研): rounds of visits, assigning cadres to members and
households by grid or building, closing a round, and recording a visit with the opinions raised."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.core.models import OrgUnit, User
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member

from ..choices import OpinionArea, OpinionSource, SubmitterKind, TargetKind, VisitMethod
from ..models import ResearchRound, Risk, Visit, VisitTarget, quarter_of, quarter_title
from .common import clean_text, locked, require_cadre, save
from .opinions import opinion_register
from .risks import start_research_if_reported

MAX_HOUSEHOLDS = 500


@transaction.atomic
def round_create(
    *,
    by: User | None,
    community: OrgUnit,
    title: str = "",
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    notes: str = "",
) -> ResearchRound:
    """Schedule a round of visits; without dates it covers the current quarter."""
    today = timezone.localdate()
    start, end = quarter_of(period_start or today)
    period_start = period_start or start
    period_end = period_end or end
    round = ResearchRound(
        community=community,
        title=clean_text(title) or quarter_title(period_start),
        period_start=period_start,
        period_end=period_end,
        notes=clean_text(notes),
        created_by=by,
    )
    return save(round, by)


def member_targets_q(community: OrgUnit) -> Q:
    """Members who belong to the community: on the roll of its branches, or living in it."""
    return Q(branch__path__startswith=community.path) | Q(residence_community=community)


@transaction.atomic
def round_assign(
    *,
    round: ResearchRound,
    by: User | None,
    cadre: User,
    grid: str = "",
    building: str = "",
    include_members: bool = True,
    households: Iterable[str] = (),
) -> int:
    """Assign a cadre the members (by grid or building) and the listed households of a round.
    Members and households already assigned in the round are left with their cadre. Returns how
    many targets were added."""
    round = ResearchRound.objects.select_for_update(of=("self",)).get(pk=round.pk)
    if not round.is_open:
        raise ValidationError("该走访轮次已结束，不能再分派走访对象。", code="closed")
    require_cadre(cadre, round.community, "cadre", "走访干部")
    grid, building = clean_text(grid), clean_text(building)
    lines = [clean_text(line) for line in households]
    lines = list(dict.fromkeys(line for line in lines if line))
    if include_members and not (grid or building):
        raise ValidationError({"grid": "按网格或楼栋分派：请填写网格或楼栋（或两者）。"})
    if not include_members and not lines:
        raise ValidationError({"households": "请列出要走访的居民户，或勾选分派党员。"})
    if len(lines) > MAX_HOUSEHOLDS:
        raise ValidationError({"households": f"一次最多分派 {MAX_HOUSEHOLDS} 户。"})
    if any(len(line) > 100 for line in lines):
        raise ValidationError({"households": "每户一行，每行不超过 100 字。"})
    taken_members = set(round.targets.exclude(member=None).values_list("member_id", flat=True))
    taken_labels = set(round.targets.filter(member=None).values_list("label", flat=True))
    targets = []
    if include_members:
        members = Member.objects.filter(member_targets_q(round.community), status=MemberStatus.ACTIVE)
        if grid:
            members = members.filter(grid=grid)
        if building:
            members = members.filter(building=building)
        for member in members.order_by("grid", "building", "room", "pk").distinct():
            if member.pk in taken_members:
                continue
            address = f"{member.building}{member.room}" if member.building else ""
            targets.append(
                VisitTarget(
                    round=round,
                    kind=TargetKind.MEMBER,
                    member=member,
                    label=f"{member.name}（党员{'，' + address if address else ''}）"[:100],
                    grid=member.grid,
                    building=member.building,
                    cadre=cadre,
                    district_id=round.district_id,
                )
            )
    for line in lines:
        if line in taken_labels:
            continue
        targets.append(
            VisitTarget(
                round=round,
                kind=TargetKind.HOUSEHOLD,
                label=line,
                grid=grid,
                building=building,
                cadre=cadre,
                district_id=round.district_id,
            )
        )
    if not targets:
        raise ValidationError({"grid": "没有找到尚未分派的走访对象：请核对网格、楼栋，或这些对象已分派给其他干部。"})
    VisitTarget.objects.bulk_create(targets)
    return len(targets)


@transaction.atomic
def round_close(*, round: ResearchRound, by: User | None, closed_on: datetime.date | None = None) -> ResearchRound:
    """End a round: its coverage is final."""
    round = locked(round, None, None, "结束")
    if not round.is_open:
        raise ValidationError("该走访轮次已结束。", code="closed")
    round.closed_on = closed_on or timezone.localdate()
    return save(round, by, bump=True)


@transaction.atomic
def visit_record(
    *,
    by: User | None,
    community: OrgUnit,
    visitor: User,
    visited_on: datetime.date,
    whom: str,
    topics: str,
    method: str = VisitMethod.DOOR,
    situation: str = "",
    address: str = "",
    member: Member | None = None,
    round: ResearchRound | None = None,
    target: VisitTarget | None = None,
    risk: Risk | None = None,
    opinions: Iterable[str] = (),
    opinion_area: str = OpinionArea.OTHER,
) -> Visit:
    """Record a visit. Each opinion raised in it (one per line) becomes an Opinion linked to the
    visit, to be assigned and answered like any other; a visit on a reported risk starts its
    research."""
    require_cadre(visitor, community, "visitor", "走访干部")
    if target is not None:
        round = round or target.round
        member = member or target.member
        whom = clean_text(whom) or target.label
    if round is not None and not round.is_open:
        raise ValidationError({"round": "该走访轮次已结束，不能再登记走访。"})
    if risk is not None and not risk.is_open:
        raise ValidationError({"risk": f"该隐患已{risk.get_status_display()}，不能再登记调研走访。"})
    visit = Visit(
        community=community,
        visitor=visitor,
        visited_on=visited_on,
        method=method,
        whom=clean_text(whom),
        topics=clean_text(topics),
        situation=clean_text(situation),
        address=clean_text(address),
        member=member,
        round=round,
        target=target,
        risk=risk,
        by=by,
    )
    save(visit, by)
    kind = SubmitterKind.MEMBER if member is not None else SubmitterKind.RESIDENT
    for line in opinions:
        text = clean_text(line)
        if not text:
            continue
        opinion_register(
            by=by,
            community=community,
            source=OpinionSource.VISIT,
            visit=visit,
            submitter_kind=kind,
            submitter_name=visit.whom[:50],
            area=opinion_area,
            title=text[:100],
            content=text,
            submitted_at=timezone.make_aware(datetime.datetime.combine(visited_on, datetime.time(12)))
            if visited_on < timezone.localdate()
            else None,
            assignee=visitor,
        )
    if risk is not None:
        start_research_if_reported(risk, by)
    return visit
