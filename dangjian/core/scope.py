"""Who sees what: the one place that decides which org units a user may see.

A user acts through one active grant at a time (a role on an org unit). The org tree keeps a
materialized path, so the units a grant reaches are one indexed prefix filter. Every selector,
page, API viewset, export and search restricts its queryset with `restrict()`; an object outside
the scope is answered with 404 by `get_or_404()`.

Org-bound models declare how they reach the tree in a class attribute `scope_path`: the lookup
of the materialized path of the unit they belong to (`"path"` for OrgUnit itself,
`"org_unit__path"` for a committee).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from .choices import ROLE_ORDER, Role

if TYPE_CHECKING:
    from .models import Grant, OrgUnit, User

M = TypeVar("M", bound=Model)


class Cap(StrEnum):
    """What a role may do, whatever the unit: pages and navigation check these."""

    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"
    COMMITTEE_VIEW = "committee.view"
    COMMITTEE_MANAGE = "committee.manage"
    MEMBER_VIEW = "member.view"
    MEMBER_MANAGE = "member.manage"
    # Showing an ID number or a phone in full (each time logged), and reading that log.
    MEMBER_UNMASK = "member.unmask"
    UNMASK_LOG_VIEW = "unmask_log.view"
    # Platform-wide rules kept as data (the development pipeline's intervals): the district's.
    RULES_MANAGE = "rules.manage"
    # Meetings and attendance (三会一课), and the compliance tables.
    MEETING_VIEW = "meeting.view"
    MEETING_MANAGE = "meeting.manage"
    # Dues: the ledger and payments; approving reductions and exemptions.
    DUES_VIEW = "dues.view"
    DUES_MANAGE = "dues.manage"
    DUES_APPROVE = "dues.approve"
    # Blind-spot cases: reading and working them; running the scan by hand.
    CASE_VIEW = "case.view"
    CASE_MANAGE = "case.manage"
    SCAN_RUN = "scan.run"
    # Research before acting (三个必须调研): risks, events, visits, opinions; approving events
    # belongs to the sub-district and above.
    RESEARCH_VIEW = "research.view"
    RESEARCH_MANAGE = "research.manage"
    EVENT_APPROVE = "event.approve"
    ADMIN = "admin"


ROLE_CAPS: dict[str, frozenset[Cap]] = {
    Role.DISTRICT_ORGANIZER: frozenset(Cap),
    Role.SUBDISTRICT_ORGANIZER: frozenset(Cap) - {Cap.RULES_MANAGE},
    Role.COMMUNITY_SECRETARY: frozenset(
        {
            Cap.ORG_VIEW,
            Cap.ORG_MANAGE,
            Cap.COMMITTEE_VIEW,
            Cap.COMMITTEE_MANAGE,
            Cap.MEMBER_VIEW,
            Cap.MEMBER_MANAGE,
            Cap.MEMBER_UNMASK,
            Cap.UNMASK_LOG_VIEW,
            Cap.MEETING_VIEW,
            Cap.MEETING_MANAGE,
            Cap.DUES_VIEW,
            Cap.DUES_MANAGE,
            Cap.DUES_APPROVE,
            Cap.CASE_VIEW,
            Cap.CASE_MANAGE,
            Cap.RESEARCH_VIEW,
            Cap.RESEARCH_MANAGE,
        }
    ),
    Role.COMMUNITY_CADRE: frozenset(
        {
            Cap.ORG_VIEW,
            Cap.COMMITTEE_VIEW,
            Cap.MEMBER_VIEW,
            Cap.MEMBER_MANAGE,
            Cap.MEMBER_UNMASK,
            Cap.MEETING_VIEW,
            Cap.MEETING_MANAGE,
            Cap.DUES_VIEW,
            Cap.DUES_MANAGE,
            Cap.CASE_VIEW,
            Cap.CASE_MANAGE,
            Cap.RESEARCH_VIEW,
            Cap.RESEARCH_MANAGE,
        }
    ),
    Role.BRANCH_SECRETARY: frozenset(
        {
            Cap.ORG_VIEW,
            Cap.ORG_MANAGE,
            Cap.COMMITTEE_VIEW,
            Cap.COMMITTEE_MANAGE,
            Cap.MEMBER_VIEW,
            Cap.MEMBER_MANAGE,
            Cap.MEETING_VIEW,
            Cap.MEETING_MANAGE,
            Cap.DUES_VIEW,
            Cap.DUES_MANAGE,
            Cap.CASE_VIEW,
            Cap.CASE_MANAGE,
        }
    ),
    Role.MEMBER: frozenset(),
    Role.RESIDENT: frozenset(),
}

# Roles whose scope is the person's own records, not a subtree of the organization.
SELF_ROLES = frozenset({Role.MEMBER, Role.RESIDENT})


def user_grants(user: User) -> list[Grant]:
    """The active grants of a user, widest role first (cached on the user object)."""
    cached = getattr(user, "_grants_cache", None)
    if cached is not None:
        return cached
    return keep_grants(user, live_grants().filter(user=user))


def live_grants() -> QuerySet[Grant]:
    """The grants that count: active, on an active unit (with the unit read along), unordered:
    `keep_grants` puts them in order."""
    from .models import Grant

    return Grant.objects.filter(is_active=True, org_unit__status="active").select_related("org_unit").order_by()


def keep_grants(user: User, grants: Iterable[Grant]) -> list[Grant]:
    """Keep `grants` (all of the user's `live_grants`) on the user object, widest role first:
    what `user_grants` answers from then on."""
    kept = sorted(grants, key=lambda grant: (ROLE_ORDER.index(grant.role), grant.org_unit.path))
    user._grants_cache = kept  # type: ignore[attr-defined]
    return kept


def set_active_grant(user: User, grant_id: int | None) -> Grant | None:
    """Make one of the user's grants the active one; an unknown id falls back to the first."""
    grants = user_grants(user)
    chosen = next((grant for grant in grants if grant.pk == grant_id), None)
    if chosen is None and grants:
        chosen = grants[0]
    user._active_grant = chosen  # type: ignore[attr-defined]
    return chosen


def active_grant(user: User | Any) -> Grant | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_active_grant"):
        set_active_grant(user, None)
    return user._active_grant


def active_role(user: User | Any) -> str | None:
    grant = active_grant(user)
    return grant.role if grant else None


def is_unrestricted(user: User | Any) -> bool:
    """A superuser acting without a grant sees the whole tree."""
    return bool(getattr(user, "is_superuser", False)) and active_grant(user) is None


def scope_root(user: User | Any) -> OrgUnit | None:
    grant = active_grant(user)
    return grant.org_unit if grant else None


def can(user: User | Any, cap: Cap) -> bool:
    if is_unrestricted(user):
        return True
    grant = active_grant(user)
    return grant is not None and cap in ROLE_CAPS.get(grant.role, frozenset())


def restrict(queryset: QuerySet[M], user: User | Any) -> QuerySet[M]:
    """The part of `queryset` inside the user's scope: the filter `restriction` describes."""
    kind, *values = restriction(user)
    if kind == "none":
        return queryset.none()
    if kind == "all":
        return queryset
    path_lookup = getattr(queryset.model, "scope_path", None)
    if path_lookup is None:
        raise TypeError(f"{queryset.model.__name__} declares no scope_path; it cannot be scoped")
    path = values[0]
    if kind == "self":
        # Members and residents see only their own unit's rows that are marked as theirs; the
        # models of later modules narrow this to the person's own records.
        self_filter = getattr(queryset.model, "scope_self", None)
        if self_filter is None:
            return queryset.filter(**{path_lookup: path})
        return queryset.filter(self_filter(user))
    return queryset.filter(**{f"{path_lookup}__startswith": path})


def restriction(user: User | Any) -> tuple[Any, ...]:
    """What `restrict` applies for the user, as a value: ("none",), ("all",) for a superuser
    without a grant, ("subtree", path) below the active grant's unit, or ("self", path, user id)
    for members and residents (a model's `scope_self` filter is built from the user). Users
    with equal restrictions get the same filter on every queryset: a `core.statements` key holds
    it."""
    if not getattr(user, "is_authenticated", False):
        return ("none",)
    if is_unrestricted(user):
        return ("all",)
    grant = active_grant(user)
    if grant is None:
        return ("none",)
    if grant.role in SELF_ROLES:
        return ("self", grant.org_unit.path, user.pk)
    return ("subtree", grant.org_unit.path)


def at_grant_unit(queryset: QuerySet[M], user: User | Any, field: str = "org_unit") -> QuerySet[M]:
    """The rows of `queryset` attached by `field` to the active grant's own unit. That unit is
    the root of the scope, so its rows are inside it with no path to compare (no join). Members
    and residents get those of their rows that `restrict` lets them see; anyone without a grant
    gets `restrict` alone (nothing, or everything for a superuser)."""
    grant = active_grant(user)
    if grant is None:
        return restrict(queryset, user)
    at_unit = queryset.filter(**{f"{field}_id": grant.org_unit_id})
    return restrict(at_unit, user) if grant.role in SELF_ROLES else at_unit


def get_or_404(queryset: QuerySet[M], user: User | Any, **lookup: Any) -> M:
    """The object matching `lookup` inside the user's scope, or 404."""
    try:
        return restrict(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("不在您的权限范围内或不存在") from exc


def units(user: User | Any) -> QuerySet[OrgUnit]:
    from .models import OrgUnit

    return restrict(OrgUnit.objects.all(), user)


def contains(user: User | Any, unit: OrgUnit) -> bool:
    if is_unrestricted(user):
        return True
    root = scope_root(user)
    if root is None:
        return False
    if active_role(user) in SELF_ROLES:
        return unit.pk == root.pk
    return unit.path.startswith(root.path)


def can_manage_unit(user: User | Any, unit: OrgUnit) -> bool:
    """Units are managed from above: a grant may change units strictly below its own unit."""
    if not can(user, Cap.ORG_MANAGE):
        return False
    if is_unrestricted(user):
        return True
    root = scope_root(user)
    return root is not None and unit.pk != root.pk and unit.path.startswith(root.path)


def can_add_child(user: User | Any, parent: OrgUnit) -> bool:
    return can(user, Cap.ORG_MANAGE) and contains(user, parent) and parent.is_active


def can_manage_committee_of(user: User | Any, unit: OrgUnit) -> bool:
    """A secretary manages the committee of their own organization and those below it."""
    return can(user, Cap.COMMITTEE_MANAGE) and contains(user, unit)
