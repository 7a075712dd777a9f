"""Demo development records (发展党员): people at every stage of the pipeline in every community,
taken through the pipeline's own services so that every rule holds, with some steps due and
some overdue. A branch that already has records is left alone."""

from __future__ import annotations

import datetime
import random

from django.db import transaction

from dangjian.core.choices import OrgKind
from dangjian.core.models import OrgUnit, add_years
from dangjian.members.models import Development
from dangjian.members.services import development as pipeline

from .members import GIVEN_FEMALE, GIVEN_MALE, OTHER_REGIONS, MemberSeeder

# (stage reached, months ago each step happened: applied, activist, candidate, admitted, confirmed)
SCENARIOS = [
    ("applicant", (1,)),
    ("applicant", (4,)),
    ("activist", (10, 8)),
    ("activist", (20, 15)),  # more than a year as activist: due to become a candidate
    ("candidate", (30, 26, 6)),
    ("probationary", (40, 36, 20, 5)),
    ("probationary", (44, 40, 27, 14)),  # probation ended two months ago: confirmation overdue
    ("full", (50, 46, 32, 20, 6)),
    ("stopped", (14, 12)),
]


def _months_ago(today: datetime.date, months: int, jitter: int) -> datetime.date:
    return today - datetime.timedelta(days=months * 30 + jitter)


@transaction.atomic
def seed_development(*, rng: random.Random, today: datetime.date, surnames: str, members: MemberSeeder) -> int:
    created = 0
    has_records = set(Development.objects.values_list("branch_id", flat=True).distinct())
    branches = OrgUnit.objects.filter(kind=OrgKind.BRANCH, status="active").order_by("path")
    for index, branch in enumerate(branches):
        if branch.pk in has_records:
            continue
        # Two or three people a branch, drawn in turn from the scenarios so that a community
        # shows every stage.
        for offset in range(2 + index % 2):
            stage, months = SCENARIOS[(index * 3 + offset) % len(SCENARIOS)]
            jitter = rng.randrange(0, 20)
            dates = [_months_ago(today, m, jitter) for m in months]
            male = rng.random() < 0.45
            birth = add_years(dates[0], -rng.randint(19, 40))
            record = pipeline.development_apply(
                by=None,
                name=rng.choice(surnames) + rng.choice(GIVEN_MALE if male else GIVEN_FEMALE),
                gender="male" if male else "female",
                id_number=members.id_number(birth, male, regions=OTHER_REGIONS),
                branch=branch,
                applied_on=dates[0],
                phone=members.phone(),
            )
            steps = [
                (pipeline.development_make_activist, "activist_on"),
                (pipeline.development_make_candidate, "candidate_on"),
                (pipeline.development_admit, "admitted_on"),
                (pipeline.development_confirm, "confirmed_on"),
            ]
            for (step, argument), day in zip(steps, dates[1:], strict=False):
                record = step(development=record, by=None, **{argument: day})
            if stage == "stopped":
                pipeline.development_stop(
                    development=record, reason="本人申请暂缓，待条件成熟后再申请", stopped_on=dates[-1], by=None
                )
            created += 1
    return created
