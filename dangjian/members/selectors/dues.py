"""Reads of Party dues, always inside the user's scope: the rules, a branch's yearly sheet of
income bases, the monthly ledger with its totals, a member's dues, reliefs, and the arrears list.

The dues tables declare no `scope_self`, so the scope rule alone would give a member every row of
their branch; `dues_restrict` narrows a member (or resident) to their own rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Count, DecimalField, F, Max, Min, Model, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.models import OrgUnit, User

from ..choices import ApprovalStatus, DuesMonthStatus, IncomeClass, MemberStatus
from ..models import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule, Member, to_fen
from ..models.dues import ZERO
from ..services.dues import month_label, month_start, rule_positions
from .registry import search_q

M = TypeVar("M", bound=Model)
# Sums of money as decimals; SQLite adds them as floats, so the figures shown are rounded to the
# fen (to_fen) where they are summed, and the arrears rows in the template and serializer.
MONEY = DecimalField(max_digits=14, decimal_places=2)


def dues_restrict(queryset: QuerySet[M], user: User) -> QuerySet[M]:
    """The scope rule, and for members and residents only their own rows."""
    queryset = scope.restrict(queryset, user)
    if scope.active_role(user) in scope.SELF_ROLES:
        queryset = queryset.filter(member__user=user)
    return queryset


def _member_search(query: str) -> Q:
    return Q(member__in=Member.objects.filter(search_q(query)).values("pk"))


# --- The rules ---------------------------------------------------------------------------------


@dataclass
class RuleRow:
    rule: DuesRule
    position: int
    lower: Decimal | None  # the bound of the bracket below (exclusive), None for the first


def dues_rule_table() -> list[tuple[str, str, list[RuleRow]]]:
    """The brackets by income class, lowest first: (class, class label, rows). Platform-wide: every
    role that sees dues may read them."""
    rules = list(DuesRule.objects.all())
    positions = rule_positions(rules)
    table = []
    for value, label in IncomeClass.choices:
        own = sorted((rule for rule in rules if rule.income_class == value), key=lambda rule: positions[rule.pk])
        rows, lower = [], None
        for rule in own:
            rows.append(RuleRow(rule=rule, position=positions[rule.pk], lower=lower))
            lower = rule.upper_bound
        table.append((value, str(label), rows))
    return table


def dues_rules() -> list[DuesRule]:
    return list(DuesRule.objects.order_by("income_class", "pk"))


# --- A branch's yearly sheet -------------------------------------------------------------------


def dues_branch_choices(*, user: User) -> QuerySet[OrgUnit]:
    return scope.units(user).active().filter(kind="branch").order_by("path")


def dues_unit_choices(*, user: User) -> QuerySet[OrgUnit]:
    """Units a list may be narrowed to: communities, Party committees, general branches, branches."""
    return scope.units(user).active().exclude(kind__in=["group", "district", "subdistrict"]).order_by("path")


@dataclass
class SheetRow:
    member: Member
    base: DuesBase | None


def dues_sheet(*, user: User, branch: OrgUnit, year: int) -> list[SheetRow]:
    """The branch's members on the roll with their base for the year (None: not set yet). Two
    queries whatever the branch's size."""
    members = (
        dues_restrict(Member.objects.all(), user)
        .filter(branch=branch, status=MemberStatus.ACTIVE)
        .prefetch_related(
            Prefetch(
                "dues_bases", queryset=DuesBase.objects.filter(year=year).select_related("set_by"), to_attr="year_bases"
            )
        )
        .order_by("name_initials", "pk")
    )
    return [SheetRow(member=member, base=member.year_bases[0] if member.year_bases else None) for member in members]


def dues_sheet_overview(*, user: User, year: int) -> QuerySet[OrgUnit]:
    """The branches in scope, each with its members on the roll and how many have a base for the
    year: one query."""
    on_roll = (
        Member.objects.filter(branch=OuterRef("pk"), status=MemberStatus.ACTIVE)
        .order_by()
        .values("branch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    with_base = (
        DuesBase.objects.filter(member__branch=OuterRef("pk"), member__status=MemberStatus.ACTIVE, year=year)
        .order_by()
        .values("member__branch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        dues_branch_choices(user=user)
        .annotate(on_roll=Coalesce(Subquery(on_roll), 0), with_base=Coalesce(Subquery(with_base), 0))
        .annotate(missing=F("on_roll") - F("with_base"))
    )


def dues_sheet_counts(rows: list[SheetRow]) -> dict[str, Any]:
    set_rows = [row for row in rows if row.base is not None]
    return {
        "members": len(rows),
        "set": len(set_rows),
        "missing": len(rows) - len(set_rows),
        "monthly_total": sum((row.base.monthly_amount for row in set_rows), ZERO),
    }


# --- The monthly ledger ------------------------------------------------------------------------


@dataclass
class LedgerFilters:
    month: datetime.date
    unit: OrgUnit | None = None
    status: str = ""
    q: str = ""


def _ledger_base(user: User, filters: LedgerFilters) -> QuerySet[DuesMonth]:
    queryset = dues_restrict(DuesMonth.objects.all(), user).filter(month=month_start(filters.month))
    if filters.unit is not None:
        queryset = queryset.filter(member__branch__path__startswith=filters.unit.path)
    if filters.q:
        queryset = queryset.filter(_member_search(filters.q))
    return queryset


def dues_ledger(*, user: User, filters: LedgerFilters) -> QuerySet[DuesMonth]:
    queryset = _ledger_base(user, filters)
    if filters.status in DuesMonthStatus.values:
        queryset = queryset.filter(status=filters.status)
    return queryset.select_related("member", "member__branch", "payment", "relief").order_by(
        "member__branch__path", "member__name_initials", "member_id"
    )


def dues_ledger_summary(*, user: User, filters: LedgerFilters) -> dict[str, Any]:
    """For the month (the other filters applied): months and amounts by status, in one query."""
    rows = (
        _ledger_base(user, filters)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), amount=Sum("amount_due", output_field=MONEY))
    )
    summary: dict[str, Any] = {status: {"n": 0, "amount": ZERO} for status in DuesMonthStatus.values}
    for row in rows:
        summary[row["status"]] = {"n": row["n"], "amount": to_fen(row["amount"] or ZERO)}
    summary["all"] = {
        "n": sum(summary[status]["n"] for status in DuesMonthStatus.values),
        "amount": sum((summary[status]["amount"] for status in DuesMonthStatus.values), ZERO),
    }
    return summary


def dues_batch_months(*, user: User, branch: OrgUnit, month: datetime.date) -> QuerySet[DuesMonth]:
    """A branch's months still due for one month: what the batch page offers to tick."""
    return (
        dues_restrict(DuesMonth.objects.all(), user)
        .filter(member__branch=branch, month=month_start(month), status=DuesMonthStatus.DUE)
        .select_related("member")
        .order_by("member__name_initials", "member_id")
    )


def dues_branch_month(*, user: User, branch: OrgUnit, month: datetime.date) -> QuerySet[DuesMonth]:
    """A branch's months of one month, whatever their status: what a batch may name (the service
    refuses the ones no longer due, naming them)."""
    return dues_restrict(DuesMonth.objects.all(), user).filter(member__branch=branch, month=month_start(month))


def dues_batch_paid(*, user: User, branch: OrgUnit, month: datetime.date) -> int:
    return (
        dues_restrict(DuesMonth.objects.all(), user)
        .filter(member__branch=branch, month=month_start(month), status=DuesMonthStatus.PAID)
        .count()
    )


def dues_member_get(*, user: User, pk: Any) -> Member:
    """A member whose dues the user may see (404 outside the scope)."""
    return scope.get_or_404(Member.objects.select_related("branch", "user"), user, pk=pk)


def dues_due_months(*, member: Member) -> list[DuesMonth]:
    """The member's months still due, oldest first: what a payment may cover."""
    return list(member.dues_months.filter(status=DuesMonthStatus.DUE).order_by("month"))


# --- A member's dues (the member page's tab) ---------------------------------------------------


def member_dues_tab(*, member: Member, year: int | None = None) -> dict[str, Any]:
    """What the member page shows of one member's dues for a year (this year by default): the
    bases, the twelve months with status, amount and payment, the payments and reliefs, totals
    paid and owed. The caller has already found `member` inside the viewer's scope (or it is the
    viewer's own record). Five queries."""
    today = timezone.localdate()
    this_month = month_start(today)
    year = year or today.year
    bases = list(member.dues_bases.select_related("set_by").order_by("-year"))
    base = next((item for item in bases if item.year == year), None)
    rows = {
        row.month: row
        for row in member.dues_months.filter(
            month__gte=datetime.date(year, 1, 1), month__lte=datetime.date(year, 12, 1)
        ).select_related("payment", "relief")
    }
    months = []
    for number in range(1, 13):
        month = datetime.date(year, number, 1)
        row = rows.get(month)
        months.append(
            {
                "month": month,
                "label": f"{number}月",
                "row": row,
                "opened": row is not None,
                "overdue": row is not None and row.status == DuesMonthStatus.DUE and month < this_month,
                "future": month > this_month,
            }
        )
    payments = list(
        member.dues_payments.select_related("recorded_by")
        .prefetch_related(Prefetch("months", queryset=DuesMonth.objects.order_by("month")))
        .order_by("-paid_on", "-pk")[:24]
    )
    for payment in payments:
        payment.month_labels = "、".join(month_label(row.month) for row in payment.months.all())
    reliefs = list(member.dues_reliefs.select_related("requested_by", "decided_by").order_by("-created_at"))
    arrears = (
        member.dues_months.filter(status=DuesMonthStatus.DUE, month__lt=this_month)
        .order_by()
        .aggregate(n=Count("pk"), amount=Sum("amount_due", output_field=MONEY), oldest=Min("month"))
    )
    in_year = list(rows.values())
    years = sorted({item.year for item in bases} | {year, today.year}, reverse=True)
    return {
        "member": member,
        "year": year,
        "years": years,
        "base": base,
        "bases": bases,
        "months": months,
        "payments": payments,
        "reliefs": reliefs,
        "open_reliefs": [relief for relief in reliefs if relief.status == ApprovalStatus.REQUESTED],
        "paid_total": sum((row.amount_due for row in in_year if row.status == DuesMonthStatus.PAID), ZERO),
        "owed_total": sum((row.amount_due for row in in_year if row.status == DuesMonthStatus.DUE), ZERO),
        "exempt_months": sum(1 for row in in_year if row.status == DuesMonthStatus.EXEMPT),
        "arrears_months": arrears["n"] or 0,
        "arrears_amount": to_fen(arrears["amount"] or ZERO),
        "arrears_oldest": arrears["oldest"],
        "this_month": this_month,
    }


# --- Reliefs -----------------------------------------------------------------------------------


def dues_relief_list(*, user: User, status: str = "", unit: OrgUnit | None = None) -> QuerySet[DuesRelief]:
    queryset = dues_restrict(DuesRelief.objects.all(), user)
    if status in ApprovalStatus.values:
        queryset = queryset.filter(status=status)
    if unit is not None:
        queryset = queryset.filter(member__branch__path__startswith=unit.path)
    return queryset.select_related("member", "member__branch", "requested_by", "decided_by").order_by(
        "-created_at", "-pk"
    )


def dues_relief_counts(*, user: User) -> dict[str, int]:
    rows = dues_restrict(DuesRelief.objects.all(), user).order_by().values("status").annotate(n=Count("pk"))
    counts = {status: 0 for status in ApprovalStatus.values}
    for row in rows:
        counts[row["status"]] = row["n"]
    counts[""] = sum(counts.values())
    return counts


def dues_relief_get(*, user: User, pk: Any) -> DuesRelief:
    return scope.get_or_404(
        DuesRelief.objects.select_related("member", "member__branch", "requested_by", "decided_by"), user, pk=pk
    )


def dues_relief_history(*, relief: DuesRelief, limit: int = 20) -> list[dict[str, Any]]:
    from dangjian.core.selectors import history_entries

    return history_entries(relief.history.all(), limit)


def dues_relief_months(*, relief: DuesRelief) -> list[DuesMonth]:
    return list(relief.member.dues_months.filter(month__gte=relief.start_month, month__lte=relief.end_month))


# --- Payments ----------------------------------------------------------------------------------


def dues_payment_list(*, user: User) -> QuerySet[DuesPayment]:
    return (
        dues_restrict(DuesPayment.objects.all(), user)
        .select_related("member", "member__branch", "recorded_by")
        .prefetch_related(Prefetch("months", queryset=DuesMonth.objects.order_by("month")))
        .order_by("-paid_on", "-pk")
    )


# --- Arrears -----------------------------------------------------------------------------------


@dataclass
class ArrearsFilters:
    unit: OrgUnit | None = None
    min_months: int = 1
    q: str = ""


def _arrears_months(user: User, filters: ArrearsFilters, today: datetime.date | None) -> QuerySet[DuesMonth]:
    this_month = month_start(today or timezone.localdate())
    queryset = dues_restrict(DuesMonth.objects.all(), user).filter(status=DuesMonthStatus.DUE, month__lt=this_month)
    if filters.unit is not None:
        queryset = queryset.filter(member__branch__path__startswith=filters.unit.path)
    if filters.q:
        queryset = queryset.filter(_member_search(filters.q))
    return queryset


def _grouped(months: QuerySet[DuesMonth], filters: ArrearsFilters) -> QuerySet[Any]:
    return (
        months.order_by()
        .values("member_id", "member__name", "member__branch__name", "member__branch__path", "member__status")
        .annotate(
            months=Count("pk"), owed=Sum("amount_due", output_field=MONEY), oldest=Min("month"), latest=Max("month")
        )
        .filter(months__gte=max(1, filters.min_months))
    )


def dues_arrears(
    *, user: User, filters: ArrearsFilters | None = None, today: datetime.date | None = None
) -> QuerySet[Any]:
    """Members with months still due before the current month: how many months, how much, the
    oldest and latest month; most months owed first. One row per member (a grouped query), for
    cadres only: no page members see ranks members."""
    filters = filters or ArrearsFilters()
    return _grouped(_arrears_months(user, filters, today), filters).order_by(
        "-months", "-owed", "member__branch__path", "member__name", "member_id"
    )


def dues_arrears_totals(
    *, user: User, filters: ArrearsFilters | None = None, today: datetime.date | None = None
) -> dict[str, Any]:
    """Members, months and amount of the same arrears list, in one query over its rows (the
    members counted are the list's rows: the page is told its count from here)."""
    filters = filters or ArrearsFilters()
    totals = _grouped(_arrears_months(user, filters, today), filters).aggregate(
        n_members=Count("member_id"), n_months=Sum("months"), n_owed=Sum("owed", output_field=MONEY)
    )
    return {
        "members": totals["n_members"] or 0,
        "months": totals["n_months"] or 0,
        "owed": to_fen(totals["n_owed"] or ZERO),
    }
