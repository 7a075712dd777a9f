"""Writes of Party dues (党费): the bracket rules, each member's income base for a year, the
monthly ledger, payments, and reductions or exemptions with their approval.

Money is Decimal throughout and every amount is checked by `parse_money`, so a page, the API and
the xlsx import refuse the same input with the same Chinese words naming the field. Two people
acting on the same rows at once get one result: payments lock the months they pay and relief
decisions lock the request, each checking the state again under the lock.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.models import OrgUnit, User
from dangjian.core.services import STALE_MESSAGE

from ..choices import (
    ApprovalStatus,
    DuesMonthStatus,
    IncomeClass,
    MemberStatus,
    PaymentKind,
    PaymentMethod,
    ReliefKind,
)
from ..models import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule, Member, monthly_amount
from ..models.dues import FEN, ZERO

# Amounts above this are a typing slip (ten digits of yuan, as the columns hold).
MONEY_LIMIT = Decimal("9999999999.99")
# A relief covers at most this many months; a longer hardship is asked for again.
RELIEF_MAX_MONTHS = 12
# Rows per INSERT when the ledger is opened in bulk.
BULK_BATCH = 2000


# --- Months ------------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def shift_month(month: datetime.date, offset: int) -> datetime.date:
    """The first day of the month `offset` months after `month` (negative: before)."""
    index = month.year * 12 + month.month - 1 + offset
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_span(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of every month from `first` through `last`, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = shift_month(month, 1)
    return months


def month_label(month: datetime.date) -> str:
    """2026年9月, as months are written on screen."""
    return f"{month.year}年{month.month}月"


def current_month() -> datetime.date:
    return month_start(timezone.localdate())


# --- Money -------------------------------------------------------------------------------------


def parse_money(value: Any, *, field: str, label: str) -> Decimal:
    """A sum of yuan typed by a person: a number, not negative, at most two decimals (to the
    fen). Refused with a Chinese message naming the field."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({field: f"请填写{label}。"}, code="required")
    text = value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    text = text.strip().replace(",", "").replace("，", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError({field: f"{label}应为数字，如 3000.00；填写的是“{value}”。"}, code="invalid") from None
    if not amount.is_finite():
        raise ValidationError({field: f"{label}应为数字，如 3000.00；填写的是“{value}”。"}, code="invalid")
    if amount < 0:
        raise ValidationError({field: f"{label}不能为负数，填写的是 {text}。"}, code="negative")
    if amount != amount.quantize(FEN):
        raise ValidationError({field: f"{label}最多保留两位小数（到分），填写的是 {text}。"}, code="decimals")
    if amount > MONEY_LIMIT:
        raise ValidationError({field: f"{label}超出可登记的范围，请核对：填写的是 {text}。"}, code="range")
    return amount.quantize(FEN)


def _collect(errors: dict[str, list[str]], check: Any) -> Any:
    """Run one check; its refusal joins `errors` (by field) and None is returned."""
    try:
        return check()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
        return None


def _check_income_class(income_class: str) -> str:
    if income_class not in IncomeClass.values:
        choices = "、".join(str(label) for label in IncomeClass.labels)
        raise ValidationError({"income_class": f"请选择收入类别：{choices}。"}, code="invalid")
    return income_class


def load_dues_rules() -> list[DuesRule]:
    return list(DuesRule.objects.all())


def dues_amount(*, income_class: str, monthly_income: Any, rules: list[DuesRule] | None = None) -> Decimal:
    """The monthly dues for an income under the rules in force: the whole income at the rate of
    the bracket it falls in (up to and including the bracket's bound), rounded half up to the fen."""
    errors: dict[str, list[str]] = {}
    _collect(errors, lambda: _check_income_class(income_class))
    income = _collect(errors, lambda: parse_money(monthly_income, field="monthly_income", label="月收入（元）"))
    if errors:
        raise ValidationError(errors)
    return monthly_amount(income_class, income, rules if rules is not None else load_dues_rules())


# --- The rules ---------------------------------------------------------------------------------

RULE_FIELDS = ("upper_bound", "rate_percent", "fixed_amount")
RULE_FIELD_LABELS = {
    "upper_bound": "月收入上限（元）",
    "rate_percent": "交纳比例（%）",
    "fixed_amount": "固定月额（元）",
}


def rule_field_name(field: str, rule: DuesRule) -> str:
    """The name of one value of one rule on the edit form and in error messages: rate_percent_3."""
    return f"{field}_{rule.pk}"


def rule_label(rule: DuesRule, position: int) -> str:
    return f"{rule.get_income_class_display()}第{position}档"


def rule_positions(rules: Iterable[DuesRule]) -> dict[int, int]:
    """Each rule's position (1, 2, …) within its income class, from the lowest bracket."""
    positions: dict[int, int] = {}
    counts: dict[str, int] = defaultdict(int)
    ordered = sorted(rules, key=lambda rule: (rule.income_class, rule.upper_bound is None, rule.upper_bound or ZERO))
    for rule in ordered:
        counts[rule.income_class] += 1
        positions[rule.pk] = counts[rule.income_class]
    return positions


@transaction.atomic
def dues_rules_update(
    *, values: Mapping[str, Any], by: User, expected_versions: Mapping[int, int] | None = None
) -> list[DuesRule]:
    """The district organizer changes the brackets. `values` maps `rule_field_name(field, rule)`
    to the new value; a rule keeps its shape (a bounded bracket stays bounded, the top one open; a
    rate stays a rate, a fixed amount fixed). Bases set afterwards use the new rules; amounts
    already set stay until their base is set again."""
    if not scope.can(by, scope.Cap.RULES_MANAGE):
        raise PermissionDenied("只有区委组织部可以修改党费交纳标准。")
    rows = {rule.pk: rule for rule in DuesRule.objects.select_for_update().order_by("pk")}
    for pk, version in (expected_versions or {}).items():
        if pk in rows and rows[pk].version != version:
            raise ValidationError(STALE_MESSAGE, code="stale")
    positions = rule_positions(rows.values())
    known = {rule_field_name(field, rule): (rule, field) for rule in rows.values() for field in RULE_FIELDS}
    unknown = set(values) - set(known)
    if unknown:
        raise ValidationError(f"没有这些交纳标准项：{'、'.join(sorted(unknown))}。", code="unknown")

    errors: dict[str, list[str]] = {}
    new: dict[int, dict[str, Decimal | None]] = {
        pk: {field: getattr(rule, field) for field in RULE_FIELDS} for pk, rule in rows.items()
    }
    for name, value in values.items():
        rule, field = known[name]
        label = rule_label(rule, positions[rule.pk])
        if getattr(rule, field) is None:
            if value not in (None, ""):
                message = {
                    "upper_bound": "最高一档没有上限，不能填写上限。",
                    "rate_percent": "该档按固定月额交纳，不能填写比例。",
                    "fixed_amount": "该档按比例交纳，不能填写固定月额。",
                }[field]
                errors.setdefault(name, []).append(f"{label}：{message}")
            continue
        field_label = {
            "upper_bound": "月收入上限（元）",
            "rate_percent": "交纳比例（%）",
            "fixed_amount": "固定月额（元）",
        }
        try:
            amount = parse_money(value, field=name, label=f"{label}{field_label[field]}")
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            continue
        if field == "rate_percent" and not Decimal("0") < amount <= Decimal("100"):
            errors.setdefault(name, []).append(f"{label}交纳比例应大于 0、不超过 100，填写的是 {amount}。")
            continue
        if field == "upper_bound" and amount <= 0:
            errors.setdefault(name, []).append(f"{label}月收入上限应大于 0。")
            continue
        new[rule.pk][field] = amount

    if not errors:
        by_class: dict[str, list[DuesRule]] = defaultdict(list)
        for rule in rows.values():
            by_class[rule.income_class].append(rule)
        for rules in by_class.values():
            bounded = sorted(
                (rule for rule in rules if rule.upper_bound is not None), key=lambda rule: positions[rule.pk]
            )
            for lower, higher in itertools.pairwise(bounded):
                low, high = new[lower.pk]["upper_bound"], new[higher.pk]["upper_bound"]
                if high <= low:
                    errors.setdefault(rule_field_name("upper_bound", higher), []).append(
                        f"{rule_label(higher, positions[higher.pk])}的月收入上限（{high} 元）应高于"
                        f"{rule_label(lower, positions[lower.pk])}（{low} 元）：各档上限应逐档递增。"
                    )
    if errors:
        raise ValidationError(errors)

    changed = [rule for pk, rule in rows.items() if any(getattr(rule, f) != new[pk][f] for f in RULE_FIELDS)]
    # Bounds are unique within a class: raise the raised ones from the top down and lower the
    # lowered ones from the bottom up, so no two rows hold the same bound in between.
    raised = sorted(
        (rule for rule in changed if _bound_moves(rule, new) > 0), key=lambda rule: rule.upper_bound, reverse=True
    )
    lowered = sorted((rule for rule in changed if _bound_moves(rule, new) < 0), key=lambda rule: rule.upper_bound)
    others = [rule for rule in changed if _bound_moves(rule, new) == 0]
    for rule in [*raised, *lowered, *others]:
        for field in RULE_FIELDS:
            setattr(rule, field, new[rule.pk][field])
        rule.version += 1
        rule._history_user = by
        rule.full_clean()
        rule.save()
    return changed


def _bound_moves(rule: DuesRule, new: Mapping[int, Mapping[str, Decimal | None]]) -> int:
    old, value = rule.upper_bound, new[rule.pk]["upper_bound"]
    if old is None or value is None or old == value:
        return 0
    return 1 if value > old else -1


# --- Income bases ------------------------------------------------------------------------------


def _check_year(year: Any) -> int:
    today = timezone.localdate()
    try:
        value = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": f"年度应为四位数字，如 {today.year}。"}, code="invalid") from None
    if not 2000 <= value <= today.year + 1:
        raise ValidationError({"year": f"年度应在 2000 至 {today.year + 1} 之间，填写的是 {value}。"}, code="range")
    return value


def _reprice_due_months(member: Member, year: int, amount: Decimal) -> int:
    """A changed base changes what is still owed for that year; paid, exempt and reduced months
    keep their amount."""
    return (
        DuesMonth.objects.filter(
            member=member,
            month__gte=datetime.date(year, 1, 1),
            month__lte=datetime.date(year, 12, 1),
            status=DuesMonthStatus.DUE,
            relief__isnull=True,
        )
        .exclude(amount_due=amount)
        .update(amount_due=amount, version=F("version") + 1)
    )


def _base_set(
    *,
    member: Member,
    year: Any,
    income_class: str,
    monthly_income: Any,
    by: User | None,
    expected_version: int | None,
    rules: list[DuesRule] | None,
) -> tuple[DuesBase, bool]:
    errors: dict[str, list[str]] = {}
    year = _collect(errors, lambda: _check_year(year))
    _collect(errors, lambda: _check_income_class(income_class))
    income = _collect(errors, lambda: parse_money(monthly_income, field="monthly_income", label="月收入（元）"))
    if member.status != MemberStatus.ACTIVE:
        errors.setdefault("member", []).append(
            f"{member.name}当前为“{member.get_status_display()}”，不在册，不能核定党费基数。"
        )
    if errors:
        raise ValidationError(errors)
    amount = monthly_amount(income_class, income, rules if rules is not None else load_dues_rules())
    # Lock the base's row only (its default ordering would join, and lock, the member and unit).
    base = DuesBase.objects.select_for_update(of=("self",)).filter(member=member, year=year).order_by("pk").first()
    if expected_version is not None and (base.version if base else 0) != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if base is not None and (base.income_class, base.monthly_income, base.monthly_amount) == (
        income_class,
        income,
        amount,
    ):
        return base, False
    if base is None:
        base = DuesBase(member=member, year=year)
    else:
        base.version += 1
    base.income_class = income_class
    base.monthly_income = income
    base.monthly_amount = amount
    base.set_by = by
    base._history_user = by
    base.full_clean(exclude=["member", "set_by"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            base.save()
    except IntegrityError as exc:
        raise ValidationError(
            f"{member.name}{year}年度的党费基数刚刚被他人核定，请刷新后查看。", code="conflict"
        ) from exc
    _reprice_due_months(member, year, amount)
    return base, True


@transaction.atomic
def dues_base_set(
    *,
    member: Member,
    year: int,
    income_class: str,
    monthly_income: Any,
    by: User | None,
    expected_version: int | None = None,
) -> DuesBase:
    """A cadre sets (or changes) a member's income base for a year. The monthly amount is
    computed by the rules in force and stored; the year's months still due take the new amount.
    `expected_version` is the base's version when the page showed it (0: there was none)."""
    base, _ = _base_set(
        member=member,
        year=year,
        income_class=income_class,
        monthly_income=monthly_income,
        by=by,
        expected_version=expected_version,
        rules=None,
    )
    return base


@dataclass
class BaseEntry:
    """One row of a branch's yearly sheet (the page's formset or a row of the uploaded file)."""

    member: Member
    income_class: str
    monthly_income: Any
    expected_version: int | None = None


class SheetRefused(Exception):
    """Rows of a sheet the service refused: {row index: {field: [messages]}}; nothing was saved."""

    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(f"{len(errors)} 行未通过")
        self.errors = errors


@transaction.atomic
def dues_bases_save(*, year: int, entries: Sequence[BaseEntry], by: User | None) -> int:
    """Save a branch's sheet: every row is checked, and either all are saved or none (a refusal
    of any row raises SheetRefused with every row's errors). Returns how many bases changed."""
    rules = load_dues_rules()
    errors: dict[int, dict[str, list[str]]] = {}
    changed = 0
    seen: dict[int, int] = {}
    for index, entry in enumerate(entries):
        if entry.member.pk in seen:
            errors[index] = {"member": [f"{entry.member.name}在第 {seen[entry.member.pk] + 1} 行已经填写。"]}
            continue
        seen[entry.member.pk] = index
        try:
            with transaction.atomic():
                _, did = _base_set(
                    member=entry.member,
                    year=year,
                    income_class=entry.income_class,
                    monthly_income=entry.monthly_income,
                    by=by,
                    expected_version=entry.expected_version,
                    rules=rules,
                )
        except ValidationError as error:
            errors[index] = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            continue
        changed += did
    if errors:
        raise SheetRefused(errors)
    return changed


# --- The monthly ledger ------------------------------------------------------------------------


def _members_q(prefix: str, units: Iterable[OrgUnit] | None) -> Q | None:
    """Members of the given units (and below), through the lookup `prefix`; None: no unit given."""
    if units is None:
        return Q()
    condition = Q()
    found = False
    for unit in units:
        condition |= Q(**{f"{prefix}branch__path__startswith": unit.path})
        found = True
    return condition if found else None


def _relief_for(reliefs: list[DuesRelief], month: datetime.date) -> DuesRelief | None:
    for relief in reliefs:
        if relief.start_month <= month <= relief.end_month:
            return relief
    return None


def dues_open_months(*, through: datetime.date, units: Iterable[OrgUnit] | None = None) -> int:
    """Open the missing months of the ledger: for every member on the roll (status active) with a
    base for the year of `through`, each month from January (or the month they joined the Party
    or were registered on the platform, if later) through the month of `through`. A month takes
    the base's amount, or an approved relief's: exempt (0) or the reduced amount. Idempotent: a
    month already open is left as it is. Returns how many months were opened.

    Set-based: three reads (bases, approved reliefs, months already open) and one INSERT per
    2,000 rows, whatever the number of members."""
    last = month_start(through)
    first = datetime.date(last.year, 1, 1)
    unit_q = _members_q("member__", units)
    if unit_q is None:
        return 0
    bases = list(
        DuesBase.objects.filter(unit_q, year=last.year, member__status=MemberStatus.ACTIVE)
        .order_by()
        .values_list("member_id", "monthly_amount", "member__join_date", "member__created_at", "member__district_id")
    )
    if not bases:
        return 0
    on_roll = Q(member__status=MemberStatus.ACTIVE, member__dues_bases__year=last.year) & unit_q
    reliefs: dict[int, list[DuesRelief]] = defaultdict(list)
    for relief in (
        DuesRelief.objects.filter(on_roll, status=ApprovalStatus.APPROVED, start_month__lte=last, end_month__gte=first)
        .order_by("member_id", "-decided_at", "-pk")
        .only("pk", "member_id", "kind", "start_month", "end_month", "reduced_amount")
    ):
        reliefs[relief.member_id].append(relief)
    existing = set(
        DuesMonth.objects.filter(on_roll, month__gte=first, month__lte=last)
        .order_by()
        .values_list("member_id", "month")
    )
    months = month_span(first, last)
    rows: list[DuesMonth] = []
    for member_id, amount, joined, created_at, district_id in bases:
        start = max(first, month_start(joined), month_start(timezone.localdate(created_at)))
        own_reliefs = reliefs.get(member_id, [])
        for month in months:
            if month < start or (member_id, month) in existing:
                continue
            row = DuesMonth(member_id=member_id, district_id=district_id, month=month, amount_due=amount)
            relief = _relief_for(own_reliefs, month) if own_reliefs else None
            if relief is not None:
                row.relief_id = relief.pk
                if relief.kind == ReliefKind.EXEMPTION:
                    row.status, row.amount_due = DuesMonthStatus.EXEMPT, ZERO
                else:
                    row.amount_due = relief.reduced_amount
            rows.append(row)
    if rows:
        DuesMonth.objects.bulk_create(rows, batch_size=BULK_BATCH, ignore_conflicts=True)
    return len(rows)


# --- Payments ----------------------------------------------------------------------------------


def _check_method(method: str) -> None:
    if method not in PaymentMethod.values:
        choices = "、".join(str(label) for label in PaymentMethod.labels)
        raise ValidationError({"method": f"请选择支付方式：{choices}。"}, code="invalid")


def _month_refusal(row: DuesMonth) -> str | None:
    if row.status == DuesMonthStatus.PAID:
        return f"{month_label(row.month)}的党费已由他人登记为已交，请刷新后查看。"
    if row.status == DuesMonthStatus.EXEMPT:
        return f"{month_label(row.month)}的党费已批准免交，无需交纳。"
    return None


def _payment_kind(kind: str, months: Sequence[DuesMonth], paid_on: datetime.date) -> str:
    """Proxy when someone paid for the member; late when any month is before the month it was
    paid in; otherwise the member's own payment on time."""
    if kind == PaymentKind.PROXY:
        return PaymentKind.PROXY
    if any(row.month < month_start(paid_on) for row in months):
        return PaymentKind.LATE
    return PaymentKind.SELF


def _create_payment(
    *,
    member: Member,
    months: Sequence[DuesMonth],
    amount: Decimal,
    paid_on: datetime.date,
    method: str,
    kind: str,
    payer_name: str,
    receipt_number: str,
    note: str,
    by: User | None,
) -> DuesPayment:
    payment = DuesPayment(
        member=member,
        kind=_payment_kind(kind, months, paid_on),
        method=method,
        amount=amount,
        paid_on=paid_on,
        payer_name=(payer_name or "").strip() if kind == PaymentKind.PROXY else "",
        receipt_number=(receipt_number or "").strip(),
        note=(note or "").strip(),
        recorded_by=by,
    )
    payment._history_user = by
    payment.full_clean(exclude=["member", "recorded_by"])
    payment.save()
    DuesMonth.objects.filter(pk__in=[row.pk for row in months]).update(
        status=DuesMonthStatus.PAID, payment=payment, version=F("version") + 1
    )
    return payment


def _check_paid_on(paid_on: Any) -> datetime.date:
    if not isinstance(paid_on, datetime.date):
        raise ValidationError({"paid_on": "请填写交纳日期。"}, code="required")
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "交纳日期不能晚于今天。"}, code="future")
    return paid_on


@transaction.atomic
def dues_payment_record(
    *,
    member: Member,
    month_ids: Iterable[int],
    amount: Any,
    paid_on: datetime.date,
    by: User | None,
    method: str = PaymentMethod.CASH,
    kind: str = PaymentKind.SELF,
    payer_name: str = "",
    receipt_number: str = "",
    note: str = "",
) -> DuesPayment:
    """Record money received for one or more of a member's months. The amount must equal what
    the months owe. The months are locked for this transaction and checked again under the lock,
    so two cadres recording the same payment at once produce one payment; the other is told the
    month is already paid. A payment for a month before the month it is paid in is a late
    payment (补缴) unless someone paid on the member's behalf (代缴, with the payer's name)."""
    ids = sorted({int(pk) for pk in month_ids})
    if not ids:
        raise ValidationError({"months": "请选择要交纳的月份。"}, code="required")
    errors: dict[str, list[str]] = {}
    value = _collect(errors, lambda: parse_money(amount, field="amount", label="金额（元）"))
    _collect(errors, lambda: _check_paid_on(paid_on))
    _collect(errors, lambda: _check_method(method))
    if kind not in PaymentKind.values:
        errors.setdefault("kind", []).append("请选择交纳方式：本人交纳或代缴。")
    if kind == PaymentKind.PROXY and not (payer_name or "").strip():
        errors.setdefault("payer_name", []).append("代缴请填写代缴人姓名。")
    if errors:
        raise ValidationError(errors)

    months = list(DuesMonth.objects.select_for_update().filter(member=member, pk__in=ids).order_by("month", "pk"))
    if len(months) != len(ids):
        raise ValidationError({"months": "所选月份不在该党员的党费账目中，请刷新后重新选择。"}, code="unknown")
    refusals = [message for row in months if (message := _month_refusal(row))]
    if refusals:
        raise ValidationError({"months": refusals}, code="not_due")
    expected = sum((row.amount_due for row in months), ZERO)
    if value != expected:
        detail = "、".join(f"{month_label(row.month)} {row.amount_due} 元" for row in months)
        raise ValidationError(
            {"amount": f"金额应等于所选月份应交之和 {expected} 元（{detail}），填写的是 {value} 元。"},
            code="amount",
        )
    return _create_payment(
        member=member,
        months=months,
        amount=expected,
        paid_on=paid_on,
        method=method,
        kind=kind,
        payer_name=payer_name,
        receipt_number=receipt_number,
        note=note,
        by=by,
    )


@transaction.atomic
def dues_batch_record(
    *,
    month_ids: Iterable[int],
    paid_on: datetime.date,
    by: User | None,
    method: str = PaymentMethod.CASH,
    members: Iterable[Member] | None = None,
) -> list[DuesPayment]:
    """Record several members' months at once (a branch collecting the month's dues): each
    member gets their own payment for what their ticked months owe. All or nothing: a month paid
    meanwhile by someone else refuses the whole batch, naming the member and the month.
    `members` (when given) are the members the page offered; a month of anyone else is refused."""
    ids = sorted({int(pk) for pk in month_ids})
    if not ids:
        raise ValidationError({"months": "请至少勾选一名党员的月份。"}, code="required")
    errors: dict[str, list[str]] = {}
    _collect(errors, lambda: _check_paid_on(paid_on))
    _collect(errors, lambda: _check_method(method))
    if errors:
        raise ValidationError(errors)
    queryset = DuesMonth.objects.select_for_update(of=("self",)).select_related("member").filter(pk__in=ids)
    if members is not None:
        queryset = queryset.filter(member__in=[member.pk for member in members])
    rows = list(queryset.order_by("member_id", "month", "pk"))
    if len(rows) != len(ids):
        raise ValidationError({"months": "所选月份中有不在本页名单内的，请刷新后重新勾选。"}, code="unknown")
    refusals = [f"{row.member.name}：{message}" for row in rows if (message := _month_refusal(row))]
    if refusals:
        raise ValidationError({"months": refusals}, code="not_due")
    by_member: dict[int, list[DuesMonth]] = defaultdict(list)
    for row in rows:
        by_member[row.member_id].append(row)
    return [
        _create_payment(
            member=months[0].member,
            months=months,
            amount=sum((row.amount_due for row in months), ZERO),
            paid_on=paid_on,
            method=method,
            kind=PaymentKind.SELF,
            payer_name="",
            receipt_number="",
            note="",
            by=by,
        )
        for months in by_member.values()
    ]


# --- Reductions and exemptions -----------------------------------------------------------------


def _check_month(value: Any, field: str, label: str) -> datetime.date:
    if not isinstance(value, datetime.date):
        raise ValidationError({field: f"请填写{label}，如 2026-09。"}, code="required")
    return month_start(value)


@transaction.atomic
def dues_relief_request(
    *,
    member: Member,
    kind: str,
    start_month: datetime.date,
    end_month: datetime.date,
    reason: str,
    by: User | None,
    reduced_amount: Any = None,
) -> DuesRelief:
    """A cadre asks for a member's dues to be reduced or waived for some months (at most
    RELIEF_MAX_MONTHS). It applies only once someone else with the right to approve has approved
    it; a member has at most one open or approved relief for any month."""
    errors: dict[str, list[str]] = {}
    if kind not in ReliefKind.values:
        errors["kind"] = ["请选择减免类型：减交或免交。"]
    start = _collect(errors, lambda: _check_month(start_month, "start_month", "起始月份"))
    end = _collect(errors, lambda: _check_month(end_month, "end_month", "截止月份"))
    amount = None
    if kind == ReliefKind.REDUCTION:
        amount = _collect(errors, lambda: parse_money(reduced_amount, field="reduced_amount", label="减交后月额（元）"))
    elif kind == ReliefKind.EXEMPTION and reduced_amount not in (None, ""):
        errors["reduced_amount"] = ["免交不需要填写月额。"]
    if not (reason or "").strip():
        errors["reason"] = ["请填写减免原因。"]
    if start and end:
        if end < start:
            errors.setdefault("end_month", []).append("截止月份不能早于起始月份。")
        elif len(month_span(start, end)) > RELIEF_MAX_MONTHS:
            errors.setdefault("end_month", []).append(
                f"减免期限一次最长 {RELIEF_MAX_MONTHS} 个月（{month_label(start)}起至多到"
                f"{month_label(shift_month(start, RELIEF_MAX_MONTHS - 1))}），期满后可重新申请。"
            )
    if errors:
        raise ValidationError(errors)
    # One request at a time per member: lock the member while looking for overlaps.
    Member.objects.select_for_update(of=("self",)).filter(pk=member.pk).first()
    if amount is not None:
        base = DuesBase.objects.filter(member=member, year=start.year).first()
        if base is not None and amount >= base.monthly_amount:
            raise ValidationError(
                {"reduced_amount": f"减交后月额应低于{start.year}年核定的月交纳额 {base.monthly_amount} 元。"}
            )
    overlap = (
        DuesRelief.objects.filter(
            member=member,
            status__in=[ApprovalStatus.REQUESTED, ApprovalStatus.APPROVED],
            start_month__lte=end,
            end_month__gte=start,
        )
        .order_by("start_month")
        .first()
    )
    if overlap is not None:
        raise ValidationError(
            {
                "start_month": f"{member.name}{month_label(overlap.start_month)}至{month_label(overlap.end_month)}"
                f"已有{overlap.get_kind_display()}（{overlap.get_status_display()}），月份不能重叠。"
            },
            code="overlap",
        )
    relief = DuesRelief(
        member=member,
        kind=kind,
        start_month=start,
        end_month=end,
        reduced_amount=amount,
        reason=reason.strip(),
        requested_by=by,
    )
    relief._history_user = by
    relief.full_clean(exclude=["member", "requested_by"])
    relief.save()
    return relief


def _decision_refusal(relief: DuesRelief) -> str:
    who = relief.decided_by.display_name if relief.decided_by else "他人"
    when = timezone.localtime(relief.decided_at) if relief.decided_at else None
    day = f"{when.year}年{when.month}月{when.day}日" if when else ""
    verdict = "批准" if relief.status == ApprovalStatus.APPROVED else "决定不予批准"
    return f"该申请已由{who}于{day}{verdict}，不能重复审批。"


@transaction.atomic
def dues_relief_decide(
    *,
    relief: DuesRelief,
    approve: bool,
    by: User,
    note: str = "",
    expected_version: int | None = None,
) -> DuesRelief:
    """Approve or refuse a relief, once, by someone with the right to approve who did not ask for
    it. The request is locked and its status checked again under the lock, so a second decision
    (two secretaries at once, or the same page posted twice) is refused with who decided and when.
    An approval applies to the months already open and still due; months opened later take it
    when they are opened."""
    if not scope.can(by, scope.Cap.DUES_APPROVE):
        raise PermissionDenied("只有社区书记及以上的组织可以审批党费减免。")
    locked = DuesRelief.objects.select_for_update(of=("self",)).select_related("decided_by").get(pk=relief.pk)
    if locked.status != ApprovalStatus.REQUESTED:
        raise ValidationError(_decision_refusal(locked), code="decided")
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if locked.requested_by_id is not None and locked.requested_by_id == by.pk:
        raise ValidationError("不能审批自己提交的减免申请，请由其他有审批权限的同志审批。", code="own")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"decision_note": "不予批准时请填写理由，以便经办人告知党员。"}, code="required")
    locked.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_note = note[:200]
    locked.version += 1
    locked._history_user = by
    locked.full_clean(exclude=["member", "requested_by", "decided_by"])
    locked.save()
    if approve:
        months = DuesMonth.objects.filter(
            member_id=locked.member_id,
            month__gte=locked.start_month,
            month__lte=locked.end_month,
            status=DuesMonthStatus.DUE,
        )
        if locked.kind == ReliefKind.EXEMPTION:
            months.update(status=DuesMonthStatus.EXEMPT, amount_due=ZERO, relief=locked, version=F("version") + 1)
        else:
            months.update(amount_due=locked.reduced_amount, relief=locked, version=F("version") + 1)
    return locked
