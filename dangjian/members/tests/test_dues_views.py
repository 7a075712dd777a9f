"""The dues pages: what each role sees and may do, refusals in Chinese on the page, the sheet
(form, template, upload), the batch page, approvals, the arrears export, and query budgets."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dangjian.core.tests.scope_matrix import iter_routes
from dangjian.members.dues_views import PAGE_SIZE
from dangjian.members.models import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule, Member
from dangjian.members.services import dues as services
from dangjian.members.services.dues import month_label, shift_month
from dangjian.members.tests.factories import make_member
from dangjian.members.tests.test_dues import base, dues_rules, months_of, on_roll, snapshot, this_month, xlsx

pytestmark = pytest.mark.django_db
__all__ = ["dues_rules"]  # the module's autouse fixture: the brackets are there


def ledger_of(world, name: str = "交费者", branch: str = "B1", income: str = "3000.01") -> Member:
    member = on_roll(world.units[branch], name)
    base(member, income)
    services.dues_open_months(through=timezone.localdate(), units=[world.units[branch]])
    return member


def body(response) -> str:
    return response.content.decode()


# --- Who sees what -----------------------------------------------------------------------------


def test_the_pages_render_for_a_community_cadre_without_other_communities(world, login):
    mine = ledger_of(world, "翠湖交费者")
    ledger_of(world, "松涛交费者", branch="B2")
    client = login(world.personas["community_cadre"])
    for name in (
        "members:dues_ledger",
        "members:dues_rules",
        "members:dues_bases",
        "members:dues_batch",
        "members:dues_relief_list",
        "members:dues_arrears",
        "members:dues_bases_import",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert "松涛" not in body(response) and "北岭" not in body(response), name
    page = body(client.get(reverse("members:dues_ledger")))
    assert "翠湖交费者" in page and 'id="dues-nav"' in page
    page = body(client.get(reverse("members:dues_member", args=[mine.pk])))
    assert "每月 30.00 元" in page and "登记交纳" in page and mine.id_number not in page
    assert client.get(reverse("members:dues_member", args=[world.members["B2"].pk])).status_code == 404


def test_members_and_residents_get_no_dues_page(world, login):
    for persona in ("member", "resident", "outsider"):
        client = login(world.personas[persona])
        for name in ("members:dues_ledger", "members:dues_arrears", "members:dues_relief_list"):
            assert client.get(reverse(name)).status_code == 403


def test_a_branch_secretary_records_but_does_not_approve(world, login):
    member = ledger_of(world)
    relief = services.dues_relief_request(
        member=member,
        kind="exemption",
        start_month=this_month(),
        end_month=this_month(),
        reason="生活困难",
        by=world.personas["community_cadre"],
    )
    client = login(world.personas["branch_secretary"])
    page = body(client.get(reverse("members:dues_relief_detail", args=[relief.pk])))
    assert "待社区书记或上级组织审批" in page and 'id="action-approve"' not in page
    response = client.post(reverse("members:dues_relief_approve", args=[relief.pk]), {"version": relief.version})
    assert response.status_code == 403
    assert DuesRelief.objects.get(pk=relief.pk).status == "requested"


# --- The ledger and its query budget -----------------------------------------------------------


def test_the_ledger_filters_by_status_and_month(world, login):
    paid = ledger_of(world, "已交者")
    due = ledger_of(world, "未交者")
    row = DuesMonth.objects.get(member=paid, month=this_month())
    services.dues_payment_record(member=paid, month_ids=[row.pk], amount="30.00", paid_on=timezone.localdate(), by=None)
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("members:dues_ledger"), {"status": "due"})
    names = [row.member.name for row in response.context["page"]]
    assert "未交者" in names and "已交者" not in names
    assert response.context["summary"]["paid"] == {"n": 1, "amount": Decimal("30.00")}
    response = client.get(reverse("members:dues_ledger"), {"month": "2026/13"})
    assert response.status_code == 200 and "月份请按“2026-09”的格式填写" in body(response)
    assert due.pk


def test_the_ledger_costs_the_same_queries_for_few_and_many_rows(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("members:dues_ledger")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for index in range(2):
        ledger_of(world, f"少{index}")
    count()
    few = count()
    for index in range(20):
        member = ledger_of(world, f"多{index}", branch="B1b" if index % 2 else "B1")
        if index % 3 == 0:
            row = DuesMonth.objects.get(member=member, month=this_month())
            services.dues_payment_record(
                member=member, month_ids=[row.pk], amount="30.00", paid_on=timezone.localdate(), by=None
            )
    assert count() == few
    assert client.get(url).context["page"].paginator.count == 22


def test_opening_this_months_ledger_from_the_page(world, login):
    member = on_roll(world.units["B1"], "待开立")
    base(member)
    outside = on_roll(world.units["B2"], "松涛待开立")
    base(outside)
    client = login(world.personas["community_cadre"])
    assert client.get(reverse("members:dues_open")).status_code == 405
    response = client.post(reverse("members:dues_open"), follow=True)
    assert "个党员月份的党费账目" in body(response)
    assert months_of(member) and not months_of(outside)


# --- A member's page: paying, setting the base, asking for relief ------------------------------


def test_a_payment_through_the_page_and_the_same_payment_again(world, login):
    member = ledger_of(world)
    row = DuesMonth.objects.get(member=member, month=this_month())
    client = login(world.personas["community_cadre"])
    url = reverse("members:dues_pay", args=[member.pk])
    data = {
        "months": [row.pk],
        "amount": "30.00",
        "paid_on": timezone.localdate().isoformat(),
        "method": "cash",
        "kind": "self",
    }
    assert client.get(url).status_code == 405
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse("members:dues_member", args=[member.pk])
    assert DuesPayment.objects.filter(member=member).count() == 1
    # The same form posted from a page opened before: refused, said on the page, nothing written.
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200 and snapshot() == before
    assert f"{month_label(this_month())}的党费已由他人登记为已交，请刷新后查看。" in body(response)


def test_payment_refusals_name_the_field_on_the_page(world, login):
    member = ledger_of(world)
    row = DuesMonth.objects.get(member=member, month=this_month())
    client = login(world.personas["community_cadre"])
    url = reverse("members:dues_pay", args=[member.pk])
    before = snapshot()
    cases = [
        ({"amount": "abc"}, "金额（元）应为数字"),
        ({"amount": "-1"}, "金额（元）不能为负数"),
        ({"amount": "25.00"}, "金额应等于所选月份应交之和 30.00 元"),
        ({"kind": "paid_by_proxy"}, "代缴请填写代缴人姓名"),
        ({"paid_on": ""}, "请填写交纳日期"),
        ({"months": []}, "请选择要交纳的月份"),
    ]
    for change, words in cases:
        data = {
            "months": [row.pk],
            "amount": "30.00",
            "paid_on": timezone.localdate().isoformat(),
            "method": "cash",
            "kind": "self",
            **change,
        }
        response = client.post(url, data)
        assert response.status_code == 200 and words in body(response), words
    assert snapshot() == before
    assert client.post(reverse("members:dues_pay", args=[world.members["B2"].pk]), {}).status_code == 404


def test_a_base_and_a_relief_request_through_the_member_page(world, login):
    member = on_roll(world.units["B1"], "新核定")
    client = login(world.personas["community_cadre"])
    year = timezone.localdate().year
    response = client.post(
        reverse("members:dues_member_base", args=[member.pk]),
        {"year": year, "income_class": "retiree", "monthly_income": "5000.01", "version": 0},
    )
    assert response.status_code == 302
    assert DuesBase.objects.get(member=member).monthly_amount == Decimal("50.00")
    response = client.post(
        reverse("members:dues_member_base", args=[member.pk]),
        {"year": year, "income_class": "retiree", "monthly_income": "-3", "version": 1},
    )
    assert "月收入（元）不能为负数" in body(response)
    response = client.post(
        reverse("members:dues_relief_request", args=[member.pk]),
        {"kind": "reduction", "start_month": "2026-13", "end_month": "", "reason": ""},
    )
    page = body(response)
    assert "起始月份请按“2026-09”的格式填写" in page and "请填写截止月份" in page and "请填写减免原因" in page
    month = f"{this_month():%Y-%m}"
    response = client.post(
        reverse("members:dues_relief_request", args=[member.pk]),
        {"kind": "reduction", "start_month": month, "end_month": month, "reduced_amount": "20", "reason": "患病"},
    )
    relief = DuesRelief.objects.get(member=member)
    assert response.status_code == 302 and response["Location"] == reverse(
        "members:dues_relief_detail", args=[relief.pk]
    )
    assert relief.reduced_amount == Decimal("20.00") and relief.requested_by == world.personas["community_cadre"]


# --- Approving ---------------------------------------------------------------------------------


def test_a_secretary_approves_once_and_a_second_decision_is_refused(world, login):
    member = ledger_of(world)
    relief = services.dues_relief_request(
        member=member,
        kind="exemption",
        start_month=this_month(),
        end_month=shift_month(this_month(), 2),
        reason="长期住院",
        by=world.personas["community_cadre"],
    )
    secretary = login(world.personas["community_secretary"])
    page = body(secretary.get(reverse("members:dues_relief_detail", args=[relief.pk])))
    assert 'id="action-approve"' in page and 'id="action-refuse"' in page
    response = secretary.post(
        reverse("members:dues_relief_approve", args=[relief.pk]), {"decision_note": "同意", "version": relief.version}
    )
    assert response.status_code == 302
    assert DuesMonth.objects.get(member=member, month=this_month()).status == "exempt"
    # A second organizer's page, opened before the approval, refuses.
    other = login(world.personas["subdistrict_organizer"])
    response = other.post(
        reverse("members:dues_relief_refuse", args=[relief.pk]), {"decision_note": "不同意", "version": relief.version}
    )
    assert response.status_code == 200 and "不能重复审批" in body(response)
    assert DuesRelief.objects.get(pk=relief.pk).status == "approved"


def test_the_requester_cannot_approve_their_own_request_on_the_page(world, login):
    member = ledger_of(world)
    secretary = world.personas["community_secretary"]
    relief = services.dues_relief_request(
        member=member, kind="exemption", start_month=this_month(), end_month=this_month(), reason="困难", by=secretary
    )
    client = login(secretary)
    page = body(client.get(reverse("members:dues_relief_detail", args=[relief.pk])))
    assert "这是您提交的申请，须由其他有审批权限的同志审批" in page and 'id="action-approve"' not in page
    response = client.post(reverse("members:dues_relief_approve", args=[relief.pk]), {"version": relief.version})
    assert "不能审批自己提交的减免申请" in body(response)
    response = client.post(reverse("members:dues_relief_refuse", args=[relief.pk]), {"version": relief.version})
    assert "不能审批自己提交的减免申请" in body(response)
    assert DuesRelief.objects.get(pk=relief.pk).status == "requested"


def test_the_relief_list_filters_by_status(world, login):
    member = ledger_of(world)
    cadre = world.personas["community_cadre"]
    services.dues_relief_request(
        member=member, kind="exemption", start_month=this_month(), end_month=this_month(), reason="困难", by=cadre
    )
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("members:dues_relief_list"), {"status": "requested"})
    assert [relief.member.name for relief in response.context["page"]] == ["交费者"]
    assert ("approved", "已批准", 0) in response.context["tabs"]
    assert client.get(reverse("members:dues_relief_list"), {"status": "approved"}).context["page"].paginator.count == 0


# --- The batch page ----------------------------------------------------------------------------


def test_a_branch_collects_the_month_on_the_batch_page(world, login):
    members = [ledger_of(world, f"收缴{index}") for index in range(3)]
    rows = list(DuesMonth.objects.filter(member__in=members, month=this_month()).order_by("member_id"))
    client = login(world.personas["branch_secretary"])
    url = reverse("members:dues_batch")
    page = body(client.get(url, {"branch": world.units["B1"].pk, "month": f"{this_month():%Y-%m}"}))
    assert all(f"收缴{index}" in page for index in range(3))
    data = {
        "branch": world.units["B1"].pk,
        "month": f"{this_month():%Y-%m}",
        "months": [row.pk for row in rows[:2]],
        "paid_on": timezone.localdate().isoformat(),
        "method": "cash",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert DuesPayment.objects.filter(member__in=members).count() == 2
    # Posted again (one of them already paid): nothing more is recorded, the page names who.
    data["months"] = [row.pk for row in rows]
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 200 and snapshot() == before
    assert f"收缴0：{month_label(this_month())}的党费已由他人登记为已交" in body(response)
    # A month of another branch is not accepted.
    outside = ledger_of(world, "松涛收缴", branch="B2")
    outside_row = DuesMonth.objects.get(member=outside, month=this_month())
    data["months"] = [outside_row.pk]
    response = client.post(url, data)
    assert response.status_code == 200 and DuesMonth.objects.get(pk=outside_row.pk).status == "due"


# --- The rules ---------------------------------------------------------------------------------


def test_only_the_district_edits_the_rules_on_the_page(world, login):
    edit = reverse("members:dues_rules_edit")
    for persona in ("subdistrict_organizer", "community_secretary"):
        assert login(world.personas[persona]).get(edit).status_code == 403
    client = login(world.personas["district_organizer"])
    assert "修改标准" in body(client.get(reverse("members:dues_rules")))
    rules = {(rule.income_class, rule.upper_bound): rule for rule in DuesRule.objects.all()}
    data = {}
    for rule in rules.values():
        for field in services.RULE_FIELDS:
            value = getattr(rule, field)
            if value is not None:
                data[services.rule_field_name(field, rule)] = str(value)
        data[f"version_{rule.pk}"] = rule.version
    top = rules[("in_work", None)]
    data[services.rule_field_name("rate_percent", top)] = "2.5"
    response = client.post(edit, data)
    assert response.status_code == 302 and DuesRule.objects.get(pk=top.pk).rate_percent == Decimal("2.50")
    # Bad input: named on the field, nothing changes; a stale page too.
    data[services.rule_field_name("rate_percent", top)] = "-1"
    data[f"version_{top.pk}"] = 2
    before = snapshot()
    response = client.post(edit, data)
    assert "交纳比例（%）不能为负数" in body(response) and snapshot() == before
    data[services.rule_field_name("rate_percent", top)] = "3"
    data[f"version_{top.pk}"] = 1
    assert "已被他人修改" in body(client.post(edit, data)) and snapshot() == before


# --- The sheet of bases ------------------------------------------------------------------------


def sheet_data(rows, values: dict[int, tuple[str, str]], year: int) -> dict[str, object]:
    data: dict[str, object] = {
        "branch": rows[0]["branch"],
        "year": year,
        "rows-TOTAL_FORMS": len(rows),
        "rows-INITIAL_FORMS": len(rows),
    }
    for index, row in enumerate(rows):
        income_class, income = values.get(row["member"], ("", ""))
        data[f"rows-{index}-member"] = row["member"]
        data[f"rows-{index}-version"] = row["version"]
        data[f"rows-{index}-income_class"] = income_class
        data[f"rows-{index}-monthly_income"] = income
    return data


def test_the_sheet_saves_all_rows_or_none_with_each_rows_error(world, login):
    year = timezone.localdate().year
    first, second = world.members["B1"], make_member(world.units["B1"], "王二")
    client = login(world.personas["community_cadre"])
    url = reverse("members:dues_bases_edit")
    response = client.get(url, {"branch": world.units["B1"].pk, "year": year})
    assert response.status_code == 200
    rows = [{"branch": world.units["B1"].pk, "member": member.pk, "version": 0} for member in (first, second)]
    before = snapshot()
    data = sheet_data(rows, {first.pk: ("in_work", "3000.00"), second.pk: ("retiree", "abc")}, year)
    response = client.post(url, data)
    page = body(response)
    assert response.status_code == 200 and snapshot() == before
    assert "本表一行都没有保存" in page and "王二" in page and "月收入（元）应为数字" in page
    data = sheet_data(rows, {first.pk: ("in_work", "3000.00"), second.pk: ("retiree", "5000.00")}, year)
    response = client.post(url, data)
    assert response.status_code == 302
    assert dict(DuesBase.objects.values_list("member__name", "monthly_amount")) == {
        first.name: Decimal("15.00"),
        "王二": Decimal("25.00"),
    }
    # The same page posted again: the rows changed since, so each is stale and nothing is written.
    data = sheet_data(rows, {first.pk: ("in_work", "3000.01"), second.pk: ("retiree", "5000.00")}, year)
    before = snapshot()
    response = client.post(url, data)
    assert "已被他人修改" in body(response) and snapshot() == before


def test_the_sheet_is_downloaded_and_uploaded_back(world, login):
    year = timezone.localdate().year
    member = world.members["B1"]
    client = login(world.personas["community_cadre"])
    response = client.get(reverse("members:dues_bases_template"), {"branch": world.units["B1"].pk, "year": year})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("党费基数").to_python()
    assert sheet[0][:5] == ["党员编号", "姓名", "公民身份号码（脱敏）", "收入类别", "月收入（元）"]
    assert sheet[1][1] == member.name and sheet[1][2] == member.id_number_masked
    upload = xlsx([[member.pk, member.name, "", "离退休（按月退休费）", 5000.01]])
    response = client.post(
        reverse("members:dues_bases_import"),
        {
            "branch": world.units["B1"].pk,
            "year": year,
            "file": SimpleUploadedFile("基数.xlsx", upload, content_type="application/octet-stream"),
        },
    )
    assert response.status_code == 302
    assert DuesBase.objects.get(member=member, year=year).monthly_amount == Decimal("50.00")


def test_an_upload_with_errors_lists_them_by_row_and_column_and_saves_nothing(world, login):
    year = timezone.localdate().year
    member = world.members["B1"]
    client = login(world.personas["community_cadre"])
    upload = xlsx([[member.pk, member.name, "", "在职", "-5"], [world.members["B2"].pk, "", "", "在职", 3000]])
    before = snapshot()
    response = client.post(
        reverse("members:dues_bases_import"),
        {"branch": world.units["B1"].pk, "year": year, "file": SimpleUploadedFile("基数.xlsx", upload)},
    )
    page = body(response)
    assert response.status_code == 200 and snapshot() == before
    assert "没有保存任何一行" in page
    assert '第 2 行</td><td class="text-nowrap">月收入（元）</td><td>月收入（元）不能为负数' in page
    assert '第 3 行</td><td class="text-nowrap">党员编号</td>' in page
    response = client.post(reverse("members:dues_bases_import"), {"branch": world.units["B2"].pk, "year": year})
    assert "所选党支部不存在或不在您的权限范围内" in body(response)


def test_the_sheet_overview_costs_the_same_queries_for_few_and_many_members(world, login):
    client = login(world.personas["community_secretary"])

    def count(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("members:dues_bases"), params).status_code == 200
        return len(queries)

    count()
    few, few_sheet = count(), count(branch=world.units["B1"].pk)
    for index in range(15):
        base(make_member(world.units["B1"], f"成员{index}"))
    assert count() == few and count(branch=world.units["B1"].pk) == few_sheet


# --- Arrears -----------------------------------------------------------------------------------


def owe(member: Member, months: int, amount: str = "30.00") -> None:
    for offset in range(1, months + 1):
        DuesMonth.objects.create(
            member=member, month=shift_month(this_month(), -offset), amount_due=Decimal(amount), status="due"
        )


def test_the_arrears_page_and_its_export_show_names_and_figures_only(world, login):
    member = make_member(world.units["B1"], "欠交甲")
    owe(member, 3)
    owe(make_member(world.units["B1b"], "欠交乙"), 1, "0.20")
    owe(make_member(world.units["B2"], "松涛欠交"), 6)
    client = login(world.personas["community_cadre"])
    response = client.get(reverse("members:dues_arrears"))
    page = body(response)
    assert "欠交 2 人 · 4 个月 · 共 90.20 元" in page and "松涛" not in page
    assert [row["member__name"] for row in response.context["page"]] == ["欠交甲", "欠交乙"]
    response = client.get(reverse("members:dues_arrears"), {"min_months": "0"})
    assert "欠交月数应不少于 1" in body(response)
    response = client.get(reverse("members:dues_arrears_export"), {"unit": world.units["B1"].pk})
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("党费欠交").to_python()
    assert sheet[1] == ["姓名", "所在党支部", "欠交月数", "欠交金额（元）", "最早欠交月份", "最近欠交月份"]
    assert sheet[2][:4] == ["欠交甲", "翠湖第一支部", 3.0, 90.0]
    assert sheet[2][4] == month_label(shift_month(this_month(), -3))
    flat = " ".join(str(cell) for row in sheet for cell in row)
    assert member.id_number not in flat and member.id_number_masked not in flat and member.phone_masked not in flat
    assert "欠交乙" not in flat and "合计 1 人" in flat


def test_the_arrears_list_costs_the_same_queries_for_few_and_many(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("members:dues_arrears")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    owe(make_member(world.units["B1"], "少欠"), 2)
    count()
    few = count()
    for index in range(20):
        owe(make_member(world.units["B1b" if index % 2 else "B1"], f"多欠{index}"), 1 + index % 7)
    assert count() == few
    assert client.get(url).context["totals"]["members"] == 21


def test_the_arrears_totals_count_the_rows_listed_and_page_them(world, login):
    """The page is told its count by the totals: the same rows, whatever the filter."""
    client = login(world.personas["community_secretary"])
    url = reverse("members:dues_arrears")
    owed = [1 + index % 4 for index in range(PAGE_SIZE + 5)]
    for index, months in enumerate(owed):
        owe(make_member(world.units["B1"], f"分页{index}"), months)
    owe(make_member(world.units["B2"], "范围外"), 9)
    for least in (1, 3, 5):
        expected = [months for months in owed if months >= least]
        listed = []
        for number in (1, 2):
            context = client.get(url, {"min_months": str(least), "page": number}).context
            page = context["page"]
            assert page.paginator.count == context["totals"]["members"] == len(expected)
            if number <= page.paginator.num_pages:
                listed += [row["member__name"] for row in page]
        assert len(set(listed)) == len(expected)
        assert context["totals"]["months"] == sum(expected)


def test_the_relief_list_costs_the_same_queries_for_few_and_many(world, login):
    client = login(world.personas["community_secretary"])
    url = reverse("members:dues_relief_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def ask(name: str) -> None:
        member = on_roll(world.units["B1"], name)
        base(member)
        services.dues_relief_request(
            member=member,
            kind="exemption",
            start_month=this_month(),
            end_month=this_month(),
            reason="困难",
            by=world.personas["community_cadre"],
        )

    ask("少减")
    count()
    few = count()
    for index in range(12):
        ask(f"多减{index}")
    assert count() == few


def test_the_member_page_costs_the_same_queries_for_a_short_and_a_long_history(world, login):
    member = ledger_of(world)
    client = login(world.personas["community_cadre"])
    url = reverse("members:dues_member", args=[member.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    rows = months_of(member)
    services.dues_payment_record(
        member=member, month_ids=[rows[-1].pk], amount="30.00", paid_on=timezone.localdate(), by=None
    )
    count()
    few = count()
    for row in rows[:-1]:
        services.dues_payment_record(
            member=member, month_ids=[row.pk], amount="30.00", paid_on=timezone.localdate(), by=None
        )
    assert count() == few


# --- The command and the task ------------------------------------------------------------------


def test_the_command_and_the_task_open_the_ledger(world):
    from django.core.management import call_command

    from dangjian.members.tasks_dues import open_current_dues_months

    member = on_roll(world.units["B1"], "命令开立")
    base(member)
    out = io.StringIO()
    call_command("open_dues_months", "--through", f"{this_month():%Y-%m}", stdout=out)
    assert f"已开立 {this_month().month} 个党员月份" in out.getvalue()
    assert len(months_of(member)) == this_month().month
    result = open_current_dues_months.enqueue()
    assert result.return_value == 0
    with pytest.raises(Exception, match="--through"):
        call_command("open_dues_months", "--through", "2026-13", stdout=io.StringIO())


def test_the_demo_dues_are_seeded_once(world):
    import random

    from dangjian.demo.dues import seed_dues

    created = seed_dues(rng=random.Random(7), today=timezone.localdate())
    assert created > 0
    assert (
        DuesBase.objects.filter(year=timezone.localdate().year).count()
        == Member.objects.filter(status="active").count()
    )
    assert DuesMonth.objects.filter(status="paid").exists() and DuesPayment.objects.exists()
    assert all(
        payment.amount == sum((row.amount_due for row in payment.months.all()), Decimal("0"))
        for payment in DuesPayment.objects.prefetch_related("months")
    )
    assert seed_dues(rng=random.Random(7), today=timezone.localdate()) == 0


# --- The scope matrix walks every dues route ---------------------------------------------------


def test_the_scope_matrix_walks_the_dues_routes():
    names = {route.name for route in iter_routes()}
    assert {
        "members:dues_ledger",
        "members:dues_open",
        "members:dues_rules",
        "members:dues_rules_edit",
        "members:dues_bases",
        "members:dues_bases_edit",
        "members:dues_bases_template",
        "members:dues_bases_import",
        "members:dues_batch",
        "members:dues_member",
        "members:dues_pay",
        "members:dues_member_base",
        "members:dues_relief_request",
        "members:dues_relief_list",
        "members:dues_relief_detail",
        "members:dues_relief_approve",
        "members:dues_relief_refuse",
        "members:dues_arrears",
        "members:dues_arrears_export",
        "dues-rule-list",
        "dues-rule-update-rules",
        "dues-base-list",
        "dues-base-detail",
        "dues-month-list",
        "dues-month-detail",
        "dues-month-arrears",
        "dues-payment-list",
        "dues-payment-detail",
        "dues-relief-list",
        "dues-relief-detail",
        "dues-relief-approve",
        "dues-relief-refuse",
    } <= names


# --- The member page's tab ---------------------------------------------------------------------


def test_the_member_sees_their_own_ledger_on_their_record_and_a_cadre_gets_a_link(world, login):
    own = world.members["B1"]  # the member persona's record
    base(own, "3000.00")
    Member.objects.filter(pk=own.pk).update(created_at=timezone.now().replace(month=1, day=1))
    services.dues_open_months(through=timezone.localdate())
    neighbour = ledger_of(world, "同支部党员")
    page = body(login(world.personas["member"]).get(reverse("members:my_tab_dues")))
    assert 'id="dues-tab"' in page and "每月 15.00 元" in page
    assert "党费明细与登记" not in page and "同支部党员" not in page
    page = body(login(world.personas["community_cadre"]).get(reverse("members:member_tab_dues", args=[neighbour.pk])))
    assert reverse("members:dues_member", args=[neighbour.pk]) in page and "每月 30.00 元" in page
