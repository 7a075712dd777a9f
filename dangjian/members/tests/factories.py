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
