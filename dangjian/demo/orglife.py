"""Demo data: organizational life. For every demo branch, the meetings of the last nine months
(三会一课, themed days, the year's life meeting and appraisal) with their attendance, and the
tasks the branches assigned to nearly all of their members in the last six months.

Realistic irregularity: most branches keep to the rules, some skip committee or group meetings
in a few months, a few have not yet held this quarter's general meeting or lecture, two general
meetings fell below quorum, one meeting was cancelled and a couple wait for their attendance. About
one member in a hundred (spread over the branches) took part in nothing in the last six complete
months (the six-month rule opens a case for them), a few missed exactly five months, and a few
were absent throughout except for one excused absence (which keeps them in).

Loaded in bulk with the fields save() would compute (held_on, district) set here; a branch that
already has meetings is left alone, so seeding twice adds nothing.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from dangjian.core.choices import OrgKind, OrgStatus, Position
from dangjian.core.models import CommitteeSeat, OrgUnit
from dangjian.members.choices import MembershipType, MemberStatus, Standing
from dangjian.members.models import Member
from dangjian.orglife.choices import QUORUM_BY_KIND, AttendanceStatus, MeetingKind, MeetingStatus, Quorum, TaskStatus
from dangjian.orglife.models import Attendance, Meeting, MemberTask

MONTHS = 9

TOPICS = {
    MeetingKind.GENERAL: [
        "学习贯彻党的二十届四中全会精神",
        "讨论发展党员和预备党员转正",
        "通报上半年支部工作",
        "选举出席社区党员代表会议代表",
        "研究党员积分管理办法",
    ],
    MeetingKind.COMMITTEE: [
        "研究本月组织生活安排",
        "讨论困难党员帮扶名单",
        "研究党费收缴情况",
        "部署社区志愿服务活动",
        "研究流动党员联系工作",
    ],
    MeetingKind.GROUP: [
        "学习《中国共产党章程》",
        "交流学习体会",
        "开展楼栋走访分工",
        "学习《习近平谈治国理政》",
        "讨论社区环境整治建议",
    ],
    MeetingKind.LECTURE: [
        "弘扬伟大建党精神",
        "党的优良作风与群众路线",
        "基层治理中的党员先锋作用",
        "党史学习：从红船出发",
    ],
    MeetingKind.THEMED_DAY: [
        "重温入党誓词",
        "社区环境清洁志愿服务",
        "走访慰问老党员",
        "参观红色教育基地",
        "垃圾分类宣传",
        "为民服务集中办实事",
    ],
    MeetingKind.LIFE: ["年度组织生活会：对照检查、批评与自我批评"],
    MeetingKind.APPRAISAL: ["年度民主评议党员"],
}
AGENDAS = {
    MeetingKind.GENERAL: "一、传达学习上级文件精神；二、通报支部工作；三、讨论表决有关事项。",
    MeetingKind.COMMITTEE: "一、通报上月工作；二、研究本月工作安排；三、其他事项。",
    MeetingKind.GROUP: "一、集中学习；二、交流发言；三、布置近期工作。",
    MeetingKind.LECTURE: "一、授课；二、交流讨论。",
    MeetingKind.THEMED_DAY: "一、重温入党誓词；二、主题学习；三、志愿服务。",
    MeetingKind.LIFE: "一、通报征求意见情况；二、对照检查；三、开展批评与自我批评；四、明确整改措施。",
    MeetingKind.APPRAISAL: "一、个人自评；二、党员互评；三、民主测评；四、确定评议等次。",
}
PLACES = ["社区党群服务中心", "支部活动室", "社区会议室", "小区党建驿站", "新时代文明实践站"]
REASONS = ["外出就医", "照顾家人", "出差在外", "身体不适", "单位值班", "探亲", "住院治疗", "外地务工"]
TASKS = [
    ("联系楼栋住户", "联系本楼栋住户，收集意见建议。", "已走访住户并汇总意见。"),
    ("参加社区志愿服务", "参加周末社区环境清洁志愿服务。", "参加志愿服务半天。"),
    ("慰问困难党员", "上门慰问支部困难党员，了解需求。", "已上门慰问并反馈需求。"),
    ("宣传垃圾分类", "在小区开展垃圾分类宣传。", "发放宣传资料，讲解分类知识。"),
    ("协助党费收缴", "协助党小组长收缴党费。", "已协助完成本组收缴。"),
    ("联系流动党员", "电话联系在外流动党员，通报支部活动。", "已联系并通报。"),
    ("整理学习资料", "整理支部学习资料并归档。", "资料已归档。"),
    ("筹备主题党日", "协助筹备本月主题党日活动。", "活动筹备完成。"),
    ("巡查小区安全隐患", "参加小区消防通道巡查。", "发现并上报隐患 2 处。"),
]
ATTENDING = (MemberStatus.ACTIVE, MemberStatus.INFLOW)


def month_start(day: datetime.date, offset: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 + offset
    return datetime.date(index // 12, index % 12 + 1, 1)


def days_in(month: datetime.date) -> int:
    return (month_start(month, 1) - month).days


@dataclass
class BranchInfo:
    branch: OrgUnit
    members: list[dict] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    seats: list[tuple[str, str]] = field(default_factory=list)
    committee_members: list[int] = field(default_factory=list)

    def by_group(self, group_id: int) -> list[dict]:
        return [member for member in self.members if member["group_id"] == group_id]

    def seat_name(self, position: str, fallback: str) -> str:
        return next((name for name, held in self.seats if held == position), fallback)


class OrglifeSeeder:
    def __init__(self, rng: random.Random, today: datetime.date) -> None:
        self.rng = rng
        self.today = today
        self.now = timezone.now()
        self.this_month = today.replace(day=1)
        self.first_month = month_start(today, -(MONTHS - 1))
        # The six complete months the six-month rule looks at.
        self.window_start = month_start(today, -6)
        self.meetings: list[Meeting] = []
        self.rows: list[list[tuple[int, str, str]]] = []  # attendance per meeting, same order
        self.six: set[int] = set()
        self.five: set[int] = set()
        self.excused_month: dict[int, datetime.date] = {}

    # --- Who attends -----------------------------------------------------------------------

    def load(self) -> list[BranchInfo]:
        branches = list(
            OrgUnit.objects.filter(kind=OrgKind.BRANCH, status=OrgStatus.ACTIVE)
            .exclude(meetings__isnull=False)
            .order_by("path")
        )
        infos = {branch.pk: BranchInfo(branch) for branch in branches}
        if not infos:
            return []
        members = Member.objects.filter(branch_id__in=list(infos), status__in=ATTENDING).order_by("branch_id", "pk")
        for row in members.values("pk", "branch_id", "group_id", "status", "membership_type", "standing", "user_id"):
            infos[row["branch_id"]].members.append(row)
        groups = OrgUnit.objects.filter(kind=OrgKind.GROUP, status=OrgStatus.ACTIVE, parent_id__in=list(infos))
        for group_id, parent_id in groups.order_by("path").values_list("pk", "parent_id"):
            infos[parent_id].groups.append(group_id)
        seats = CommitteeSeat.objects.filter(
            committee__org_unit_id__in=list(infos),
            committee__term_start__lte=self.today,
            committee__ended_on__isnull=True,
            left_on__isnull=True,
        ).order_by("rank", "pk")
        for unit_id, name, position in seats.values_list("committee__org_unit_id", "person_name", "position"):
            infos[unit_id].seats.append((name, position))
        return list(infos.values())

    def choose_special_members(self, infos: list[BranchInfo]) -> None:
        """About 1% of members with no organizational life for six complete months, spread over
        branches; a few who missed exactly five; a few kept in by one excused absence."""
        total = sum(len(info.members) for info in infos)
        order = [info for info in infos if len(info.members) >= 8]
        self.rng.shuffle(order)
        wanted = max(3, round(total / 100))
        chosen: set[int] = set()

        def pick(info: BranchInfo) -> int | None:
            candidates = [
                m["pk"]
                for m in info.members
                if m["pk"] not in chosen and m["user_id"] is None and m["pk"] not in info.committee_members
            ]
            if not candidates:
                return None
            pk = self.rng.choice(candidates)
            chosen.add(pk)
            return pk

        cycle = 0
        while len(self.six) < wanted and order:
            info = order[cycle % len(order)]
            cycle += 1
            pk = pick(info)
            if pk is not None:
                self.six.add(pk)
            if cycle > wanted * 4:
                break
        for index in range(5):
            info = order[(cycle + index) % len(order)]
            pk = pick(info)
            if pk is not None:
                self.five.add(pk)
        for index in range(5):
            info = order[(cycle + 5 + index) % len(order)]
            pk = pick(info)
            if pk is not None:
                # One excused absence in the middle of the window keeps the member in.
                self.excused_month[pk] = month_start(self.window_start, 2 + index % 3)

    def status(self, member: dict, month: datetime.date, kind: str) -> tuple[str, str]:
        pk = member["pk"]
        if pk in self.six and month >= self.window_start:
            return AttendanceStatus.ABSENT, ""
        if pk in self.five and month >= self.window_start:
            if month == self.window_start:
                return AttendanceStatus.PRESENT, ""
            return AttendanceStatus.ABSENT, ""
        if pk in self.excused_month and month >= self.window_start:
            if month == self.excused_month[pk] and kind == MeetingKind.THEMED_DAY:
                return AttendanceStatus.EXCUSED, self.rng.choice(REASONS)
            return AttendanceStatus.ABSENT, ""
        roll = self.rng.random()
        if roll < 0.8:
            return AttendanceStatus.PRESENT, ""
        if roll < 0.9:
            return AttendanceStatus.EXCUSED, self.rng.choice(REASONS)
        return AttendanceStatus.ABSENT, ""

    # --- Meetings ---------------------------------------------------------------------------

    def when(self, month: datetime.date, first: int, last: int) -> datetime.datetime:
        last = min(last, days_in(month))
        if month == self.this_month and self.rng.random() < 0.95:
            # Most of this month's meetings have already taken place; a few are still to come.
            first, last = min(first, self.today.day - 1), min(last, self.today.day - 1)
            if last < 1:
                first, last = 1, 1
            first = max(1, first)
        day = self.rng.randint(first, last)
        hour = self.rng.choice([9, 10, 14, 15, 19])
        return timezone.make_aware(datetime.datetime.combine(month.replace(day=day), datetime.time(hour, 30)))

    def add(
        self,
        info: BranchInfo,
        kind: str,
        held_at: datetime.datetime,
        *,
        group_id: int | None = None,
        below_quorum: bool = False,
        unrecorded: bool = False,
    ) -> Meeting:
        branch = info.branch
        secretary = info.seat_name(Position.SECRETARY, "支部书记")
        recorder = info.seat_name(Position.ORGANIZATION_MEMBER, info.seat_name(Position.PUBLICITY_MEMBER, "组织委员"))
        topic = self.rng.choice(TOPICS[kind])
        held_on = timezone.localtime(held_at).date()
        meeting = Meeting(
            branch=branch,
            group_id=group_id,
            district_id=branch.district_id,
            kind=kind,
            title=topic,
            agenda=AGENDAS[kind],
            held_at=held_at,
            held_on=held_on,
            place=self.rng.choice(PLACES),
            chair=secretary if kind != MeetingKind.GROUP else "党小组长",
            recorder=recorder,
            speaker=secretary if kind == MeetingKind.LECTURE else "",
            quorum_rule=QUORUM_BY_KIND.get(kind, Quorum.NONE),
            status=MeetingStatus.PLANNED,
        )
        rows: list[tuple[int, str, str]] = []
        if held_at <= self.now and not unrecorded:
            month = held_on.replace(day=1)
            if kind == MeetingKind.COMMITTEE:
                listed = [m for m in info.members if m["pk"] in info.committee_members]
            elif kind == MeetingKind.GROUP:
                listed = info.by_group(group_id)
            else:
                listed = info.members
            for member in listed:
                status, reason = self.status(member, month, kind)
                if kind == MeetingKind.COMMITTEE and status != AttendanceStatus.PRESENT and self.rng.random() < 0.7:
                    status, reason = AttendanceStatus.PRESENT, ""  # committee members rarely miss their meeting
                rows.append((member["pk"], status, reason))
            if kind == MeetingKind.COMMITTEE:
                rows = self.committee_quorum(info, rows)
            if below_quorum:
                rows = self.below_quorum(info, rows)
            elif kind == MeetingKind.GENERAL:
                rows = self.general_quorum(info, rows)
            self.figures(meeting, info, rows)
            meeting.status = MeetingStatus.HELD
            meeting.minutes = (
                f"会议由{meeting.chair}主持，{meeting.recorder}记录。应到{meeting.expected_count}人，"
                f"实到{meeting.present_count}人。{AGENDAS[kind]}与会党员结合实际交流发言，会议形成相关意见。"
            )
        self.meetings.append(meeting)
        self.rows.append(rows)
        return meeting

    @staticmethod
    def voting(info: BranchInfo) -> set[int]:
        return {
            m["pk"]
            for m in info.members
            if m["status"] == MemberStatus.ACTIVE
            and m["membership_type"] == MembershipType.FULL
            and m["standing"] == Standing.NORMAL
        }

    def below_quorum(self, info: BranchInfo, rows: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
        """Fewer than half of the voting members came (bad weather, a holiday week)."""
        voting = self.voting(info)
        allowed = max(0, len(voting) // 2 - 1)
        result = []
        for pk, status, reason in rows:
            if pk in voting and status == AttendanceStatus.PRESENT:
                if allowed > 0:
                    allowed -= 1
                else:
                    status, reason = (
                        (AttendanceStatus.EXCUSED, self.rng.choice(REASONS))
                        if self.rng.random() < 0.4
                        else (AttendanceStatus.ABSENT, "")
                    )
            result.append((pk, status, reason))
        return result

    def committee_quorum(self, info: BranchInfo, rows: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
        """The demo's committees always meet with their quorum (the irregularity is elsewhere)."""
        needed = math.ceil(len(info.seats) / 2) - sum(1 for _, status, _ in rows if status == AttendanceStatus.PRESENT)
        result = []
        for pk, status, reason in rows:
            if needed > 0 and status != AttendanceStatus.PRESENT:
                status, reason, needed = AttendanceStatus.PRESENT, "", needed - 1
            result.append((pk, status, reason))
        return result

    def general_quorum(self, info: BranchInfo, rows: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
        """Apart from the two chosen ones, the demo's general meetings reach their quorum: voting
        members the six-month rule does not concern come to make it up."""
        voting = self.voting(info)
        special = self.six | self.five | set(self.excused_month)
        needed = (
            len(voting) // 2
            + 1
            - sum(1 for pk, status, _ in rows if pk in voting and status == AttendanceStatus.PRESENT)
        )
        result = []
        for pk, status, reason in rows:
            if needed > 0 and pk in voting and pk not in special and status != AttendanceStatus.PRESENT:
                status, reason, needed = AttendanceStatus.PRESENT, "", needed - 1
            result.append((pk, status, reason))
        return result

    def figures(self, meeting: Meeting, info: BranchInfo, rows: list[tuple[int, str, str]]) -> None:
        present = [pk for pk, status, _ in rows if status == AttendanceStatus.PRESENT]
        excused = sum(1 for _, status, _ in rows if status == AttendanceStatus.EXCUSED)
        if meeting.kind == MeetingKind.COMMITTEE:
            expected = len(info.seats)
            meeting.quorum_required = math.ceil(expected / 2)
            meeting.quorum_met = len(present) >= meeting.quorum_required
        elif meeting.kind == MeetingKind.GENERAL:
            expected = len(rows)
            voting = self.voting(info)
            meeting.quorum_required = len(voting) // 2 + 1
            meeting.quorum_met = len(set(present) & voting) >= meeting.quorum_required
        else:
            expected = len(rows)
            meeting.quorum_required, meeting.quorum_met = 0, None
        meeting.expected_count = expected
        meeting.present_count = len(present)
        meeting.excused_count = excused
        meeting.absent_count = max(0, expected - len(present) - excused)

    def schedule(self, infos: list[BranchInfo]) -> None:
        rng = self.rng
        months = [month_start(self.first_month, offset) for offset in range(MONTHS)]
        quarters = sorted({(month.year, (month.month - 1) // 3) for month in months})
        order = list(infos)
        rng.shuffle(order)
        skip_committee = {info.branch.pk for info in order[:8]}
        skip_group = {info.branch.pk for info in order[8:14]}
        late_quarter = {info.branch.pk for info in order[14:22]}  # this quarter's general meeting not yet held
        no_life = {info.branch.pk for info in order[22:27]}
        # Two general meetings fell below quorum: one this quarter, one the quarter before.
        below = [info.branch.pk for info in order[27:] if len(self.voting(info)) >= 6][:2]
        below_quarters = dict(zip(below, [quarters[-1], quarters[-2]], strict=False))

        for info in infos:
            pk = info.branch.pk
            committee_skips = set(rng.sample(months, 3)) if pk in skip_committee else set()
            group_skips = set(rng.sample(months[-5:], 2)) if pk in skip_group else set()
            for month in months:
                # The themed day: every month, on a day of its own.
                self.add(info, MeetingKind.THEMED_DAY, self.when(month, 5, 25))
                if info.seats and month not in committee_skips:
                    self.add(info, MeetingKind.COMMITTEE, self.when(month, 1, 8))
                for index, group_id in enumerate(info.groups):
                    if month in group_skips and index == 0:
                        continue
                    self.add(info, MeetingKind.GROUP, self.when(month, 10, 27), group_id=group_id)
            for year, quarter in quarters:
                in_window = [m for m in months if m.year == year and (m.month - 1) // 3 == quarter]
                current = self.this_month in in_window
                if current and pk in late_quarter:
                    # Planned for the quarter's last month, not yet held.
                    last = month_start(in_window[0], 2)
                    self.add(info, MeetingKind.GENERAL, self.when(last, 10, 20))
                else:
                    month = rng.choice([m for m in in_window if m < self.this_month] or in_window[:1])
                    is_below = below_quarters.get(pk) == (year, quarter)
                    self.add(info, MeetingKind.GENERAL, self.when(month, 8, 20), below_quorum=is_below)
                if not (current and pk in late_quarter and rng.random() < 0.5):
                    month = rng.choice([m for m in in_window if m < self.this_month] or in_window[:1])
                    self.add(info, MeetingKind.LECTURE, self.when(month, 12, 24))
            if pk not in no_life:
                life_month = months[rng.randint(0, 2)]
                self.add(info, MeetingKind.LIFE, self.when(life_month, 10, 25))
                self.add(info, MeetingKind.APPRAISAL, self.when(life_month, 26, 28))

        # A meeting cancelled, and two whose time has passed waiting for their attendance.
        planned_past = [
            index
            for index, meeting in enumerate(self.meetings)
            if meeting.held_on >= month_start(self.today, -1) and meeting.held_at <= self.now and self.rows[index]
        ]
        for position, index in enumerate(rng.sample(planned_past, min(3, len(planned_past)))):
            meeting = self.meetings[index]
            self.rows[index] = []
            meeting.status = MeetingStatus.CANCELLED if position == 0 else MeetingStatus.PLANNED
            meeting.minutes = "会议取消：恰逢社区防汛值守，改期召开。" if position == 0 else ""
            for name in ("expected_count", "present_count", "excused_count", "absent_count", "quorum_required"):
                setattr(meeting, name, 0)
            meeting.quorum_met = None

    def choose_committee_members(self, infos: list[BranchInfo]) -> None:
        """Seats hold names; in the demo the recorder ticks as many branch members as seats."""
        for info in infos:
            if info.seats and info.members:
                candidates = [m["pk"] for m in info.members if m["user_id"] is None]
                info.committee_members = self.rng.sample(candidates, min(len(info.seats), len(candidates)))

    # --- Tasks -----------------------------------------------------------------------------

    def tasks(self, infos: list[BranchInfo]) -> list[MemberTask]:
        tasks = []
        # Within the last six months, so that a member with a task is not a six-month case.
        start = month_start(self.today, -5)
        span = (self.today - start).days
        for info in infos:
            for member in info.members:
                if member["pk"] in self.six or self.rng.random() > 0.96:
                    continue
                title, description, result = self.rng.choice(TASKS)
                assigned = start + datetime.timedelta(days=self.rng.randint(0, span))
                due = assigned + datetime.timedelta(days=self.rng.randint(14, 45))
                task = MemberTask(
                    member_id=member["pk"],
                    district_id=info.branch.district_id,
                    title=title,
                    description=description,
                    assigned_on=assigned,
                    due_on=due,
                    status=TaskStatus.OPEN,
                )
                roll = self.rng.random()
                if due < self.today:
                    if roll < 0.78:
                        task.status = TaskStatus.DONE
                        task.done_on = min(self.today, assigned + datetime.timedelta(days=self.rng.randint(3, 50)))
                        task.result = result
                    elif roll < 0.88:
                        task.status = TaskStatus.CANCELLED
                        task.result = "取消：活动调整"
                elif roll < 0.3 and assigned < self.today:
                    task.status = TaskStatus.DONE
                    task.done_on = assigned + datetime.timedelta(days=self.rng.randint(0, (self.today - assigned).days))
                    task.result = result
                tasks.append(task)
        return tasks

    # --- Writing ---------------------------------------------------------------------------

    @transaction.atomic
    def run(self) -> int:
        infos = self.load()
        if not infos:
            return 0
        self.choose_committee_members(infos)
        self.choose_special_members(infos)
        self.schedule(infos)
        meetings = bulk_create_with_history(self.meetings, Meeting, batch_size=500)
        attendance = [
            Attendance(
                meeting_id=meeting.pk,
                member_id=member_id,
                status=status,
                reason=reason,
                held_on=meeting.held_on,
                district_id=meeting.district_id,
            )
            for meeting, rows in zip(meetings, self.rows, strict=True)
            for member_id, status, reason in rows
        ]
        Attendance.objects.bulk_create(attendance, batch_size=2000)
        tasks = bulk_create_with_history(self.tasks(infos), MemberTask, batch_size=500)
        return len(meetings) + len(attendance) + len(tasks)


def seed_orglife(*, rng: random.Random, today: datetime.date) -> int:
    """Add the demo records when missing; return how many were created."""
    return OrglifeSeeder(rng, today).run()
