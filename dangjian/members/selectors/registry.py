"""Reads of the member registry: the scoped list with its filters and search, one member."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.crypto import blind_index
from dangjian.core.expressions import KeyList, keys
from dangjian.core.models import OrgUnit, User, add_years
from dangjian.core.statements import Statements

from ..models import Member, MemberCategory, MemberPosition, RewardPenalty, UnmaskLog

AGE_BANDS = {
    "under35": ("35 岁以下", None, 35),
    "35to59": ("35—59 岁", 35, 60),
    "60to79": ("60—79 岁", 60, 80),
    "80plus": ("80 岁及以上", 80, None),
}

SORTS = {
    "name": ("name_initials", "pk"),
    "join_date": ("join_date", "pk"),
    "-join_date": ("-join_date", "-pk"),
    "age": ("-birth_date", "pk"),
    "-age": ("birth_date", "pk"),
    "branch": ("branch__path", "name_initials", "pk"),
}

ID_PATTERN = re.compile(r"^\d{17}[\dXx]$")
PHONE_PATTERN = re.compile(r"^1\d{10}$")
INITIALS_PATTERN = re.compile(r"^[A-Za-z]{1,10}$")


@dataclass
class MemberFilters:
    unit: OrgUnit | None = None
    categories: list[MemberCategory] = field(default_factory=list)
    status: str = ""
    standing: str = ""
    membership_type: str = ""
    age_band: str = ""
    join_year: int | None = None
    q: str = ""
    sort: str = "branch"

    def key(self) -> tuple[Any, ...]:
        """Every value the filters are built from (a unit by its path, categories by key) and,
        for an age band, today's date: equal keys, equal filters (a `core.statements` key)."""
        today = timezone.localdate() if self.age_band else None
        return (*(_key_value(getattr(self, each.name)) for each in fields(self)), today)


def _key_value(value: Any) -> Any:
    if isinstance(value, OrgUnit):
        return value.path  # the filter compares paths
    if isinstance(value, list):
        return tuple(item.pk for item in value)
    return value


def search_q(query: str) -> Q:
    """Name, pinyin initials ("zs" finds 张三), or an exact ID number or phone (blind index)."""
    query = query.strip()
    if ID_PATTERN.match(query):
        return Q(id_number_index=blind_index(query))
    if PHONE_PATTERN.match(query):
        return Q(phone_index=blind_index(query))
    if INITIALS_PATTERN.match(query):
        return Q(name_initials__startswith=query.lower())
    return Q(name__icontains=query)


def age_band_q(band: str, today: datetime.date | None = None) -> Q:
    """Members whose age today falls in the band."""
    today = today or timezone.localdate()
    _, low, high = AGE_BANDS[band]
    condition = Q()
    if low is not None:  # at least `low` years old: born on or before today − low years
        condition &= Q(birth_date__lte=add_years(today, -low))
    if high is not None:  # younger than `high`: born after today − high years
        condition &= Q(birth_date__gt=add_years(today, -high))
    return condition


def member_list(*, user: User, filters: MemberFilters | None = None) -> QuerySet[Member]:
    filters = filters or MemberFilters()
    return (
        _filtered(user, filters)
        .select_related("branch", "group", "residence_community")
        .prefetch_related(Prefetch("categories", queryset=MemberCategory.objects.order_by("sort_order", "pk")))
        .order_by(*SORTS.get(filters.sort, SORTS["branch"]))
    )


def _filtered(user: User, filters: MemberFilters) -> QuerySet[Member]:
    """The members of the user's scope that `filters` keep, in one `filter` call where it can
    (each call copies the query)."""
    queryset = scope.restrict(Member.objects.all(), user)
    conditions: dict[str, Any] = {
        name: value
        for name, value in (
            ("status", filters.status),
            ("standing", filters.standing),
            ("membership_type", filters.membership_type),
            ("join_date__year", filters.join_year),
        )
        if value
    }
    if filters.unit is not None:
        conditions["branch__path__startswith"] = filters.unit.path
    extra = [age_band_q(filters.age_band)] if filters.age_band in AGE_BANDS else []
    if filters.q:
        extra.append(search_q(filters.q))
    if conditions or extra:
        queryset = queryset.filter(*extra, **conditions)
    for category in filters.categories:  # each category its own join: members in all of them
        queryset = queryset.filter(categories=category)
    return queryset


# What the list page's table shows: nothing else is read or decrypted (the ID number is not).
MEMBER_TABLE_FIELDS = (
    "pk",
    "name",
    "gender",
    "birth_date",
    "phone",
    "join_date",
    "membership_type",
    "standing",
    "status",
    "branch__name",
)


MEMBER_TABLE_COLUMNS = (*MEMBER_TABLE_FIELDS, "group_name", "category_keys")


class MemberTable:
    """The member list page's rows: `member_list` narrowed to the columns the table shows, as
    plain values (a page of fifty members and their branches as model instances cost more than
    the query that reads them), with their categories' keys (`category_keys`, named and ordered
    by a `CategoryLookup`). A paginator reads it as it reads a queryset: `count()`, and a slice
    for a page.

    The group's name and the categories come from subqueries rather than joins: PostgreSQL then
    looks them up for the page's rows only, after the sort, instead of joining every group to
    every member in the filter first (a join that cost more than the rest of the query on a
    sub-district's roll).

    The count and each page are one statement per scope, filters and page, which the ORM builds
    once per process (`core.statements`): an organizer opening the list again, or going back a
    page, costs the database's time and little more."""

    def __init__(self, user: User, filters: MemberFilters) -> None:
        self.user = user
        self.filters = filters
        self.key = (scope.restriction(user), filters.key())

    def count(self) -> int:
        return COUNT_STATEMENTS.count(self.key, lambda: _filtered(self.user, self.filters))

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        rows = PAGE_STATEMENTS.rows((*self.key, window.start, window.stop), lambda: self.queryset()[window])
        return [dict(zip(MEMBER_TABLE_COLUMNS, row, strict=True)) for row in rows]

    def queryset(self) -> QuerySet[Any]:
        """The rows as a `values_list` queryset, in the columns of `MEMBER_TABLE_COLUMNS`."""
        return (
            _filtered(self.user, self.filters)
            .order_by(*SORTS.get(self.filters.sort, SORTS["branch"]))
            .annotate(**_table_subqueries())
            .values_list(*MEMBER_TABLE_COLUMNS)
        )


def member_table(*, user: User, filters: MemberFilters | None = None) -> MemberTable:
    return MemberTable(user, filters or MemberFilters())


@lru_cache(maxsize=1)
def _table_subqueries() -> dict[str, Subquery]:
    """The table's two subqueries, built once: a query that uses them resolves its own copy (the
    subqueries' querysets cost as much to build as the rest of the page's query)."""
    links = Member.categories.through.objects.filter(member_id=OuterRef("pk")).order_by().values("member_id")
    return {
        "group_name": Subquery(OrgUnit.objects.filter(pk=OuterRef("group_id")).order_by().values("name")),
        "category_keys": Subquery(links.annotate(keys=KeyList("membercategory_id")).values("keys")),
    }


@dataclass
class CategoryLookup:
    """Every member category, in the categories' order (one query): the active ones are the
    list filter's options, and any category a member holds is named from here."""

    rows: list[tuple[int, str, bool]]
    _placed: dict[int, tuple[int, str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._placed = {pk: (place, name) for place, (pk, name, _) in enumerate(self.rows)}

    @classmethod
    def load(cls) -> CategoryLookup:
        rows = CATEGORY_STATEMENTS.rows(
            "all", lambda: MemberCategory.objects.order_by("sort_order", "pk").values_list("pk", "name", "is_active")
        )
        # Read as the driver gives them: SQLite's booleans are 0 and 1.
        return cls([(pk, name, bool(active)) for pk, name, active in rows])

    def options(self) -> list[tuple[int, str]]:
        return [(pk, name) for pk, name, active in self.rows if active]

    def names(self, keys_text: str | None) -> list[str]:
        """The names of the categories of a `KeyList` value, in the categories' order."""
        if not keys_text:
            return []
        return [name for _, name in sorted(self._placed[key] for key in keys(keys_text) if key in self._placed)]


def member_get(*, user: User, pk: Any) -> Member:
    return scope.get_or_404(
        Member.objects.select_related("branch", "group", "residence_community", "user").prefetch_related(
            "categories",
            Prefetch("positions", queryset=MemberPosition.objects.order_by("-started_on")),
            Prefetch("records", queryset=RewardPenalty.objects.order_by("-granted_on")),
        ),
        user,
        pk=pk,
    )


def member_tab_get(*, user: User, pk: Any) -> Member:
    """A member for one tab of their page (or a form about them): only what the page's header
    shows, inside the user's scope (404 outside)."""
    return scope.get_or_404(Member.objects.select_related("branch"), user, pk=pk)


def own_record(*, user: User) -> Member | None:
    """The signed-in person's own member record, whatever their active grant."""
    return (
        Member.objects.filter(user=user)
        .select_related("branch", "group", "residence_community")
        .prefetch_related("categories", "positions", "records")
        .first()
    )


def member_history(*, user: User, member: Member, limit: int = 50) -> list[dict[str, Any]]:
    from dangjian.core.selectors import history_entries

    return history_entries(member.history.all(), limit)


def unmask_log_list(*, user: User) -> QuerySet[UnmaskLog]:
    return scope.restrict(UnmaskLog.objects.all(), user).select_related("user", "member", "member__branch")


def active_categories() -> QuerySet[MemberCategory]:
    return MemberCategory.objects.filter(is_active=True)


def filter_units(*, user: User) -> QuerySet[OrgUnit]:
    """The units the member list can be narrowed to: the scope's active units above groups."""
    return scope.units(user).active().exclude(kind="group").order_by("path")


def filter_unit_rows(*, user: User) -> list[tuple[int, str, int]]:
    """(pk, name, depth) of `filter_units`, the options of the list's unit filter."""
    return UNIT_STATEMENTS.rows(
        scope.restriction(user), lambda: filter_units(user=user).values_list("pk", "name", "depth")
    )


# The list page's statements (`core.statements`): the categories (one statement), the filter's
# units (one per scope), the count (one per scope and filters) and the pages.
CATEGORY_STATEMENTS = Statements("member categories", maxsize=1)
UNIT_STATEMENTS = Statements("member filter units", maxsize=1024)
COUNT_STATEMENTS = Statements("member list counts", maxsize=1024)
PAGE_STATEMENTS = Statements("member list pages", maxsize=1024)


def branch_choices(*, user: User) -> QuerySet[OrgUnit]:
    return scope.units(user).active().filter(kind="branch").order_by("path")


def group_choices(*, user: User) -> QuerySet[OrgUnit]:
    return scope.units(user).active().filter(kind="group").select_related("parent").order_by("path")
