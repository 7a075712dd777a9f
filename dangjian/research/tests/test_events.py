"""Large events (大型活动): the plan with people, money and materials; approval by the sub-district
refused while no pre-event research exists; one approval however many approve at once; the
review after the event."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from dangjian.core.tests.markers import postgres_only
from dangjian.research.choices import EventStatus
from dangjian.research.models import Event
from dangjian.research.services import events as services

from .factories import make_event, research_for_event, today

pytestmark = pytest.mark.django_db


def test_approving_an_event_without_research_is_refused_with_the_reason(world):
    event = make_event(world.units["C1"], by=world.personas["community_cadre"])
    with pytest.raises(ValidationError) as error:
        services.event_approve(event=event, by=world.personas["subdistrict_organizer"])
    assert error.value.code == "research_required"
    assert "还没有活动前调研记录，不能批准" in error.value.messages[0]
    event.refresh_from_db()
    assert event.status == EventStatus.SUBMITTED and event.approved_by is None and event.version == 2


def test_approving_an_event_with_research_succeeds(world):
    organizer = world.personas["subdistrict_organizer"]
    event = make_event(world.units["C1"])
    research_for_event(event)
    approved = services.event_approve(event=event, by=organizer, note="同意。", expected_version=event.version)
    assert approved.status == EventStatus.APPROVED
    assert approved.approved_by == organizer and approved.approval_note == "同意。"
    assert approved.history.first().history_user == organizer


def test_a_second_approval_is_refused_and_names_the_first(world):
    event = make_event(world.units["C1"])
    research_for_event(event)
    services.event_approve(event=event, by=world.personas["subdistrict_organizer"])
    with pytest.raises(ValidationError) as error:
        services.event_approve(event=event, by=world.personas["district_organizer"], expected_version=event.version)
    assert error.value.code == "already"
    assert "subdistrict_organizer用户" in error.value.messages[0] and "无需重复审批" in error.value.messages[0]


def test_a_community_secretary_cannot_approve(world):
    event = make_event(world.units["C1"])
    research_for_event(event)
    with pytest.raises(PermissionDenied):
        services.event_approve(event=event, by=world.personas["community_secretary"])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_organizers_approving_at_once_give_one_approval():
    from conftest import build_world

    world = build_world()
    event = make_event(world.units["C1"])
    research_for_event(event)
    approvers = [world.personas["subdistrict_organizer"], world.personas["district_organizer"]]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user) -> None:
        try:
            barrier.wait()
            services.event_approve(event=event, by=type(user).objects.get(pk=user.pk))
            outcomes.append("approved")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already", "approved"]
    event.refresh_from_db()
    assert event.status == EventStatus.APPROVED and event.version == 3


def test_research_after_approval_is_refused(world):
    event = make_event(world.units["C1"])
    research_for_event(event)
    services.event_approve(event=event, by=world.personas["subdistrict_organizer"])
    with pytest.raises(ValidationError) as error:
        research_for_event(event)
    assert "活动前调研应在审批之前完成" in error.value.message_dict["event"][0]


def test_a_returned_plan_is_revised_and_submitted_again(world):
    organizer = world.personas["subdistrict_organizer"]
    event = make_event(world.units["C1"])
    with pytest.raises(ValidationError) as error:
        services.event_return(event=event, by=organizer, reason=" ")
    assert error.value.message_dict == {"return_reason": ["请填写退回理由。"]}
    event = services.event_return(event=event, by=organizer, reason="经费偏高。")
    event = services.event_update(event=event, by=None, budget=Decimal("2000.00"), expected_version=event.version)
    event = services.event_submit(event=event, by=None)
    assert event.status == EventStatus.SUBMITTED and event.budget == Decimal("2000.00")


def test_the_review_comes_after_the_event(world):
    event = make_event(world.units["C1"])
    research_for_event(event)
    event = services.event_approve(event=event, by=world.personas["subdistrict_organizer"])
    review = {"actual_participants": 180, "actual_spend": Decimal("2760.50"), "feedback": "居民满意。"}
    with pytest.raises(ValidationError) as error:
        services.event_review(event=event, by=None, **review)
    assert "举办后才能复盘" in error.value.messages[0]
    Event.objects.filter(pk=event.pk).update(planned_on=today() - datetime.timedelta(days=1))
    event.refresh_from_db()
    reviewed = services.event_review(event=event, by=None, **review)
    assert reviewed.status == EventStatus.REVIEWED
    assert reviewed.spend_difference == Decimal("-239.50")


def test_a_plan_in_the_past_is_refused(world):
    with pytest.raises(ValidationError) as error:
        make_event(world.units["C1"], planned_on=today() - datetime.timedelta(days=1))
    assert error.value.message_dict == {"planned_on": ["活动日期已过，请修改活动日期。"]}
    assert not Event.objects.exists()


def test_the_approval_page_says_why_it_was_refused(world, login):
    event = make_event(world.units["C1"])
    client = login(world.personas["subdistrict_organizer"])
    response = client.post(reverse("research:event_approve", args=[event.pk]), {"version": event.version})
    assert response.status_code == 200
    assert "还没有活动前调研记录" in response.content.decode()
    research_for_event(event)
    response = client.post(reverse("research:event_approve", args=[event.pk]), {"version": event.version})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.APPROVED


def test_a_community_cadre_gets_403_on_the_approval_route(world, login):
    event = make_event(world.units["C1"])
    client = login(world.personas["community_cadre"])
    assert client.post(reverse("research:event_approve", args=[event.pk]), {}).status_code == 403
