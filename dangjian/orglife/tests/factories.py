"""Factories for organizational life: meetings made and recorded through the services."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.utils import timezone

from dangjian.core import services as core_services
from dangjian.core.choices import OrgKind, Position
from dangjian.core.models import BranchCommittee, OrgUnit, User
from dangjian.core.tests.factories import make_unit
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.orglife import services
from dangjian.orglife.models import Meeting, MemberTask

SEAT_POSITIONS = [
    Position.SECRETARY,
    Position.DEPUTY_SECRETARY,
    Position.ORGANIZATION_MEMBER,
    Position.PUBLICITY_MEMBER,
    Position.DISCIPLINE_MEMBER,
    Position.YOUTH_MEMBER,
    Position.COMMITTEE_MEMBER,
]


def days_ago(days: int, hour: int = 15) -> datetime.datetime:
    """An aware datetime `days` days before today at `hour` o'clock local time."""
    day = timezone.localdate() - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def on_day(day: datetime.date, hour: int = 15) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def make_branch(parent: OrgUnit, name: str | None = None, *, seats: int = 0) -> OrgUnit:
    """A branch under `parent`, with a committee of `seats` serving seats when asked."""
    branch = make_unit(OrgKind.BRANCH, parent, name=name)
    if seats:
        make_seats(branch, seats)
    return branch


def make_seats(branch: OrgUnit, seats: int, names: list[str] | None = None) -> BranchCommittee:
    today = timezone.localdate()
    committee = core_services.committee_create(
        org_unit=branch, term_start=today - datetime.timedelta(days=400), by=None
    )
    for index in range(seats):
        core_services.seat_add(
            committee=committee,
            person_name=(names or [])[index] if names and index < len(names) else f"委员{index + 1}",
            position=SEAT_POSITIONS[min(index, len(SEAT_POSITIONS) - 1)],
            by=None,
            started_on=committee.term_start,
        )
    return committee


def make_members(branch: OrgUnit, count: int, prefix: str = "党员", **fields) -> list[Member]:
    return [make_member(branch, f"{prefix}{index + 1}", **fields) for index in range(count)]


def make_probationary(branch: OrgUnit, count: int, prefix: str = "预备党员") -> list[Member]:
    return make_members(branch, count, prefix, membership_type="probationary", full_member_date=None)


def make_meeting(
    branch: OrgUnit,
    kind: str = "themed_day",
    *,
    held_at: datetime.datetime | None = None,
    group: OrgUnit | None = None,
    title: str | None = None,
    by: User | None = None,
    **fields,
) -> Meeting:
    values = {
        "place": f"{branch.name}活动室",
        "chair": "主持人甲",
        "recorder": "记录人乙",
        "speaker": "授课人丙" if kind == "party_lecture" else "",
    }
    values.update(fields)
    return services.meeting_create(
        by=by,
        branch=branch,
        kind=kind,
        group=group,
        title=title or f"{branch.name}会议",
        held_at=held_at or days_ago(1),
        **values,
    )


def record(
    meeting: Meeting,
    statuses: Mapping[Member, str | tuple[str, str]],
    *,
    by: User | None = None,
    expected_version: int | None = None,
) -> Meeting:
    """Record the attendance: each member's status, or (status, reason)."""
    entries = []
    for member, value in statuses.items():
        status, reason = value if isinstance(value, tuple) else (value, "事假" if value == "excused" else "")
        entries.append(services.AttendanceEntry(member.pk, status, reason))
    return services.attendance_record(meeting=meeting, entries=entries, by=by, expected_version=expected_version)


def held(branch: OrgUnit, kind: str = "themed_day", *, held_at: datetime.datetime | None = None, **fields) -> Meeting:
    """A meeting held with everyone expected present (committee meetings: a seat per member)."""
    meeting = make_meeting(branch, kind, held_at=held_at, **fields)
    members = services.expected_members(meeting)
    if kind == "committee_meeting":
        seats = services.serving_seats(branch).count()
        members = members[:seats]
    return record(meeting, {member: "present" for member in members})


def make_task(member: Member, title: str = "联系楼栋住户", *, assigned_on: datetime.date | None = None, **fields):
    return services.task_assign(
        member=member,
        title=title,
        assigned_on=assigned_on or timezone.localdate(),
        by=None,
        **fields,
    )


def tasks_of(member: Member) -> list[MemberTask]:
    return list(MemberTask.objects.filter(member=member).order_by("pk"))
