"""Reads of care (帮扶), always inside the user's scope: the members who need care with their
latest care and the next visit due, the money given per community in a year, the ledger of a
year, one record, and the care tab of a member's page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.choices import OrgKind
from dangjian.core.models import PATH_SEGMENT_WIDTH, OrgUnit, User

from ..choices import AssistanceKind, HardshipKind
from ..models import CareRecord, Member, MemberCategory, add_months
from ..services.care import CARED_STATUSES
from .registry import search_q

# A member needs care when in one of these categories, when someone recorded hardship notes,
# or when they were cared for within the last LOOKBACK_MONTHS.
HARDSHIP_CATEGORIES = ("in_hardship", "elderly_ill")
LOOKBACK_MONTHS = 12

# A community sits at depth 2 of the tree (district, sub-district, community), so the first
# three segments of a row's path name its community.
COMMUNITY_DEPTH = 2
COMMUNITY_PATH_LENGTH = (COMMUNITY_DEPTH + 1) * (PATH_SEGMENT_WIDTH + 1)

FOLLOW_OVERDUE = "overdue"
FOLLOW_UNVISITED = "unvisited"
FOLLOW_SCHEDULED = "scheduled"
FOLLOW_CHOICES = [
    ("", "全部"),
    (FOLLOW_OVERDUE, "走访逾期"),
    (FOLLOW_UNVISITED, f"{LOOKBACK_MONTHS}个月内未帮扶"),
    (FOLLOW_SCHEDULED, "已安排下次走访"),
]


@dataclass
class CareFilters:
    unit: OrgUnit | None = None
    hardship: str = ""
    follow: str = ""
    q: str = ""


def care_since(today: datetime.date) -> datetime.date:
    """The first day of the look-back window ending today."""
    return add_months(today, -LOOKBACK_MONTHS)


def _in_hardship_category() -> Exists:
    through = Member.categories.through
    return Exists(through.objects.filter(member_id=OuterRef("pk"), membercategory__code__in=HARDSHIP_CATEGORIES))


def _care_members(user: User, filters: CareFilters, today: datetime.date, *, with_follow: bool = True):
    latest = CareRecord.objects.filter(member=OuterRef("pk")).order_by("-cared_on", "-pk")
    recent = CareRecord.objects.filter(member=OuterRef("pk"), cared_on__gte=care_since(today))
    members = (
        scope.restrict(Member.objects.filter(status__in=CARED_STATUSES), user)
        .annotate(
            in_category=_in_hardship_category(),
            cared_recently=Exists(recent),
            last_cared_on=Subquery(latest.values("cared_on")[:1]),
            next_visit_on=Subquery(latest.values("next_visit_on")[:1]),
            last_hardship=Subquery(latest.values("hardship")[:1]),
        )
        .filter(Q(in_category=True) | Q(cared_recently=True) | ~Q(hardship_notes=""))
    )
    if filters.unit is not None:
        members = members.filter(branch__path__startswith=filters.unit.path)
    if filters.hardship in HardshipKind.values:
        members = members.filter(last_hardship=filters.hardship)
    if filters.q:
        members = members.filter(search_q(filters.q))
    if with_follow:
        if filters.follow == FOLLOW_OVERDUE:
            members = members.filter(next_visit_on__lt=today)
        elif filters.follow == FOLLOW_UNVISITED:
            members = members.filter(cared_recently=False)
        elif filters.follow == FOLLOW_SCHEDULED:
            members = members.filter(next_visit_on__gte=today)
    return members


def care_member_list(
    *, user: User, filters: CareFilters | None = None, today: datetime.date | None = None
) -> QuerySet[Member]:
    """Members who need care, most urgent first: overdue visits by how long overdue, then the
    visits scheduled, then those with no visit scheduled (the longest without care first)."""
    today = today or timezone.localdate()
    members = _care_members(user, filters or CareFilters(), today)
    return (
        members.select_related("branch")
        .prefetch_related(
            Prefetch(
                "categories",
                queryset=MemberCategory.objects.filter(code__in=HARDSHIP_CATEGORIES).order_by("sort_order", "pk"),
                to_attr="hardship_categories",
            )
        )
        .order_by(
            F("next_visit_on").asc(nulls_last=True),
            F("last_cared_on").asc(nulls_first=True),
            "branch__path",
            "name_initials",
            "pk",
        )
    )


def care_member_counts(
    *, user: User, filters: CareFilters | None = None, today: datetime.date | None = None
) -> dict[str, int]:
    """How many members need care (the other filters applied), how many visits are overdue, and
    how many had no care within the look-back window."""
    today = today or timezone.localdate()
    members = _care_members(user, filters or CareFilters(), today, with_follow=False)
    counts = members.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(next_visit_on__lt=today)),
        unvisited=Count("pk", filter=Q(cared_recently=False)),
        scheduled=Count("pk", filter=Q(next_visit_on__gte=today)),
    )
    return {key: value or 0 for key, value in counts.items()}


@dataclass
class CommunityTotal:
    community: OrgUnit | None
    money: Decimal
    total: Decimal
    people: int
    times: int

    @property
    def name(self) -> str:
        return self.community.name if self.community else "—"


@dataclass
class CareTotals:
    year: int
    rows: list[CommunityTotal] = field(default_factory=list)

    @property
    def money(self) -> Decimal:
        return sum((row.money for row in self.rows), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return sum((row.total for row in self.rows), Decimal("0.00"))

    @property
    def times(self) -> int:
        return sum(row.times for row in self.rows)


def _scoped_records(user: User, *, year: int | None = None, unit: OrgUnit | None = None) -> QuerySet[CareRecord]:
    records = scope.restrict(CareRecord.objects.all(), user)
    if year is not None:
        records = records.filter(cared_on__year=year)
    if unit is not None:
        records = records.filter(member__branch__path__startswith=unit.path)
    return records


def communities_by_path(paths: list[str]) -> dict[str, OrgUnit]:
    return {unit.path: unit for unit in OrgUnit.objects.filter(kind=OrgKind.COMMUNITY, path__in=paths)}


def care_totals_by_community(*, user: User, year: int, unit: OrgUnit | None = None) -> CareTotals:
    """Money given in `year` per community: 慰问金 (`money`), every amount recorded (`total`, with
    the value of goods and services where recorded), how many people and how many times."""
    rows = (
        _scoped_records(user, year=year, unit=unit)
        .filter(amount__isnull=False)
        .annotate(community_path=Substr("member__branch__path", 1, COMMUNITY_PATH_LENGTH))
        .values("community_path")
        .annotate(
            money=Sum("amount", filter=Q(assistance=AssistanceKind.MONEY)),
            total=Sum("amount"),
            people=Count("member", distinct=True),
            times=Count("pk"),
        )
        .order_by("community_path")
    )
    rows = list(rows)
    communities = communities_by_path([row["community_path"] for row in rows])
    totals = CareTotals(year=year)
    for row in rows:
        totals.rows.append(
            CommunityTotal(
                community=communities.get(row["community_path"]),
                money=row["money"] or Decimal("0.00"),
                total=row["total"] or Decimal("0.00"),
                people=row["people"],
                times=row["times"],
            )
        )
    return totals


def care_record_list(
    *, user: User, year: int | None = None, unit: OrgUnit | None = None, member: Member | None = None
) -> QuerySet[CareRecord]:
    """The care ledger: records in the scope, oldest first, with what each line shows."""
    records = _scoped_records(user, year=year, unit=unit)
    if member is not None:
        records = records.filter(member=member)
    return records.select_related("member", "member__branch", "recorded_by").order_by("cared_on", "pk")


def care_record_communities(records: QuerySet[CareRecord]) -> dict[str, OrgUnit]:
    """The communities the records' members belong to, by path (two queries, however many rows)."""
    paths = (
        records.order_by()
        .annotate(community_path=Substr("member__branch__path", 1, COMMUNITY_PATH_LENGTH))
        .values_list("community_path", flat=True)
        .distinct()
    )
    return communities_by_path(list(paths))


def care_record_get(*, user: User, pk: Any) -> CareRecord:
    return scope.get_or_404(CareRecord.objects.select_related("member", "member__branch", "recorded_by"), user, pk=pk)


def member_care_tab(*, member: Member) -> dict[str, Any]:
    """The care tab of a member's page: every care record, the latest, the next visit due, and
    the money given this year. `member` has been fetched through a scoped selector."""
    today = timezone.localdate()
    records = list(CareRecord.objects.filter(member=member).select_related("recorded_by").order_by("-cared_on", "-pk"))
    latest = records[0] if records else None
    overdue_days = (today - latest.next_visit_on).days if latest and latest.next_visit_on else 0
    overdue_days = max(overdue_days, 0)
    this_year = [record for record in records if record.cared_on.year == today.year and record.amount is not None]
    return {
        "records": records,
        "latest": latest,
        "next_visit_on": latest.next_visit_on if latest else None,
        "visit_overdue": overdue_days > 0,
        "visit_overdue_days": overdue_days,
        "cared_recently": any(record.cared_on >= care_since(today) for record in records),
        "money_this_year": sum(
            (record.amount for record in this_year if record.assistance == AssistanceKind.MONEY), Decimal("0.00")
        ),
        "amount_this_year": sum((record.amount for record in this_year), Decimal("0.00")),
        "year": today.year,
        "today": today,
        "lookback_months": LOOKBACK_MONTHS,
    }
