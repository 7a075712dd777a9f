"""Demo dues (党费): a base for every member on the roll (most in work or retired, with incomes
that fall in every bracket, a few on the minimal rate), the ledger from January (or nine months
back, whichever is earlier) through this month, and the payments behind it.

About nine in ten months are paid: most members monthly, some a quarter at a time, some by a
family member (代缴), some late (补缴). About 7% owe one to five recent months; about 1% have
paid nothing for six months or more, so the blind-spot scan opens six-month no-dues cases for
them (chosen first among members with no attendance record, where there is one). A few reliefs
show each state: approved exemptions and reductions, requests waiting, one refused.

Everything is written in bulk. Seeding again adds nothing: bases for this year already there
mean the dues were seeded.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import AutoField, Model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from dangjian.core.models import User
from dangjian.members.choices import (
    ApprovalStatus,
    DuesMonthStatus,
    IncomeClass,
    MemberStatus,
    PaymentKind,
    PaymentMethod,
    ReliefKind,
)
from dangjian.members.models import DuesBase, DuesMonth, DuesPayment, DuesRelief, Member, monthly_amount
from dangjian.members.services.dues import load_dues_rules, month_span, month_start, shift_month

BATCH = 2000
HOME_COMMUNITY = "JD01-SQ01-"
METHODS = list(PaymentMethod.values)
FAMILY = ["配偶", "子女", "父母", "兄弟姐妹"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国 秀英 桂兰 志强 海燕 丽娟 国华 文杰 红梅 德明 玉兰 建华".split()


def _insert(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """Insert plain rows (values by attribute name) in batches with one prepared statement.

    The ORM's bulk_create prepares every value of every object through the field machinery,
    which for the ~90,000 ledger, payment and history rows of the demo takes longer than the rest
    of the demo together; here each column is adapted by one function chosen once."""
    if not rows:
        return
    ops = connection.ops
    fields = [field for field in model._meta.local_concrete_fields if not isinstance(field, AutoField)]
    adapters: list[Any] = []
    for field in fields:
        kind = field.get_internal_type()
        if kind == "DecimalField":
            adapters.append(lambda value, f=field: ops.adapt_decimalfield_value(value, f.max_digits, f.decimal_places))
        elif kind == "DateTimeField":
            seen: dict[Any, Any] = {}  # the demo writes one moment on many rows
            adapters.append(
                lambda value, seen=seen: seen.get(value) or seen.setdefault(value, ops.adapt_datetimefield_value(value))
            )
        elif kind == "DateField":
            adapters.append(ops.adapt_datefield_value)
        else:
            adapters.append(None)
    defaults = {field.attname: field.get_default() for field in fields}
    quote = ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    names = [field.attname for field in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            values = []
            for row in rows[start : start + BATCH]:
                record = []
                for name, adapt in zip(names, adapters, strict=True):
                    value = row.get(name, defaults[name])
                    record.append(adapt(value) if adapt is not None and value is not None else value)
                values.append(record)
            cursor.executemany(sql, values)


def _with_history(model: type[Model], rows: list[dict[str, Any]], user: User | None) -> list[dict[str, Any]]:
    """The creation records django-simple-history keeps for `rows` (which carry their ids)."""
    moment = timezone.now()
    return [
        {**row, "history_date": moment, "history_type": "+", "history_user_id": user.pk if user else None}
        for row in rows
    ]


def _income(rng: random.Random, income_class: str) -> Decimal:
    """A monthly income that fits the class, spread over the brackets (some exactly on a bound)."""
    if income_class == IncomeClass.MINIMAL:
        return Decimal("0.00")
    if income_class == IncomeClass.RETIREE:
        if rng.random() < 0.03:
            return Decimal("5000.00")
        return Decimal(rng.randrange(2600_00, 7800_00, 50)) / 100
    roll = rng.random()
    if roll < 0.03:
        return Decimal(rng.choice(["3000.00", "5000.00", "10000.00"]))
    low, high = (
        (2200, 3000)
        if roll < 0.17
        else (3000, 5000)
        if roll < 0.52
        else (5000, 10000)
        if roll < 0.89
        else (10000, 22000)
    )
    return Decimal(rng.randrange(low * 100, high * 100, 10)) / 100


def _income_class(rng: random.Random, age: int, occupation: str, codes: set[str]) -> str:
    if "laid_off" in codes and rng.random() < 0.6:
        return IncomeClass.MINIMAL
    if "in_hardship" in codes and rng.random() < 0.4:
        return IncomeClass.MINIMAL
    if age < 24 and rng.random() < 0.5:
        return IncomeClass.MINIMAL  # students
    if "enterprise_retiree" in codes or "退休" in occupation or age >= 62:
        return IncomeClass.RETIREE
    return IncomeClass.IN_WORK


def _payday(rng: random.Random, month: datetime.date, today: datetime.date, *, late: bool) -> datetime.date:
    """A day inside `month` (on time) or in one of the following months (late), not after today."""
    if late:
        month = shift_month(month, rng.randint(1, 2))
    day = month.replace(day=rng.randint(1, 25))
    if day > today:
        day = today if today >= month else month
    return day


@transaction.atomic
def seed_dues(*, rng: random.Random, today: datetime.date) -> int:
    """Add the demo dues when missing; return how many records were created."""
    if DuesBase.objects.filter(year=today.year).exists():
        return 0
    rules = load_dues_rules()
    recorder = User.objects.filter(username="ganbu").first()
    approver = User.objects.filter(username="shuji").first()
    own_account = User.objects.filter(username="dangyuan").first()
    current = month_start(today)
    last_complete = shift_month(current, -1)
    start = min(datetime.date(today.year, 1, 1), shift_month(current, -9))

    members = list(
        Member.objects.filter(status=MemberStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "district_id", "birth_date", "join_date", "occupation", "user_id", "branch__code")
    )
    if not members:
        return 0
    codes: dict[int, set[str]] = defaultdict(set)
    for member_id, code in Member.categories.through.objects.filter(member__status=MemberStatus.ACTIVE).values_list(
        "member_id", "membercategory__code"
    ):
        codes[member_id].add(code)

    # --- Bases, for each year the ledger covers.
    bases: list[DuesBase] = []
    amount_of: dict[tuple[int, int], Decimal] = {}
    for member_id, district_id, birth, _, occupation, _, _ in members:
        age = today.year - birth.year
        income_class = _income_class(rng, age, occupation or "", codes[member_id])
        income = _income(rng, income_class)
        for year in range(start.year, today.year + 1):
            # Last year's income a little lower, as pay rises.
            year_income = income if year == today.year else (income * Decimal("0.97")).quantize(Decimal("0.01"))
            amount = monthly_amount(income_class, year_income, rules)
            amount_of[(member_id, year)] = amount
            bases.append(
                DuesBase(
                    member_id=member_id,
                    district_id=district_id,
                    year=year,
                    income_class=income_class,
                    monthly_income=year_income,
                    monthly_amount=amount,
                    set_by=recorder,
                )
            )
    bulk_create_with_history(bases, DuesBase, batch_size=2000, default_user=recorder)

    # --- Who is behind: ~1% six months or more, ~7% one to five months.
    ids = [row[0] for row in members if row[5] is None or own_account is None or row[5] != own_account.pk]
    from dangjian.orglife.models import Attendance

    attended = set(Attendance.objects.values_list("member_id", flat=True).distinct())
    never_attended = [pk for pk in ids if pk not in attended] if attended else []
    six_count = max(3, round(len(members) * 0.01))
    rng.shuffle(never_attended)
    six = set(never_attended[: six_count // 2])
    rest = [pk for pk in ids if pk not in six]
    rng.shuffle(rest)
    take = six_count - len(six)
    six.update(rest[:take])
    rest = rest[take:]
    arrears_count = round(len(members) * 0.07)
    behind: dict[int, int] = {pk: rng.choice([6, 6, 7, 8]) for pk in six}
    for pk in rest[:arrears_count]:
        behind[pk] = rng.choices([1, 2, 3, 4, 5], weights=[40, 25, 15, 12, 8])[0]
    # Reliefs in every state in the demo accounts' own community (翠湖社区) first, then elsewhere.
    candidates = rest[arrears_count:]
    home = {row[0] for row in members if row[6].startswith(HOME_COMMUNITY)}
    relief_pool = [pk for pk in candidates if pk in home][:10] + [pk for pk in candidates if pk not in home][:30]

    # --- Reliefs: approved exemptions and reductions, requests waiting, refused.
    reliefs: list[DuesRelief] = []
    district_of = {row[0]: row[1] for row in members}
    plans = [
        (ReliefKind.EXEMPTION, ApprovalStatus.APPROVED),
        (ReliefKind.REDUCTION, ApprovalStatus.APPROVED),
        (ReliefKind.EXEMPTION, ApprovalStatus.REQUESTED),
        (ReliefKind.REDUCTION, ApprovalStatus.REQUESTED),
        (ReliefKind.REDUCTION, ApprovalStatus.REFUSED),
    ] * 8
    reasons = {
        ReliefKind.EXEMPTION: ["长期患病住院，无固定收入", "下岗失业，家庭生活困难", "年老体弱，仅靠低保生活"],
        ReliefKind.REDUCTION: ["家庭成员重病，医疗支出大", "企业停产，工资大幅减少", "独自抚养子女，收入较低"],
    }
    for member_id, (kind, status) in zip(relief_pool, plans, strict=False):
        # Decided reliefs began some months ago; a request waiting asks from this month or the next.
        first = shift_month(current, rng.randint(0, 1) if status == ApprovalStatus.REQUESTED else -rng.randint(2, 6))
        last = shift_month(first, rng.randint(3, 8))
        amount = amount_of[(member_id, today.year)]
        reduced = None
        if kind == ReliefKind.REDUCTION and amount <= Decimal("0.40"):
            kind = ReliefKind.EXEMPTION  # nothing to reduce on the minimal rate
        if kind == ReliefKind.REDUCTION:
            reduced = max(Decimal("0.20"), (amount / 2).quantize(Decimal("0.01")))
        decided = status != ApprovalStatus.REQUESTED
        reliefs.append(
            DuesRelief(
                member_id=member_id,
                district_id=district_of[member_id],
                kind=kind,
                start_month=first,
                end_month=last,
                reduced_amount=reduced,
                reason=rng.choice(reasons[kind]),
                status=status,
                requested_by=recorder,
                decided_by=approver if decided else None,
                decided_at=timezone.now() - datetime.timedelta(days=rng.randint(20, 50)) if decided else None,
                decision_note="" if status != ApprovalStatus.REFUSED else "收入已恢复正常，不符合减免条件",
                version=2 if decided else 1,
            )
        )
    reliefs = bulk_create_with_history(reliefs, DuesRelief, batch_size=500, default_user=recorder)
    # Asked for some days before they were decided (created_at is set on insert: dated here).
    for relief in reliefs:
        decided_or_now = relief.decided_at or timezone.now()
        relief.created_at = decided_or_now - datetime.timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 8))
    DuesRelief.objects.bulk_update(reliefs, ["created_at"], batch_size=500)
    approved = {relief.member_id: relief for relief in reliefs if relief.status == ApprovalStatus.APPROVED}

    # --- The ledger and the payments behind it.
    months_all = month_span(start, current)
    payments: list[dict[str, Any]] = []
    paid_months: list[list[dict[str, Any]]] = []
    rows: list[dict[str, Any]] = []
    sequence = 0
    now = timezone.now()

    def pay(member_id: int, district_id: int, covered: list[dict[str, Any]]) -> None:
        """One payment for `covered`: a quarter is paid in advance in its first month; a single
        month in that month, or now and then a month or two later (补缴)."""
        nonlocal sequence
        if len(covered) > 1:
            paid_on = _payday(rng, covered[0]["month"], today, late=False)
        else:
            late = rng.random() < 0.06 and covered[0]["month"] < last_complete
            paid_on = _payday(rng, covered[0]["month"], today, late=late)
        proxy = rng.random() < 0.08
        if proxy:
            kind = PaymentKind.PROXY
        elif any(item["month"] < month_start(paid_on) for item in covered):
            kind = PaymentKind.LATE
        else:
            kind = PaymentKind.SELF
        sequence += 1
        payments.append(
            {
                "member_id": member_id,
                "district_id": district_id,
                "kind": kind,
                "method": rng.choices(METHODS, weights=[45, 20, 35])[0],
                "amount": sum((item["amount_due"] for item in covered), Decimal("0.00")),
                "paid_on": paid_on,
                "payer_name": f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}（{rng.choice(FAMILY)}）" if proxy else "",
                "receipt_number": f"DF{paid_on.year}{sequence:06d}",
                "note": "",
                "recorded_by_id": recorder.pk if recorder else None,
                "created_at": now,
            }
        )
        paid_months.append(covered)

    for member_id, district_id, _, joined, _, _, _ in members:
        first = max(start, month_start(joined))
        owed_from = shift_month(last_complete, -behind[member_id] + 1) if member_id in behind else None
        relief = approved.get(member_id)
        quarterly = rng.random() < 0.15
        pending: list[dict[str, Any]] = []
        for month in months_all:
            if month < first:
                continue
            row = {
                "member_id": member_id,
                "district_id": district_id,
                "month": month,
                "amount_due": amount_of[(member_id, month.year)],
                "status": DuesMonthStatus.DUE,
                "payment_id": None,
                "relief_id": None,
                "version": 1,
            }
            if relief is not None and relief.start_month <= month <= relief.end_month:
                row["relief_id"] = relief.pk
                if relief.kind == ReliefKind.EXEMPTION:
                    row["status"], row["amount_due"] = DuesMonthStatus.EXEMPT, Decimal("0.00")
                else:
                    row["amount_due"] = relief.reduced_amount
            rows.append(row)
            unpaid = (owed_from is not None and owed_from <= month <= last_complete) or (
                month == current and rng.random() < 0.55
            )
            if row["status"] == DuesMonthStatus.EXEMPT or unpaid:
                if pending:  # what was gathered for a quarter is paid before the gap
                    pay(member_id, district_id, pending)
                    pending = []
                continue
            pending.append(row)
            if quarterly and month.month % 3 and month < current:
                continue  # a quarter is paid together, at its start
            pay(member_id, district_id, pending)
            pending = []
        if pending:
            pay(member_id, district_id, pending)

    _insert(DuesPayment, payments)
    ids = dict(DuesPayment.objects.filter(created_at=now).values_list("receipt_number", "pk"))
    for payment, covered in zip(payments, paid_months, strict=True):
        payment["id"] = ids[payment["receipt_number"]]
        for row in covered:
            row["status"], row["payment_id"] = DuesMonthStatus.PAID, payment["id"]
    _insert(DuesPayment.history.model, _with_history(DuesPayment, payments, recorder))
    _insert(DuesMonth, rows)
    return len(bases) + len(reliefs) + len(payments) + len(rows)
