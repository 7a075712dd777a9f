"""Records the scan reads, built directly: meetings with attendance, dues months, tasks, letters
and mobile members (the other apps' services are not needed to say what happened)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from dangjian.core.models import OrgUnit
from dangjian.members.models import DuesMonth, Member, MobileMember, Transfer
from dangjian.members.tests.factories import make_member
from dangjian.orglife.models import Attendance, Meeting, MemberTask
from dangjian.oversight.scan import Window, last_complete_month


def today() -> datetime.date:
    return timezone.localdate()


def window() -> Window:
    """The window of a scan as of the last complete month."""
    return Window.ending(last_complete_month(today()))


def member(branch: OrgUnit, name: str, **fields) -> Member:
    return make_member(branch, name, **fields)


def meeting(branch: OrgUnit, day: datetime.date, kind: str = "themed_day") -> Meeting:
    held_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    return Meeting.objects.create(
        branch=branch, kind=kind, status="held", title=f"{day:%Y年%m月}主题党日", held_at=held_at, place="活动室"
    )


def attend(person: Member, held: Meeting, status: str, reason: str = "") -> Attendance:
    return Attendance.objects.create(meeting=held, member=person, status=status, reason=reason)


def monthly_meetings(branch: OrgUnit, months: list[datetime.date] | None = None) -> list[Meeting]:
    """One meeting on the 10th of each month of the window."""
    return [meeting(branch, month.replace(day=10)) for month in (months or window().months)]


def dues(person: Member, statuses: list[str | None], amount: str = "20.00") -> list[DuesMonth]:
    """Ledger rows for the window's months: a status per month, None for no row."""
    rows = [
        DuesMonth(member=person, district_id=person.district_id, month=month, amount_due=Decimal(amount), status=status)
        for month, status in zip(window().months, statuses, strict=True)
        if status is not None
    ]
    return DuesMonth.objects.bulk_create(rows)


def task(person: Member, assigned_on: datetime.date, **fields) -> MemberTask:
    return MemberTask.objects.create(member=person, title="联系楼栋住户", assigned_on=assigned_on, **fields)


def letter(person: Member, expires_on: datetime.date, number: str = "2026-0001") -> Transfer:
    """An issued transfer-out letter of `person` that expires on `expires_on`."""
    issued_on = expires_on - datetime.timedelta(days=30)
    return Transfer.objects.create(
        direction="transfer_out",
        status="issued",
        member=person,
        name=person.name,
        gender=person.gender,
        id_number=person.id_number,
        branch=person.branch,
        counterpart="远方市某街道党工委",
        letter_number=number,
        issued_on=issued_on,
        valid_days=30,
    )


def outflow(person: Member, since: datetime.date, last_contact_on: datetime.date | None = None) -> MobileMember:
    mobile = MobileMember.objects.create(direction="outflow", member=person, place="深圳市", reason="work", since=since)
    if last_contact_on is not None:
        MobileMember.objects.filter(pk=mobile.pk).update(last_contact_on=last_contact_on)
        mobile.refresh_from_db()
    return mobile
