"""What the research selectors share: the communities and cadres a user may choose."""

from __future__ import annotations

from django.db.models import QuerySet

from dangjian.core import scope
from dangjian.core.choices import OrgKind
from dangjian.core.models import Grant, OrgUnit, User

from ..services.common import CADRE_ROLES


def community_choices(*, user: User) -> QuerySet[OrgUnit]:
    """The active communities in the user's scope."""
    return scope.units(user).filter(kind=OrgKind.COMMUNITY, status="active").order_by("path")


def cadre_grants(*, user: User, community: OrgUnit | None = None) -> QuerySet[Grant]:
    """The active secretary and cadre grants on the communities in scope (or on one of them)."""
    grants = scope.restrict(
        Grant.objects.filter(is_active=True, role__in=CADRE_ROLES, org_unit__kind=OrgKind.COMMUNITY), user
    )
    if community is not None:
        grants = grants.filter(org_unit=community)
    return grants.select_related("user", "org_unit").order_by("org_unit__path", "role", "user__username")


def cadre_choices(*, user: User, community: OrgUnit | None = None) -> QuerySet[User]:
    """The people a record may name as its cadre: the secretaries and cadres of the communities
    in scope (the services also accept an organizer above the community)."""
    ids = cadre_grants(user=user, community=community).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "username")


def pick_community(*, user: User, pk: object) -> OrgUnit | None:
    """A community in scope by its id (None when it is not one)."""
    try:
        return community_choices(user=user).filter(pk=int(pk)).first()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def record_history(*, record: object, limit: int = 30) -> list[dict]:
    """The change records of a record already fetched in scope, newest first."""
    from dangjian.core.selectors import history_entries

    return history_entries(record.history.all(), limit)  # type: ignore[attr-defined]
