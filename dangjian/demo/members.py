"""Demo members: about 3,000 fictional people across the demo district.

Each branch gets members that fit its kind (retirees in the retirees' branch, mobile members in
the mobile members' branch…), with the article's category mix, realistic ages, join dates and
statuses. ID numbers are fictional, use real region codes and carry valid check digits. Loaded in
bulk (the same derived fields and history as a member saved one by one); a branch that already
has members is left alone, so seeding twice adds nothing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable

from django.db import transaction
from simple_history.utils import bulk_create_with_history
from stdnum.cn import ric

from dangjian.core.choices import OrgKind
from dangjian.core.models import OrgUnit, User, add_years
from dangjian.members.choices import Education, Gender, MembershipType, MemberStatus, Standing
from dangjian.members.models import Member, MemberCategory, MemberPosition, RewardPenalty

# Region codes (python-stdnum's table) valid for every birth year the demo uses: districts of
# the demo city, and a few places members moved from.
LOCAL_REGIONS = ["310101", "310104", "310105", "310106", "310107", "310109", "310110"]
OTHER_REGIONS = ["110101", "110102", "110105", "110106", "110108", "120101", "120103", "120104"]

OCCUPATIONS = {
    "retiree": ["退休职工", "退休教师", "退休干部", "退休工人"],
    "in_service": ["公务员", "教师", "医生", "工程师", "会计", "护士", "银行职员"],
    "mobile": ["个体经营", "网约车司机", "快递员", "外卖骑手", "装修工", "餐饮经营"],
    "enterprise": ["企业职工", "技术员", "销售", "行政", "物业管理"],
    "resident": ["待业", "灵活就业", "社区志愿者", "个体经营", "企业职工"],
}
WORK_UNITS = ["市第一中学", "区人民医院", "市供电公司", "区税务局", "建设银行支行", "光谷软件公司", "长江物流公司"]
GIVEN_FEMALE = (
    "秀英 桂兰 海燕 丽娟 红梅 玉兰 春燕 淑珍 凤英 慧敏 翠花 金凤 丽华 雪梅 素梅 佳怡 欣怡 婉清 晓燕 静怡".split()
)
GIVEN_MALE = (
    "建国 志强 国华 文杰 德明 建华 振华 明辉 晓东 永刚 立新 少华 卫东 宏伟 光明 俊杰 浩然 宇航 思远 子涵".split()
)


class MemberSeeder:
    def __init__(self, rng: random.Random, today: datetime.date, surnames: str) -> None:
        self.rng = rng
        self.today = today
        self.surnames = surnames
        self.serials: dict[tuple[str, datetime.date], int] = {}
        self.phones: set[str] = set()
        self.categories = {category.code: category for category in MemberCategory.objects.all()}
        self.created = 0

    def id_number(self, birth: datetime.date, male: bool, regions: list[str] | None = None) -> str:
        if regions is None:
            regions = LOCAL_REGIONS if self.rng.random() < 0.8 else OTHER_REGIONS
        region = self.rng.choice(regions)
        key = (region, birth)
        serial = self.serials.get(key, self.rng.randrange(10, 40) * 2)
        # The 17th digit is odd for men and even for women.
        if (serial % 2 == 1) != male:
            serial += 1
        self.serials[key] = serial + 2
        body = f"{region}{birth:%Y%m%d}{serial:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if not ric.is_valid(number):
            raise ValueError(f"demo ID number {number} does not validate")
        return number

    def phone(self) -> str:
        while True:
            number = f"1{self.rng.choice('3578')}{self.rng.randrange(10**9):09d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def birth(self, low: int, high: int) -> datetime.date:
        age = self.rng.randint(low, high)
        return self.today - datetime.timedelta(days=age * 365 + self.rng.randrange(365))

    def education(self, age: int) -> str:
        """Older members went to school when fewer went far."""
        if age >= 65:
            weights = [3, 5, 4, 2, 1, 0, 0]
        elif age >= 45:
            weights = [0, 3, 4, 3, 3, 1, 0]
        else:
            weights = [0, 0, 1, 3, 6, 2, 1]
        return self.rng.choices(Education.values, weights=weights)[0]

    def profile(self, branch_name: str) -> tuple[str, tuple[int, int], list[str]]:
        """What kind of members a branch holds: occupations, ages, and categories."""
        if "离退休" in branch_name:
            return "retiree", (58, 92), ["enterprise_retiree"]
        if "在职" in branch_name:
            return "in_service", (26, 58), ["in_service"]
        if "流动" in branch_name:
            return "mobile", (24, 55), ["self_employed_mobile"]
        if "非公" in branch_name:
            return "enterprise", (23, 56), []
        return "resident", (25, 88), []

    def categories_for(self, kind: str, age: int, base: list[str]) -> list[str]:
        codes = list(base)
        roll = self.rng.random()
        if kind == "resident":
            if roll < 0.18:
                codes.append("laid_off")
            elif roll < 0.30:
                codes.append("labour_relation_ended")
            elif roll < 0.45 and age >= 60:
                codes.append("enterprise_retiree")
        if age >= 75 and self.rng.random() < 0.5:
            codes.append("elderly_ill")
        if self.rng.random() < 0.06:
            codes.append("in_hardship")
        return codes

    def member_for(
        self, branch: OrgUnit, groups: list[OrgUnit], community: OrgUnit, kind: str, ages
    ) -> tuple[Member, int]:
        male = self.rng.random() < 0.58
        birth = self.birth(*ages)
        age = (self.today - birth).days // 365
        earliest_join = add_years(birth, 18)
        join = earliest_join + datetime.timedelta(
            days=self.rng.randrange(max(1, (self.today - earliest_join).days - 30))
        )
        probationary = (self.today - join).days < 365 or self.rng.random() < 0.02
        if probationary:
            join = self.today - datetime.timedelta(days=self.rng.randrange(30, 330))
        status_roll = self.rng.random()
        status = MemberStatus.ACTIVE
        if status_roll < 0.012:
            status = MemberStatus.TRANSFERRED_OUT
        elif status_roll < 0.02:
            status = MemberStatus.LOST_CONTACT
        elif status_roll < 0.03 and age > 70:
            status = MemberStatus.DECEASED
        standing_roll = self.rng.random()
        standing = Standing.NORMAL
        if standing_roll < 0.006:
            standing = Standing.RETAINED
        elif standing_roll < 0.009:
            standing = Standing.SUSPENDED
        member = Member(
            name=self.rng.choice(self.surnames) + self.rng.choice(GIVEN_MALE if male else GIVEN_FEMALE),
            gender=Gender.MALE if male else Gender.FEMALE,
            ethnicity="汉族"
            if self.rng.random() < 0.93
            else self.rng.choice(["回族", "土家族", "满族", "苗族", "壮族"]),
            birth_date=birth,
            id_number=self.id_number(birth, male),
            phone=self.phone() if self.rng.random() < 0.95 else "",
            education=self.education(age),
            occupation=self.rng.choice(OCCUPATIONS["retiree" if age >= 62 else kind]),
            work_unit=self.rng.choice(WORK_UNITS) if kind in ("in_service", "enterprise") else "",
            residence_community=community,
            grid=f"第{self.rng.randint(1, 6)}网格",
            building=f"{self.rng.randint(1, 30)}栋",
            room=f"{self.rng.randint(1, 28)}{self.rng.randint(1, 4):02d}",
            join_date=join,
            full_member_date=None if probationary else add_years(join, 1),
            membership_type=MembershipType.PROBATIONARY if probationary else MembershipType.FULL,
            standing=standing,
            status=status,
            branch=branch,
            group=self.rng.choice(groups) if groups else None,
        )
        member.prepare_derived()
        return member, age

    def seed_branch(self, branch: OrgUnit, community: OrgUnit, count: int) -> None:
        groups = list(OrgUnit.objects.filter(parent=branch, kind=OrgKind.GROUP))
        kind, ages, base = self.profile(branch.name)
        members, codes = [], []
        for _ in range(count):
            member, age = self.member_for(branch, groups, community, kind, ages)
            members.append(member)
            codes.append(self.categories_for(kind, age, base))
        created = bulk_create_with_history(members, Member, batch_size=500)
        created = list(Member.objects.filter(branch=branch).order_by("pk")) if created[0].pk is None else created
        through = Member.categories.through
        through.objects.bulk_create(
            [
                through(member_id=member.pk, membercategory_id=self.categories[code].pk)
                for member, member_codes in zip(created, codes, strict=True)
                for code in member_codes
            ]
        )
        self.created += len(created)
        self.extras(created)

    def extras(self, members: Iterable[Member]) -> None:
        positions, records = [], []
        for member in members:
            if self.rng.random() < 0.05:
                positions.append(
                    MemberPosition(
                        member=member,
                        title=self.rng.choice(["楼栋长", "党小组长", "志愿服务队队长", "业委会委员"]),
                        organization="",
                        started_on=self.today - datetime.timedelta(days=self.rng.randrange(100, 2000)),
                    )
                )
            if self.rng.random() < 0.03:
                records.append(
                    RewardPenalty(
                        member=member,
                        kind="reward",
                        title=self.rng.choice(["优秀共产党员", "优秀志愿者", "抗疫先进个人"]),
                        granted_by="示范区委",
                        granted_on=self.today - datetime.timedelta(days=self.rng.randrange(100, 3000)),
                    )
                )
        MemberPosition.objects.bulk_create(positions)
        RewardPenalty.objects.bulk_create(records)


@transaction.atomic
def seed_members(
    *, rng: random.Random, today: datetime.date, surnames: str, member_user: User | None
) -> tuple[int, MemberSeeder]:
    seeder = MemberSeeder(rng, today, surnames)
    branches = OrgUnit.objects.filter(kind=OrgKind.BRANCH, status="active").order_by("path")
    seeded = set(Member.objects.values_list("branch_id", flat=True).distinct())
    for branch in branches:
        if branch.pk in seeded:
            continue
        community = next(unit for unit in branch.ancestors() if unit.kind == OrgKind.COMMUNITY)
        seeder.seed_branch(branch, community, rng.randint(36, 64))
    if member_user is not None and not Member.objects.filter(user=member_user).exists():
        # The demo member account is a member of 翠湖社区第一党支部.
        member = Member.objects.filter(
            branch__code="JD01-SQ01-B01", status=MemberStatus.ACTIVE, user__isnull=True
        ).first()
        if member is not None:
            member.name = member_user.full_name
            member.user = member_user
            member.save()
    return seeder.created, seeder
