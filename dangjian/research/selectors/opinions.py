"""Reads of opinions and suggestions and of corrections, inside the scope; and the two public
reads (a community by its code, an opinion by its tracking code in that community)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from dangjian.core import scope
from dangjian.core.choices import OrgKind
from dangjian.core.models import OrgUnit, User

from ..choices import OPEN_OPINION_STATUSES, AnswerKind, OpinionStatus, Progress
from ..models import Correction, Opinion, normalize_code


@dataclass
class OpinionFilters:
    status: str = ""
    area: str = ""
    source: str = ""
    community: OrgUnit | None = None
    assignee: User | None = None
    overdue: bool = False
    q: str = ""


def overdue_opinions_q(today: datetime.date) -> Q:
    """Open opinions unanswered past their deadline, or accepted and not done by the promised date."""
    return Q(status__in=OPEN_OPINION_STATUSES) & (
        Q(answered_at__isnull=True, answer_due_on__lt=today)
        | Q(answer_kind=AnswerKind.ACCEPTED, promised_on__lt=today, progress=Progress.IN_PROGRESS)
    )


def _opinions(user: User, filters: OpinionFilters, today: datetime.date, *, with_status: bool = True):
    queryset = scope.restrict(Opinion.objects.all(), user)
    if filters.community is not None:
        queryset = queryset.filter(community=filters.community)
    if with_status and filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_OPINION_STATUSES)
    elif with_status and filters.status in OpinionStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.area:
        queryset = queryset.filter(area=filters.area)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.assignee is not None:
        queryset = queryset.filter(assignee=filters.assignee)
    if filters.overdue:
        queryset = queryset.filter(overdue_opinions_q(today))
    if filters.q:
        code = normalize_code(filters.q)
        queryset = queryset.filter(
            Q(title__icontains=filters.q) | Q(content__icontains=filters.q) | Q(tracking_code=code)
        )
    return queryset


def opinion_list(*, user: User, today: datetime.date, filters: OpinionFilters | None = None) -> QuerySet[Opinion]:
    filters = filters or OpinionFilters()
    return _opinions(user, filters, today).select_related("community", "assignee").order_by("-submitted_at", "-pk")


def opinion_status_counts(*, user: User, today: datetime.date, filters: OpinionFilters | None = None) -> dict[str, int]:
    filters = filters or OpinionFilters()
    rows = _opinions(user, filters, today, with_status=False).order_by().values("status").annotate(n=Count("pk"))
    counts = dict.fromkeys(OpinionStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["open"] = sum(counts[status] for status in OPEN_OPINION_STATUSES)
    counts[""] = sum(counts[status] for status in OpinionStatus.values)
    return counts


def opinion_get(*, user: User, pk: Any) -> Opinion:
    return scope.get_or_404(
        Opinion.objects.select_related(
            "community", "assignee", "answered_by", "created_by", "visit", "visit__visitor"
        ).prefetch_related("corrections"),
        user,
        pk=pk,
    )


def opinions_by_code(*, user: User, codes: list[str]) -> dict[str, Opinion]:
    """Opinions in scope by tracking code, in one query (for the bulk update)."""
    queryset = scope.restrict(Opinion.objects.filter(tracking_code__in=codes), user).select_related("community")
    return {opinion.tracking_code: opinion for opinion in queryset}


def open_opinions(*, user: User) -> QuerySet[Opinion]:
    return (
        scope.restrict(Opinion.objects.filter(status__in=OPEN_OPINION_STATUSES), user)
        .select_related("community", "assignee")
        .order_by("community__path", "submitted_at", "pk")
    )


def opinion_choices(*, user: User, community: OrgUnit | None = None, limit: int = 200) -> QuerySet[Opinion]:
    """Opinions a correction may cite: the latest `limit` answered or closed ones in scope (a
    queryset that can still be filtered, as a form's choices must be)."""
    queryset = scope.restrict(Opinion.objects.exclude(status=OpinionStatus.SUBMITTED), user)
    if community is not None:
        queryset = queryset.filter(community=community)
    latest = list(queryset.order_by("-submitted_at", "-pk").values_list("pk", flat=True)[:limit])
    return Opinion.objects.filter(pk__in=latest).select_related("community").order_by("-submitted_at", "-pk")


# --- The public pages (no sign-in) -------------------------------------------------------------


def public_community(*, code: str) -> OrgUnit:
    """An active community by its code, or 404 (the public page names only this community)."""
    unit = OrgUnit.objects.filter(code=code, kind=OrgKind.COMMUNITY, status="active").first()
    if unit is None:
        raise Http404("没有这个社区")
    return unit


def public_opinion(*, community: OrgUnit, code: str) -> Opinion | None:
    """The opinion with this tracking code in this community; never one of another community."""
    normalized = normalize_code(code)
    if not normalized:
        return None
    return Opinion.objects.filter(community=community, tracking_code=normalized).first()


# --- Corrections -------------------------------------------------------------------------------


@dataclass
class CorrectionFilters:
    community: OrgUnit | None = None
    q: str = ""


def correction_list(*, user: User, filters: CorrectionFilters | None = None) -> QuerySet[Correction]:
    filters = filters or CorrectionFilters()
    queryset = scope.restrict(Correction.objects.all(), user)
    if filters.community is not None:
        queryset = queryset.filter(community=filters.community)
    if filters.q:
        queryset = queryset.filter(Q(title__icontains=filters.q) | Q(description__icontains=filters.q))
    return (
        queryset.select_related("community", "research", "by")
        .annotate(opinion_count=Count("opinions"))
        .order_by("-corrected_on", "-pk")
    )


def correction_get(*, user: User, pk: Any) -> Correction:
    return scope.get_or_404(
        Correction.objects.select_related("community", "research", "by").prefetch_related(
            Prefetch("opinions", queryset=Opinion.objects.order_by("submitted_at", "pk"))
        ),
        user,
        pk=pk,
    )
