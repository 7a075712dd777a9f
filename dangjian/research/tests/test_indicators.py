"""The detachment indicators (三个脱离) on a known data set: visits per cadre per month, research and
visits that led to action, and opinion closure, timeliness and satisfaction — exact figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.research.choices import ResearchKind
from dangjian.research.models import Opinion
from dangjian.research.selectors.indicators import Period, add_months, default_period, detachment_indicators
from dangjian.research.services import opinions as opinion_services
from dangjian.research.services import research as research_services
from dangjian.research.services import risks as risk_services
from dangjian.research.services import visits as visit_services

from .factories import consult, make_opinion, make_risk, research_for_risk, today, visit_for_risk

pytestmark = pytest.mark.django_db


def at(days_ago: int, hour: int = 10) -> datetime.datetime:
    day = today() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def back(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


def opinion(world, *, submitted: int, assignee=None, community="C1", **fields) -> Opinion:
    made = make_opinion(world.units[community])
    if assignee is not None:
        opinion_services.opinion_assign(opinion=made, by=None, assignee=assignee)
    Opinion.objects.filter(pk=made.pk).update(submitted_at=at(submitted), answer_due_on=back(submitted - 15), **fields)
    made.refresh_from_db()
    return made


@pytest.fixture
def known(world):
    """C1: five opinions, two closed (in 3 and in 10 days, rated 5 and 3), two overdue, one new;
    one more in C2. Visits: the cadre three this month, the secretary one last month."""
    cadre, secretary = world.personas["community_cadre"], world.personas["community_secretary"]
    first = opinion(world, submitted=20, assignee=cadre)
    opinion_services.opinion_answer(
        opinion=first, by=cadre, answer_kind="not_accepted", answer="否", not_accepted_reason="理由"
    )
    Opinion.objects.filter(pk=first.pk).update(answered_at=at(17), closed_at=at(17), rating=5)
    second = opinion(world, submitted=20, assignee=cadre)
    opinion_services.opinion_answer(opinion=second, by=cadre, answer_kind="accepted", answer="是", promised_on=today())
    second.refresh_from_db()
    opinion_services.opinion_progress(opinion=second, by=cadre, progress="done", note="已落实。")
    Opinion.objects.filter(pk=second.pk).update(answered_at=at(18), closed_at=at(10, 22), rating=3)
    third = opinion(world, submitted=25, assignee=secretary)
    opinion_services.opinion_answer(
        opinion=third, by=secretary, answer_kind="accepted", answer="是", promised_on=today()
    )
    # Answered a day after its deadline (25 − 15 = 10 days ago), promised for two days ago.
    Opinion.objects.filter(pk=third.pk).update(answered_at=at(9), promised_on=back(2))
    opinion(world, submitted=30, assignee=secretary)  # unanswered, due 15 days ago: overdue
    opinion(world, submitted=1)  # new, not overdue
    opinion(world, submitted=5, community="C2")

    # Visits: three by the cadre this month (one led to a correction), one by the secretary last
    # month on a major risk that reached its solution.
    first_of_month = today().replace(day=1)
    last_month = first_of_month - datetime.timedelta(days=1)
    visits = [
        visit_services.visit_record(
            by=cadre,
            community=world.units["C1"],
            visitor=cadre,
            visited_on=first_of_month,
            whom=f"{n}栋",
            topics="走访",
            opinions=["楼下有积水"] if n == 1 else [],
        )
        for n in range(1, 4)
    ]
    raised = visits[0].opinions.get()
    opinion_services.opinion_answer(
        opinion=raised, by=cadre, answer_kind="accepted", answer="疏通", promised_on=today()
    )
    Opinion.objects.filter(pk=raised.pk).update(answer_due_on=today())  # answered on its last day: on time
    risk = make_risk(world.units["C1"])
    risk_visit = visit_for_risk(risk, secretary, visited_on=last_month)
    research = research_for_risk(risk, by=secretary)
    consult(risk)
    risk_services.risk_propose_solution(risk=risk, by=secretary, solution="方案")
    periodic = [
        research_services.research_record(
            by=cadre,
            community=world.units["C1"],
            kind=ResearchKind.PERIODIC,
            title=f"季度调研{n}",
            conducted_from=today(),
            conducted_to=today(),
            methods=["visits"],
            researchers="刘",
            first_hand="情况",
            conclusion="结论",
        )
        for n in range(2)
    ]
    opinion_services.correction_record(
        by=cadre,
        community=world.units["C1"],
        title="修正",
        description="改",
        corrected_on=today(),
        opinions=[raised],
        research=periodic[0],
    )
    return {"visits": visits, "risk_visit": risk_visit, "research": research, "raised": raised}


def test_closure_figures_are_exact_on_a_known_data_set(world, known):
    # The opinion raised in a visit counts too: six received in C1, two closed.
    indicators = detachment_indicators(
        user=world.personas["community_secretary"], period=default_period(today()), today=today()
    )
    assert indicators.single_community and [row.label for row in indicators.communities] == ["翠湖社区"]
    row = indicators.communities[0]
    assert (row.opinions, row.closed) == (6, 2)
    assert row.closure_rate == Decimal("33.3")
    assert row.average_closure_days == Decimal("6.5")  # (3 + 10) / 2
    assert (row.answered, row.answered_on_time) == (4, 3)
    assert row.on_time_rate == Decimal("75.0")
    assert row.overdue_open == 2
    assert (row.rated, row.average_rating, row.satisfied_rate) == (2, Decimal("4.00"), Decimal("50.0"))
    assert indicators.total.opinions == 6  # C2's opinion is outside the secretary's scope


def test_the_figures_per_cadre(world, known):
    indicators = detachment_indicators(
        user=world.personas["community_secretary"], period=default_period(today()), today=today()
    )
    rows = {row.label: row for row in indicators.cadres}
    cadre, secretary = rows["community_cadre用户"], rows["community_secretary用户"]
    assert (cadre.opinions, cadre.closed, cadre.closure_rate) == (3, 2, Decimal("66.7"))
    assert (secretary.opinions, secretary.closed, secretary.closure_rate, secretary.overdue_open) == (
        2,
        0,
        Decimal("0.0"),
        2,
    )
    assert cadre.visits_by_month[-1] == 3 and cadre.visits == 3
    assert secretary.visits_by_month[-2:] == [1, 0]
    assert cadre.visits_per_cadre_month == Decimal("0.5")  # 3 visits in 6 months
    assert cadre.idle_months == 5


def test_research_and_visits_that_led_to_action(world, known):
    indicators = detachment_indicators(
        user=world.personas["district_organizer"], period=default_period(today()), today=today()
    )
    row = next(row for row in indicators.communities if row.label == "翠湖社区")
    # Research: the risk's (solution) and one periodic (correction) of three.
    assert (row.research, row.research_acted, row.research_action_rate) == (3, 2, Decimal("66.7"))
    # Visits: the one whose opinion led to the correction, the risk's visit; of four.
    assert (row.visits, row.visits_acted, row.visit_action_rate) == (4, 2, Decimal("50.0"))
    # Two cadres on C1, six months: 4 / 12 visits per cadre per month.
    assert row.cadres == 2 and row.visits_per_cadre_month == Decimal("0.3")
    others = [row for row in indicators.communities if row.label != "翠湖社区"]
    assert [row.label for row in others] == ["松涛社区"] and others[0].opinions == 1


def test_a_period_counts_whole_months(world, known):
    this_month = today().replace(day=1)
    only_this = detachment_indicators(
        user=world.personas["community_secretary"], period=Period(this_month, this_month), today=today()
    )
    assert only_this.total.visits == 3 and only_this.period.months == [this_month]
    last = add_months(this_month, -1)
    only_last = detachment_indicators(
        user=world.personas["community_secretary"], period=Period(last, last), today=today()
    )
    assert only_last.total.visits == 1


def test_the_indicators_page_draws_its_charts_from_json(world, known, login):
    response = login(world.personas["subdistrict_organizer"]).get(reverse("research:indicators"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="research-charts"' in page and 'data-research-chart="visits"' in page
    assert "js/research.js" in page and "<script>" not in page
    # The sub-district organizer's scope holds one community: the charts compare its cadres.
    charts, indicators = response.context["charts"], response.context["indicators"]
    assert indicators.single_community
    assert charts["opinion"]["categories"] == [row.label for row in indicators.cadres]
    assert charts["visits"]["series"][0]["data"] == indicators.cadres[0].visits_by_month
    assert "北岭" not in page and "松涛" not in page


def test_the_indicators_refuse_a_reversed_period(world, login):
    client = login(world.personas["community_secretary"])
    month = today().strftime("%Y-%m")
    earlier = add_months(today().replace(day=1), -2).strftime("%Y-%m")
    response = client.get(reverse("research:indicators"), {"month_from": month, "month_to": earlier})
    assert response.status_code == 200 and "截止月份不能早于起始月份" in response.content.decode()
