"""Reads of the risk register, the research behind a risk, and large events, inside the scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from dangjian.core import scope
from dangjian.core.models import OrgUnit, User

from ..choices import OPEN_RISK_STATUSES, EventStatus, ResearchKind, RiskStatus
from ..models import Event, Research, Risk, risk_state_days


@dataclass
class RiskFilters:
    status: str = ""
    level: str = ""
    community: OrgUnit | None = None
    q: str = ""
    overdue: bool = False


def overdue_risks_q(today: datetime.date, limits: dict[str, int] | None = None) -> Q:
    """Open risks that have stayed in their state longer than its limit."""
    limits = limits or risk_state_days()
    condition = Q(pk__in=[])
    for status in OPEN_RISK_STATUSES:
        condition |= Q(status=status, status_since__lt=today - datetime.timedelta(days=limits[status]))
    return condition


def _risks(user: User, filters: RiskFilters, today: datetime.date, *, with_status: bool = True) -> QuerySet[Risk]:
    queryset = scope.restrict(Risk.objects.all(), user)
    if filters.community is not None:
        queryset = queryset.filter(community=filters.community)
    if with_status and filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_RISK_STATUSES)
    elif with_status and filters.status in RiskStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.level:
        queryset = queryset.filter(level=filters.level)
    if filters.q:
        queryset = queryset.filter(
            Q(title__icontains=filters.q) | Q(location__icontains=filters.q) | Q(involved__icontains=filters.q)
        )
    if filters.overdue:
        queryset = queryset.filter(overdue_risks_q(today))
    return queryset


def risk_list(*, user: User, today: datetime.date, filters: RiskFilters | None = None) -> QuerySet[Risk]:
    filters = filters or RiskFilters()
    return (
        _risks(user, filters, today)
        .select_related("community", "assignee")
        .order_by("-level", "status_since", "-pk")  # "major" sorts after "general": descending puts it first
    )


def risk_status_counts(*, user: User, today: datetime.date, filters: RiskFilters | None = None) -> dict[str, int]:
    filters = filters or RiskFilters()
    rows = _risks(user, filters, today, with_status=False).order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(RiskStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["open"] = sum(counts[status] for status in OPEN_RISK_STATUSES)
    counts[""] = sum(counts[status] for status in RiskStatus.values)
    return counts


def risk_get(*, user: User, pk: Any) -> Risk:
    return scope.get_or_404(Risk.objects.select_related("community", "assignee", "reported_by"), user, pk=pk)


def risk_records(*, risk: Risk) -> dict[str, list[Any]]:
    """The research behind a risk: its research records, visits and consultations."""
    return {
        "researches": list(
            risk.researches.filter(kind=ResearchKind.RISK).select_related("by").order_by("conducted_to", "pk")
        ),
        "visits": list(risk.visits.select_related("visitor").order_by("visited_on", "pk")),
        "consultations": list(risk.consultations.select_related("by").order_by("consulted_on", "pk")),
    }


def open_risks_for_choice(*, user: User) -> QuerySet[Risk]:
    return scope.restrict(Risk.objects.filter(status__in=OPEN_RISK_STATUSES), user).select_related("community")


# --- Large events ------------------------------------------------------------------------------


@dataclass
class EventFilters:
    status: str = ""
    community: OrgUnit | None = None
    q: str = ""


def _events(user: User, filters: EventFilters, *, with_status: bool = True) -> QuerySet[Event]:
    queryset = scope.restrict(Event.objects.all(), user)
    if filters.community is not None:
        queryset = queryset.filter(community=filters.community)
    if with_status and filters.status in EventStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.q:
        queryset = queryset.filter(Q(title__icontains=filters.q) | Q(place__icontains=filters.q))
    return queryset


def event_list(*, user: User, filters: EventFilters | None = None) -> QuerySet[Event]:
    filters = filters or EventFilters()
    return (
        _events(user, filters)
        .select_related("community", "approved_by")
        .annotate(research_count=Count("researches", filter=Q(researches__kind=ResearchKind.EVENT)))
        .order_by("-planned_on", "-pk")
    )


def event_status_counts(*, user: User, filters: EventFilters | None = None) -> dict[str, int]:
    filters = filters or EventFilters()
    rows = _events(user, filters, with_status=False).order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(EventStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    counts[""] = sum(counts.values())
    return counts


def event_get(*, user: User, pk: Any) -> Event:
    return scope.get_or_404(
        Event.objects.select_related("community", "created_by", "approved_by", "reviewed_by"), user, pk=pk
    )


def event_researches(*, event: Event) -> list[Research]:
    return list(event.researches.filter(kind=ResearchKind.EVENT).select_related("by").order_by("conducted_to", "pk"))
