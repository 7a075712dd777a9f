"""The risk register (维稳隐患): a major risk is researched first-hand and its solution worked out
with the residents before it may move on; states, limits and overdue warnings; the pages."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dangjian.research.choices import RiskStatus
from dangjian.research.models import Risk, risk_state_days
from dangjian.research.services import risks as services

from .factories import consult, make_risk, research_for_risk, today, visit_for_risk

pytestmark = pytest.mark.django_db


def refused(call, field: str = "__all__") -> str:
    """Run a service that must refuse; the risk rows are unchanged, and the message is returned."""
    before = list(Risk.objects.order_by("pk").values_list("pk", "status", "solution", "version"))
    with pytest.raises(ValidationError) as error:
        call()
    assert list(Risk.objects.order_by("pk").values_list("pk", "status", "solution", "version")) == before
    messages = error.value.message_dict if hasattr(error.value, "error_dict") else {"__all__": error.value.messages}
    assert field in messages, messages
    return " ".join(messages[field])


def propose(risk: Risk, by=None) -> Risk:
    return services.risk_propose_solution(risk=risk, by=by, solution="召开居民议事会，按楼层分摊费用。")


def test_a_major_risk_cannot_reach_solution_without_research(world):
    cadre = world.personas["community_cadre"]
    risk = make_risk(world.units["C1"], by=cadre)
    message = refused(lambda: propose(risk, cadre), "solution")
    assert "重大维稳隐患须先深入调研" in message
    for gap in ("走访记录", "调研记录", "群众协商记录"):
        assert gap in message


def test_each_missing_piece_of_research_keeps_a_major_risk_from_its_solution(world):
    cadre = world.personas["community_cadre"]
    risk = make_risk(world.units["C1"], by=cadre)
    visit_for_risk(risk, cadre)
    research_for_risk(risk, by=cadre)
    message = refused(lambda: propose(risk, cadre), "solution")
    assert "群众协商记录" in message and "走访记录" not in message and "调研记录" not in message
    consult(risk, by=cadre)
    done = propose(risk, cadre)
    assert done.status == RiskStatus.SOLUTION and done.solution_on == today()
    assert done.history.first().history_user == cadre


def test_research_on_a_reported_risk_starts_its_research(world):
    risk = make_risk(world.units["C1"])
    assert risk.status == RiskStatus.REPORTED
    research_for_risk(risk)
    risk.refresh_from_db()
    assert risk.status == RiskStatus.RESEARCHING and risk.research_started_on == today()


def test_research_must_state_the_cause_and_the_crux(world):
    risk = make_risk(world.units["C1"])
    with pytest.raises(ValidationError) as error:
        research_for_risk(risk, cause="", crux=" ")
    assert error.value.message_dict["cause"] == ["请填写问题起因。"]
    assert error.value.message_dict["crux"] == ["请填写问题症结。"]
    assert not risk.researches.exists()


def test_a_general_risk_may_go_straight_to_its_solution_and_be_resolved(world):
    risk = make_risk(world.units["C1"], level="general")
    risk = propose(risk)
    assert risk.status == RiskStatus.SOLUTION
    risk = services.risk_resolve(risk=risk, by=None, resolution="双方签订调解协议。")
    assert risk.status == RiskStatus.RESOLVED and not risk.is_open
    refused(lambda: services.risk_close(risk=risk, by=None, outcome="duplicate", note="重复"))


def test_closing_needs_an_outcome_and_a_note(world):
    risk = make_risk(world.units["C1"])
    assert "请说明关闭的情况" in refused(
        lambda: services.risk_close(risk=risk, by=None, outcome="transferred", note=" "), "outcome_note"
    )
    closed = services.risk_close(risk=risk, by=None, outcome="transferred", note="移交街道信访办。")
    assert closed.status == RiskStatus.CLOSED and closed.closed_on == today()


def test_a_stale_version_is_refused(world):
    risk = make_risk(world.units["C1"], level="general")
    services.risk_update(risk=risk, by=None, expected_version=1, title="新的事项")
    assert "已被他人修改" in refused(
        lambda: services.risk_update(risk=risk, by=None, expected_version=1, title="旧页面上的修改")
    )


def test_the_assignee_must_work_for_the_community(world):
    with pytest.raises(ValidationError) as error:
        make_risk(world.units["C1"], assignee=world.personas["branch_secretary"])
    assert "不是翠湖社区的工作人员" in error.value.message_dict["assignee"][0]


def test_a_risk_is_overdue_after_the_days_its_state_allows(world, settings):
    settings.DANGJIAN_RISK_STATE_DAYS = {"reported": 2}
    assert risk_state_days() == {"reported": 2, "researching": 15, "solution": 30}
    risk = make_risk(world.units["C1"])
    Risk.objects.filter(pk=risk.pk).update(status_since=today() - datetime.timedelta(days=2))
    risk.refresh_from_db()
    assert risk.days_overdue(today()) == 0  # the last allowed day
    Risk.objects.filter(pk=risk.pk).update(status_since=today() - datetime.timedelta(days=3))
    risk.refresh_from_db()
    assert risk.days_overdue(today()) == 1


# --- Pages -------------------------------------------------------------------------------------


def test_the_checklist_and_the_refusal_show_on_the_risk_page(world, login):
    cadre = world.personas["community_cadre"]
    risk = make_risk(world.units["C1"], by=cadre)
    client = login(cadre)
    page = client.get(reverse("research:risk_detail", args=[risk.pk])).content.decode()
    assert "重大隐患须先调研" in page and page.count("尚无") >= 3
    response = client.post(
        reverse("research:risk_solution", args=[risk.pk]),
        {"solution": "方案", "solution_on": today().isoformat(), "version": risk.version},
    )
    assert response.status_code == 200
    assert "重大维稳隐患须先深入调研" in response.content.decode()
    risk.refresh_from_db()
    assert risk.status == RiskStatus.REPORTED


def test_a_cadre_reports_a_risk_on_the_page(world, login):
    client = login(world.personas["community_cadre"])
    response = client.post(
        reverse("research:risk_create"),
        {
            "community": world.units["C1"].pk,
            "title": "电动车楼道充电",
            "level": "general",
            "category": "safety",
            "location": "5栋",
            "involved": "5栋住户",
            "description": "多户在楼道充电。",
            "reported_on": today().isoformat(),
        },
    )
    risk = Risk.objects.get(title="电动车楼道充电")
    assert response.status_code == 302 and response.url == reverse("research:risk_detail", args=[risk.pk])
    assert risk.community == world.units["C1"] and risk.reported_by == world.personas["community_cadre"]
    assert risk.district == world.units["D1"]


def test_a_branch_secretary_has_no_research_pages(world, login):
    client = login(world.personas["branch_secretary"])
    assert client.get(reverse("research:risk_list")).status_code == 403
