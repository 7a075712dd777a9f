"""The research pages: every list page runs the same number of queries for few and for many rows;
the overview; HTMX partials; the forms' refusals on their fields."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.research.choices import ResearchKind
from dangjian.research.models import Opinion, Research, ResearchRound, Visit, VisitTarget
from dangjian.research.services import opinions as opinion_services
from dangjian.research.services import research as research_services
from dangjian.research.services import visits as visit_services

from .factories import make_event, make_opinion, make_risk, research_for_event, today, visit_for_risk

pytestmark = pytest.mark.django_db


def rows(world, n: int) -> None:
    """`n` of everything in C1 (and one of each in C2, outside a community persona's scope)."""
    cadre = world.personas["community_cadre"]
    for community, count in (("C1", n), ("C2", 1)):
        unit = world.units[community]
        for number in range(count):
            risk = make_risk(unit, title=f"{unit.name}隐患{number}", assignee=cadre if community == "C1" else None)
            visit_for_risk(risk, cadre if community == "C1" else world.personas["district_organizer"])
            event = make_event(unit, title=f"{unit.name}活动{number}")
            research_for_event(event)
            opinion = make_opinion(unit, title=f"{unit.name}意见{number}")
            opinion_services.opinion_assign(
                opinion=opinion, by=None, assignee=cadre if community == "C1" else world.personas["district_organizer"]
            )
            round = visit_services.round_create(by=None, community=unit, title=f"{unit.name}走访{number}")
            VisitTarget.objects.create(round=round, kind="household", label=f"{number}栋", cadre=cadre)
            research_services.research_record(
                by=None,
                community=unit,
                kind=ResearchKind.PERIODIC,
                round=round,
                title=f"{unit.name}调研{number}",
                conducted_from=today(),
                conducted_to=today(),
                methods=["visits"],
                researchers="刘",
                first_hand="情况",
                conclusion="结论",
            )
            opinion_services.correction_record(
                by=None,
                community=unit,
                title=f"{unit.name}修正{number}",
                description="改",
                corrected_on=today(),
                opinions=[opinion],
            )


LIST_PAGES = [
    "research:risk_list",
    "research:event_list",
    "research:research_list",
    "research:round_list",
    "research:visit_list",
    "research:opinion_list",
    "research:correction_list",
    "research:indicators",
    "research:overview",
]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_list_page_runs_the_same_queries_for_few_and_many_rows(world, login, name):
    client = login(world.personas["community_secretary"])
    url = reverse(name)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries)

    rows(world, 1)
    count()  # the first request of this client loads what the session needs
    few = count()
    rows(world, 12)
    assert count() == few
    page = client.get(url).content.decode()
    assert "松涛" not in page


def test_the_lists_show_only_the_scope(world, login):
    rows(world, 2)
    client = login(world.personas["community_secretary"])
    risks = client.get(reverse("research:risk_list")).context["page"]
    assert risks.paginator.count == 2 and all(risk.community == world.units["C1"] for risk in risks)
    district = login(world.personas["district_organizer"])
    assert district.get(reverse("research:risk_list")).context["page"].paginator.count == 3


def test_the_list_answers_htmx_with_its_results_only(world, login):
    rows(world, 1)
    client = login(world.personas["community_cadre"])
    response = client.get(reverse("research:opinion_list"), {"status": "assigned"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="results">') and "<html" not in content
    assert "翠湖社区意见0" in content


def test_status_tabs_count_the_filtered_rows(world, login):
    rows(world, 3)
    client = login(world.personas["community_secretary"])
    tabs = dict((value, count) for value, _, count in client.get(reverse("research:opinion_list")).context["tabs"])
    assert tabs[""] == 3 and tabs["assigned"] == 3 and tabs["open"] == 3 and tabs["closed"] == 0


def test_a_form_refusal_lands_on_its_field(world, login):
    client = login(world.personas["community_cadre"])
    response = client.post(
        reverse("research:event_create"),
        {
            "title": "活动",
            "kind": "festival",
            "purpose": "目的",
            "planned_on": (today() - datetime.timedelta(days=1)).isoformat(),
            "place": "广场",
            "expected_participants": 100,
            "staff": "干部",
            "staff_count": 3,
            "budget": "100.00",
            "materials": "桌椅",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["planned_on"] == ["活动日期已过，请修改活动日期。"]


def test_the_overview_lists_what_needs_attention(world, login):
    rows(world, 1)
    page = login(world.personas["community_secretary"]).get(reverse("research:overview")).content.decode()
    assert "需要关注" in page and "翠湖社区重大维稳隐患" in page
    assert reverse("research:public_opinion", args=[world.units["C1"].code]) in page


def test_a_correction_is_recorded_from_an_opinion_or_a_research_record(world, login):
    rows(world, 1)
    client = login(world.personas["community_secretary"])
    opinion = make_opinion(world.units["C1"], title="活动室开放时间短")
    opinion_services.opinion_answer(
        opinion=opinion, by=None, answer_kind="accepted", answer="延长", promised_on=today()
    )
    url = reverse("research:correction_create")
    form = client.get(url, {"opinion": opinion.pk}).context["form"]
    assert form.initial["opinions"] == [opinion.pk] and "community" not in form.fields
    response = client.post(
        f"{url}?opinion={opinion.pk}",
        {
            "title": "活动室晚上开放",
            "description": "每周二、四开放至九点。",
            "corrected_on": today().isoformat(),
            "opinions": [opinion.pk],
        },
    )
    assert response.status_code == 302
    assert list(opinion.corrections.values_list("title", flat=True)) == ["活动室晚上开放"]
    # The research page's link preselects its record.
    record = Research.objects.filter(community=world.units["C1"]).first()
    assert client.get(url, {"research": record.pk}).context["form"].initial == {"research": record.pk}
    outside = Research.objects.filter(community=world.units["C2"]).first()
    assert client.get(url, {"research": outside.pk}).status_code == 404


def test_forms_with_choices_from_the_scope_accept_a_choice(world, login):
    """The choices (cadres, rounds, opinions) are set after the form is built; a posted choice
    among them is accepted."""
    rows(world, 1)
    cadre = world.personas["community_cadre"]
    client = login(world.personas["community_secretary"])
    opinion = Opinion.objects.get(title="翠湖社区意见0")
    response = client.post(
        reverse("research:opinion_assign", args=[opinion.pk]), {"assignee": cadre.pk, "area": "environment"}
    )
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.area == "environment" and opinion.assignee == cadre
    round = ResearchRound.objects.get(title="翠湖社区走访0")
    response = client.post(
        reverse("research:visit_create") + f"?round={round.pk}",
        {
            "round": round.pk,
            "visitor": cadre.pk,
            "visited_on": today().isoformat(),
            "method": "door",
            "whom": "3栋101",
            "topics": "走访",
            "opinion_area": "other",
        },
    )
    assert response.status_code == 302 and Visit.objects.filter(round=round, whom="3栋101").exists()
    response = client.post(
        reverse("research:research_create") + f"?round={round.pk}",
        {
            "round": round.pk,
            "title": "季度调研报告",
            "conducted_from": today().isoformat(),
            "conducted_to": today().isoformat(),
            "methods": ["visits", "forum"],
            "researchers": "张书记",
            "people_reached": 20,
            "first_hand": "情况",
            "conclusion": "结论",
        },
    )
    assert response.status_code == 302
    assert Research.objects.get(title="季度调研报告").methods == ["forum", "visits"]


def test_a_refused_step_marks_its_field(world, login):
    opinion = make_opinion(world.units["C1"])
    client = login(world.personas["community_cadre"])
    response = client.post(
        reverse("research:opinion_answer", args=[opinion.pk]), {"answer_kind": "accepted", "answer": "好"}
    )
    assert response.status_code == 200
    form = dict((name, form) for name, _, form in response.context["actions"])["answer"]
    assert form.errors["promised_on"] == ["采纳的意见请填写承诺完成日期。"]
    assert "is-invalid" in form["promised_on"].field.widget.attrs["class"]
