"""Writes of the risk register (维稳隐患): reporting, research, consultation with residents, the
solution, and the end of a risk, resolved or closed with an outcome."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core.models import OrgUnit, User

from ..choices import OPEN_RISK_STATUSES, ResearchKind, RiskLevel, RiskStatus
from ..models import Consultation, Research, Risk, Visit
from .common import clean_text, locked, require_cadre, save

# Fields of the register a person may change while the risk is open.
EDITABLE = (
    "title",
    "category",
    "level",
    "location",
    "involved",
    "involved_count",
    "description",
    "reporter",
    "reported_on",
    "assignee",
)


@transaction.atomic
def risk_report(
    *,
    by: User | None,
    community: OrgUnit,
    title: str,
    location: str,
    involved: str,
    description: str,
    reported_on: datetime.date,
    level: str = RiskLevel.GENERAL,
    category: str = "other",
    involved_count: int | None = None,
    reporter: str = "",
    assignee: User | None = None,
) -> Risk:
    """Enter a risk in the register."""
    require_cadre(assignee, community, "assignee", "责任人")
    risk = Risk(
        community=community,
        title=clean_text(title),
        category=category,
        level=level,
        location=clean_text(location),
        involved=clean_text(involved),
        involved_count=involved_count,
        description=clean_text(description),
        reporter=clean_text(reporter),
        reported_on=reported_on,
        reported_by=by,
        assignee=assignee,
        status=RiskStatus.REPORTED,
        status_since=timezone.localdate(),
    )
    return save(risk, by)


@transaction.atomic
def risk_update(*, risk: Risk, by: User | None, expected_version: int | None = None, **fields: object) -> Risk:
    """Change what the register says of an open risk (its level, who is involved, the assignee)."""
    risk = locked(risk, expected_version, OPEN_RISK_STATUSES, "修改")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "assignee" in fields:
        require_cadre(fields["assignee"], risk.community, "assignee", "责任人")  # type: ignore[arg-type]
    for name, value in fields.items():
        setattr(risk, name, clean_text(value) if isinstance(value, str) else value)
    return save(risk, by, bump=True)


def _move(risk: Risk, status: str, today: datetime.date) -> None:
    risk.status = status
    risk.status_since = today


@transaction.atomic
def risk_start_research(*, risk: Risk, by: User | None, expected_version: int | None = None) -> Risk:
    """Begin the research of a reported risk (深入到基层和群众中去)."""
    risk = locked(risk, expected_version, [RiskStatus.REPORTED], "开始调研")
    today = timezone.localdate()
    _move(risk, RiskStatus.RESEARCHING, today)
    risk.research_started_on = today
    return save(risk, by, bump=True)


def start_research_if_reported(risk: Risk, by: User | None) -> None:
    """Recording research or a visit on a reported risk means its research has begun."""
    if risk.status == RiskStatus.REPORTED:
        risk_start_research(risk=risk, by=by)


@transaction.atomic
def consultation_add(
    *,
    risk: Risk,
    by: User | None,
    consulted_on: datetime.date,
    method: str,
    participants: str,
    participant_count: int,
    opinions: str,
) -> Consultation:
    """Record a consultation with residents on the way to a solution (依靠群众)."""
    risk = locked(risk, None, [RiskStatus.REPORTED, RiskStatus.RESEARCHING, RiskStatus.SOLUTION], "记录群众协商")
    if consulted_on and consulted_on > timezone.localdate():
        raise ValidationError({"consulted_on": "协商日期不能晚于今天。"})
    consultation = Consultation(
        risk=risk,
        consulted_on=consulted_on,
        method=method,
        participants=clean_text(participants),
        participant_count=participant_count,
        opinions=clean_text(opinions),
        by=by,
    )
    consultation.full_clean()
    consultation.save()
    start_research_if_reported(risk, by)
    return consultation


def research_gaps(risk: Risk) -> list[str]:
    """What a major risk still lacks before its solution may be recorded: first-hand information
    from visits, research stating the cause and the crux, and a consultation with residents."""
    if risk.level != RiskLevel.MAJOR:
        return []
    gaps = []
    if not Visit.objects.filter(risk=risk).exists():
        gaps.append("走访记录（深入群众掌握第一手资料）")
    if not Research.objects.filter(risk=risk, kind=ResearchKind.RISK).exists():
        gaps.append("调研记录（问题的起因和症结）")
    if not Consultation.objects.filter(risk=risk).exists():
        gaps.append("群众协商记录（征求了哪些居民的意见、他们怎么说）")
    return gaps


@transaction.atomic
def risk_propose_solution(
    *,
    risk: Risk,
    by: User | None,
    solution: str,
    solution_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Risk:
    """Record the solution worked out with the residents. A major risk must have been researched
    first-hand and discussed with residents; a general one may go straight to its solution."""
    risk = locked(risk, expected_version, [RiskStatus.REPORTED, RiskStatus.RESEARCHING], "拟定解决方案")
    solution_on = solution_on or timezone.localdate()
    if not clean_text(solution):
        raise ValidationError({"solution": "请填写解决方案。"})
    if solution_on > timezone.localdate():
        raise ValidationError({"solution_on": "方案拟定日期不能晚于今天。"})
    gaps = research_gaps(risk)
    if gaps:
        raise ValidationError(
            {"solution": "重大维稳隐患须先深入调研、依靠群众拿出方案，尚缺少：" + "；".join(gaps) + "。"},
            code="research_required",
        )
    risk.solution = clean_text(solution)
    risk.solution_on = solution_on
    _move(risk, RiskStatus.SOLUTION, timezone.localdate())
    return save(risk, by, bump=True)


@transaction.atomic
def risk_resolve(
    *,
    risk: Risk,
    by: User | None,
    resolution: str,
    resolved_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Risk:
    """The solution worked: the risk is resolved (化解)."""
    risk = locked(risk, expected_version, [RiskStatus.SOLUTION], "登记化解")
    resolved_on = resolved_on or timezone.localdate()
    if resolved_on > timezone.localdate():
        raise ValidationError({"resolved_on": "化解日期不能晚于今天。"})
    if risk.solution_on and resolved_on < risk.solution_on:
        raise ValidationError({"resolved_on": "化解日期不能早于方案拟定日期。"})
    risk.resolution = clean_text(resolution)
    risk.resolved_on = resolved_on
    _move(risk, RiskStatus.RESOLVED, timezone.localdate())
    return save(risk, by, bump=True)


@transaction.atomic
def risk_close(
    *,
    risk: Risk,
    by: User | None,
    outcome: str,
    note: str,
    closed_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Risk:
    """Close an open risk with an outcome other than resolution (handed over, gone, a duplicate)."""
    risk = locked(risk, expected_version, OPEN_RISK_STATUSES, "关闭")
    if not clean_text(note):
        raise ValidationError({"outcome_note": "请说明关闭的情况。"})
    risk.outcome = outcome
    risk.outcome_note = clean_text(note)
    risk.closed_on = closed_on or timezone.localdate()
    _move(risk, RiskStatus.CLOSED, timezone.localdate())
    return save(risk, by, bump=True)
