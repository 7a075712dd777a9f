"""Periodic research: rounds (quarterly by default), cadres assigned members and households by grid
or building, visits with the opinions raised in them, and coverage per cadre and community."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dangjian.members.tests.factories import make_member
from dangjian.research.choices import OpinionSource, OpinionStatus
from dangjian.research.models import Opinion, VisitTarget, quarter_of
from dangjian.research.selectors.visits import coverage_by_community, round_coverage_by_cadre, round_get
from dangjian.research.services import visits as services

from .factories import today

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(world):
    """Four members of C1 in two buildings of the second grid, one in the first grid."""
    rows = [
        make_member(world.units["B1"], "王一", grid="第2网格", building="12栋", room="101"),
        make_member(world.units["B1"], "王二", grid="第2网格", building="12栋", room="102"),
        make_member(world.units["B1b"], "王三", grid="第2网格", building="14栋", room="201"),
        make_member(world.units["B1b"], "王四", grid="第1网格", building="3栋", room="301"),
    ]
    return rows


def test_a_round_covers_the_current_quarter_by_default(world):
    round = services.round_create(by=None, community=world.units["C1"])
    start, end = quarter_of(today())
    assert (round.period_start, round.period_end) == (start, end)
    assert round.title.endswith("季度走访") and str(today().year) in round.title


def test_quarters_end_on_their_last_day():
    assert quarter_of(datetime.date(2026, 11, 26)) == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert quarter_of(datetime.date(2026, 3, 31)) == (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


def test_cadres_are_assigned_members_by_grid_or_building_and_households_by_name(world, members):
    round = services.round_create(by=None, community=world.units["C1"])
    cadre, secretary = world.personas["community_cadre"], world.personas["community_secretary"]
    assert services.round_assign(round=round, by=None, cadre=cadre, building="12栋") == 2
    added = services.round_assign(
        round=round, by=None, cadre=secretary, grid="第2网格", households=["14栋2单元202 李家", "14栋2单元202 李家", ""]
    )
    assert added == 2  # 王三, and the household once; 王一 and 王二 stay with the cadre
    targets = {target.label: target.cadre for target in VisitTarget.objects.filter(round=round)}
    assert targets["王一（党员，12栋101）"] == cadre and targets["王三（党员，14栋201）"] == secretary
    assert targets["14栋2单元202 李家"] == secretary
    assert not any("王四" in label for label in targets)


def test_assigning_needs_a_grid_or_building_and_someone_new(world, members):
    round = services.round_create(by=None, community=world.units["C1"])
    cadre = world.personas["community_cadre"]
    with pytest.raises(ValidationError) as error:
        services.round_assign(round=round, by=None, cadre=cadre)
    assert "请填写网格或楼栋" in error.value.message_dict["grid"][0]
    with pytest.raises(ValidationError) as error:
        services.round_assign(round=round, by=None, cadre=cadre, building="99栋")
    assert "没有找到尚未分派的走访对象" in error.value.message_dict["grid"][0]
    with pytest.raises(ValidationError) as error:
        services.round_assign(round=round, by=None, cadre=world.personas["branch_secretary"], building="12栋")
    assert "不是翠湖社区的工作人员" in error.value.message_dict["cadre"][0]
    assert not VisitTarget.objects.exists()


def test_an_opinion_raised_in_a_visit_becomes_an_opinion_linked_to_it(world, members):
    cadre = world.personas["community_cadre"]
    round = services.round_create(by=None, community=world.units["C1"])
    services.round_assign(round=round, by=None, cadre=cadre, building="12栋")
    target = VisitTarget.objects.get(round=round, member=members[0])
    visit = services.visit_record(
        by=cadre,
        community=world.units["C1"],
        visitor=cadre,
        visited_on=today(),
        whom="",
        topics="了解加装电梯意愿",
        target=target,
        opinions=["希望尽快加装电梯", "  ", "楼道灯不亮"],
        opinion_area="facilities",
    )
    assert visit.round == round and visit.member == members[0] and visit.whom == target.label
    opinions = list(Opinion.objects.filter(visit=visit).order_by("pk"))
    assert [opinion.title for opinion in opinions] == ["希望尽快加装电梯", "楼道灯不亮"]
    assert all(opinion.source == OpinionSource.VISIT for opinion in opinions)
    assert all(opinion.assignee == cadre and opinion.status == OpinionStatus.ASSIGNED for opinion in opinions)
    assert opinions[0].submitter_kind == "member" and opinions[0].area == "facilities"


def test_coverage_counts_visited_and_to_visit_per_cadre_and_community(world, members):
    cadre, secretary = world.personas["community_cadre"], world.personas["community_secretary"]
    round = services.round_create(by=None, community=world.units["C1"])
    services.round_assign(round=round, by=None, cadre=cadre, building="12栋")
    services.round_assign(round=round, by=None, cadre=secretary, grid="第1网格", households=["3栋 张家"])
    for target in VisitTarget.objects.filter(round=round).order_by("pk")[:1]:
        for _ in range(2):  # visited twice: still one target covered
            services.visit_record(
                by=cadre,
                community=world.units["C1"],
                visitor=cadre,
                visited_on=today(),
                whom="",
                topics="走访",
                target=target,
            )
    rows = {row.label: row for row in round_coverage_by_cadre(round=round)}
    assert (rows["community_cadre用户"].total, rows["community_cadre用户"].visited) == (2, 1)
    assert rows["community_cadre用户"].to_visit == 1 and str(rows["community_cadre用户"].rate) == "50.0"
    assert (rows["community_secretary用户"].total, rows["community_secretary用户"].visited) == (2, 0)
    fetched = round_get(user=secretary, pk=round.pk)
    assert (fetched.target_total, fetched.target_visited, fetched.visit_count) == (4, 1, 2)
    [community] = coverage_by_community(user=world.personas["district_organizer"], today=today())
    assert (community.label, community.total, community.visited) == ("翠湖社区", 4, 1)


def test_a_closed_round_takes_no_more_visits(world, members):
    cadre = world.personas["community_cadre"]
    round = services.round_create(by=None, community=world.units["C1"])
    services.round_assign(round=round, by=None, cadre=cadre, building="12栋")
    services.round_close(round=round, by=None)
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            by=cadre,
            community=world.units["C1"],
            visitor=cadre,
            visited_on=today(),
            whom="",
            topics="走访",
            target=VisitTarget.objects.filter(round=round).first(),
        )
    assert "该走访轮次已结束" in error.value.message_dict["round"][0]


def test_a_visit_in_the_future_is_refused(world):
    cadre = world.personas["community_cadre"]
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            by=cadre,
            community=world.units["C1"],
            visitor=cadre,
            visited_on=today() + datetime.timedelta(days=1),
            whom="1栋",
            topics="走访",
        )
    assert error.value.message_dict["visited_on"] == ["走访日期不能晚于今天。"]


def test_a_cadre_records_a_visit_from_a_target_on_the_page(world, members, login):
    cadre = world.personas["community_cadre"]
    round = services.round_create(by=None, community=world.units["C1"])
    services.round_assign(round=round, by=None, cadre=cadre, building="12栋")
    target = VisitTarget.objects.filter(round=round).first()
    client = login(cadre)
    url = reverse("research:visit_create") + f"?target={target.pk}"
    form = client.get(url)
    assert form.status_code == 200 and target.label in form.content.decode()
    response = client.post(
        url,
        {
            "visitor": cadre.pk,
            "visited_on": today().isoformat(),
            "method": "door",
            "whom": target.label,
            "topics": "了解意愿",
            "opinions": "希望加装电梯",
            "opinion_area": "facilities",
        },
    )
    assert response.status_code == 302 and response.url == reverse("research:round_detail", args=[round.pk])
    assert target.visits.count() == 1 and Opinion.objects.filter(visit__target=target).count() == 1


def test_a_target_of_another_community_is_not_found(world, login):
    round = services.round_create(by=None, community=world.units["C2"])
    target = VisitTarget.objects.create(
        round=round, kind="household", label="松涛1栋", cadre=world.personas["district_organizer"]
    )
    client = login(world.personas["community_cadre"])
    assert client.get(reverse("research:visit_create") + f"?target={target.pk}").status_code == 404
