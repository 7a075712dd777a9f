"""Opinions and suggestions (意见建议): the public page (anonymous, throttled), the tracking page
(status, answer, progress — nothing else personal, nothing of another community), answers kept
apart from progress, the rating, the phone encrypted and masked, and corrections."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from dangjian.research.choices import OpinionStatus, Progress
from dangjian.research.models import Correction, Opinion
from dangjian.research.services import opinions as services

from .factories import make_opinion, today

pytestmark = pytest.mark.django_db

PUBLIC = {
    "submitter_kind": "anonymous",
    "area": "facilities",
    "title": "楼道灯不亮",
    "content": "3栋2单元楼道灯坏了一个多月。",
}


def public_url(world, name: str = "research:public_opinion", place: str = "C1") -> str:
    return reverse(name, args=[world.units[place].code])


# --- The public page ---------------------------------------------------------------------------


def test_a_resident_submits_anonymously_and_gets_a_tracking_code(world, client):
    response = client.post(public_url(world), PUBLIC, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200
    opinion = Opinion.objects.get()
    assert opinion.community == world.units["C1"] and opinion.source == "online"
    assert opinion.submitter_kind == "anonymous" and opinion.submitter_name == ""
    assert opinion.status == OpinionStatus.SUBMITTED
    assert opinion.answer_due_on == today() + datetime.timedelta(days=15)
    assert opinion.tracking_code in response.content.decode()
    assert len(opinion.tracking_code) == 10 and opinion.district == world.units["D1"]


def test_the_public_page_names_only_its_own_community(world, client):
    page = client.get(public_url(world)).content.decode()
    assert "翠湖社区" in page
    for other in ("松涛", "北岭", "东湖街道", "翠湖第一支部"):
        assert other not in page
    assert client.get(reverse("research:public_opinion", args=["NO-SUCH"])).status_code == 404
    assert client.get(reverse("research:public_opinion", args=[world.units["B1"].code])).status_code == 404


def test_a_named_submission_needs_a_name_and_keeps_the_phone_encrypted(world, client):
    response = client.post(public_url(world), {**PUBLIC, "submitter_kind": "resident"}, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 400 and "请填写称呼" in response.content.decode()
    assert not Opinion.objects.exists()
    data = {**PUBLIC, "submitter_kind": "resident", "submitter_name": "王阿姨", "contact_phone": "138-1234-5678"}
    client.post(public_url(world), data, REMOTE_ADDR="10.0.0.2")
    opinion = Opinion.objects.get()
    assert opinion.contact_phone == "13812345678" and opinion.contact_phone_masked == "138****5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_phone FROM research_opinion WHERE id = %s", [opinion.pk])
        stored = cursor.fetchone()[0]
    assert "13812345678" not in stored and stored.startswith("v1:")


def test_a_flood_of_anonymous_submissions_is_throttled_without_losing_the_accepted_ones(world, client, settings):
    settings.DANGJIAN_OPINION_LIMIT_PER_IP = 5
    settings.DANGJIAN_OPINION_LIMIT_PER_COMMUNITY = 8
    codes = []
    statuses = []
    for number in range(12):
        response = client.post(public_url(world), {**PUBLIC, "title": f"第{number}条"}, REMOTE_ADDR="10.9.9.9")
        statuses.append(response.status_code)
        if response.status_code == 200:
            codes.append(response.context["opinion"].tracking_code)
    assert statuses == [200] * 5 + [429] * 7
    refused = client.post(public_url(world), PUBLIC, REMOTE_ADDR="10.9.9.9").content.decode()
    assert "提交过于频繁" in refused and "您之前已提交的意见均已受理" in refused
    # The five accepted before the limit are all kept, with their codes.
    assert sorted(Opinion.objects.values_list("tracking_code", flat=True)) == sorted(codes)
    assert list(Opinion.objects.order_by("pk").values_list("title", flat=True)) == [f"第{n}条" for n in range(5)]
    # Other addresses go on until the community's own limit…
    for number in range(3):
        assert client.post(public_url(world), PUBLIC, REMOTE_ADDR=f"10.1.1.{number}").status_code == 200
    assert client.post(public_url(world), PUBLIC, REMOTE_ADDR="10.1.1.99").status_code == 429
    assert Opinion.objects.count() == 8
    # …which is the community's: another community still takes opinions.
    assert client.post(public_url(world, place="C2"), PUBLIC, REMOTE_ADDR="10.2.2.2").status_code == 200


def test_an_invalid_submission_does_not_count_toward_the_limit(world, client, settings):
    settings.DANGJIAN_OPINION_LIMIT_PER_IP = 1
    assert client.post(public_url(world), {**PUBLIC, "title": ""}, REMOTE_ADDR="10.3.3.3").status_code == 400
    assert client.post(public_url(world), PUBLIC, REMOTE_ADDR="10.3.3.3").status_code == 200


# --- Tracking and rating -----------------------------------------------------------------------


def track(client, world, code: str, place: str = "C1", **extra):
    return client.post(public_url(world, "research:public_track", place), {"action": "lookup", "code": code, **extra})


def test_the_tracking_page_shows_status_answer_and_progress_and_nothing_personal(world, client):
    opinion = make_opinion(
        world.units["C1"], submitter_kind="resident", submitter_name="王秀兰", contact_phone="13912345678"
    )
    cadre = world.personas["community_cadre"]
    services.opinion_assign(opinion=opinion, by=None, assignee=cadre)
    services.opinion_answer(
        opinion=opinion,
        by=cadre,
        answer_kind="accepted",
        answer="已列入本月维修计划。",
        promised_on=today() + datetime.timedelta(days=10),
    )
    response = track(client, world, opinion.tracking_code.lower())
    page = response.content.decode()
    assert response.status_code == 200
    assert "已答复，落实中" in page and "已列入本月维修计划" in page and "落实中" in page
    for private in ("王秀兰", "1391234", "5678", "community_cadre", "3栋2单元楼道灯坏了"):
        assert private not in page


def test_a_code_of_another_community_is_not_found_there(world, client):
    opinion = make_opinion(world.units["C2"])
    response = track(client, world, opinion.tracking_code, place="C1")
    assert response.status_code == 404 and "没有找到" in response.content.decode()
    assert opinion.title not in response.content.decode()
    assert track(client, world, opinion.tracking_code, place="C2").status_code == 200


def test_the_submitter_rates_a_closed_opinion_once(world, client):
    opinion = make_opinion(world.units["C1"])
    cadre = world.personas["community_cadre"]
    page = track(client, world, opinion.tracking_code).content.decode()
    assert "rating-form" not in page  # not closed yet
    services.opinion_answer(
        opinion=opinion,
        by=cadre,
        answer_kind="not_accepted",
        answer="感谢建议。",
        not_accepted_reason="属业主大会决定事项。",
    )
    assert "rating-form" in track(client, world, opinion.tracking_code).content.decode()
    url = public_url(world, "research:public_track")
    response = client.post(url, {"action": "rate", "code": opinion.tracking_code, "rating": "4", "comment": "及时"})
    assert response.status_code == 200 and "感谢您的评价" in response.content.decode()
    opinion.refresh_from_db()
    assert opinion.rating == 4 and opinion.rating_comment == "及时"
    with pytest.raises(ValidationError) as error:
        services.opinion_rate(opinion=opinion, rating=1)
    assert error.value.message_dict["rating"] == ["您已评价过，感谢您的反馈。"]
    opinion.refresh_from_db()
    assert opinion.rating == 4


def test_tracking_look_ups_are_throttled(world, client, settings):
    settings.DANGJIAN_TRACKING_LIMIT_PER_IP = 3
    for _ in range(3):
        assert track(client, world, "AAAAAAAAAA").status_code == 404
    response = track(client, world, "AAAAAAAAAA")
    assert response.status_code == 429 and "查询过于频繁" in response.content.decode()


# --- Answer and progress -----------------------------------------------------------------------


def test_the_answer_is_kept_apart_from_the_progress_of_the_promise(world):
    cadre = world.personas["community_cadre"]
    opinion = make_opinion(world.units["C1"])
    with pytest.raises(ValidationError) as error:
        services.opinion_answer(opinion=opinion, by=cadre, answer_kind="accepted", answer="好的。")
    assert error.value.message_dict["promised_on"] == ["采纳的意见请填写承诺完成日期。"]
    opinion = services.opinion_answer(
        opinion=opinion, by=cadre, answer_kind="accepted", answer="好的。", promised_on=today()
    )
    assert opinion.status == OpinionStatus.ANSWERED and opinion.progress == Progress.IN_PROGRESS
    assert opinion.assignee == cadre and opinion.closed_at is None
    opinion = services.opinion_progress(opinion=opinion, by=cadre, progress="done", note="已更换灯泡。")
    assert opinion.status == OpinionStatus.CLOSED and opinion.closed_at is not None
    assert opinion.answer_kind == "accepted" and opinion.answer == "好的。"


def test_not_accepting_needs_the_reason_and_closes_the_opinion(world):
    opinion = make_opinion(world.units["C1"])
    with pytest.raises(ValidationError) as error:
        services.opinion_answer(opinion=opinion, by=None, answer_kind="not_accepted", answer="不行。")
    assert error.value.message_dict["not_accepted_reason"] == ["不予采纳时请说明理由。"]
    opinion.refresh_from_db()
    assert opinion.status == OpinionStatus.SUBMITTED
    closed = services.opinion_answer(
        opinion=opinion, by=None, answer_kind="not_accepted", answer="不行。", not_accepted_reason="不属于社区职责。"
    )
    assert closed.status == OpinionStatus.CLOSED and closed.progress == ""


def test_an_opinion_cannot_be_answered_twice(world):
    opinion = make_opinion(world.units["C1"])
    services.opinion_answer(
        opinion=opinion, by=None, answer_kind="not_accepted", answer="否", not_accepted_reason="理由"
    )
    with pytest.raises(ValidationError) as error:
        services.opinion_answer(
            opinion=opinion, by=None, answer_kind="accepted", answer="是", promised_on=today(), expected_version=2
        )
    assert "不能答复" in error.value.messages[0]


def test_an_opinion_is_overdue_unanswered_past_its_deadline_or_past_its_promise(world):
    opinion = make_opinion(world.units["C1"])
    later = opinion.answer_due_on + datetime.timedelta(days=1)
    assert opinion.overdue_since(opinion.answer_due_on) is None
    assert opinion.overdue_since(later) == opinion.answer_due_on
    opinion = services.opinion_answer(
        opinion=opinion, by=None, answer_kind="accepted", answer="好", promised_on=today() + datetime.timedelta(days=3)
    )
    assert opinion.overdue_since(today() + datetime.timedelta(days=3)) is None
    assert opinion.overdue_since(today() + datetime.timedelta(days=4)) == today() + datetime.timedelta(days=3)


# --- Corrections -------------------------------------------------------------------------------


def test_a_correction_is_linked_to_the_opinions_behind_it(world):
    first, second = make_opinion(world.units["C1"]), make_opinion(world.units["C1"], title="垃圾清运")
    correction = services.correction_record(
        by=world.personas["community_secretary"],
        community=world.units["C1"],
        title="建立公共设施限期维修机制",
        description="每月通报维修情况。",
        corrected_on=today(),
        opinions=[first, second],
    )
    assert set(correction.opinions.all()) == {first, second}
    assert list(first.corrections.all()) == [correction]


def test_a_correction_cannot_cite_another_communitys_opinion(world):
    stray = make_opinion(world.units["C2"])
    with pytest.raises(ValidationError) as error:
        services.correction_record(
            by=None,
            community=world.units["C1"],
            title="修正",
            description="内容",
            corrected_on=today(),
            opinions=[stray],
        )
    assert "不属于该社区" in error.value.message_dict["opinions"][0]
    assert not Correction.objects.exists()


def test_the_opinion_page_shows_the_phone_masked(world, login):
    opinion = make_opinion(
        world.units["C1"], submitter_kind="resident", submitter_name="王", contact_phone="13912345678"
    )
    page = login(world.personas["community_cadre"]).get(reverse("research:opinion_detail", args=[opinion.pk]))
    content = page.content.decode()
    assert "139****5678" in content and "13912345678" not in content
