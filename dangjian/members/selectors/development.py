"""Reads of the development pipeline, always inside the user's scope: the list with its filters,
one record, the counts by stage, and what is due or overdue under the rules in force."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from dangjian.core import scope
from dangjian.core.models import OrgUnit, User

from ..choices import DevelopmentStage, RuleKey
from ..models import Development, DevelopmentRule, Rules, add_months, load_rules
from .registry import search_q

# How far ahead a probation's end counts as due (so the branch can prepare the meeting).
DUE_WINDOW_DAYS = 30
# Month arithmetic clamps to the end of a month, so a date window computed backwards from today
# may miss a day or three; the rows are fetched with this margin and checked exactly in Python.
MONTH_SLACK = datetime.timedelta(days=3)


@dataclass
class DevelopmentFilters:
    stage: str = ""
    unit: OrgUnit | None = None
    q: str = ""


def _filtered(user: User, filters: DevelopmentFilters, *, with_stage: bool = True) -> QuerySet[Development]:
    queryset = scope.restrict(Development.objects.all(), user)
    if filters.unit is not None:
        queryset = queryset.filter(branch__path__startswith=filters.unit.path)
    if with_stage and filters.stage in DevelopmentStage.values:
        queryset = queryset.filter(stage=filters.stage)
    if filters.q:
        queryset = queryset.filter(search_q(filters.q))
    return queryset


def development_list(*, user: User, filters: DevelopmentFilters | None = None) -> QuerySet[Development]:
    filters = filters or DevelopmentFilters()
    return _filtered(user, filters).select_related("branch").order_by("branch__path", "applied_on", "pk")


def development_get(*, user: User, pk: Any) -> Development:
    return scope.get_or_404(Development.objects.select_related("branch", "member"), user, pk=pk)


def development_stage_counts(*, user: User, filters: DevelopmentFilters | None = None) -> dict[str, int]:
    """How many records at each stage (the other filters applied), and in all."""
    filters = filters or DevelopmentFilters()
    rows = _filtered(user, filters, with_stage=False).order_by().values("stage").annotate(n=Count("pk"))
    counts = {stage: 0 for stage in DevelopmentStage.values}
    for row in rows:
        counts[row["stage"]] = row["n"]
    counts[""] = sum(counts.values())
    return counts


@dataclass(frozen=True)
class DueItem:
    development: Development
    step: str
    earliest: datetime.date
    days: int  # days until the earliest day (negative: that many days ago)

    @property
    def days_overdue(self) -> int:
        return -self.days


@dataclass
class DueLists:
    """`due`: may move to the next stage now, or the probation ends within the window;
    `overdue`: the probation has ended and the member is not yet confirmed."""

    due: list[DueItem] = field(default_factory=list)
    overdue: list[DueItem] = field(default_factory=list)


def development_due(
    *, user: User, today: datetime.date, unit: OrgUnit | None = None, rules: Rules | None = None
) -> DueLists:
    rules = rules or load_rules()
    base = _filtered(user, DevelopmentFilters(unit=unit)).select_related("branch")
    lists = DueLists()

    # Activists trained for the minimum time: they may now become development targets.
    trained_by = add_months(today, -rules.months(RuleKey.ACTIVIST_MIN_MONTHS)) + MONTH_SLACK
    for development in base.filter(stage=DevelopmentStage.ACTIVIST, activist_on__lte=trained_by):
        earliest = development.candidate_earliest(rules)
        if earliest is not None and earliest <= today:
            lists.due.append(DueItem(development, "可确定为发展对象", earliest, (earliest - today).days))

    # Probations ending within the window (due) or already ended (overdue). An extension only
    # makes a probation longer, so the window on the admission date is a superset.
    horizon = today + datetime.timedelta(days=DUE_WINDOW_DAYS)
    admitted_by = add_months(horizon, -rules.months(RuleKey.PROBATION_MONTHS)) + MONTH_SLACK
    for development in base.filter(stage=DevelopmentStage.PROBATIONARY, admitted_on__lte=admitted_by):
        ends = development.probation_ends_on(rules)
        if ends is None or ends > horizon:
            continue
        item = DueItem(development, "预备期满，待转正", ends, (ends - today).days)
        (lists.overdue if ends < today else lists.due).append(item)

    lists.due.sort(key=lambda item: (item.earliest, item.development.pk))
    lists.overdue.sort(key=lambda item: (item.earliest, item.development.pk))
    return lists


def development_history(*, user: User, development: Development, limit: int = 50) -> list[dict[str, Any]]:
    from dangjian.core.selectors import history_entries

    return history_entries(development.history.all(), limit)


def development_rules() -> list[DevelopmentRule]:
    """The rules are platform-wide (no org unit): every role that sees the pipeline may read them."""
    return list(DevelopmentRule.objects.order_by("pk"))
