"""Reads of the organization tree and committees, always inside the user's scope."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from . import scope
from .choices import ALLOWED_PARENT_KINDS, OrgKind, OrgStatus
from .models import BranchCommittee, CommitteeSeat, OrgUnit, User


def _with_child_counts(queryset: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    return queryset.annotate(
        active_children=Count("children", filter=Q(children__status=OrgStatus.ACTIVE)),
        all_children=Count("children"),
    )


def org_tree_roots(*, user: User) -> list[OrgUnit]:
    """Where the tree starts for this user: the unit of the active grant, or every district."""
    if scope.is_unrestricted(user):
        queryset = OrgUnit.objects.filter(parent__isnull=True)
    else:
        root = scope.scope_root(user)
        if root is None:
            return []
        queryset = OrgUnit.objects.filter(pk=root.pk)
    return list(_with_child_counts(queryset).select_related("parent"))


def org_unit_children(*, user: User, unit: OrgUnit, include_closed: bool = False) -> list[OrgUnit]:
    queryset = scope.restrict(OrgUnit.objects.filter(parent=unit), user)
    if not include_closed:
        queryset = queryset.active()
    return list(_with_child_counts(queryset).order_by("sort_order", "code"))


def org_unit_get(*, user: User, pk: Any) -> OrgUnit:
    return scope.get_or_404(OrgUnit.objects.select_related("parent", "merged_into", "district"), user, pk=pk)


def own_unit_lineage(*, user: User) -> list[OrgUnit]:
    """The units above the active grant's own unit, from the top down: a member's community and
    sub-district. Their names are what the person belongs to, so every role may read them."""
    root = scope.scope_root(user)
    return list(root.ancestors()) if root is not None else []


def org_unit_breadcrumbs(*, user: User, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors that the user may see, from the top down."""
    return list(scope.restrict(unit.ancestors(), user))


def org_unit_counts(*, user: User, under: OrgUnit | None = None) -> dict[str, int]:
    """Active units in scope by kind (strictly below `under` when given)."""
    queryset = scope.units(user).active()
    if under is not None:
        queryset = queryset.descendants(under)
    counts = dict(queryset.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    return {kind: counts.get(kind, 0) for kind in OrgKind.values}


def branches_per_child(*, user: User, unit: OrgUnit) -> list[dict[str, Any]]:
    """For each active child of `unit`, how many branches and groups it has (for a chart)."""
    children = org_unit_children(user=user, unit=unit)
    if not children:
        return []
    prefix_to_child = {child.path: child for child in children}
    rows = (
        scope.units(user)
        .active()
        .subtree(unit)
        .filter(kind__in=[OrgKind.BRANCH, OrgKind.GROUP])
        .values_list("path", "kind")
    )
    tally: Counter[tuple[int, str]] = Counter()
    width = len(children[0].path)
    for path, kind in rows:
        child = prefix_to_child.get(path[:width])
        if child is not None:
            tally[(child.pk, kind)] += 1
    return [
        {
            # "翠湖社区第一党支部" under 翠湖社区 reads "第一党支部" on a chart axis.
            "name": child.name.removeprefix(unit.name) or child.name,
            "branches": tally[(child.pk, OrgKind.BRANCH)],
            "groups": tally[(child.pk, OrgKind.GROUP)],
        }
        for child in children
    ]


def move_targets(*, user: User, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """Units the user may move `unit` under: in scope, active, of an allowed kind, not below it."""
    return (
        scope.units(user)
        .active()
        .filter(kind__in=ALLOWED_PARENT_KINDS.get(unit.kind, ()))
        .exclude(path__startswith=unit.path)
        .exclude(pk=unit.parent_id)
        .order_by("path")
    )


def merge_targets(*, user: User, unit: OrgUnit) -> QuerySet[OrgUnit]:
    return scope.units(user).active().filter(kind=unit.kind).exclude(pk=unit.pk).order_by("path")


def org_unit_search(*, user: User, query: str, limit: int = 50) -> list[OrgUnit]:
    query = query.strip()
    if not query:
        return []
    queryset = scope.units(user).filter(Q(name__icontains=query) | Q(code__iexact=query))
    return list(queryset.select_related("parent").order_by("path")[:limit])


def _seats_prefetch() -> Prefetch:
    return Prefetch(
        "seats",
        queryset=CommitteeSeat.objects.filter(left_on__isnull=True).order_by("rank", "pk"),
        to_attr="serving_seats",
    )


def committees_of_unit(*, user: User, unit: OrgUnit) -> list[BranchCommittee]:
    queryset = scope.restrict(BranchCommittee.objects.filter(org_unit=unit), user)
    return list(queryset.prefetch_related(_seats_prefetch()).order_by("-term_number"))


def current_committee(*, user: User, unit: OrgUnit) -> BranchCommittee | None:
    queryset = scope.restrict(BranchCommittee.objects.filter(org_unit=unit), user)
    return queryset.current().prefetch_related(_seats_prefetch()).order_by("-term_number").first()


def committee_get(*, user: User, pk: Any) -> BranchCommittee:
    return scope.get_or_404(
        BranchCommittee.objects.select_related("org_unit").prefetch_related(
            Prefetch("seats", queryset=CommitteeSeat.objects.select_related("user"))
        ),
        user,
        pk=pk,
    )


def seat_get(*, user: User, pk: Any) -> CommitteeSeat:
    return scope.get_or_404(CommitteeSeat.objects.select_related("committee__org_unit"), user, pk=pk)


def committees_ending(
    *, user: User, days: int | None = None, today: datetime.date | None = None
) -> QuerySet[BranchCommittee]:
    """Current committee terms in scope that end within `days` days, or are already overdue."""
    days = settings.DANGJIAN_TERM_WARNING_DAYS if days is None else days
    queryset = BranchCommittee.objects.ending_within(days, today).filter(org_unit__status=OrgStatus.ACTIVE)
    return (
        scope.restrict(queryset, user)
        .select_related("org_unit", "org_unit__parent")
        .prefetch_related(_seats_prefetch())
        .order_by("term_end", "org_unit__path")
    )


def units_without_committee(*, user: User) -> QuerySet[OrgUnit]:
    """Active Party organizations in scope that have no current committee."""
    today = timezone.localdate()
    has_current = BranchCommittee.objects.current(today).values("org_unit_id")
    return (
        scope.units(user)
        .active()
        .filter(kind__in=[OrgKind.COMMUNITY, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH])
        .exclude(pk__in=has_current)
        .select_related("parent")
        .order_by("path")
    )


HISTORY_HIDDEN_FIELDS = frozenset({"version", "updated_at", "created_at", "path", "depth", "district"})


def _history_value(field: Any, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related else str(value)
    return str(value)


def history_entries(records: QuerySet, limit: int = 50) -> list[dict[str, Any]]:
    """Change records, newest first, each with the fields it changed and their labels."""
    rows = list(records.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries = []
    for index, record in enumerate(rows[:limit]):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        changes = []
        if previous is not None:
            model = record.instance_type
            for change in record.diff_against(previous).changes:
                if change.field in HISTORY_HIDDEN_FIELDS:
                    continue
                field = model._meta.get_field(change.field)
                changes.append(
                    {
                        "label": str(field.verbose_name),
                        "old": _history_value(field, change.old),
                        "new": _history_value(field, change.new),
                    }
                )
        entries.append({"record": record, "changes": changes})
    return entries


def unit_history(*, user: User, unit: OrgUnit, limit: int = 50) -> list[dict[str, Any]]:
    """The unit's change history (the unit itself was fetched through the scope)."""
    return history_entries(unit.history.all(), limit)


def committee_history(*, user: User, committee: BranchCommittee, limit: int = 30) -> list[dict[str, Any]]:
    return history_entries(committee.history.all(), limit)
