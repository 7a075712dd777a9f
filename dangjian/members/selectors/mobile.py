"""Reads of mobile members (流动党员), always inside the user's scope: the outflow and inflow
lists with their filters (unit, days since the last contact), sorted by the longest without
contact, and one record with its contact log."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DateField, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.crypto import blind_index
from dangjian.core.models import OrgUnit, User

from ..choices import MobileDirection, MobileStatus
from ..models import ContactLog, MobileMember
from .registry import ID_PATTERN, INITIALS_PATTERN, PHONE_PATTERN

# Bands of days since the last contact that reached the member (or since the mobility began,
# for a member never reached): (label, fewest days, most days).
CONTACT_BANDS: dict[str, tuple[str, int | None, int | None]] = {
    "le90": ("90 天以内", None, 90),
    "91to180": ("91—180 天", 91, 180),
    "gt180": ("180 天以上", 181, None),
}


@dataclass
class MobileFilters:
    direction: str = MobileDirection.OUTFLOW
    # "away" (the default), "ended", or "" for both.
    status: str = MobileStatus.AWAY
    unit: OrgUnit | None = None
    band: str = ""
    q: str = ""


def last_touch() -> Coalesce:
    return Coalesce("last_contact_on", "since", output_field=DateField())


def band_q(band: str, today: datetime.date | None = None) -> Q:
    """Rows (annotated with `last_touch`) whose days since the last contact fall in the band."""
    today = today or timezone.localdate()
    _, low, high = CONTACT_BANDS[band]
    condition = Q()
    if low is not None:  # at least `low` days ago
        condition &= Q(last_touch__lte=today - datetime.timedelta(days=low))
    if high is not None:  # at most `high` days ago
        condition &= Q(last_touch__gte=today - datetime.timedelta(days=high))
    return condition


def _filtered(user: User, filters: MobileFilters, *, with_band: bool = True) -> QuerySet[MobileMember]:
    queryset = scope.restrict(MobileMember.objects.all(), user).annotate(last_touch=last_touch())
    if filters.direction in MobileDirection.values:
        queryset = queryset.filter(direction=filters.direction)
    if filters.status in MobileStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.unit is not None:
        queryset = queryset.filter(member__branch__path__startswith=filters.unit.path)
    if filters.q:
        queryset = queryset.filter(mobile_search_q(filters.q))
    if with_band and filters.band in CONTACT_BANDS:
        queryset = queryset.filter(band_q(filters.band))
    return queryset


def mobile_search_q(query: str) -> Q:
    """The member's name, its initials, an exact ID number or phone (blind index); or the place."""
    query = query.strip()
    if ID_PATTERN.match(query):
        return Q(member__id_number_index=blind_index(query))
    if PHONE_PATTERN.match(query):
        return Q(member__phone_index=blind_index(query))
    if INITIALS_PATTERN.match(query):
        return Q(member__name_initials__startswith=query.lower())
    return Q(member__name__icontains=query) | Q(place__icontains=query)


def mobile_list(*, user: User, filters: MobileFilters | None = None) -> QuerySet[MobileMember]:
    """Sorted by the longest without contact first."""
    filters = filters or MobileFilters()
    return _filtered(user, filters).select_related("member", "member__branch").order_by("last_touch", "pk")


def mobile_band_counts(*, user: User, filters: MobileFilters | None = None) -> dict[str, int]:
    """How many records in each contact band (the other filters applied), and in all."""
    filters = filters or MobileFilters()
    base = _filtered(user, filters, with_band=False)
    aggregates = {key: Count("pk", filter=band_q(key)) for key in CONTACT_BANDS}
    counts = base.order_by().aggregate(all=Count("pk"), **aggregates)
    counts[""] = counts.pop("all")
    return counts


def mobile_direction_counts(*, user: User, filters: MobileFilters | None = None) -> dict[str, int]:
    filters = filters or MobileFilters()
    queryset = scope.restrict(MobileMember.objects.all(), user)
    if filters.status in MobileStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.unit is not None:
        queryset = queryset.filter(member__branch__path__startswith=filters.unit.path)
    rows = queryset.order_by().values("direction").annotate(n=Count("pk"))
    counts = {direction: 0 for direction in MobileDirection.values}
    for row in rows:
        counts[row["direction"]] = row["n"]
    return counts


def mobile_get(*, user: User, pk: Any) -> MobileMember:
    from dangjian.oversight.models import Case as OversightCase

    return scope.get_or_404(
        MobileMember.objects.select_related("member", "member__branch").prefetch_related(
            Prefetch("contacts", queryset=ContactLog.objects.select_related("by").order_by("-contacted_on", "-pk")),
            Prefetch("cases", queryset=OversightCase.objects.order_by("-opened_at")),
        ),
        user,
        pk=pk,
    )


def mobile_history(*, user: User, mobile: MobileMember, limit: int = 50) -> list[dict[str, Any]]:
    from dangjian.core.selectors import history_entries

    return history_entries(mobile.history.all(), limit)


def contact_list(*, user: User, mobile: MobileMember) -> QuerySet[ContactLog]:
    return (
        scope.restrict(ContactLog.objects.filter(mobile=mobile), user)
        .select_related("by")
        .order_by("-contacted_on", "-pk")
    )
