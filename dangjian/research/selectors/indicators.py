"""The detachment indicators (防止三个脱离), per community and per cadre, over a span of months:

- cadres and the masses (干部脱离群众): visits per cadre per month;
- theory and practice (理论脱离实践): research records and visits that led to action — a
  correction, a risk's solution, or (for pre-event research) an approved event;
- work and public opinion (工作脱离民意): the opinions received in the span, how many are closed,
  how fast, how many were answered on time, and the submitters' satisfaction.

Each figure is computed in a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.models import OrgUnit, User

from ..choices import EventStatus, OpinionStatus
from ..models import Correction, Opinion, Research, Visit
from .common import cadre_grants, community_choices
from .visits import percent


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months, from the first day of `first` to the last day of `last`."""

    first: datetime.date
    last: datetime.date

    @property
    def start(self) -> datetime.date:
        return first_of_month(self.first)

    @property
    def end(self) -> datetime.date:
        return add_months(self.last, 1) - datetime.timedelta(days=1)

    @property
    def months(self) -> list[datetime.date]:
        months, current = [], self.start
        while current <= self.last:
            months.append(current)
            current = add_months(current, 1)
        return months

    @property
    def label(self) -> str:
        if self.start == first_of_month(self.last):
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.year}年{self.start.month}月—{self.last.year}年{self.last.month}月"

    def contains_datetime(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The span as aware datetimes [start, next month's start)."""
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        return start, end


def default_period(today: datetime.date, months: int = 6) -> Period:
    """The last `months` months, this one included."""
    last = first_of_month(today)
    return Period(first=add_months(last, -(months - 1)), last=last)


def _average(total: int, count: int, places: str = "0.1") -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class IndicatorRow:
    """The three indicators for one community or one cadre."""

    key: Any
    label: str
    note: str = ""
    months: int = 1
    cadres: int = 1
    visits_by_month: list[int] = field(default_factory=list)
    visits: int = 0
    visits_acted: int = 0
    research: int = 0
    research_acted: int = 0
    opinions: int = 0
    closed: int = 0
    closure_days: int = 0
    answered: int = 0
    answered_on_time: int = 0
    overdue_open: int = 0
    rated: int = 0
    rating_total: int = 0
    satisfied: int = 0

    # 干部脱离群众
    @property
    def visits_per_cadre_month(self) -> Decimal | None:
        return _average(self.visits, self.cadres * self.months)

    @property
    def idle_months(self) -> int:
        """Months of the span without a single visit."""
        return sum(1 for count in self.visits_by_month if count == 0)

    # 理论脱离实践
    @property
    def research_action_rate(self) -> Decimal | None:
        return percent(self.research_acted, self.research)

    @property
    def visit_action_rate(self) -> Decimal | None:
        return percent(self.visits_acted, self.visits)

    # 工作脱离民意
    @property
    def closure_rate(self) -> Decimal | None:
        return percent(self.closed, self.opinions)

    @property
    def average_closure_days(self) -> Decimal | None:
        return _average(self.closure_days, self.closed)

    @property
    def on_time_rate(self) -> Decimal | None:
        return percent(self.answered_on_time, self.answered)

    @property
    def average_rating(self) -> Decimal | None:
        return _average(self.rating_total, self.rated, "0.01")

    @property
    def satisfied_rate(self) -> Decimal | None:
        return percent(self.satisfied, self.rated)

    def add(self, other: IndicatorRow) -> None:
        for name in (
            "visits",
            "visits_acted",
            "research",
            "research_acted",
            "opinions",
            "closed",
            "closure_days",
            "answered",
            "answered_on_time",
            "overdue_open",
            "rated",
            "rating_total",
            "satisfied",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.visits_by_month = [a + b for a, b in zip(self.visits_by_month, other.visits_by_month, strict=True)]


@dataclass
class Indicators:
    period: Period
    communities: list[IndicatorRow]
    cadres: list[IndicatorRow]
    total: IndicatorRow
    single_community: bool

    def charts(self) -> dict[str, Any]:
        """Data for the three charts (drawn by static/js/research.js)."""
        groups = self.cadres if self.single_community else self.communities
        months = [f"{month.year}年{month.month}月" for month in self.period.months]

        def number(value: Decimal | None) -> float | None:
            return float(value) if value is not None else None

        return {
            "visits": {
                "kind": "line",
                "categories": months,
                "unit": "次",
                "series": [{"name": row.label, "data": row.visits_by_month} for row in groups],
            },
            "action": {
                "kind": "bar",
                "categories": [row.label for row in groups],
                "unit": "%",
                "max": 100,
                "series": [
                    {"name": "调研转化为行动的比例", "data": [number(row.research_action_rate) for row in groups]},
                    {"name": "走访转化为行动的比例", "data": [number(row.visit_action_rate) for row in groups]},
                ],
            },
            "opinion": {
                "kind": "bar",
                "categories": [row.label for row in groups],
                "unit": "%",
                "max": 100,
                "series": [
                    {"name": "办结率", "data": [number(row.closure_rate) for row in groups]},
                    {"name": "按期答复率", "data": [number(row.on_time_rate) for row in groups]},
                    {
                        "name": "满意度（5分制）",
                        "data": [number(row.average_rating) for row in groups],
                        "axis": 1,
                        "type": "line",
                    },
                ],
                "secondAxis": {"name": "分", "max": 5},
            },
        }


def detachment_indicators(
    *, user: User, period: Period, today: datetime.date, community: OrgUnit | None = None
) -> Indicators:
    communities = list(community_choices(user=user))
    if community is not None:
        communities = [unit for unit in communities if unit.pk == community.pk]
    community_ids = [unit.pk for unit in communities]
    months = period.months
    month_index = {month: index for index, month in enumerate(months)}

    def blank(key: Any, label: str, note: str = "", cadres: int = 1) -> IndicatorRow:
        return IndicatorRow(
            key=key, label=label, note=note, months=len(months), cadres=cadres, visits_by_month=[0] * len(months)
        )

    # Cadres: the secretaries and cadres of the communities, then anyone else who did the work.
    grants = [grant for grant in cadre_grants(user=user) if grant.org_unit_id in community_ids]
    cadre_rows: dict[int, IndicatorRow] = {}
    cadres_per_community: dict[int, set[int]] = defaultdict(set)
    for grant in grants:
        cadres_per_community[grant.org_unit_id].add(grant.user_id)
        row = cadre_rows.get(grant.user_id)
        if row is None:
            cadre_rows[grant.user_id] = blank(grant.user_id, grant.user.display_name, grant.org_unit.name)
        elif grant.org_unit.name not in row.note:
            row.note += f"、{grant.org_unit.name}"
    community_rows = {
        unit.pk: blank(unit.pk, unit.name, cadres=max(1, len(cadres_per_community[unit.pk]))) for unit in communities
    }

    def cadre_row(user_id: int | None, names: dict[int, str]) -> IndicatorRow | None:
        if user_id is None:
            return None
        if user_id not in cadre_rows:
            cadre_rows[user_id] = blank(user_id, names.get(user_id, "—"), "上级或其他工作人员")
        return cadre_rows[user_id]

    # 1. Visits, by community, visitor and month; those that led to action.
    visits = (
        scope.restrict(Visit.objects.all(), user)
        .filter(community_id__in=community_ids, visited_on__gte=period.start, visited_on__lte=period.end)
        .annotate(has_correction=Exists(Correction.opinions.through.objects.filter(opinion__visit=OuterRef("pk"))))
        .order_by()
        .values("community_id", "visitor_id", "visitor__full_name", "visitor__username", month=TruncMonth("visited_on"))
        .annotate(
            n=Count("pk"),
            acted=Count("pk", filter=Q(has_correction=True) | Q(risk__solution_on__isnull=False)),
        )
    )
    visit_rows = list(visits)
    names = {row["visitor_id"]: row["visitor__full_name"] or row["visitor__username"] for row in visit_rows}

    # 2. Research records, by community and recorder; those that led to action.
    research = (
        scope.restrict(Research.objects.all(), user)
        .filter(community_id__in=community_ids, conducted_to__gte=period.start, conducted_to__lte=period.end)
        .annotate(has_correction=Exists(Correction.objects.filter(research=OuterRef("pk"))))
        .order_by()
        .values("community_id", "by_id", "by__full_name", "by__username")
        .annotate(
            n=Count("pk"),
            acted=Count(
                "pk",
                filter=Q(has_correction=True)
                | Q(risk__solution_on__isnull=False)
                | Q(event__status__in=[EventStatus.APPROVED, EventStatus.REVIEWED]),
            ),
        )
    )
    research_rows = list(research)
    names.update({row["by_id"]: row["by__full_name"] or row["by__username"] for row in research_rows if row["by_id"]})

    # 3. Opinions received in the span, each row read once (the days are counted by calendar date).
    start, end = period.contains_datetime()
    opinion_rows = list(
        scope.restrict(Opinion.objects.all(), user)
        .filter(community_id__in=community_ids, submitted_at__gte=start, submitted_at__lt=end)
        .order_by()
        .values_list(
            "community_id",
            "assignee_id",
            "assignee__full_name",
            "assignee__username",
            "status",
            "submitted_at",
            "answered_at",
            "answer_due_on",
            "closed_at",
            "promised_on",
            "progress",
            "rating",
        )
    )
    names.update({row[1]: row[2] or row[3] for row in opinion_rows if row[1]})

    for row in visit_rows:
        index = month_index.get(first_of_month(_as_date(row["month"])))
        for target in (community_rows.get(row["community_id"]), cadre_row(row["visitor_id"], names)):
            if target is None:
                continue
            target.visits += row["n"]
            target.visits_acted += row["acted"]
            if index is not None:
                target.visits_by_month[index] += row["n"]
    for row in research_rows:
        for target in (community_rows.get(row["community_id"]), cadre_row(row["by_id"], names)):
            if target is None:
                continue
            target.research += row["n"]
            target.research_acted += row["acted"]
    for (
        community_id,
        assignee_id,
        _full_name,
        _username,
        status,
        submitted_at,
        answered_at,
        answer_due_on,
        closed_at,
        promised_on,
        progress,
        rating,
    ) in opinion_rows:
        submitted_day = timezone.localdate(submitted_at)
        overdue = status != OpinionStatus.CLOSED and (
            (answered_at is None and answer_due_on < today)
            or (answered_at is not None and promised_on is not None and progress != "done" and promised_on < today)
        )
        for target in (community_rows.get(community_id), cadre_row(assignee_id, names)):
            if target is None:
                continue
            target.opinions += 1
            if answered_at is not None:
                target.answered += 1
                if timezone.localdate(answered_at) <= answer_due_on:
                    target.answered_on_time += 1
            if status == OpinionStatus.CLOSED and closed_at is not None:
                target.closed += 1
                target.closure_days += (timezone.localdate(closed_at) - submitted_day).days
            if overdue:
                target.overdue_open += 1
            if rating:
                target.rated += 1
                target.rating_total += rating
                if rating >= 4:
                    target.satisfied += 1

    total = blank(None, "合计", cadres=max(1, len({grant.user_id for grant in grants})))
    for row in community_rows.values():
        total.add(row)
    return Indicators(
        period=period,
        communities=list(community_rows.values()),
        cadres=sorted(cadre_rows.values(), key=lambda row: (row.note == "上级或其他工作人员", row.note, row.label)),
        total=total,
        single_community=len(communities) == 1,
    )


def _as_date(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value
