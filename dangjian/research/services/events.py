"""Writes of large events (大型活动): the plan, its submission, the sub-district's approval (only
after pre-event research), a return with the reason, the review after the event, cancelling."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.models import OrgUnit, User
from dangjian.core.services import STALE_MESSAGE

from ..choices import EventStatus, ResearchKind
from ..models import Event, Research
from ..models.base import day_label
from .common import clean_text, locked, save

# The plan: what a person fills in when drafting or revising an event.
PLAN_FIELDS = (
    "title",
    "kind",
    "purpose",
    "planned_on",
    "time_note",
    "place",
    "audience",
    "expected_participants",
    "staff",
    "staff_count",
    "budget",
    "budget_note",
    "funding_source",
    "materials",
)

NO_RESEARCH = (
    "该活动还没有活动前调研记录，不能批准。请社区先开展调研，记录居民需求、为何举办和预期效果，"
    "把有限的人、财、物用好用活，再提请审批。"
)


def _plan(event: Event, values: dict[str, object]) -> None:
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not part of the plan: {sorted(unknown)}")
    for name, value in values.items():
        setattr(event, name, clean_text(value) if isinstance(value, str) else value)


def _check_date(event: Event) -> None:
    if event.planned_on and event.planned_on < timezone.localdate():
        raise ValidationError({"planned_on": "活动日期已过，请修改活动日期。"})


@transaction.atomic
def event_create(*, by: User | None, community: OrgUnit, **plan: object) -> Event:
    """Draft the plan of a large event: purpose, date, place, expected participants, and the
    people, money and materials it needs."""
    event = Event(community=community, status=EventStatus.DRAFT, created_by=by)
    _plan(event, plan)
    _check_date(event)
    return save(event, by)


@transaction.atomic
def event_update(*, event: Event, by: User | None, expected_version: int | None = None, **plan: object) -> Event:
    """Revise a drafted or returned plan."""
    event = locked(event, expected_version, [EventStatus.DRAFT, EventStatus.RETURNED], "修改方案")
    _plan(event, plan)
    _check_date(event)
    return save(event, by, bump=True)


@transaction.atomic
def event_submit(*, event: Event, by: User | None, expected_version: int | None = None) -> Event:
    """Send the plan to the sub-district for approval."""
    event = locked(event, expected_version, [EventStatus.DRAFT, EventStatus.RETURNED], "报批")
    _check_date(event)
    event.status = EventStatus.SUBMITTED
    event.submitted_at = timezone.now()
    return save(event, by, bump=True)


def has_pre_event_research(event: Event) -> bool:
    return Research.objects.filter(event=event, kind=ResearchKind.EVENT).exists()


def _require_approver(event: Event, by: User | None) -> None:
    if by is None or not scope.can(by, scope.Cap.EVENT_APPROVE) or not scope.contains(by, event.community):
        raise PermissionDenied("大型活动由街道党工委（或上级）审批。")


@transaction.atomic
def event_approve(*, event: Event, by: User, note: str = "", expected_version: int | None = None) -> Event:
    """The sub-district approves the plan. Refused, with the reason, while no pre-event research
    record exists; two organizers approving at once give one approval."""
    _require_approver(event, by)
    event = locked(event, None, None, "审批")
    if event.status in (EventStatus.APPROVED, EventStatus.REVIEWED):
        who = event.approved_by.display_name if event.approved_by else "他人"
        when = day_label(timezone.localtime(event.approved_at)) if event.approved_at else ""
        raise ValidationError(f"该活动已由{who}于{when}批准，无需重复审批。", code="already")
    if event.status != EventStatus.SUBMITTED:
        raise ValidationError(f"当前状态为“{event.get_status_display()}”，不能审批。", code="status")
    if expected_version is not None and event.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if not has_pre_event_research(event):
        raise ValidationError(NO_RESEARCH, code="research_required")
    if event.planned_on < timezone.localdate():
        raise ValidationError("活动日期已过，不能再审批：请社区修改活动日期后重新报批。", code="past")
    event.status = EventStatus.APPROVED
    event.approved_at = timezone.now()
    event.approved_by = by
    event.approval_note = clean_text(note)
    return save(event, by, bump=True)


@transaction.atomic
def event_return(*, event: Event, by: User, reason: str, expected_version: int | None = None) -> Event:
    """The sub-district sends the plan back to the community with the reason."""
    _require_approver(event, by)
    event = locked(event, expected_version, [EventStatus.SUBMITTED], "退回")
    if not clean_text(reason):
        raise ValidationError({"return_reason": "请填写退回理由。"})
    event.status = EventStatus.RETURNED
    event.returned_at = timezone.now()
    event.return_reason = clean_text(reason)
    return save(event, by, bump=True)


@transaction.atomic
def event_review(
    *,
    event: Event,
    by: User | None,
    actual_participants: int,
    actual_spend: Decimal,
    feedback: str,
    review_summary: str = "",
    expected_version: int | None = None,
) -> Event:
    """The review after the event: turnout, spending and what residents said."""
    event = locked(event, expected_version, [EventStatus.APPROVED], "复盘")
    if event.planned_on > timezone.localdate():
        raise ValidationError(f"活动定于{day_label(event.planned_on)}举办，举办后才能复盘。", code="early")
    event.actual_participants = actual_participants
    event.actual_spend = actual_spend
    event.feedback = clean_text(feedback)
    event.review_summary = clean_text(review_summary)
    event.reviewed_at = timezone.now()
    event.reviewed_by = by
    event.status = EventStatus.REVIEWED
    return save(event, by, bump=True)


@transaction.atomic
def event_cancel(*, event: Event, by: User | None, reason: str, expected_version: int | None = None) -> Event:
    """Call off an event that has not been held; the plan keeps its row, with the reason."""
    event = locked(
        event,
        expected_version,
        [EventStatus.DRAFT, EventStatus.SUBMITTED, EventStatus.RETURNED, EventStatus.APPROVED],
        "取消",
    )
    if not clean_text(reason):
        raise ValidationError({"cancel_reason": "请填写取消原因。"})
    event.status = EventStatus.CANCELLED
    event.cancel_reason = clean_text(reason)
    return save(event, by, bump=True)
