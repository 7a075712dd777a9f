"""Reads of relationship transfers, always inside the user's scope.

A transfer belongs to the issuing side (`branch`). A transfer within the district is also seen
by the receiving side: the letters coming to a branch in the user's scope are the "待接收" list,
and the receiving side may open such a letter and confirm the report.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.crypto import blind_index
from dangjian.core.models import OrgUnit, User

from ..choices import DuesMonthStatus, MemberStatus, MobileStatus, TransferDirection, TransferStatus
from ..models import DuesMonth, Member, MobileMember, Transfer
from .registry import ID_PATTERN, search_q

PICK_LIMIT = 30


@dataclass
class TransferFilters:
    direction: str = ""
    status: str = ""
    unit: OrgUnit | None = None
    q: str = ""
    # Only letters still travelling whose last valid day is within the warning window (or past).
    expiring: bool = False


def _incoming_q(user: User) -> Q | None:
    """Within-district letters whose receiving branch is in the user's scope; None: no such
    rows for this user (members, residents, users without a grant)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if scope.is_unrestricted(user):
        return Q(direction=TransferDirection.WITHIN)
    grant = scope.active_grant(user)
    if grant is None or grant.role in scope.SELF_ROLES:
        return None
    return Q(direction=TransferDirection.WITHIN, to_branch__path__startswith=grant.org_unit.path)


def transfer_visible(user: User, queryset: QuerySet[Transfer] | None = None) -> QuerySet[Transfer]:
    """The issuing side's letters, and the letters coming to the user's branches."""
    queryset = queryset if queryset is not None else Transfer.objects.all()
    own = scope.restrict(queryset, user)
    incoming = _incoming_q(user)
    if incoming is None:
        return own
    return own | queryset.filter(incoming)


def transfer_search_q(query: str) -> Q:
    """An exact ID number (blind index), or part of the name or of the letter number."""
    query = query.strip()
    if ID_PATTERN.match(query):
        return Q(id_number_index=blind_index(query))
    return Q(name__icontains=query) | Q(letter_number__icontains=query)


def _filtered(user: User, filters: TransferFilters, *, with_direction: bool = True) -> QuerySet[Transfer]:
    queryset = scope.restrict(Transfer.objects.all(), user)
    if filters.unit is not None:
        queryset = queryset.filter(branch__path__startswith=filters.unit.path)
    if with_direction and filters.direction in TransferDirection.values:
        queryset = queryset.filter(direction=filters.direction)
    if filters.status in TransferStatus.values:
        queryset = queryset.filter(status=filters.status)
    if filters.expiring:
        horizon = timezone.localdate() + datetime.timedelta(days=settings.DANGJIAN_LETTER_WARNING_DAYS)
        queryset = queryset.filter(status=TransferStatus.ISSUED, expires_on__lte=horizon)
    if filters.q:
        queryset = queryset.filter(transfer_search_q(filters.q))
    return queryset


def transfer_list(*, user: User, filters: TransferFilters | None = None) -> QuerySet[Transfer]:
    filters = filters or TransferFilters()
    return _filtered(user, filters).select_related("branch", "to_branch").order_by("-issued_on", "-pk")


def transfer_direction_counts(*, user: User, filters: TransferFilters | None = None) -> dict[str, int]:
    """How many letters of each direction (the other filters applied), and in all."""
    filters = filters or TransferFilters()
    rows = _filtered(user, filters, with_direction=False).order_by().values("direction").annotate(n=Count("pk"))
    counts = {direction: 0 for direction in TransferDirection.values}
    for row in rows:
        counts[row["direction"]] = row["n"]
    counts[""] = sum(counts.values())
    return counts


def transfer_incoming(*, user: User, unit: OrgUnit | None = None) -> QuerySet[Transfer]:
    """The "待接收" list: within-district letters still travelling to a branch in the scope."""
    condition = _incoming_q(user)
    if condition is None:
        return Transfer.objects.none()
    queryset = Transfer.objects.filter(condition, status=TransferStatus.ISSUED)
    if unit is not None:
        queryset = queryset.filter(to_branch__path__startswith=unit.path)
    return queryset.select_related("branch", "to_branch", "member").order_by("expires_on", "pk")


def transfer_expiring(*, user: User, days: int | None = None) -> QuerySet[Transfer]:
    """Issued letters whose last valid day is within `days` (the warning window), or past."""
    days = settings.DANGJIAN_LETTER_WARNING_DAYS if days is None else days
    horizon = timezone.localdate() + datetime.timedelta(days=days)
    return (
        scope.restrict(Transfer.objects.all(), user)
        .filter(status=TransferStatus.ISSUED, expires_on__lte=horizon)
        .select_related("branch", "to_branch")
        .order_by("expires_on", "pk")
    )


def transfer_get(*, user: User, pk: Any) -> Transfer:
    """One letter, seen by its issuing side or (within the district) its receiving side."""
    from dangjian.oversight.models import Case

    queryset = Transfer.objects.select_related("branch", "to_branch", "member", "created_by").prefetch_related(
        Prefetch("cases", queryset=Case.objects.order_by("-opened_at"))
    )
    try:
        return transfer_visible(user, queryset).get(pk=pk)
    except (Transfer.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("不在您的权限范围内或不存在") from exc


def transfer_is_issuer(*, user: User, transfer: Transfer) -> bool:
    """Whether the user acts for the issuing side (may return, cancel, re-issue, print)."""
    return scope.contains(user, transfer.branch) and scope.active_role(user) not in scope.SELF_ROLES


def transfer_history(*, user: User, transfer: Transfer, limit: int = 50) -> list[dict[str, Any]]:
    from dangjian.core.selectors import history_entries

    return history_entries(transfer.history.all(), limit)


def dues_paid_until_default(*, member: Member) -> datetime.date | None:
    """The latest month of the member's ledger that is paid: the letter's "党费已交到"."""
    return (
        DuesMonth.objects.filter(member=member, status=DuesMonthStatus.PAID)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )


def member_pick(*, user: User, q: str) -> list[Member]:
    """Members on the roll in the scope matching a name, its initials or an exact number: whom
    a letter or an outflow registration is for."""
    if not q.strip():
        return []
    return list(
        scope.restrict(Member.objects.filter(status=MemberStatus.ACTIVE), user)
        .filter(search_q(q))
        .select_related("branch")
        .order_by("branch__path", "name_initials", "pk")[:PICK_LIMIT]
    )


def member_for_letter(*, user: User, pk: Any) -> Member:
    """The member a new letter or registration is for: in the scope, or 404."""
    return scope.get_or_404(Member.objects.select_related("branch", "branch__district"), user, pk=pk)


def existing_member_for(*, transfer: Transfer) -> Member | None:
    """The member record that an incoming letter's ID number already has, if any."""
    return Member.objects.filter(id_number_index=transfer.id_number_index).select_related("branch").first()


def within_targets(member: Member) -> QuerySet[OrgUnit]:
    """The branches a member may move to inside the district: every active branch of the
    member's district but the member's own (also outside the issuer's scope)."""
    return (
        OrgUnit.objects.filter(district_id=member.district_id, kind="branch", status="active")
        .exclude(pk=member.branch_id)
        .order_by("path")
    )


def group_choices_for(*, branch: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(parent=branch, kind="group", status="active").order_by("path")


def member_relationship_tab(*, member: Member) -> dict[str, Any]:
    """What the member page's 组织关系 tab shows: the member's letters (newest first) and
    mobility records with their latest contacts. The member was already found in the scope."""
    transfers = list(
        Transfer.objects.filter(member=member).select_related("branch", "to_branch").order_by("-issued_on", "-pk")
    )
    mobility = list(MobileMember.objects.filter(member=member).prefetch_related("contacts").order_by("-since", "-pk"))
    for record in mobility:
        record.recent_contacts = list(record.contacts.all()[:3])
    open_letter = next((t for t in transfers if t.status == TransferStatus.ISSUED), None)
    today = timezone.localdate()
    outgoing = [t for t in transfers if t.direction != TransferDirection.IN]
    latest = outgoing[0] if outgoing else None
    # The latest outgoing letter expired unreported (marked by the scan, or past its last day).
    expired_letter = (
        latest
        if latest is not None
        and (
            latest.status == TransferStatus.EXPIRED
            or (latest.status == TransferStatus.ISSUED and latest.expires_on and latest.expires_on < today)
        )
        else None
    )
    open_mobility = next((m for m in mobility if m.status == MobileStatus.AWAY), None)
    return {
        "member": member,
        "transfers": transfers,
        "mobility": mobility,
        "open_letter": open_letter,
        "open_mobility": open_mobility,
        "expired_letter": expired_letter,
        "may_issue": member.status == MemberStatus.ACTIVE and open_letter is None,
        "may_register_outflow": member.status == MemberStatus.ACTIVE and open_mobility is None,
    }


def _community_of(branch: OrgUnit) -> OrgUnit | None:
    return next((unit for unit in branch.ancestors() if unit.kind == "community"), None)


def letter_print_context(*, transfer: Transfer, id_number: str) -> dict[str, Any]:
    """What the printed letter says, in the customary wording: the addressee, the person, the
    organization it goes from and to, the dues, the validity and the issuing organization."""
    member = transfer.member
    community = _community_of(transfer.branch)
    issuer = f"中共{community.name}委员会" if community is not None else f"中共{transfer.branch.name}"
    destination = transfer.to_branch.name if transfer.to_branch_id else transfer.counterpart
    born = member.birth_date if member is not None else None
    age = None
    if born is not None:
        on = transfer.issued_on
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return {
        "transfer": transfer,
        "number": transfer.letter_number,
        "addressee": destination,
        "name": transfer.name,
        "gender": transfer.get_gender_display(),
        "age": age,
        "ethnicity": member.ethnicity if member is not None else "",
        "membership": "正式" if transfer.membership_type == "full" else "预备",
        "id_number": id_number,
        "origin": transfer.branch.name,
        "destination": destination,
        "dues": transfer.dues_paid_until,
        "valid_days": transfer.valid_days,
        "issuer": issuer,
        "issued_on": transfer.issued_on,
        "expires_on": transfer.expires_on,
        "clerk": transfer.created_by.display_name if transfer.created_by_id else "",
        "archive": transfer.status != TransferStatus.ISSUED,
    }
