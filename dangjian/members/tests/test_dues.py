"""Party dues (党费): the brackets at their edges and the rounding, income bases, the ledger
opened in bulk, payments (also two cadres at once), reductions and exemptions with their
approval, the arrears figures, a member's dues tab, and the import of a branch's sheet."""

from __future__ import annotations

import datetime
import io
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.core.tests.markers import postgres_only
from dangjian.members import dues_import
from dangjian.members.choices import DEFAULT_DUES_RULES, ApprovalStatus, PaymentKind
from dangjian.members.exports_dues import BASE_COLUMNS, write_base_template
from dangjian.members.models import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule, Member, to_fen
from dangjian.members.selectors import dues as selectors
from dangjian.members.services import dues as services
from dangjian.members.services.dues import month_label, shift_month
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def dues_rules(db):
    """The brackets the migration seeds (a transactional test elsewhere may have emptied the
    table since), as they stand in the Party's rules."""
    for income_class, bound, rate, fixed in DEFAULT_DUES_RULES:
        DuesRule.objects.get_or_create(
            income_class=income_class,
            upper_bound=Decimal(bound) if bound else None,
            defaults={
                "rate_percent": Decimal(rate) if rate else None,
                "fixed_amount": Decimal(fixed) if fixed else None,
            },
        )


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def january() -> datetime.date:
    return datetime.date(timezone.localdate().year, 1, 1)


def registered_since(member: Member, day: datetime.date) -> Member:
    """The member as if registered on the platform on `day` (a roll imported long ago)."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    Member.objects.filter(pk=member.pk).update(created_at=moment)
    return Member.objects.get(pk=member.pk)


def on_roll(branch, name: str, *, since: datetime.date | None = None, **fields) -> Member:
    return registered_since(make_member(branch, name, **fields), since or january())


def base(member: Member, income: str = "4000.00", income_class: str = "in_work", year: int | None = None, by=None):
    return services.dues_base_set(
        member=member,
        year=year or timezone.localdate().year,
        income_class=income_class,
        monthly_income=income,
        by=by,
    )


def months_of(member: Member) -> list[DuesMonth]:
    return list(DuesMonth.objects.filter(member=member).order_by("month"))


def snapshot() -> tuple[list[Any], ...]:
    return (
        list(DuesBase.objects.order_by("pk").values_list("pk", "monthly_income", "monthly_amount", "version")),
        list(DuesMonth.objects.order_by("pk").values_list("pk", "status", "amount_due", "payment_id", "relief_id")),
        list(DuesPayment.objects.order_by("pk").values_list("pk", "amount")),
        list(DuesRelief.objects.order_by("pk").values_list("pk", "status", "version")),
        list(DuesRule.objects.order_by("pk").values_list("pk", "upper_bound", "rate_percent", "version")),
    )


def refused(call, field: str) -> str:
    """Run a service that must refuse: the message on `field`; nothing was written."""
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        call()
    assert snapshot() == before
    messages = error.value.message_dict if hasattr(error.value, "error_dict") else {"__all__": error.value.messages}
    assert field in messages, messages
    return " ".join(messages[field])


# --- The brackets ------------------------------------------------------------------------------


def test_the_migration_seeds_the_party_brackets():
    table = {
        (rule.income_class, rule.upper_bound): (rule.rate_percent, rule.fixed_amount) for rule in DuesRule.objects.all()
    }
    assert table == {
        ("in_work", Decimal("3000.00")): (Decimal("0.50"), None),
        ("in_work", Decimal("5000.00")): (Decimal("1.00"), None),
        ("in_work", Decimal("10000.00")): (Decimal("1.50"), None),
        ("in_work", None): (Decimal("2.00"), None),
        ("retiree", Decimal("5000.00")): (Decimal("0.50"), None),
        ("retiree", None): (Decimal("1.00"), None),
        ("minimal", None): (None, Decimal("0.20")),
    }


@pytest.mark.parametrize(
    ("income_class", "income", "amount"),
    [
        # Up to and including the bound: the whole income at the bracket's rate.
        ("in_work", "3000.00", "15.00"),
        ("in_work", "3000.01", "30.00"),
        ("in_work", "5000.00", "50.00"),
        ("in_work", "5000.01", "75.00"),
        ("in_work", "10000.00", "150.00"),
        ("in_work", "10000.01", "200.00"),
        ("in_work", "0.00", "0.00"),
        ("retiree", "5000.00", "25.00"),
        ("retiree", "5000.01", "50.00"),
        ("minimal", "0", "0.20"),
        ("minimal", "1800.00", "0.20"),
        # Rounding to the fen, half up.
        ("in_work", "3333.33", "33.33"),  # 33.3333
        ("in_work", "1234.50", "6.17"),  # 6.1725
        ("in_work", "3000.50", "30.01"),  # 30.005: half up, not to even (30.00)
        ("in_work", "2999.00", "15.00"),  # 14.995
        ("retiree", "5000.50", "50.01"),  # 50.005
        ("in_work", "12345.67", "246.91"),  # 246.9134
    ],
)
def test_the_monthly_amount_at_the_bracket_edges(income_class, income, amount):
    assert services.dues_amount(income_class=income_class, monthly_income=income) == Decimal(amount)


def test_to_fen_rounds_half_up_in_decimal():
    assert to_fen(Decimal("0.005")) == Decimal("0.01")
    assert to_fen(Decimal("2.675")) == Decimal("2.68")  # 2.67 in binary floating point
    assert to_fen(Decimal("6.1725")) == Decimal("6.17")
    assert to_fen(Decimal("30.0049")) == Decimal("30.00")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "月收入（元）应为数字"),
        ("-1", "月收入（元）不能为负数"),
        ("-0.01", "月收入（元）不能为负数"),
        ("12.345", "月收入（元）最多保留两位小数"),
        ("", "请填写月收入（元）"),
        (None, "请填写月收入（元）"),
        ("NaN", "月收入（元）应为数字"),
        ("1e20", "月收入（元）超出可登记的范围"),
    ],
)
def test_bad_income_is_refused_naming_the_field(value, message):
    with pytest.raises(ValidationError) as error:
        services.dues_amount(income_class="in_work", monthly_income=value)
    assert message in error.value.message_dict["monthly_income"][0]


def test_an_unknown_income_class_is_refused_in_chinese():
    with pytest.raises(ValidationError) as error:
        services.dues_amount(income_class="rich", monthly_income="100")
    assert "请选择收入类别" in error.value.message_dict["income_class"][0]


def test_thousands_separators_and_numbers_are_read_as_yuan():
    assert services.parse_money("3,000.01", field="x", label="x") == Decimal("3000.01")
    assert services.parse_money(3000.01, field="x", label="x") == Decimal("3000.01")
    assert services.parse_money(Decimal("12"), field="x", label="x") == Decimal("12.00")


# --- Editing the brackets ----------------------------------------------------------------------


def rule(income_class: str, bound: str | None) -> DuesRule:
    return DuesRule.objects.get(income_class=income_class, upper_bound=Decimal(bound) if bound else None)


def test_the_district_changes_a_rate_and_new_bases_use_it(world):
    top = rule("in_work", None)
    name = services.rule_field_name("rate_percent", top)
    changed = services.dues_rules_update(
        values={name: "2.5"}, expected_versions={top.pk: top.version}, by=world.personas["district_organizer"]
    )
    assert [row.pk for row in changed] == [top.pk]
    top.refresh_from_db()
    assert top.rate_percent == Decimal("2.50") and top.version == 2
    assert top.history.first().history_user == world.personas["district_organizer"]
    assert services.dues_amount(income_class="in_work", monthly_income="20000") == Decimal("500.00")


def test_only_the_district_organizer_edits_the_brackets(world):
    top = rule("in_work", None)
    for persona in ("subdistrict_organizer", "community_secretary"):
        with pytest.raises(PermissionDenied):
            services.dues_rules_update(
                values={services.rule_field_name("rate_percent", top): "3"}, by=world.personas[persona]
            )


def test_bounds_must_rise_from_bracket_to_bracket_and_stale_edits_are_refused(world):
    district = world.personas["district_organizer"]
    low, middle = rule("in_work", "3000.00"), rule("in_work", "5000.00")
    name = services.rule_field_name("upper_bound", middle)
    message = refused(lambda: services.dues_rules_update(values={name: "2500"}, by=district), name)
    assert "应高于在职（按月工资收入，税后）第1档（3000.00 元）" in message
    message = refused(
        lambda: services.dues_rules_update(values={services.rule_field_name("rate_percent", low): "abc"}, by=district),
        services.rule_field_name("rate_percent", low),
    )
    assert "交纳比例（%）应为数字" in message
    message = refused(
        lambda: services.dues_rules_update(
            values={services.rule_field_name("upper_bound", rule("in_work", None)): "20000"}, by=district
        ),
        services.rule_field_name("upper_bound", rule("in_work", None)),
    )
    assert "最高一档没有上限" in message
    message = refused(
        lambda: services.dues_rules_update(
            values={services.rule_field_name("rate_percent", low): "0.6"},
            expected_versions={low.pk: low.version + 1},
            by=district,
        ),
        "__all__",
    )
    assert "已被他人修改" in message


def test_raising_every_bound_at_once_keeps_them_unique(world):
    district = world.personas["district_organizer"]
    names = {
        services.rule_field_name("upper_bound", rule("in_work", "3000.00")): "5000.00",
        services.rule_field_name("upper_bound", rule("in_work", "5000.00")): "10000.00",
        services.rule_field_name("upper_bound", rule("in_work", "10000.00")): "12000.00",
    }
    services.dues_rules_update(values=names, by=district)
    bounds = sorted(
        DuesRule.objects.filter(income_class="in_work", upper_bound__isnull=False).values_list("upper_bound", flat=True)
    )
    assert bounds == [Decimal("5000.00"), Decimal("10000.00"), Decimal("12000.00")]
    assert services.dues_amount(income_class="in_work", monthly_income="5000.00") == Decimal("25.00")


# --- Income bases ------------------------------------------------------------------------------


def test_a_cadre_sets_a_base_and_the_amount_is_stored(world):
    cadre = world.personas["community_cadre"]
    saved = base(world.members["B1"], "3000.01", by=cadre)
    assert (saved.monthly_income, saved.monthly_amount, saved.set_by) == (Decimal("3000.01"), Decimal("30.00"), cadre)
    assert saved.district == world.units["D1"]
    assert saved.history.get().history_user == cadre
    again = base(world.members["B1"], "3000.01", by=cadre)
    assert again.version == 1 and again.history.count() == 1  # nothing changed, nothing written


def test_a_base_is_refused_for_a_member_not_on_the_roll_and_for_bad_input(world):
    member = make_member(world.units["B1"], "离开者", status="transferred_out")
    message = refused(lambda: base(member), "member")
    assert "离开者当前为“已转出”，不在册" in message
    message = refused(lambda: base(world.members["B1"], "-100"), "monthly_income")
    assert "不能为负数" in message
    message = refused(lambda: base(world.members["B1"], year=1990), "year")
    assert "年度应在 2000" in message


def test_changing_a_base_reprices_only_the_months_still_due(world):
    member = on_roll(world.units["B1"], "调整者")
    base(member, "4000.00")
    services.dues_open_months(through=this_month())
    rows = months_of(member)
    assert rows and all(row.amount_due == Decimal("40.00") for row in rows)
    paid = rows[0]
    services.dues_payment_record(
        member=member, month_ids=[paid.pk], amount="40.00", paid_on=timezone.localdate(), by=None
    )
    current = DuesBase.objects.get(member=member)
    services.dues_base_set(
        member=member,
        year=current.year,
        income_class="in_work",
        monthly_income="6000.00",
        by=None,
        expected_version=current.version,
    )
    amounts = {row.month: (row.status, row.amount_due) for row in months_of(member)}
    assert amounts[paid.month] == ("paid", Decimal("40.00"))
    assert all(amount == Decimal("90.00") for month, (status, amount) in amounts.items() if status == "due")
    # A page showing the old version is refused.
    message = refused(
        lambda: services.dues_base_set(
            member=member,
            year=current.year,
            income_class="in_work",
            monthly_income="7000.00",
            by=None,
            expected_version=current.version,
        ),
        "__all__",
    )
    assert "已被他人修改" in message


def test_a_sheet_is_saved_all_or_nothing_with_each_rows_errors(world):
    first, second, third = (on_roll(world.units["B1"], name) for name in ("甲", "乙", "丙"))
    entries = [
        services.BaseEntry(member=first, income_class="in_work", monthly_income="3000.00", expected_version=0),
        services.BaseEntry(member=second, income_class="retiree", monthly_income="-5", expected_version=0),
        services.BaseEntry(member=third, income_class="nobody", monthly_income="100", expected_version=0),
    ]
    before = snapshot()
    with pytest.raises(services.SheetRefused) as refusal:
        services.dues_bases_save(year=timezone.localdate().year, entries=entries, by=None)
    assert snapshot() == before
    assert set(refusal.value.errors) == {1, 2}
    assert "不能为负数" in refusal.value.errors[1]["monthly_income"][0]
    assert "请选择收入类别" in refusal.value.errors[2]["income_class"][0]
    entries[1].monthly_income, entries[2].income_class = "5000.01", "minimal"
    assert services.dues_bases_save(year=timezone.localdate().year, entries=entries, by=None) == 3
    amounts = dict(DuesBase.objects.values_list("member__name", "monthly_amount"))
    assert amounts == {"甲": Decimal("15.00"), "乙": Decimal("50.00"), "丙": Decimal("0.20")}


# --- The ledger --------------------------------------------------------------------------------


def test_months_are_opened_from_january_through_the_month_given(world):
    member = on_roll(world.units["B1"], "全年者")
    base(member, "4000.00")
    opened = services.dues_open_months(through=timezone.localdate())
    rows = months_of(member)
    assert [row.month for row in rows] == services.month_span(january(), this_month())
    assert opened == len(rows) + 0 * 1 and all(
        row.status == "due" and row.amount_due == Decimal("40.00") for row in rows
    )
    assert all(row.district_id == world.units["D1"].pk for row in rows)


def test_opening_the_ledger_twice_adds_nothing(world):
    member = on_roll(world.units["B1"], "重复者")
    base(member)
    first = services.dues_open_months(through=timezone.localdate())
    assert first == this_month().month
    assert services.dues_open_months(through=timezone.localdate()) == 0
    assert DuesMonth.objects.filter(member=member).count() == first


def test_a_member_counts_from_joining_or_registration_and_needs_a_base(world):
    today = timezone.localdate()
    if today.month < 3:
        pytest.skip("needs two earlier months this year")
    joined = make_member(
        world.units["B1"],
        "新党员",
        join_date=datetime.date(today.year, 2, 14),
        membership_type="probationary",
        full_member_date=None,
    )
    registered_since(joined, january())
    arrived = on_roll(world.units["B1"], "转入者", since=datetime.date(today.year, 3, 3))
    no_base = on_roll(world.units["B1"], "未核定者")
    left = on_roll(world.units["B1"], "已转出者")
    for member in (joined, arrived, left):
        base(member)
    Member.objects.filter(pk=left.pk).update(status="transferred_out")
    services.dues_open_months(through=today)
    assert months_of(joined)[0].month == datetime.date(today.year, 2, 1)
    assert months_of(arrived)[0].month == datetime.date(today.year, 3, 1)
    assert months_of(no_base) == [] and months_of(left) == []


def test_opening_can_be_limited_to_units(world):
    inside = on_roll(world.units["B1b"], "第二支部党员")
    outside = on_roll(world.units["B2"], "松涛党员")
    base(inside)
    base(outside)
    services.dues_open_months(through=timezone.localdate(), units=[world.units["C1"]])
    assert months_of(inside) and not months_of(outside)
    assert services.dues_open_months(through=timezone.localdate(), units=[]) == 0


@postgres_only
def test_opening_the_ledger_costs_the_same_queries_for_few_and_many_members(world):
    def count() -> int:
        DuesMonth.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            assert services.dues_open_months(through=timezone.localdate()) > 0
        return len(queries)

    for index in range(2):
        base(on_roll(world.units["B1"], f"少{index}"))
    few = count()
    for index in range(25):
        base(on_roll(world.units["B1b" if index % 2 else "B1"], f"多{index}"))
    assert count() == few
    assert DuesMonth.objects.count() == 27 * this_month().month


def test_approved_reliefs_apply_to_months_opened_later(world):
    exempt = on_roll(world.units["B1"], "免交者")
    reduced = on_roll(world.units["B1"], "减交者")
    base(exempt, "3000.00")
    base(reduced, "8000.00")
    secretary, cadre = world.personas["community_secretary"], world.personas["community_cadre"]
    for member, kind, amount in ((exempt, "exemption", None), (reduced, "reduction", "20.00")):
        relief = services.dues_relief_request(
            member=member,
            kind=kind,
            start_month=january(),
            end_month=this_month(),
            reduced_amount=amount,
            reason="长期患病，生活困难",
            by=cadre,
        )
        services.dues_relief_decide(relief=relief, approve=True, by=secretary)
    services.dues_open_months(through=timezone.localdate())
    assert {(row.status, row.amount_due) for row in months_of(exempt)} == {("exempt", Decimal("0.00"))}
    assert {(row.status, row.amount_due) for row in months_of(reduced)} == {("due", Decimal("20.00"))}
    assert all(row.relief_id for row in months_of(reduced))


# --- Payments ----------------------------------------------------------------------------------


@pytest.fixture
def ledger(world):
    """A member with months open from January at 30.00 a month."""
    member = on_roll(world.units["B1"], "交费者")
    base(member, "3000.01")
    services.dues_open_months(through=timezone.localdate())
    return member


def test_a_payment_covers_the_chosen_months_and_marks_them_paid(world, ledger):
    cadre = world.personas["community_cadre"]
    rows = months_of(ledger)[-1:]
    payment = services.dues_payment_record(
        member=ledger,
        month_ids=[row.pk for row in rows],
        amount="30.00",
        paid_on=timezone.localdate(),
        method="transfer",
        receipt_number="DF-001",
        by=cadre,
    )
    assert (payment.amount, payment.kind, payment.recorded_by) == (Decimal("30.00"), PaymentKind.SELF, cadre)
    assert payment.history.get().history_user == cadre
    row = DuesMonth.objects.get(pk=rows[0].pk)
    assert (row.status, row.payment_id, row.version) == ("paid", payment.pk, 2)


def test_a_payment_for_an_earlier_month_is_a_late_payment_unless_by_proxy(world, ledger):
    if this_month().month < 3:
        pytest.skip("needs two earlier months this year")
    rows = months_of(ledger)
    late = services.dues_payment_record(
        member=ledger, month_ids=[rows[0].pk], amount="30.00", paid_on=timezone.localdate(), by=None
    )
    assert late.kind == PaymentKind.LATE and late.get_kind_display() == "补缴"
    proxy = services.dues_payment_record(
        member=ledger,
        month_ids=[rows[1].pk],
        amount="30.00",
        paid_on=timezone.localdate(),
        kind=PaymentKind.PROXY,
        payer_name="李华（配偶）",
        by=None,
    )
    assert proxy.kind == PaymentKind.PROXY and proxy.payer_name == "李华（配偶）"
    # Paid in the month itself (the day it was paid decides): on time.
    on_time = services.dues_payment_record(
        member=ledger, month_ids=[rows[2].pk], amount="30.00", paid_on=rows[2].month, by=None
    )
    assert on_time.kind == PaymentKind.SELF


def test_the_amount_must_equal_what_the_months_owe(world, ledger):
    rows = months_of(ledger)[:2] if len(months_of(ledger)) > 1 else months_of(ledger)
    expected = sum((row.amount_due for row in rows), Decimal("0"))
    message = refused(
        lambda: services.dues_payment_record(
            member=ledger, month_ids=[row.pk for row in rows], amount="25.00", paid_on=timezone.localdate(), by=None
        ),
        "amount",
    )
    assert f"金额应等于所选月份应交之和 {expected:.2f} 元" in message and "填写的是 25.00 元" in message
    assert f"{month_label(rows[0].month)} 30.00 元" in message


def test_bad_payment_input_is_refused_by_field_in_chinese(world, ledger):
    row = months_of(ledger)[-1]
    today = timezone.localdate()
    cases = [
        (dict(amount="abc"), "amount", "金额（元）应为数字"),
        (dict(amount="-30"), "amount", "金额（元）不能为负数"),
        (dict(paid_on=today + datetime.timedelta(days=1)), "paid_on", "交纳日期不能晚于今天"),
        (dict(kind=PaymentKind.PROXY), "payer_name", "代缴请填写代缴人姓名"),
        (dict(method="gold"), "method", "请选择支付方式"),
        (dict(month_ids=[]), "months", "请选择要交纳的月份"),
    ]
    for change, field, words in cases:
        values = {"member": ledger, "month_ids": [row.pk], "amount": "30.00", "paid_on": today, "by": None, **change}
        assert words in refused(lambda values=values: services.dues_payment_record(**values), field)
    other = world.members["B1"]
    message = refused(
        lambda: services.dues_payment_record(member=other, month_ids=[row.pk], amount="30.00", paid_on=today, by=None),
        "months",
    )
    assert "不在该党员的党费账目中" in message


def test_it_refuses_a_second_payment_for_the_same_month(world, ledger):
    row = months_of(ledger)[-1]
    services.dues_payment_record(
        member=ledger, month_ids=[row.pk], amount="30.00", paid_on=timezone.localdate(), by=None
    )
    message = refused(
        lambda: services.dues_payment_record(
            member=ledger, month_ids=[row.pk], amount="30.00", paid_on=timezone.localdate(), by=None
        ),
        "months",
    )
    assert message == f"{month_label(row.month)}的党费已由他人登记为已交，请刷新后查看。"
    assert DuesPayment.objects.filter(member=ledger).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_cadres_recording_the_same_payment_at_once_produce_one_payment(world, monkeypatch):
    member = on_roll(world.units["B1"], "同时交费者")
    base(member, "3000.01")
    services.dues_open_months(through=timezone.localdate())
    row = months_of(member)[-1]
    # Hold the lock a moment, so that without it both would pass the "still due" check.
    original = services._create_payment

    def slow_create(**kwargs):
        time.sleep(0.3)
        return original(**kwargs)

    monkeypatch.setattr(services, "_create_payment", slow_create)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record(persona: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.dues_payment_record(
                member=member,
                month_ids=[row.pk],
                amount="30.00",
                paid_on=timezone.localdate(),
                by=world.personas[persona],
            )
            outcomes.append("saved")
        except ValidationError as error:
            outcomes.append(" ".join(error.message_dict.get("months", error.messages)))
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(p,)) for p in ("community_cadre", "branch_secretary")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert DuesPayment.objects.filter(member=member).count() == 1
    assert sorted(outcomes) == sorted(["saved", f"{month_label(row.month)}的党费已由他人登记为已交，请刷新后查看。"])
    paid = DuesMonth.objects.get(pk=row.pk)
    assert paid.status == "paid" and paid.payment_id == DuesPayment.objects.get(member=member).pk


def test_a_batch_records_each_members_own_payment(world):
    members = [on_roll(world.units["B1"], f"批量{index}") for index in range(3)]
    for index, member in enumerate(members):
        base(member, ["3000.00", "4000.00", "1000.00"][index])
    services.dues_open_months(through=timezone.localdate())
    rows = list(DuesMonth.objects.filter(member__in=members, month=this_month()).order_by("member_id"))
    payments = services.dues_batch_record(
        month_ids=[row.pk for row in rows], paid_on=timezone.localdate(), method="cash", by=None
    )
    assert sorted(payment.amount for payment in payments) == [Decimal("5.00"), Decimal("15.00"), Decimal("40.00")]
    assert {payment.member_id for payment in payments} == {member.pk for member in members}
    assert not DuesMonth.objects.filter(pk__in=[row.pk for row in rows], status="due").exists()


def test_a_batch_is_refused_whole_when_one_month_was_paid_meanwhile(world):
    first, second = on_roll(world.units["B1"], "张甲"), on_roll(world.units["B1"], "李乙")
    for member in (first, second):
        base(member, "3000.00")
    services.dues_open_months(through=timezone.localdate())
    rows = list(DuesMonth.objects.filter(member__in=[first, second], month=this_month()).order_by("member_id"))
    services.dues_payment_record(
        member=second, month_ids=[rows[1].pk], amount="15.00", paid_on=timezone.localdate(), by=None
    )
    message = refused(
        lambda: services.dues_batch_record(
            month_ids=[row.pk for row in rows], paid_on=timezone.localdate(), method="cash", by=None
        ),
        "months",
    )
    assert message == f"李乙：{month_label(this_month())}的党费已由他人登记为已交，请刷新后查看。"
    assert DuesMonth.objects.get(pk=rows[0].pk).status == "due"


# --- Reductions and exemptions -----------------------------------------------------------------


def request_relief(member: Member, by, kind: str = "exemption", amount: str | None = None, **fields) -> DuesRelief:
    values = {
        "member": member,
        "kind": kind,
        "start_month": january(),
        "end_month": this_month(),
        "reduced_amount": amount,
        "reason": "下岗失业，生活困难",
        "by": by,
    }
    values.update(fields)
    return services.dues_relief_request(**values)


def test_an_approval_applies_to_the_months_still_due_and_not_to_paid_ones(world, ledger):
    rows = months_of(ledger)
    services.dues_payment_record(
        member=ledger, month_ids=[rows[0].pk], amount="30.00", paid_on=timezone.localdate(), by=None
    )
    relief = request_relief(ledger, world.personas["community_cadre"], kind="reduction", amount="10.00")
    assert relief.status == ApprovalStatus.REQUESTED
    assert {row.amount_due for row in months_of(ledger)} == {Decimal("30.00")}  # nothing before approval
    decided = services.dues_relief_decide(relief=relief, approve=True, by=world.personas["community_secretary"])
    assert (decided.status, decided.decided_by, decided.version) == (
        "approved",
        world.personas["community_secretary"],
        2,
    )
    after = months_of(ledger)
    assert (after[0].status, after[0].amount_due) == ("paid", Decimal("30.00"))
    assert all(row.amount_due == Decimal("10.00") and row.relief_id == relief.pk for row in after[1:])


def test_nobody_approves_their_own_request(world, ledger):
    secretary = world.personas["community_secretary"]
    relief = request_relief(ledger, secretary)
    message = refused(lambda: services.dues_relief_decide(relief=relief, approve=True, by=secretary), "__all__")
    assert "不能审批自己提交的减免申请" in message


def test_a_relief_is_decided_once(world, ledger):
    relief = request_relief(ledger, world.personas["community_cadre"])
    services.dues_relief_decide(relief=relief, approve=True, by=world.personas["community_secretary"])
    message = refused(
        lambda: services.dues_relief_decide(
            relief=relief, approve=False, note="不符合条件", by=world.personas["subdistrict_organizer"]
        ),
        "__all__",
    )
    today = timezone.localdate()
    assert (
        f"该申请已由community_secretary用户于{today.year}年{today.month}月{today.day}日批准，不能重复审批。" == message
    )
    assert all(row.status == "exempt" for row in months_of(ledger))


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_secretaries_approving_at_once_give_one_decision(world):
    member = on_roll(world.units["B1"], "同时审批")
    base(member)
    relief = request_relief(member, world.personas["community_cadre"])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(persona: str, approve: bool) -> None:
        try:
            barrier.wait(timeout=10)
            services.dues_relief_decide(relief=relief, approve=approve, note="意见", by=world.personas[persona])
            outcomes.append("decided")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("community_secretary", True)),
        threading.Thread(target=decide, args=("subdistrict_organizer", False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes.count("decided") == 1
    assert "不能重复审批" in next(outcome for outcome in outcomes if outcome != "decided")
    assert DuesRelief.objects.get(pk=relief.pk).version == 2


def test_a_refusal_needs_a_reason_and_only_approvers_decide(world, ledger):
    relief = request_relief(ledger, world.personas["community_cadre"])
    message = refused(
        lambda: services.dues_relief_decide(relief=relief, approve=False, by=world.personas["community_secretary"]),
        "decision_note",
    )
    assert "不予批准时请填写理由" in message
    for persona in ("community_cadre", "branch_secretary"):
        with pytest.raises(PermissionDenied):
            services.dues_relief_decide(relief=relief, approve=True, by=world.personas[persona])
    refused_relief = services.dues_relief_decide(
        relief=relief, approve=False, note="收入已恢复", by=world.personas["community_secretary"]
    )
    assert refused_relief.status == "refused"
    assert all(row.status == "due" and row.amount_due == Decimal("30.00") for row in months_of(ledger))


def test_relief_requests_are_checked(world, ledger):
    cadre = world.personas["community_cadre"]
    assert "减交后月额（元）" in refused(lambda: request_relief(ledger, cadre, kind="reduction"), "reduced_amount")
    message = refused(lambda: request_relief(ledger, cadre, kind="reduction", amount="30.00"), "reduced_amount")
    assert "应低于" in message and "30.00 元" in message
    message = refused(lambda: request_relief(ledger, cadre, kind="exemption", amount="5"), "reduced_amount")
    assert "免交不需要填写月额" in message
    message = refused(
        lambda: request_relief(ledger, cadre, start_month=this_month(), end_month=shift_month(this_month(), 12)),
        "end_month",
    )
    assert "一次最长 12 个月" in message
    message = refused(
        lambda: request_relief(ledger, cadre, start_month=this_month(), end_month=shift_month(this_month(), -1)),
        "end_month",
    )
    assert "截止月份不能早于起始月份" in message
    assert "请填写减免原因" in refused(lambda: request_relief(ledger, cadre, reason=" "), "reason")
    request_relief(ledger, cadre)
    message = refused(lambda: request_relief(ledger, cadre, start_month=this_month()), "start_month")
    assert "已有免交（待审批），月份不能重叠" in message


# --- Arrears -----------------------------------------------------------------------------------


def test_the_arrears_list_gives_exact_figures_most_months_first(world):
    today = timezone.localdate()
    current = this_month()

    def ledger_rows(member: Member, amounts: list[tuple[int, str, str]]) -> None:
        for offset, amount, status in amounts:
            DuesMonth.objects.create(
                member=member, month=shift_month(current, -offset), amount_due=Decimal(amount), status=status
            )

    three = make_member(world.units["B1"], "欠三月")
    ledger_rows(three, [(1, "30.00", "due"), (2, "30.00", "due"), (5, "25.50", "due"), (3, "30.00", "paid")])
    one = make_member(world.units["B1b"], "欠一月")
    ledger_rows(one, [(1, "0.20", "due"), (0, "0.20", "due"), (2, "0.20", "exempt")])
    clear = make_member(world.units["B1"], "已交清")
    ledger_rows(clear, [(1, "50.00", "paid"), (0, "50.00", "due")])  # this month is not yet owed
    far = make_member(world.units["B2"], "松涛欠交")
    ledger_rows(far, [(1, "30.00", "due")])

    rows = list(selectors.dues_arrears(user=world.personas["community_secretary"], today=today))
    figures = [(row["member__name"], row["months"], row["owed"], row["oldest"], row["latest"]) for row in rows]
    assert figures == [
        ("欠三月", 3, Decimal("85.50"), shift_month(current, -5), shift_month(current, -1)),
        ("欠一月", 1, Decimal("0.20"), shift_month(current, -1), shift_month(current, -1)),
    ]
    totals = selectors.dues_arrears_totals(user=world.personas["community_secretary"], today=today)
    assert totals == {"members": 2, "months": 4, "owed": Decimal("85.70")}
    narrowed = selectors.dues_arrears(
        user=world.personas["community_secretary"],
        filters=selectors.ArrearsFilters(unit=world.units["B1b"], min_months=1),
        today=today,
    )
    assert [row["member__name"] for row in narrowed] == ["欠一月"]
    at_least_two = selectors.dues_arrears(
        user=world.personas["district_organizer"], filters=selectors.ArrearsFilters(min_months=2), today=today
    )
    assert [row["member__name"] for row in at_least_two] == ["欠三月"]
    everyone = {row["member__name"] for row in selectors.dues_arrears(user=world.personas["district_organizer"])}
    assert everyone == {"欠三月", "欠一月", "松涛欠交"}
    assert not selectors.dues_arrears(user=world.personas["member"]).exists()


# --- A member's dues tab -----------------------------------------------------------------------


def test_the_member_tab_shows_the_year_with_payments_and_totals(world, ledger):
    rows = months_of(ledger)
    services.dues_payment_record(
        member=ledger, month_ids=[rows[-1].pk], amount="30.00", paid_on=timezone.localdate(), by=None
    )
    request_relief(
        ledger,
        world.personas["community_cadre"],
        start_month=shift_month(this_month(), 1),
        end_month=shift_month(this_month(), 1),
    )
    with CaptureQueriesContext(connection) as queries:
        tab = selectors.member_dues_tab(member=ledger)
    assert len(queries) <= 6
    assert tab["base"].monthly_amount == Decimal("30.00")
    assert [item["label"] for item in tab["months"]] == [f"{n}月" for n in range(1, 13)]
    current = next(item for item in tab["months"] if item["month"] == this_month())
    assert current["row"].status == "paid" and not current["overdue"]
    assert tab["paid_total"] == Decimal("30.00")
    assert tab["owed_total"] == Decimal("30.00") * (len(rows) - 1)
    assert tab["arrears_months"] == len(rows) - 1 and tab["arrears_amount"] == Decimal("30.00") * (len(rows) - 1)
    assert tab["payments"][0].month_labels == month_label(this_month())
    assert len(tab["open_reliefs"]) == 1
    last_year = selectors.member_dues_tab(member=ledger, year=timezone.localdate().year - 1)
    assert last_year["base"] is None and not any(item["opened"] for item in last_year["months"])


def test_the_member_tab_partial_renders_for_the_member_themself(world, ledger):
    from django.template.loader import render_to_string

    Member.objects.filter(pk=ledger.pk).update(user=None)
    html = render_to_string(
        "members/partials/tab_dues.html", {"dues": selectors.member_dues_tab(member=ledger), "member": ledger}
    )
    assert "每月 30.00 元" in html and "欠交" in html and ledger.id_number not in html


# --- The sheet as a file -----------------------------------------------------------------------


def xlsx(rows: list[list[Any]], header: list[str] | None = None, formula_at: tuple[int, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("党费基数")
    for index, title in enumerate(header or [title for _, title, _ in BASE_COLUMNS]):
        sheet.write_string(0, index, title)
    for number, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            if value is not None:
                sheet.write(number, index, value)
    if formula_at:
        sheet.write_formula(formula_at[0], formula_at[1], "=1+1")
    workbook.close()
    return buffer.getvalue()


def branch_members(world) -> dict[int, Member]:
    return {
        row.member.pk: row.member
        for row in selectors.dues_sheet(
            user=world.personas["community_cadre"], branch=world.units["B1"], year=timezone.localdate().year
        )
    }


def test_the_sheet_template_reads_back_through_the_import(world):
    member = world.members["B1"]
    base(member, "5000.01", income_class="retiree")
    rows = selectors.dues_sheet(
        user=world.personas["community_cadre"], branch=world.units["B1"], year=timezone.localdate().year
    )
    content = write_base_template(branch=world.units["B1"], year=timezone.localdate().year, rows=rows)
    assert member.id_number not in content.decode("latin-1")
    check = dues_import.check_base_file(content, members=branch_members(world))
    assert check.errors == []
    assert [(entry.member, entry.income_class, entry.monthly_income) for entry in check.entries] == [
        (member, "retiree", Decimal("5000.01"))
    ]


def test_import_errors_are_named_by_row_and_column_and_nothing_is_saved(world):
    member = world.members["B1"]
    other = make_member(world.units["B1"], "王五")
    outsider = world.members["B2"]
    content = xlsx(
        [
            [member.pk, member.name, "", "在职（按月工资收入，税后）", "abc"],
            [other.pk, "王六", "", "在职", 3000],
            [outsider.pk, outsider.name, "", "在职", 3000],
            ["x", "", "", "在职", 3000],
            [other.pk, "", "", "富人", 3000],
            [member.pk, "", "", "", ""],
        ]
    )
    check = dues_import.check_base_file(content, members=branch_members(world))
    sentences = {(error["row"], error["column"], error["message"]) for error in check.errors}
    assert (2, "月收入（元）", "月收入（元）应为数字，如 3000.00；填写的是“abc”。") in sentences
    assert (3, "姓名", f"与编号 {other.pk} 的党员姓名「王五」不符，请核对是否错行。") in sentences
    assert (4, "党员编号", f"编号 {outsider.pk} 不是本支部的在册党员：请使用本支部的党费基数表。") in sentences
    assert (5, "党员编号", "党员编号应为数字。") in sentences
    assert any(row == 6 and column == "收入类别" for row, column, _ in sentences)
    assert (7, "党员编号", "与第 2 行是同一名党员：每名党员只能填写一行。") in sentences
    assert check.entries == []


def test_the_import_refuses_files_that_are_not_the_sheet(world):
    members = branch_members(world)
    assert "文件无法读取" in dues_import.check_base_file(b"not a zip", members=members).errors[0]["message"]
    wrong = dues_import.check_base_file(xlsx([[1, "a"]], header=["姓名", "性别"]), members=members)
    assert "不是党费基数表：缺少列「党员编号」" in wrong.errors[0]["message"]
    formula = dues_import.check_base_file(
        xlsx([[world.members["B1"].pk, "", "", "在职", 3000]], formula_at=(1, 4)), members=members
    )
    assert formula.errors[0]["row"] == 2 and formula.errors[0]["column"] == "月收入（元）"
    assert "公式" in formula.errors[0]["message"]
    empty = dues_import.check_base_file(xlsx([]), members=members)
    assert "没有数据" in empty.errors[0]["message"]
