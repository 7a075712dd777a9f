"""Reads of research records, rounds of visits, their targets and coverage, and visit records,
inside the scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from dangjian.core import scope
from dangjian.core.models import OrgUnit, User

from ..choices import ResearchKind
from ..models import Opinion, Research, ResearchRound, Visit, VisitTarget


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal (half up); None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- Research records --------------------------------------------------------------------------


@dataclass
class ResearchFilters:
    kind: str = ""
    community: OrgUnit | None = None
    q: str = ""


def research_list(*, user: User, filters: ResearchFilters | None = None) -> QuerySet[Research]:
    filters = filters or ResearchFilters()
    queryset = scope.restrict(Research.objects.all(), user)
    if filters.kind in ResearchKind.values:
        queryset = queryset.filter(kind=filters.kind)
    if filters.community is not None:
        queryset = queryset.filter(community=filters.community)
    if filters.q:
        queryset = queryset.filter(Q(title__icontains=filters.q) | Q(researchers__icontains=filters.q))
    return queryset.select_related("community", "risk", "event", "round", "by").order_by("-conducted_to", "-pk")


def research_get(*, user: User, pk: Any) -> Research:
    return scope.get_or_404(
        Research.objects.select_related("community", "risk", "event", "round", "by").prefetch_related("corrections"),
        user,
        pk=pk,
    )


def research_choices(*, user: User, community: OrgUnit | None = None, limit: int = 100) -> QuerySet[Research]:
    """The latest `limit` research records in scope (of one community, if given)."""
    queryset = scope.restrict(Research.objects.all(), user)
    if community is not None:
        queryset = queryset.filter(community=community)
    latest = list(queryset.order_by("-conducted_to", "-pk").values_list("pk", flat=True)[:limit])
    return Research.objects.filter(pk__in=latest).select_related("community").order_by("-conducted_to", "-pk")


# --- Rounds and coverage -----------------------------------------------------------------------


def _visited_targets() -> Exists:
    return Exists(Visit.objects.filter(target=OuterRef("pk")))


def _count(queryset: QuerySet) -> Subquery:
    return Coalesce(
        Subquery(queryset.order_by().values("round").annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
        Value(0),
    )


def with_coverage(queryset: QuerySet[ResearchRound]) -> QuerySet[ResearchRound]:
    """Rounds with `target_total` and `target_visited` (targets with at least one visit)."""
    targets = VisitTarget.objects.filter(round=OuterRef("pk"))
    return queryset.annotate(
        target_total=_count(targets),
        target_visited=_count(targets.filter(_visited_targets())),
        visit_count=Coalesce(
            Subquery(
                Visit.objects.filter(round=OuterRef("pk"))
                .order_by()
                .values("round")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )


@dataclass
class RoundFilters:
    community: OrgUnit | None = None
    state: str = ""  # "open", "closed"


def round_list(*, user: User, filters: RoundFilters | None = None) -> QuerySet[ResearchRound]:
    filters = filters or RoundFilters()
    queryset = scope.restrict(ResearchRound.objects.all(), user)
    if filters.community is not None:
        queryset = queryset.filter(community=filters.community)
    if filters.state == "open":
        queryset = queryset.filter(closed_on=None)
    elif filters.state == "closed":
        queryset = queryset.exclude(closed_on=None)
    return with_coverage(queryset.select_related("community")).order_by("-period_start", "community__path", "-pk")


def round_get(*, user: User, pk: Any) -> ResearchRound:
    return scope.get_or_404(with_coverage(ResearchRound.objects.select_related("community", "created_by")), user, pk=pk)


def open_rounds(*, user: User, community: OrgUnit | None = None) -> QuerySet[ResearchRound]:
    queryset = scope.restrict(ResearchRound.objects.filter(closed_on=None), user).select_related("community")
    if community is not None:
        queryset = queryset.filter(community=community)
    return queryset.order_by("-period_start", "-pk")


@dataclass(frozen=True)
class CoverageRow:
    """Visited and still to visit, for one cadre or one community."""

    label: str
    total: int
    visited: int
    key: Any = None

    @property
    def to_visit(self) -> int:
        return self.total - self.visited

    @property
    def rate(self) -> Decimal | None:
        return percent(self.visited, self.total)


def round_coverage_by_cadre(*, round: ResearchRound) -> list[CoverageRow]:
    rows = (
        VisitTarget.objects.filter(round=round)
        .order_by()
        .values("cadre", "cadre__full_name", "cadre__username")
        .annotate(total=Count("pk"), visited=Count("pk", filter=_visited_targets()))
        .order_by("cadre__full_name", "cadre")
    )
    return [
        CoverageRow(
            label=row["cadre__full_name"] or row["cadre__username"],
            total=row["total"],
            visited=row["visited"],
            key=row["cadre"],
        )
        for row in rows
    ]


def coverage_by_community(*, user: User, today: datetime.date) -> list[CoverageRow]:
    """Per community in scope: the targets of its rounds running today (or ended within the last
    quarter and still open), visited and to visit."""
    rounds = scope.restrict(ResearchRound.objects.filter(period_start__lte=today), user).filter(
        Q(closed_on=None) | Q(period_end__gte=today)
    )
    rows = (
        VisitTarget.objects.filter(round__in=rounds.values("pk"))
        .order_by()
        .values("round__community", "round__community__name", "round__community__path")
        .annotate(total=Count("pk"), visited=Count("pk", filter=_visited_targets()))
        .order_by("round__community__path")
    )
    return [
        CoverageRow(
            label=row["round__community__name"], total=row["total"], visited=row["visited"], key=row["round__community"]
        )
        for row in rows
    ]


@dataclass
class TargetFilters:
    cadre_id: int | None = None
    state: str = ""  # "visited", "todo"


def round_targets(*, round: ResearchRound, filters: TargetFilters | None = None) -> QuerySet[VisitTarget]:
    filters = filters or TargetFilters()
    queryset = VisitTarget.objects.filter(round=round).annotate(visited=_visited_targets())
    if filters.cadre_id is not None:
        queryset = queryset.filter(cadre_id=filters.cadre_id)
    if filters.state == "visited":
        queryset = queryset.filter(visited=True)
    elif filters.state == "todo":
        queryset = queryset.filter(visited=False)
    return queryset.select_related("cadre").order_by("grid", "building", "label", "pk")


def target_get(*, user: User, pk: Any) -> VisitTarget:
    return scope.get_or_404(VisitTarget.objects.select_related("round", "round__community", "member"), user, pk=pk)


# --- Visits ------------------------------------------------------------------------------------


@dataclass
class VisitFilters:
    community: OrgUnit | None = None
    visitor: User | None = None
    round: ResearchRound | None = None
    month: datetime.date | None = None
    q: str = ""


def visit_list(*, user: User, filters: VisitFilters | None = None) -> QuerySet[Visit]:
    filters = filters or VisitFilters()
    queryset = scope.restrict(Visit.objects.all(), user)
    if filters.community is not None:
        queryset = queryset.filter(community=filters.community)
    if filters.visitor is not None:
        queryset = queryset.filter(visitor=filters.visitor)
    if filters.round is not None:
        queryset = queryset.filter(round=filters.round)
    if filters.month is not None:
        queryset = queryset.filter(visited_on__year=filters.month.year, visited_on__month=filters.month.month)
    if filters.q:
        queryset = queryset.filter(Q(whom__icontains=filters.q) | Q(topics__icontains=filters.q))
    return (
        queryset.select_related("community", "visitor", "round", "risk")
        .annotate(opinion_count=Count("opinions"))
        .order_by("-visited_on", "-pk")
    )


def visit_get(*, user: User, pk: Any) -> Visit:
    return scope.get_or_404(
        Visit.objects.select_related(
            "community", "visitor", "round", "target", "risk", "member", "by"
        ).prefetch_related(Prefetch("opinions", queryset=Opinion.objects.select_related("assignee").order_by("pk"))),
        user,
        pk=pk,
    )
