"""Demo transfers (组织关系转接) and mobile members (流动党员).

Letters in every state, most of them in 翠湖社区 (where the demo accounts work) and a few in
each other community: issued, about to expire within the warning window, reported (the member
has left the roll), returned, cancelled, past their last day and not reported (still marked
issued, so the blind-spot scan marks them expired and opens pocket-member cases), already
expired, one expired and re-issued, within the district (waiting for the receiving branch, and
reported: the member now in the new branch), incoming letters waiting to be registered, and
incoming letters registered. Outgoing letters are numbered per year without gaps, and the
district's letter sequence is left at the last number.

About forty outflow members (most reached within three months, some within six, six not
reached for more than six months, so the scan opens lost-contact cases) and fifteen inflow
members (member records of the host branch with status inflow), each with a contact log.

Seeding again adds nothing: existing transfers mean the letters were seeded, existing mobile
members the mobility.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterator

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from dangjian.core.choices import OrgKind
from dangjian.core.crypto import blind_index
from dangjian.core.models import OrgUnit, User
from dangjian.members.choices import (
    ContactChannel,
    ContactResult,
    MemberStatus,
    MobileDirection,
    MobileReason,
    MobileStatus,
    TransferDirection,
    TransferStatus,
)
from dangjian.members.models import ContactLog, LetterSequence, Member, MobileMember, Transfer
from dangjian.members.services.transfers import letter_number_label

from .members import OTHER_REGIONS, MemberSeeder

HOME = "JD01-SQ01"
VALID_DAYS = 30
DESTINATIONS = [
    "中共杭州市西湖区北山街道工作委员会",
    "中共苏州市姑苏区平江街道工作委员会",
    "中共南京市鼓楼区宁海路街道工作委员会",
    "中共合肥市蜀山区三里庵街道工作委员会",
    "中共成都市武侯区玉林街道工作委员会",
    "中共深圳市南山区粤海街道工作委员会",
    "中共北京市海淀区中关村街道工作委员会",
]
ORIGINS = [
    "中共六安市金安区城北街道工作委员会",
    "中共阜阳市颍州区鼓楼街道工作委员会",
    "中共信阳市浉河区老城街道工作委员会",
    "中共黄冈市黄州区赤壁街道工作委员会",
    "中共九江市浔阳区甘棠街道工作委员会",
]
REASONS_OUT = ["工作调动", "随子女迁居外地", "升学", "退休后回原籍居住", "入职外地企业"]
PLACES_OUT = ["广东省深圳市", "浙江省杭州市", "江苏省苏州市", "上海市浦东新区", "北京市朝阳区", "四川省成都市"]
PLACES_IN = ["安徽省六安市", "河南省信阳市", "湖北省黄冈市", "江西省九江市", "安徽省阜阳市"]
MOBILE_REASONS = [MobileReason.WORK] * 6 + [MobileReason.FAMILY, MobileReason.STUDY, MobileReason.MEDICAL]


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


class TransferSeeder:
    def __init__(self, rng: random.Random, today: datetime.date) -> None:
        self.rng = rng
        self.today = today
        self.clerk = User.objects.filter(username="ganbu").first()
        self.used: set[int] = set()
        self.reissued: list[tuple[Transfer, Transfer]] = []
        self.people = MemberSeeder(rng, today, "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
        self.taken_ids = set(Member.objects.values_list("id_number_index", flat=True))

    def communities(self) -> list[OrgUnit]:
        return list(OrgUnit.objects.filter(kind=OrgKind.COMMUNITY, status="active").order_by("code"))

    def branches(self, community: OrgUnit) -> list[OrgUnit]:
        return list(
            OrgUnit.objects.filter(kind=OrgKind.BRANCH, status="active", path__startswith=community.path).order_by(
                "code"
            )
        )

    def active_members(self, community: OrgUnit) -> Iterator[Member]:
        members = list(
            Member.objects.filter(status=MemberStatus.ACTIVE, branch__path__startswith=community.path)
            .select_related("branch")
            .order_by("pk")
        )
        self.rng.shuffle(members)
        for member in members:
            if member.pk not in self.used and member.user_id is None:
                self.used.add(member.pk)
                yield member

    def letter(self, member: Member, direction: str, status: str, issued_ago: int, **extra) -> Transfer:
        issued_on = self.today - _days(issued_ago)
        transfer = Transfer(
            direction=direction,
            status=status,
            member=member,
            name=member.name,
            gender=member.gender,
            id_number=member.id_number,
            membership_type=member.membership_type,
            phone=member.phone,
            branch=member.branch,
            issued_on=issued_on,
            valid_days=VALID_DAYS,
            dues_paid_until=(issued_on.replace(day=1) - _days(1)).replace(day=1),
            created_by=self.clerk if member.branch.code.startswith(HOME) else None,
            reason=self.rng.choice(REASONS_OUT),
            **extra,
        )
        if direction == TransferDirection.OUT and not transfer.counterpart:
            transfer.counterpart = self.rng.choice(DESTINATIONS)
        return transfer

    def incoming(self, branch: OrgUnit, status: str, received_ago: int, member: Member | None = None) -> Transfer:
        """A letter received from outside: a new person, or (registered) the member it made."""
        received = self.today - _days(received_ago)
        if member is None:
            male = self.rng.random() < 0.55
            while True:
                number = self.people.id_number(self.people.birth(25, 60), male, OTHER_REGIONS)
                if blind_index(number) not in self.taken_ids:
                    self.taken_ids.add(blind_index(number))
                    break
            name = self.rng.choice(self.people.surnames) + self.rng.choice(["文杰", "海燕", "志强", "丽娟", "晓东"])
            gender, phone, membership = ("male" if male else "female"), self.people.phone(), "full"
        else:
            name, gender, number = member.name, member.gender, member.id_number
            phone, membership = member.phone, member.membership_type
        return Transfer(
            direction=TransferDirection.IN,
            status=status,
            member=member,
            name=name,
            gender=gender,
            id_number=number,
            membership_type=membership,
            phone=phone,
            branch=branch,
            counterpart=self.rng.choice(ORIGINS),
            letter_number=f"皖组转〔{received.year}〕{self.rng.randint(10, 300)}号",
            issued_on=received,
            reported_on=received + _days(self.rng.randint(1, 6)) if member is not None else None,
            dues_paid_until=(received.replace(day=1) - _days(1)).replace(day=1),
            reason="迁居本地",
            created_by=self.clerk if branch.code.startswith(HOME) else None,
        )

    def community_set(self, community: OrgUnit, full: bool) -> list[Transfer]:
        """The letters of one community: every state in the home community, a few elsewhere."""
        branches = self.branches(community)
        members = self.active_members(community)
        rows: list[Transfer] = []
        out, within = TransferDirection.OUT, TransferDirection.WITHIN
        plan = (
            [
                (out, TransferStatus.ISSUED, 4),
                (out, TransferStatus.ISSUED, 12),
                (out, TransferStatus.ISSUED, 25),  # expires within the warning window
                (out, TransferStatus.ISSUED, 28),
                (out, TransferStatus.REPORTED, 120),
                (out, TransferStatus.REPORTED, 60),
                (out, TransferStatus.RETURNED, 75),
                (out, TransferStatus.CANCELLED, 50),
                (out, TransferStatus.ISSUED, 45),  # past its last day: the scan marks it expired
                (out, TransferStatus.ISSUED, 52),
                (out, TransferStatus.EXPIRED, 90),
                (within, TransferStatus.ISSUED, 6),
                (within, TransferStatus.REPORTED, 40),
            ]
            if full
            else self.rng.sample(
                [
                    (out, TransferStatus.ISSUED, self.rng.randint(2, 20)),
                    (out, TransferStatus.ISSUED, self.rng.randint(24, 29)),
                    (out, TransferStatus.REPORTED, self.rng.randint(40, 300)),
                    (out, TransferStatus.ISSUED, self.rng.randint(35, 70)),
                    (out, TransferStatus.RETURNED, self.rng.randint(40, 200)),
                    (within, TransferStatus.ISSUED, self.rng.randint(2, 20)),
                ],
                3,
            )
        )
        for direction, status, ago in plan:
            member = next(members, None)
            if member is None:
                break
            extra: dict = {}
            if status == TransferStatus.REPORTED:
                extra["reported_on"] = self.today - _days(ago) + _days(self.rng.randint(3, 20))
                extra["closed_note"] = "回执已收回"
            elif status == TransferStatus.RETURNED:
                extra["closed_note"] = "本人暂缓迁移，介绍信退回"
            elif status == TransferStatus.CANCELLED:
                extra["closed_note"] = "转往单位名称填写有误，作废重开"
            if direction == within:
                others = [branch for branch in branches if branch.pk != member.branch_id] or [member.branch]
                extra["to_branch"] = self.rng.choice(others)
                if status == TransferStatus.REPORTED:
                    # The member reported at the new branch: the letter came from the old one.
                    extra["to_branch"], member.branch = member.branch, extra["to_branch"]
            rows.append(self.letter(member, direction, status, ago, **extra))
        if full:
            # An expired letter, re-issued: the new one is travelling.
            member = next(members, None)
            if member is not None:
                old = self.letter(member, out, TransferStatus.EXPIRED, 70)
                new = self.letter(member, out, TransferStatus.ISSUED, 8, counterpart=old.counterpart)
                self.reissued.append((old, new))
                rows += [old, new]
        host = branches[0] if branches else None
        if host is not None:
            rows.append(self.incoming(host, TransferStatus.RECEIVED, self.rng.randint(1, 9)))
            if full:
                rows.append(self.incoming(branches[-1], TransferStatus.RECEIVED, 15))
                for ago in (200, 95):
                    member = next(members, None)
                    if member is not None:
                        rows.append(self.incoming(member.branch, TransferStatus.REGISTERED, ago, member))
        return rows

    def run(self) -> int:
        rows: list[Transfer] = []
        for community in self.communities():
            rows += self.community_set(community, full=community.code == HOME)
        # Number the outgoing letters in the order they were issued, per district and year.
        numbered = sorted(
            (row for row in rows if row.direction != TransferDirection.IN), key=lambda row: (row.issued_on, row.name)
        )
        last: dict[tuple[int, int], int] = defaultdict(int)
        for sequence in LetterSequence.objects.all():
            last[(sequence.district_id, sequence.year)] = sequence.last_number
        for row in numbered:
            key = (row.branch.district_id, row.issued_on.year)
            last[key] += 1
            row.letter_year, row.letter_seq = row.issued_on.year, last[key]
            row.letter_number = letter_number_label(row.letter_year, row.letter_seq)
        for old, new in self.reissued:
            old.closed_note = f"已重新开具介绍信{new.letter_number}"
        for row in rows:
            row.save()
        for (district_id, year), number in last.items():
            LetterSequence.objects.update_or_create(
                district_id=district_id, year=year, defaults={"last_number": number}
            )
        # Members whose letters were reported have left the roll, or moved to the new branch.
        left = [
            row.member_id
            for row in rows
            if row.direction == TransferDirection.OUT and row.status == TransferStatus.REPORTED
        ]
        Member.objects.filter(pk__in=left).update(status=MemberStatus.TRANSFERRED_OUT, group=None)
        for row in rows:
            if row.direction == TransferDirection.WITHIN and row.status == TransferStatus.REPORTED:
                Member.objects.filter(pk=row.member_id).update(branch=row.to_branch, group=None)
        return len(rows)


class MobileSeeder:
    def __init__(self, rng: random.Random, today: datetime.date) -> None:
        self.rng = rng
        self.today = today
        self.clerk = User.objects.filter(username="ganbu").first()
        self.people = MemberSeeder(rng, today, "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
        self.taken_ids = set(Member.objects.values_list("id_number_index", flat=True))

    def candidates(self) -> list[Member]:
        busy = set(
            Transfer.objects.filter(status=TransferStatus.ISSUED, member__isnull=False).values_list(
                "member_id", flat=True
            )
        )
        members = list(
            Member.objects.filter(status=MemberStatus.ACTIVE, user__isnull=True)
            .exclude(pk__in=busy)
            .select_related("branch")
            .order_by("pk")
        )
        self.rng.shuffle(members)
        # Members of the mobile members' branches first.
        members.sort(key=lambda m: "流动" not in m.branch.name)
        return members

    def contacts(self, mobile: MobileMember, pattern: str) -> list[ContactLog]:
        """The contact log of one record: `recent` reached within 90 days, `middle` within 180,
        `lost` not reached for more than six months (tried since, without success)."""
        since = mobile.since
        span = (self.today - since).days
        logs: list[ContactLog] = []
        by = self.clerk if mobile.member.branch.code.startswith(HOME) else None

        def log(ago: int, result: str) -> None:
            day = self.today - _days(ago)
            if day < since:
                return
            logs.append(
                ContactLog(
                    mobile=mobile,
                    district_id=mobile.district_id,
                    contacted_on=day,
                    channel=self.rng.choice(
                        [ContactChannel.PHONE, ContactChannel.PHONE, ContactChannel.MESSAGE, ContactChannel.ONLINE]
                    ),
                    result=result,
                    notes=(
                        self.rng.choice(["本人在外务工，身体健康", "已参加流入地党组织线上学习", "告知党费交纳方式"])
                        if result == ContactResult.REACHED
                        else self.rng.choice(["电话无人接听", "号码已停机", "微信未回复"])
                    ),
                    by=by,
                )
            )

        if pattern == "recent":
            last = self.rng.randint(3, min(85, max(3, span)))
            log(last, ContactResult.REACHED)
            for ago in range(last + 60, span, self.rng.randint(55, 90)):
                log(ago, ContactResult.REACHED if self.rng.random() < 0.8 else ContactResult.NOT_REACHED)
        elif pattern == "middle":
            last = self.rng.randint(95, min(175, max(95, span)))
            log(last, ContactResult.REACHED)
            log(self.rng.randint(10, 60), ContactResult.NOT_REACHED)
            for ago in range(last + 70, span, 90):
                log(ago, ContactResult.REACHED)
        else:  # lost
            last = self.rng.randint(200, max(200, span - 5))
            if self.rng.random() < 0.7:
                log(last, ContactResult.REACHED)
            for ago in (self.rng.randint(100, 150), self.rng.randint(20, 80)):
                log(ago, ContactResult.NOT_REACHED)
        return logs

    def outflow(self, member: Member, pattern: str) -> MobileMember:
        low = 220 if pattern == "lost" else 40 if pattern == "recent" else 120
        since = self.today - _days(self.rng.randint(low, max(low + 30, 900)))
        return MobileMember(
            direction=MobileDirection.OUTFLOW,
            status=MobileStatus.AWAY,
            member=member,
            district_id=member.district_id,
            place=self.rng.choice(PLACES_OUT),
            counterpart=self.rng.choice(["", "流入地街道流动党员党支部", "务工企业党支部"]),
            reason=self.rng.choice(MOBILE_REASONS),
            since=since,
            contact_phone=member.phone or self.people.phone(),
            contact_other=f"微信 wx{self.rng.randrange(10**6, 10**7)}",
            card_number=f"LD{since.year}{self.rng.randrange(10**5, 10**6)}" if self.rng.random() < 0.7 else "",
        )

    def inflow_members(self, count: int) -> list[Member]:
        hosts = list(
            OrgUnit.objects.filter(kind=OrgKind.BRANCH, status="active", name__contains="流动").order_by("code")
        ) or list(OrgUnit.objects.filter(kind=OrgKind.BRANCH, status="active").order_by("code"))
        home = [host for host in hosts if host.code.startswith(HOME)]
        people = []
        for index in range(count):
            branch = home[0] if home and index < 4 else self.rng.choice(hosts)
            community = next(unit for unit in branch.ancestors() if unit.kind == OrgKind.COMMUNITY)
            groups = list(OrgUnit.objects.filter(parent=branch, kind=OrgKind.GROUP))
            while True:
                member, _ = self.people.member_for(branch, groups, community, "mobile", (24, 55))
                member.id_number = self.people.id_number(member.birth_date, member.gender == "male", OTHER_REGIONS)
                member.prepare_derived()
                if member.id_number_index not in self.taken_ids:
                    self.taken_ids.add(member.id_number_index)
                    break
            member.status = MemberStatus.INFLOW
            member.standing = "normal"
            member.residence_community = community
            member.phone = member.phone or self.people.phone()
            member.prepare_derived()
            people.append(member)
        created = bulk_create_with_history(people, Member, batch_size=500)
        if created and created[0].pk is None:
            indexes = [member.id_number_index for member in people]
            created = list(Member.objects.filter(id_number_index__in=indexes).select_related("branch"))
        return created

    def run(self, outflow: int = 40, inflow: int = 15, lost: int = 6) -> int:
        candidates = self.candidates()
        # A quarter in the home community, the rest across the district; each part with lost
        # (two at home), middle and recent members.
        home = [m for m in candidates if m.branch.code.startswith(HOME)][: outflow // 4]
        away = [m for m in candidates if not m.branch.code.startswith(HOME)][: outflow - len(home)]
        middle = 10
        home_middle = middle * len(home) // max(1, outflow)
        split = [(home, 2, home_middle), (away, lost - 2, middle - home_middle)]
        chosen: list[tuple[Member, str]] = []
        for people, lost_count, middle_count in split:
            chosen += [(member, "lost") for member in people[:lost_count]]
            chosen += [(member, "middle") for member in people[lost_count : lost_count + middle_count]]
            chosen += [(member, "recent") for member in people[lost_count + middle_count :]]
        records = [self.outflow(member, pattern) for member, pattern in chosen]
        plans = [(record, pattern) for record, (_, pattern) in zip(records, chosen, strict=True)]
        for member in self.inflow_members(inflow):
            since = self.today - _days(self.rng.randint(30, 700))
            record = MobileMember(
                direction=MobileDirection.INFLOW,
                status=MobileStatus.AWAY,
                member=member,
                district_id=member.district_id,
                place=self.rng.choice(PLACES_IN),
                counterpart=self.rng.choice(ORIGINS),
                reason=self.rng.choice(MOBILE_REASONS),
                since=since,
                contact_phone=member.phone,
                contact_other="",
                card_number=f"LD{since.year}{self.rng.randrange(10**5, 10**6)}",
            )
            records.append(record)
            plans.append((record, "recent" if self.rng.random() < 0.8 else "middle"))
        saved = bulk_create_with_history(records, MobileMember, batch_size=500)
        if saved and saved[0].pk is None:
            by_member = {m.member_id: m for m in MobileMember.objects.filter(member__in=[r.member for r in records])}
            for record in records:
                record.pk = by_member[record.member_id].pk
        logs: list[ContactLog] = []
        for record, pattern in plans:
            record_logs = self.contacts(record, pattern)
            reached = [entry.contacted_on for entry in record_logs if entry.result == ContactResult.REACHED]
            record.last_contact_on = max(reached) if reached else None
            logs += record_logs
        MobileMember.objects.bulk_update(records, ["last_contact_on"], batch_size=500)
        bulk_create_with_history(logs, ContactLog, batch_size=1000)
        return len(records) + len(logs)


@transaction.atomic
def seed_transfers(*, rng: random.Random, today: datetime.date) -> int:
    """Add the demo records when missing; return how many were created."""
    created = 0
    if not Transfer.objects.exists():
        created += TransferSeeder(rng, today).run()
    if not MobileMember.objects.exists():
        created += MobileSeeder(rng, today).run()
    return created
