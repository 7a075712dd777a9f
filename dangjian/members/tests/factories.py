"""Factories for members: fictional people with valid Chinese ID numbers."""

from __future__ import annotations

import datetime
import itertools

from stdnum.cn import ric

from dangjian.core.models import OrgUnit
from dangjian.members.models import Member
from dangjian.members.services import registry as services

_serial = itertools.count(1)


def id_number(birth: datetime.date, region: str = "110101", serial: int | None = None) -> str:
    """A fictional ID number with a valid GB 11643 check digit."""
    serial = next(_serial) % 1000 if serial is None else serial
    body = f"{region}{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function expects a placeholder check digit


def make_member(branch: OrgUnit, name: str = "张三", *, birth: datetime.date | None = None, **fields) -> Member:
    n = next(_serial)
    # Each call gets its own ID number: a new serial, and a new birth day every thousand calls.
    birth = birth or datetime.date(1960, 5, 1) + datetime.timedelta(days=n // 1000)
    values = {
        "name": name,
        "gender": "male",
        "id_number": id_number(birth, serial=n % 1000),
        "phone": f"138{n:08d}",
        "join_date": datetime.date(2000, 7, 1),
        "full_member_date": datetime.date(2001, 7, 1),
        "branch": branch,
    }
    values.update(fields)
    return services.member_create(by=None, **values)


def make_development(
    branch: OrgUnit,
    name: str = "李四",
    *,
    stage: str = "applicant",
    birth: datetime.date | None = None,
    applied_on: datetime.date | None = None,
    activist_on: datetime.date | None = None,
    candidate_on: datetime.date | None = None,
    admitted_on: datetime.date | None = None,
    **fields,
):
    """A record of the development pipeline, taken through the services to `stage`. Dates left
    out are placed backwards from today so that every default rule holds."""
    from django.utils import timezone

    from dangjian.members.models import add_months
    from dangjian.members.services import development as pipeline

    n = next(_serial)
    birth = birth or datetime.date(1995, 3, 1) + datetime.timedelta(days=n // 1000)
    today = timezone.localdate()
    order = ["applicant", "activist", "candidate", "probationary"]
    reach = order.index(stage) if stage in order else len(order) - 1
    admitted_on = admitted_on or today - datetime.timedelta(days=30)
    candidate_on = candidate_on or (admitted_on - datetime.timedelta(days=60) if reach >= 3 else today)
    activist_on = activist_on or (
        add_months(candidate_on, -12) - datetime.timedelta(days=10)
        if reach >= 2
        else today - datetime.timedelta(days=30)
    )
    applied_on = applied_on or (activist_on - datetime.timedelta(days=30) if reach >= 1 else today)
    values = {
        "name": name,
        "gender": "female",
        "id_number": id_number(birth, region="110102", serial=n % 1000),
        "phone": f"139{n:08d}",
        "branch": branch,
        "applied_on": applied_on,
    }
    values.update(fields)
    development = pipeline.development_apply(by=None, **values)
    if reach >= 1:
        development = pipeline.development_make_activist(development=development, activist_on=activist_on, by=None)
    if reach >= 2:
        development = pipeline.development_make_candidate(development=development, candidate_on=candidate_on, by=None)
    if reach >= 3:
        development = pipeline.development_admit(development=development, admitted_on=admitted_on, by=None)
    return development
