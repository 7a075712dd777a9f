"""The research reminders for the reminder centre: open risks, rounds due and overdue opinions,
within the user's active scope, in the same number of queries however many there are."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.research.models import Opinion, ResearchRound, Risk, VisitTarget
from dangjian.research.selectors import ReminderItem, reminder_items
from dangjian.research.services import visits as visit_services

from .factories import make_opinion, make_risk, today

pytestmark = pytest.mark.django_db


def build(world, community: str = "C1", n: int = 1) -> None:
    unit = world.units[community]
    for number in range(n):
        make_risk(unit, level="major", title=f"{unit.name}重大隐患{number}")
        general = make_risk(unit, level="general", title=f"{unit.name}一般隐患{number}")
        Risk.objects.filter(pk=general.pk).update(status_since=today() - datetime.timedelta(days=10))
        late = make_opinion(unit, title=f"{unit.name}逾期意见{number}")
        Opinion.objects.filter(pk=late.pk).update(answer_due_on=today() - datetime.timedelta(days=1))
        make_opinion(unit, title=f"{unit.name}新意见{number}")
        round = visit_services.round_create(
            by=None,
            community=unit,
            title=f"{unit.name}走访{number}",
            period_start=today() - datetime.timedelta(days=60),
            period_end=today() + datetime.timedelta(days=3),
        )
        VisitTarget.objects.create(
            round=round, kind="household", label=f"{number}栋", cadre=world.personas["community_cadre"]
        )


def test_the_reminders_of_a_community_secretary(world):
    build(world)
    build(world, "C2")
    items = reminder_items(user=world.personas["community_secretary"], today=today())
    kinds = sorted(item.kind for item in items)
    assert kinds == ["opinion_overdue", "risk_open", "risk_open", "round_due"]
    assert all(isinstance(item, ReminderItem) for item in items)
    assert all("松涛" not in item.title for item in items)
    risk_items = [item for item in items if item.kind == "risk_open"]
    assert any("已超期 7 天" in item.title for item in risk_items)  # 10 days in "reported", 3 allowed
    [round_item] = [item for item in items if item.kind == "round_due"]
    assert "尚有 1 个走访对象未走访" in round_item.title
    assert round_item.due_on == today() + datetime.timedelta(days=3)
    assert round_item.url == f"/research/rounds/{ResearchRound.objects.get(title='翠湖社区走访0').pk}/"
    [opinion_item] = [item for item in items if item.kind == "opinion_overdue"]
    assert opinion_item.due_on == today() - datetime.timedelta(days=1) and "逾期未答复" in opinion_item.title


def test_a_cadre_is_reminded_of_their_own_and_the_unassigned(world):
    build(world)
    secretary = world.personas["community_secretary"]
    Risk.objects.update(assignee=secretary)
    items = reminder_items(user=world.personas["community_cadre"], today=today())
    assert sorted(item.kind for item in items) == ["opinion_overdue", "round_due"]


def test_roles_without_research_have_no_reminders(world):
    build(world)
    for persona in ("branch_secretary", "member", "resident", "outsider"):
        assert reminder_items(user=world.personas[persona], today=today()) == []


def test_reminders_take_the_same_queries_for_few_and_many(world):
    def count() -> int:
        user = type(world.personas["district_organizer"]).objects.get(username="district_organizer")
        with CaptureQueriesContext(connection) as queries:
            reminder_items(user=user, today=today())
        return len(queries)

    build(world)
    few = count()
    build(world, n=6)
    build(world, "C2", n=4)
    assert count() == few


def test_the_reminder_centre_shows_research_and_folds_many_into_a_count(world):
    from dangjian.oversight.models import Reminder
    from dangjian.oversight.reminders import RESEARCH_FOLD_AT, refresh_reminders

    secretary = world.personas["community_secretary"]
    build(world)
    build(world, "C2")
    refresh_reminders(user=secretary, today=today())
    rows = Reminder.objects.filter(
        user=secretary, resolved_at=None, kind__in=["risk_open", "round_due", "opinion_overdue"]
    )
    assert sorted(rows.values_list("kind", flat=True)) == ["opinion_overdue", "risk_open", "risk_open", "round_due"]
    assert all(row.org_unit == world.units["C1"] and "松涛" not in row.title for row in rows)
    late = Opinion.objects.get(title="翠湖社区逾期意见0")
    assert rows.get(kind="opinion_overdue").url == f"/research/opinions/{late.pk}/"

    # Past the fold, one reminder per kind with the count, linking to the filtered list.
    build(world, n=RESEARCH_FOLD_AT)
    refresh_reminders(user=secretary, today=today())
    risk = rows.get(kind="risk_open")
    assert risk.key == "research:risk_open" and f"{2 * (RESEARCH_FOLD_AT + 1)} 件维稳隐患未办结" in risk.title
    assert risk.url == "/research/risks/?status=open"
    opinions = rows.get(kind="opinion_overdue")
    assert f"{RESEARCH_FOLD_AT + 1} 条意见建议逾期" in opinions.title
    assert opinions.url == "/research/opinions/?status=open&overdue=on"
    assert rows.filter(kind="round_due").count() == 1 and "轮走访" in rows.get(kind="round_due").title

    # When the matters are dealt with, the reminders resolve.
    Opinion.objects.filter(community=world.units["C1"]).update(answer_due_on=today() + datetime.timedelta(days=30))
    refresh_reminders(user=secretary, today=today())
    assert not rows.filter(kind="opinion_overdue").exists()
