"""Demo care records (帮扶): the demo's members in hardship (困难党员) and elderly or ill members
(年老体弱) get a visit or two within the last year, some with 慰问金 or goods; the latest record's
next visit is overdue for some, scheduled for others. Some of them have no care recorded within
twelve months, so the list's filters have something to find. In 翠湖社区 the records are
recorded by the demo accounts, one of them two days ago (its recorder may still correct it).
A community that already has care records is left alone, so seeding twice adds nothing."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from dangjian.core.models import User
from dangjian.members.choices import AssistanceKind, CareForm, HardshipKind
from dangjian.members.models import CareRecord, Member
from dangjian.members.selectors.care import COMMUNITY_PATH_LENGTH, HARDSHIP_CATEGORIES
from dangjian.members.services.care import CARED_STATUSES

from .seed import GIVEN, SURNAMES

SITUATIONS = {
    HardshipKind.POVERTY: [
        "家庭收入低，老伴长期服药，日常开支紧张。",
        "本人下岗后打零工，收入不稳定，孩子在读高中。",
        "房屋老旧漏雨，已联系物业和街道协调维修。",
    ],
    HardshipKind.ELDERLY: [
        "独居，行动不便，子女在外地工作，每周来电一次。",
        "年事已高，听力下降，日常由老伴照料。",
        "腿脚不便很少下楼，希望能参加支部的学习活动。",
    ],
    HardshipKind.ILLNESS: [
        "术后在家休养，精神状况较好，需定期复查。",
        "患慢性病多年，医药费负担较重，已申请医疗救助。",
        "近期住院治疗，家属陪护，出院后需康复训练。",
    ],
    HardshipKind.DISABILITY: [
        "肢体残疾，出行依靠轮椅，小区无障碍坡道已反映给物业。",
    ],
}
FOLLOW_UPS = [
    "协助申请临时救助",
    "联系社区卫生服务站上门随访",
    "安排志愿者每周上门一次",
    "送学上门，带去本月学习资料",
    "春节前再次走访慰问",
    "",
]
MONEY_AMOUNTS = [Decimal("200.00"), Decimal("300.00"), Decimal("500.00"), Decimal("800.00"), Decimal("1000.00")]
GOODS_VALUES = [None, Decimal("150.00"), Decimal("200.00")]
# Who records in 翠湖社区 (the demo accounts); elsewhere the records came in without an account.
CUIHU = "JD01-SQ01"


def _hardship(rng: random.Random, codes: set[str]) -> str:
    if "in_hardship" in codes:
        return rng.choice([HardshipKind.POVERTY, HardshipKind.POVERTY, HardshipKind.ILLNESS, HardshipKind.DISABILITY])
    return rng.choice([HardshipKind.ELDERLY, HardshipKind.ELDERLY, HardshipKind.ILLNESS])


def _carers(rng: random.Random) -> str:
    return f"社区干部{rng.choice(SURNAMES)}{rng.choice(GIVEN)}、网格员{rng.choice(SURNAMES)}{rng.choice(GIVEN)}"


@transaction.atomic
def seed_care(*, rng: random.Random, today: datetime.date) -> int:
    """Add the demo records when missing; return how many were created."""
    seeded = {
        path[:COMMUNITY_PATH_LENGTH]
        for path in CareRecord.objects.values_list("member__branch__path", flat=True).distinct()
    }
    members = (
        Member.objects.filter(status__in=CARED_STATUSES, categories__code__in=HARDSHIP_CATEGORIES)
        .select_related("branch")
        .prefetch_related("categories")
        .distinct()
        .order_by("branch__path", "pk")
    )
    recorders = {user.username: user for user in User.objects.filter(username__in=["shuji", "ganbu", "zhibu"])}
    records: list[CareRecord] = []
    recent_given = False
    members = [member for member in members if member.branch.path[:COMMUNITY_PATH_LENGTH] not in seeded]
    for index, member in enumerate(members):
        codes = {category.code for category in member.categories.all()}
        hardship = _hardship(rng, codes)
        if index % 10 == 9:
            continue  # no care recorded within twelve months
        if index % 10 == 8:
            visits = [rng.randint(400, 540)]  # cared for once, well over a year ago
        elif index % 3 == 0:
            visits = [rng.randint(200, 330), rng.randint(20, 150)]
        else:
            visits = [rng.randint(15, 300)]
        in_cuihu = member.branch.code.startswith(CUIHU)
        if in_cuihu and not recent_given:
            visits = [*visits, 2]  # a visit two days ago: its recorder may still correct it
            recent_given = True
        for number, days_ago in enumerate(visits):
            cared_on = today - datetime.timedelta(days=days_ago)
            latest = number == len(visits) - 1
            roll = rng.random()
            if roll < 0.35:
                form, assistance, amount = CareForm.VISIT, AssistanceKind.MONEY, rng.choice(MONEY_AMOUNTS)
            elif roll < 0.55:
                form, assistance, amount = CareForm.VISIT, AssistanceKind.GOODS, rng.choice(GOODS_VALUES)
            elif roll < 0.75:
                form, assistance, amount = CareForm.PHONE, AssistanceKind.NONE, None
            elif roll < 0.9:
                form, assistance, amount = CareForm.SERVICE, AssistanceKind.SERVICE, None
            else:
                form, assistance, amount = CareForm.ASSISTANCE, AssistanceKind.REFERRAL, None
            next_visit_on = None
            if latest:
                plan = rng.random()
                if plan < 0.35:
                    # Scheduled, and the day has passed: overdue (never before the visit itself).
                    overdue_by = datetime.timedelta(days=rng.randint(3, 75))
                    next_visit_on = max(cared_on + datetime.timedelta(days=7), today - overdue_by)
                    if next_visit_on >= today:
                        next_visit_on = None
                elif plan < 0.8:
                    next_visit_on = today + datetime.timedelta(days=rng.randint(5, 90))
            else:
                next_visit_on = cared_on + datetime.timedelta(days=rng.randint(60, 120))
            recorder = None
            if in_cuihu:
                recorder = recorders.get("zhibu" if "离退休" in member.branch.name else rng.choice(["shuji", "ganbu"]))
                if days_ago == 2:
                    recorder = recorders.get("ganbu")
            records.append(
                CareRecord(
                    member=member,
                    district_id=member.district_id,
                    hardship=hardship,
                    form=form,
                    cared_on=cared_on,
                    carers=_carers(rng),
                    situation=rng.choice(SITUATIONS[hardship]),
                    assistance=assistance,
                    amount=amount,
                    follow_up=rng.choice(FOLLOW_UPS) if latest else "",
                    next_visit_on=next_visit_on,
                    recorded_by=recorder,
                )
            )
    for record in records:
        record.full_clean(exclude=["district", "recorded_by", "member"])
    created = bulk_create_with_history(records, CareRecord, batch_size=500)
    if created and created[0].pk is None:
        created = list(CareRecord.objects.filter(member__in={record.member_id for record in records}))
    # Recorded the day after the visit, not at the time of seeding.
    for record in created:
        recorded = record.cared_on + datetime.timedelta(days=min(1, (today - record.cared_on).days))
        record.created_at = timezone.make_aware(datetime.datetime.combine(recorded, datetime.time(16, 30)))
    CareRecord.objects.bulk_update(created, ["created_at"], batch_size=500)
    return len(records)
