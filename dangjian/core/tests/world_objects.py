"""Objects of the organizational-life models placed in the test world, for the scope matrix:
each maker returns (creating once) an object belonging to the unit at `place`, named after it so
that a list showing it outside the scope shows the unit's name."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from dangjian.members.models import (
    CareRecord,
    ContactLog,
    DuesBase,
    DuesMonth,
    DuesPayment,
    DuesRelief,
    MobileMember,
    Transfer,
)
from dangjian.orglife.models import Attendance, Meeting, MeetingAttachment, MemberTask
from dangjian.oversight.models import Case, CaseAction, Reminder, ScanRun


def _member(world: Any, place: str):
    return world.members[place]


def _month(offset: int = 1) -> datetime.date:
    """The first day of the month `offset` months before this one."""
    today = timezone.localdate().replace(day=1)
    index = today.year * 12 + today.month - 1 - offset
    return datetime.date(index // 12, index % 12 + 1, 1)


def transfer(world: Any, place: str) -> Transfer:
    member = _member(world, place)
    found = Transfer.objects.filter(member=member).first()
    if found:
        return found
    today = timezone.localdate()
    return Transfer.objects.create(
        direction="transfer_out",
        status="issued",
        member=member,
        name=member.name,
        gender=member.gender,
        id_number=member.id_number,
        branch=member.branch,
        counterpart=f"{member.branch.name}转往单位党委",
        letter_number=f"{today.year}-{member.pk:04d}",
        letter_year=today.year,
        letter_seq=member.pk,
        issued_on=today,
        valid_days=30,
    )


def mobile_member(world: Any, place: str) -> MobileMember:
    member = _member(world, place)
    found = MobileMember.objects.filter(member=member).first()
    if found:
        return found
    return MobileMember.objects.create(
        direction="outflow",
        member=member,
        place=f"{member.branch.name}外出地",
        reason="work",
        since=timezone.localdate() - datetime.timedelta(days=60),
    )


def contact_log(world: Any, place: str) -> ContactLog:
    mobile = mobile_member(world, place)
    found = mobile.contacts.first()
    if found:
        return found
    return ContactLog.objects.create(
        mobile=mobile, contacted_on=timezone.localdate(), channel="phone", result="reached", notes=mobile.place
    )


def dues_base(world: Any, place: str) -> DuesBase:
    member = _member(world, place)
    base, _ = DuesBase.objects.get_or_create(
        member=member,
        year=timezone.localdate().year,
        defaults={"income_class": "retiree", "monthly_income": Decimal("4000.00"), "monthly_amount": Decimal("20.00")},
    )
    return base


def dues_month(world: Any, place: str) -> DuesMonth:
    member = _member(world, place)
    month, _ = DuesMonth.objects.get_or_create(
        member=member, month=_month(1), defaults={"amount_due": Decimal("20.00"), "status": "due"}
    )
    return month


def dues_payment(world: Any, place: str) -> DuesPayment:
    member = _member(world, place)
    found = DuesPayment.objects.filter(member=member).first()
    if found:
        return found
    month, _ = DuesMonth.objects.get_or_create(
        member=member, month=_month(2), defaults={"amount_due": Decimal("20.00"), "status": "due"}
    )
    payment = DuesPayment.objects.create(
        member=member, amount=Decimal("20.00"), paid_on=timezone.localdate(), note=member.branch.name
    )
    DuesMonth.objects.filter(pk=month.pk).update(status="paid", payment=payment)
    return payment


def dues_relief(world: Any, place: str) -> DuesRelief:
    member = _member(world, place)
    found = DuesRelief.objects.filter(member=member).first()
    if found:
        return found
    return DuesRelief.objects.create(
        member=member,
        kind="exemption",
        start_month=_month(0),
        end_month=_month(-5),
        reason=f"{member.branch.name}党员生活困难",
    )


def care_record(world: Any, place: str) -> CareRecord:
    member = _member(world, place)
    found = CareRecord.objects.filter(member=member).first()
    if found:
        return found
    return CareRecord.objects.create(
        member=member,
        hardship="illness",
        form="visit",
        cared_on=timezone.localdate(),
        carers=f"{member.branch.name}书记",
        situation="住院治疗，家属照顾。",
    )


def meeting(world: Any, place: str) -> Meeting:
    branch = world.units[place]
    found = Meeting.objects.filter(branch=branch).first()
    if found:
        return found
    return Meeting.objects.create(
        branch=branch,
        kind="themed_day",
        status="held",
        title=f"{branch.name}主题党日",
        held_at=timezone.now() - datetime.timedelta(days=3),
        place=f"{branch.name}活动室",
        chair=f"{branch.name}书记",
    )


def attendance(world: Any, place: str) -> Attendance:
    held = meeting(world, place)
    member = _member(world, place)
    row, _ = Attendance.objects.get_or_create(meeting=held, member=member, defaults={"status": "present"})
    return row


def meeting_attachment(world: Any, place: str) -> MeetingAttachment:
    held = meeting(world, place)
    found = held.attachments.first()
    if found:
        return found
    attachment = MeetingAttachment(meeting=held, name=f"{held.branch.name}签到表")
    attachment.file.save("sign-in.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    attachment.save()
    return attachment


def member_task(world: Any, place: str) -> MemberTask:
    member = _member(world, place)
    found = MemberTask.objects.filter(member=member).first()
    if found:
        return found
    return MemberTask.objects.create(
        member=member, title=f"{member.branch.name}联系楼栋", assigned_on=timezone.localdate()
    )


def case(world: Any, place: str) -> Case:
    member = _member(world, place)
    found = Case.objects.filter(member=member).first()
    if found:
        return found
    return Case.objects.create(
        kind="six_month_no_life",
        member=member,
        branch=member.branch,
        period_start=_month(6),
        period_end=_month(1),
        evidence={"months": [], "records": []},
        summary=f"{member.name}连续六个月未参加组织生活",
    )


def case_action(world: Any, place: str) -> CaseAction:
    found_case = case(world, place)
    found = found_case.actions.first()
    if found:
        return found
    return CaseAction.objects.create(case=found_case, kind="note", note=f"{found_case.branch.name}已电话联系")


def scan_run(world: Any, place: str) -> ScanRun:
    unit = world.units[place]
    run, _ = ScanRun.objects.get_or_create(org_unit=unit, as_of=_month(1), defaults={"opened": {}})
    return run


def reminder(world: Any, place: str) -> Reminder:
    """A reminder of the persona who acts at `place`'s community, about that unit."""
    unit = world.units[place]
    owner = world.personas["district_organizer"]
    found = Reminder.objects.filter(org_unit=unit).first()
    if found:
        return found
    return Reminder.objects.create(
        user=owner, org_unit=unit, kind="open_cases", key=f"test:{unit.pk}", title=f"{unit.name}有待处理盲点"
    )
