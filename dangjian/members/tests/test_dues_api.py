"""The dues API: reads in scope with their filters, writes through the pages' services with the
same Chinese refusals, approvals by someone else and once, the arrears endpoint, query budgets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from dangjian.members.models import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule
from dangjian.members.services import dues as services
from dangjian.members.services.dues import month_label, shift_month
from dangjian.members.tests.factories import make_member
from dangjian.members.tests.test_dues import base, dues_rules, on_roll, snapshot, this_month

pytestmark = pytest.mark.django_db
__all__ = ["dues_rules"]  # the module's autouse fixture: the brackets are there


@pytest.fixture
def api(world):
    def _api(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.personas[persona])
        return client

    return _api


def ledger_of(world, name: str, branch: str = "B1", income: str = "3000.01"):
    member = on_roll(world.units[branch], name)
    base(member, income)
    services.dues_open_months(through=timezone.localdate(), units=[world.units[branch]])
    return member


def test_the_rules_are_read_by_every_dues_role_and_changed_by_the_district(world, api):
    rows = api("branch_secretary").get("/api/v1/dues-rules/").json()
    assert len(rows) == 7 and {row["description"] for row in rows} >= {"3000.00 元及以下：0.5%", "每月 0.20 元"}
    assert api("member").get("/api/v1/dues-rules/").status_code == 403
    top = DuesRule.objects.get(income_class="in_work", upper_bound=None)
    change = {"rules": [{"id": top.pk, "rate_percent": "2.5", "version": top.version}]}
    assert api("subdistrict_organizer").post("/api/v1/dues-rules/update/", change, format="json").status_code == 403
    response = api("district_organizer").post("/api/v1/dues-rules/update/", change, format="json")
    assert response.status_code == 200
    assert next(row for row in response.json() if row["id"] == top.pk)["rate_percent"] == "2.50"
    response = api("district_organizer").post(
        "/api/v1/dues-rules/update/", {"rules": [{"id": top.pk, "rate_percent": "abc"}]}, format="json"
    )
    assert response.status_code == 400
    assert "交纳比例（%）应为数字" in response.json()[services.rule_field_name("rate_percent", top)][0]
    response = api("district_organizer").post(
        "/api/v1/dues-rules/update/", {"rules": [{"id": top.pk, "rate_percent": "3", "version": 1}]}, format="json"
    )
    assert response.status_code == 400 and "已被他人修改" in response.json()["non_field_errors"][0]


def test_a_base_is_set_and_changed_through_the_api(world, api):
    client = api("community_cadre")
    member = world.members["B1"]
    year = timezone.localdate().year
    response = client.post(
        "/api/v1/dues-bases/",
        {"member": member.pk, "year": year, "income_class": "in_work", "monthly_income": "3000.00", "version": 0},
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["monthly_amount"], data["member_name"], data["set_by_name"]) == (
        "15.00",
        member.name,
        "community_cadre用户",
    )
    response = client.patch(
        f"/api/v1/dues-bases/{data['id']}/",
        {"income_class": "in_work", "monthly_income": "3000.01", "version": 1},
        format="json",
    )
    assert response.status_code == 200 and response.json()["monthly_amount"] == "30.00"
    response = client.patch(
        f"/api/v1/dues-bases/{data['id']}/",
        {"income_class": "in_work", "monthly_income": "-1", "version": 2},
        format="json",
    )
    assert response.status_code == 400 and "月收入（元）不能为负数" in response.json()["monthly_income"][0]
    response = client.post(
        "/api/v1/dues-bases/",
        {"member": world.members["B2"].pk, "year": year, "income_class": "in_work", "monthly_income": "100"},
        format="json",
    )
    assert response.status_code == 400 and "权限范围" in response.json()["member"][0]
    other = DuesBase.objects.create(
        member=world.members["B2"], year=year, income_class="retiree", monthly_income=1, monthly_amount=1
    )
    assert client.patch(f"/api/v1/dues-bases/{other.pk}/", {}, format="json").status_code == 404


def test_the_ledger_is_filtered_by_member_branch_month_and_status(world, api):
    first = ledger_of(world, "甲")
    ledger_of(world, "乙", branch="B1b")
    ledger_of(world, "松涛丙", branch="B2")
    client = api("community_secretary")
    rows = client.get("/api/v1/dues-months/", {"month": f"{this_month():%Y-%m}", "page_size": 100}).json()["results"]
    assert {row["member_name"] for row in rows} == {"甲", "乙"}
    rows = client.get("/api/v1/dues-months/", {"branch": world.units["B1b"].pk}).json()["results"]
    assert {row["member_name"] for row in rows} == {"乙"}
    rows = client.get("/api/v1/dues-months/", {"member": first.pk, "status": "due", "page_size": 100}).json()["results"]
    assert len(rows) == this_month().month and all(row["status"] == "due" for row in rows)
    assert any(row["overdue"] for row in rows) == (this_month().month > 1)
    response = client.get("/api/v1/dues-months/", {"month": "2026年13月"})
    assert response.status_code == 400 and "2026-09" in response.json()["month"][0]
    assert client.get("/api/v1/dues-months/", {"branch": world.units["B2"].pk}).json()["count"] == 0


def test_a_payment_through_the_api_and_the_same_payment_again(world, api):
    member = ledger_of(world, "交费者")
    row = DuesMonth.objects.get(member=member, month=this_month())
    client = api("branch_secretary")
    data = {"member": member.pk, "months": [row.pk], "amount": "30.00", "paid_on": timezone.localdate().isoformat()}
    response = client.post("/api/v1/dues-payments/", data, format="json")
    assert response.status_code == 201, response.json()
    payment = response.json()
    assert payment["kind"] == "self" and payment["months"][0]["id"] == row.pk and payment["amount"] == "30.00"
    before = snapshot()
    response = client.post("/api/v1/dues-payments/", data, format="json")
    assert response.status_code == 400 and snapshot() == before
    assert response.json()["months"] == [f"{month_label(this_month())}的党费已由他人登记为已交，请刷新后查看。"]
    assert client.get(f"/api/v1/dues-payments/{payment['id']}/").status_code == 200
    listed = client.get("/api/v1/dues-payments/", {"member": member.pk}).json()
    assert listed["count"] == 1


def test_api_payment_refusals_are_in_chinese_by_field(world, api):
    member = ledger_of(world, "交费者")
    row = DuesMonth.objects.get(member=member, month=this_month())
    client = api("community_cadre")
    today = timezone.localdate().isoformat()
    cases = [
        ({"amount": "abc"}, "amount", "金额（元）应为数字"),
        ({"amount": "29.99"}, "amount", "金额应等于所选月份应交之和 30.00 元"),
        ({"kind": "paid_by_proxy"}, "payer_name", "代缴请填写代缴人姓名"),
        ({"member": world.members["B2"].pk}, "member", "所选党员不存在或不在您的权限范围内"),
        ({"member": world.members["B1"].pk}, "months", "不在该党员的党费账目中"),
    ]
    before = snapshot()
    for change, field, words in cases:
        data = {"member": member.pk, "months": [row.pk], "amount": "30.00", "paid_on": today, **change}
        response = client.post("/api/v1/dues-payments/", data, format="json")
        assert response.status_code == 400 and words in " ".join(response.json()[field]), (field, response.json())
    assert snapshot() == before
    assert client.post("/api/v1/dues-payments/", {}, format="json").status_code == 400
    assert api("member").post("/api/v1/dues-payments/", {}, format="json").status_code == 403


def test_reliefs_are_requested_and_decided_once_by_someone_else(world, api):
    member = ledger_of(world, "减免者")
    cadre = api("community_cadre")
    month = f"{this_month():%Y-%m}"
    response = cadre.post(
        "/api/v1/dues-reliefs/",
        {"member": member.pk, "kind": "reduction", "start_month": month, "end_month": month, "reason": "困难"},
        format="json",
    )
    assert response.status_code == 400 and "减交后月额（元）" in response.json()["reduced_amount"][0]
    response = cadre.post(
        "/api/v1/dues-reliefs/",
        {
            "member": member.pk,
            "kind": "reduction",
            "start_month": month,
            "end_month": month,
            "reduced_amount": "10.00",
            "reason": "困难",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    relief = response.json()
    assert cadre.post(f"/api/v1/dues-reliefs/{relief['id']}/approve/", {}, format="json").status_code == 403
    response = api("community_secretary").post(
        f"/api/v1/dues-reliefs/{relief['id']}/refuse/", {"version": relief["version"]}, format="json"
    )
    assert response.status_code == 400 and "不予批准时请填写理由" in response.json()["decision_note"][0]
    response = api("community_secretary").post(
        f"/api/v1/dues-reliefs/{relief['id']}/approve/", {"version": relief["version"]}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert DuesMonth.objects.get(member=member, month=this_month()).amount_due == Decimal("10.00")
    response = api("subdistrict_organizer").post(
        f"/api/v1/dues-reliefs/{relief['id']}/refuse/", {"decision_note": "不同意"}, format="json"
    )
    assert response.status_code == 400 and "不能重复审批" in response.json()["non_field_errors"][0]
    outside = DuesRelief.objects.create(
        member=world.members["B2"], kind="exemption", start_month=this_month(), end_month=this_month(), reason="x"
    )
    assert api("community_secretary").post(f"/api/v1/dues-reliefs/{outside.pk}/approve/", {}).status_code == 404


def test_the_api_refuses_self_approval(world, api):
    member = ledger_of(world, "自批者")
    secretary = api("community_secretary")
    month = f"{this_month():%Y-%m}"
    relief = secretary.post(
        "/api/v1/dues-reliefs/",
        {"member": member.pk, "kind": "exemption", "start_month": month, "end_month": month, "reason": "困难"},
        format="json",
    ).json()
    response = secretary.post(f"/api/v1/dues-reliefs/{relief['id']}/approve/", {}, format="json")
    assert response.status_code == 400 and "不能审批自己提交的减免申请" in response.json()["non_field_errors"][0]


def test_the_arrears_endpoint_gives_the_list_in_scope(world, api):
    owing = make_member(world.units["B1"], "欠交者")
    for offset in (1, 2, 3):
        DuesMonth.objects.create(member=owing, month=shift_month(this_month(), -offset), amount_due=Decimal("30.00"))
    far = make_member(world.units["B2"], "松涛欠交者")
    DuesMonth.objects.create(member=far, month=shift_month(this_month(), -1), amount_due=Decimal("30.00"))
    client = api("community_cadre")
    rows = client.get("/api/v1/dues-months/arrears/").json()["results"]
    assert rows == [
        {
            "member": owing.pk,
            "member_name": "欠交者",
            "branch_name": "翠湖第一支部",
            "months": 3,
            "owed": "90.00",
            "oldest": f"{shift_month(this_month(), -3):%Y-%m-%d}",
            "latest": f"{shift_month(this_month(), -1):%Y-%m-%d}",
        }
    ]
    assert client.get("/api/v1/dues-months/arrears/", {"min_months": 4}).json()["results"] == []
    response = client.get("/api/v1/dues-months/arrears/", {"unit": world.units["B2"].pk})
    assert response.status_code == 400 and "权限范围" in response.json()["unit"][0]
    assert client.get("/api/v1/dues-months/arrears/", {"min_months": "x"}).status_code == 400
    names = {
        row["member_name"] for row in api("district_organizer").get("/api/v1/dues-months/arrears/").json()["results"]
    }
    assert names == {"欠交者", "松涛欠交者"}


def test_the_api_lists_cost_the_same_queries_for_few_and_many(world, api):
    client = api("community_secretary")
    urls = ["/api/v1/dues-months/", "/api/v1/dues-payments/", "/api/v1/dues-bases/", "/api/v1/dues-months/arrears/"]

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"page_size": 500}).status_code == 200
        return len(queries)

    def add(name: str) -> None:
        member = ledger_of(world, name)
        first = DuesMonth.objects.filter(member=member).order_by("month").first()
        services.dues_payment_record(
            member=member, month_ids=[first.pk], amount="30.00", paid_on=timezone.localdate(), by=None
        )

    add("少")
    for url in urls:
        count(url)
    few = {url: count(url) for url in urls}
    for index in range(12):
        add(f"多{index}")
    assert {url: count(url) for url in urls} == few
    assert DuesPayment.objects.count() == 13
