"""The demo data set: one district of three sub-districts and twelve communities.

Idempotent: every unit is found by its code and created only when missing, committees only for
units that have none, accounts only when their username is free. Dates are set relative to the
day of the first run, so some committee terms always end soon after a fresh seed.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangjian.core import services
from dangjian.core.choices import OrgKind, Position, Role, term_years
from dangjian.core.models import BranchCommittee, OrgUnit, User, add_years

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "建国 秀英 桂兰 志强 海燕 丽娟 国华 文杰 红梅 德明 玉兰 建华 春燕 振华 淑珍 "
    "明辉 晓东 凤英 永刚 慧敏 立新 翠花 少华 金凤 卫东 丽华 宏伟 雪梅 光明 素梅 "
    "俊杰 佳怡 子涵 浩然 欣怡 宇航 思远 晨曦 婉清 嘉豪 "
).split()

SUBDISTRICTS = [
    ("JD01", "东湖街道", ["翠湖社区", "桂花社区", "柳岸社区", "新华社区"]),
    ("JD02", "南山街道", ["松涛社区", "南苑社区", "枫林社区", "望江社区"]),
    ("JD03", "西城街道", ["西门社区", "和平社区", "锦绣社区", "光明社区"]),
]

# Branches of a community, after the article's kinds of member.
BRANCH_NAMES = [
    "第一党支部",
    "第二党支部",
    "离退休党员党支部",
    "在职党员党支部",
    "流动党员党支部",
    "非公企业联合党支部",
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    unit_code: str
    is_staff: bool = False
    description: str = ""


DEMO_ACCOUNTS = [
    DemoAccount("quzzb", "王建国", Role.DISTRICT_ORGANIZER, "QU01", True, "区委组织部：全区"),
    DemoAccount("jiedao", "李红梅", Role.SUBDISTRICT_ORGANIZER, "JD01", True, "东湖街道党工委"),
    DemoAccount("shuji", "张秀英", Role.COMMUNITY_SECRETARY, "JD01-SQ01", False, "翠湖社区书记（兼第一党支部书记）"),
    DemoAccount("ganbu", "刘洋", Role.COMMUNITY_CADRE, "JD01-SQ01", False, "翠湖社区干部"),
    DemoAccount("zhibu", "陈志强", Role.BRANCH_SECRETARY, "JD01-SQ01-B03", False, "翠湖社区离退休党员党支部书记"),
    DemoAccount("dangyuan", "赵敏", Role.MEMBER, "JD01-SQ01-B01", False, "翠湖社区第一党支部党员"),
    DemoAccount("jumin", "孙丽", Role.RESIDENT, "JD01-SQ01", False, "翠湖社区居民"),
]
# A second grant for the community secretary, to show switching between roles.
EXTRA_GRANTS = [("shuji", Role.BRANCH_SECRETARY, "JD01-SQ01-B01")]


class Seeder:
    def __init__(self, today: datetime.date | None = None) -> None:
        self.today = today or timezone.localdate()
        self.rng = random.Random(2026)
        self.created_units = 0
        self.created_committees = 0
        self.created_members = 0
        self.created_developments = 0
        self.created_orglife: dict[str, int] = {}

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def unit(self, *, code: str, name: str, kind: str, parent: OrgUnit | None, address: str = "") -> OrgUnit:
        existing = OrgUnit.objects.filter(code=code).first()
        if existing is not None:
            return existing
        self.created_units += 1
        established = self.today.replace(year=self.today.year - self.rng.randint(3, 30), month=7, day=1)
        return services.org_unit_create(
            parent=parent, kind=kind, code=code, name=name, by=None, established_on=established, address=address
        )

    def committee(self, unit: OrgUnit, *, ends_in_days: int | None, seats: int) -> None:
        if BranchCommittee.objects.filter(org_unit=unit).exists():
            return
        years = term_years(unit.kind)
        if ends_in_days is None:
            # A term in its middle.
            start = self.today - datetime.timedelta(days=self.rng.randint(200, 365 * years - 200))
        else:
            end = self.today + datetime.timedelta(days=ends_in_days)
            start = add_years(end, -years)
        # The previous term, ended when this one started.
        previous_start = add_years(start, -years)
        services.committee_create(org_unit=unit, term_start=previous_start, by=None, notes="")
        committee = services.committee_create(org_unit=unit, term_start=start, by=None)
        self.created_committees += 2
        positions = [
            Position.SECRETARY,
            Position.DEPUTY_SECRETARY,
            Position.ORGANIZATION_MEMBER,
            Position.PUBLICITY_MEMBER,
            Position.DISCIPLINE_MEMBER,
            Position.YOUTH_MEMBER,
            Position.COMMITTEE_MEMBER,
        ][:seats]
        for position in positions:
            services.seat_add(
                committee=committee, person_name=self.name(), position=position, by=None, started_on=start
            )

    @transaction.atomic
    def run(self) -> None:
        district = self.unit(code="QU01", name="示范区", kind=OrgKind.DISTRICT, parent=None, address="示范区人民路1号")
        community_index = 0
        for sub_code, sub_name, communities in SUBDISTRICTS:
            subdistrict = self.unit(
                code=sub_code, name=sub_name, kind=OrgKind.SUBDISTRICT, parent=district, address=f"{sub_name}办事处"
            )
            for number, community_name in enumerate(communities, start=1):
                community_index += 1
                code = f"{sub_code}-SQ{number:02d}"
                community = self.unit(
                    code=code,
                    name=community_name,
                    kind=OrgKind.COMMUNITY,
                    parent=subdistrict,
                    address=f"{community_name}党群服务中心",
                )
                # Every fourth community's term ends within 90 days; one is already overdue.
                if community_index == 7:
                    self.committee(community, ends_in_days=-20, seats=5)
                elif community_index % 4 == 1:
                    self.committee(community, ends_in_days=15 + community_index * 5, seats=7)
                else:
                    self.committee(community, ends_in_days=None, seats=5)
                self.branches(community, code, community_index)

    def branches(self, community: OrgUnit, code: str, community_index: int) -> None:
        parent = community
        # Larger communities organize their branches under a general branch or a Party committee.
        if community_index in (4, 10):
            parent = self.unit(
                code=f"{code}-ZZ", name=f"{community.name}党总支", kind=OrgKind.GENERAL_BRANCH, parent=community
            )
            self.committee(parent, ends_in_days=None, seats=5)
        count = 4 + community_index % 3
        for number, branch_name in enumerate(BRANCH_NAMES[:count], start=1):
            branch = self.unit(
                code=f"{code}-B{number:02d}",
                name=f"{community.name}{branch_name}",
                kind=OrgKind.BRANCH,
                parent=parent,
            )
            if number == count and community_index % 5 == 0:
                continue  # a newly set-up branch without its committee yet
            ends_in = 40 + number * 7 if (community_index + number) % 6 == 0 else None
            self.committee(branch, ends_in_days=ends_in, seats=3 if number % 2 else 5)
            for group in range(1, 2 + (number + community_index) % 3 + 1):
                self.unit(
                    code=f"{code}-B{number:02d}-G{group}",
                    name=f"第{'一二三四'[group - 1]}党小组",
                    kind=OrgKind.GROUP,
                    parent=branch,
                )

    @staticmethod
    def grant_once(user: User, role: str, unit_code: str) -> None:
        """Grant a demo role once; a grant an organizer has since revoked stays revoked."""
        unit = OrgUnit.objects.get(code=unit_code)
        if not user.grants.filter(role=role, org_unit=unit).exists():
            services.grant_create(user=user, role=role, org_unit=unit, by=None)

    def accounts(self) -> list[tuple[DemoAccount, bool]]:
        password = settings.DANGJIAN_DEMO_PASSWORD
        results = []
        for account in DEMO_ACCOUNTS:
            user = User.objects.filter(username=account.username).first()
            created = user is None
            if created:
                user = User.objects.create_user(
                    username=account.username, password=password, full_name=account.full_name, is_staff=account.is_staff
                )
            self.grant_once(user, account.role, account.unit_code)
            results.append((account, created))
        for username, role, unit_code in EXTRA_GRANTS:
            self.grant_once(User.objects.get(username=username), role, unit_code)
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser(username="admin", password=password, full_name="系统管理员")
        return results


def seed(today: datetime.date | None = None) -> Seeder:
    from .development import seed_development
    from .members import seed_members

    seeder = Seeder(today)
    seeder.run()
    with transaction.atomic():
        seeder.accounts()
    seeder.created_members, people = seed_members(
        rng=random.Random(1921),
        today=seeder.today,
        surnames=SURNAMES,
        member_user=User.objects.filter(username="dangyuan").first(),
    )
    seeder.created_developments = seed_development(
        rng=random.Random(1949), today=seeder.today, surnames=SURNAMES, members=people
    )
    # Organizational life, in the order its records depend on each other: meetings and tasks,
    # transfers and mobile members, dues, care; research before acting (risks, events, visits,
    # opinions); then the blind-spot scan and the reminders of all of them.
    from .care import seed_care
    from .dues import seed_dues
    from .orglife import seed_orglife
    from .oversight import seed_oversight
    from .research import seed_research
    from .transfers import seed_transfers

    seeder.created_orglife = {
        "orglife": seed_orglife(rng=random.Random(1956), today=seeder.today),
        "transfers": seed_transfers(rng=random.Random(1978), today=seeder.today),
        "dues": seed_dues(rng=random.Random(1982), today=seeder.today),
        "care": seed_care(rng=random.Random(1997), today=seeder.today),
        "research": seed_research(rng=random.Random(2035), today=seeder.today),
        "oversight": seed_oversight(rng=random.Random(2012), today=seeder.today),
    }
    return seeder
