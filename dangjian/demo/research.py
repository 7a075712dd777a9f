"""Demo data: research before acting, in every state, for every community of the demo district.

Each community gets its cadres (the demo's own secretary and cadre for 翠湖社区, and two people
without a login for the others), stability risks from newly reported to resolved and closed (with
the visits, research and consultations a major risk needs), large events from draft to reviewed
(some awaiting the sub-district's approval, one without research), last quarter's round of visits
(closed) and this quarter's (open), visits over the last six months, the opinions raised in them
and online (open, overdue, answered, closed and rated), and the corrections they led to.

Dates are relative to `today`. Rows are written with their final state in bulk where there are
many; it runs once (a second run finds the risks and adds nothing).
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from dangjian.core import services as core_services
from dangjian.core.choices import OrgKind, Role
from dangjian.core.models import Grant, OrgUnit, User
from dangjian.members.models import Member
from dangjian.research.choices import (
    AnswerKind,
    OpinionArea,
    OpinionSource,
    OpinionStatus,
    Progress,
    ResearchKind,
    RiskStatus,
    SubmitterKind,
    TargetKind,
)
from dangjian.research.models import (
    Consultation,
    Correction,
    Event,
    Opinion,
    Research,
    ResearchRound,
    Risk,
    Visit,
    VisitTarget,
    new_tracking_code,
    quarter_of,
    quarter_title,
)

from .seed import GIVEN, SURNAMES

CADRE_ROLES = (Role.COMMUNITY_SECRETARY, Role.COMMUNITY_CADRE)

TOPICS = [
    "了解家庭近况和生活困难",
    "宣传社区养老服务政策",
    "征求对社区党建工作的意见",
    "了解加装电梯意愿",
    "了解对物业服务的评价",
    "宣讲垃圾分类新规",
    "走访慰问老党员",
    "了解就业需求",
]
SITUATIONS = [
    "身体尚好，子女在外地，希望社区多组织活动。",
    "对小区环境总体满意，反映楼道灯不亮。",
    "家中老人行动不便，希望有上门助餐服务。",
    "希望加快推进加装电梯，愿意分摊费用。",
    "对物业保洁不满意，垃圾清运不及时。",
    "子女失业在家，希望社区推荐工作岗位。",
]
OPINIONS = [
    (OpinionArea.FACILITIES, "楼道灯不亮", "3栋2单元楼道灯坏了一个多月，晚上上下楼不安全。"),
    (OpinionArea.ENVIRONMENT, "垃圾清运不及时", "小区北门垃圾站每天下午才清运，夏天气味很大。"),
    (OpinionArea.ELDERLY, "希望开设老年食堂", "小区老人多，希望社区开设老年助餐点。"),
    (OpinionArea.PROPERTY, "物业费公示不清", "物业费收支没有公示，希望公开明细。"),
    (OpinionArea.SAFETY, "电动车楼道充电", "有住户在楼道给电动车充电，存在火灾隐患。"),
    (OpinionArea.CULTURE, "活动室开放时间短", "活动室晚上不开放，上班族没法参加活动。"),
    (OpinionArea.EMPLOYMENT, "希望组织招聘会", "希望社区组织一次就业招聘会，帮助失业居民。"),
    (OpinionArea.CONVENIENCE, "希望增设快递柜", "快递经常丢失，希望在小区增设快递柜。"),
    (OpinionArea.PARTY_BUILDING, "党员活动时间调整", "在职党员工作日参加不了活动，希望安排在周末。"),
    (OpinionArea.FACILITIES, "健身器材损坏", "小广场的健身器材有两件损坏，老人使用有危险。"),
]
ANSWERS = {
    OpinionArea.FACILITIES: "已联系物业和维修单位，列入本月维修计划。",
    OpinionArea.ENVIRONMENT: "已与环卫所协调，调整为每天上午、下午各清运一次。",
    OpinionArea.ELDERLY: "已申报街道养老服务项目，拟在党群服务中心开设助餐点。",
    OpinionArea.PROPERTY: "已督促物业在公告栏和业主群公示收支明细。",
    OpinionArea.SAFETY: "已开展楼道充电专项整治，并协调增设充电桩。",
    OpinionArea.CULTURE: "活动室调整为每周二、四晚上开放至九点。",
    OpinionArea.EMPLOYMENT: "将联合街道人社所组织专场招聘会。",
    OpinionArea.CONVENIENCE: "已与快递柜企业对接选址。",
    OpinionArea.PARTY_BUILDING: "在职党员活动改在每月第一个周六。",
}
ADDRESSES = ["阿姨", "大爷", "女士", "先生"]
SOLUTION = "召开居民议事会，形成共识：由街道协调专项资金补贴，低层住户优先保障通行和采光，施工期间物业配合安全管理。"
NOT_ACCEPTED = "该事项属于业主大会决定范围，社区将协助业委会召开业主大会讨论。"


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _cadres(community: OrgUnit, rng: random.Random) -> list[User]:
    """The community's secretary and cadre; a community without them gets two people without a
    login (their records show who did the work; nobody signs in as them)."""
    grants = (
        Grant.objects.filter(org_unit=community, role__in=CADRE_ROLES, is_active=True)
        .select_related("user")
        .order_by("role", "pk")
    )
    ordered = sorted(grants, key=lambda grant: CADRE_ROLES.index(grant.role))
    people = list(dict.fromkeys(grant.user for grant in ordered))
    for role, suffix in ((Role.COMMUNITY_SECRETARY, "shuji"), (Role.COMMUNITY_CADRE, "ganbu")):
        if len(people) >= 2:
            break
        if any(grant.role == role for grant in grants):
            continue
        username = f"{community.code.lower()}-{suffix}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username,
                full_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                password=make_password(None),
            )
            core_services.grant_create(user=user, role=role, org_unit=community, by=None)
        people.append(user)
    return people


class CommunityResearch:
    """The research records of one community."""

    def __init__(self, community: OrgUnit, cadres: list[User], rng: random.Random, today: datetime.date, index: int):
        self.community = community
        self.cadres = cadres
        self.rng = rng
        self.today = today
        self.index = index
        self.district_id = community.district_id
        self.count = 0
        self.codes: set[str] = set()

    def day(self, back_from: int, back_to: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(back_to, back_from))

    def base(self) -> dict[str, Any]:
        return {"community": self.community, "district_id": self.district_id}

    def code(self) -> str:
        while True:
            code = new_tracking_code()
            if code not in self.codes:
                self.codes.add(code)
                return code

    def run(self) -> int:
        previous, current = self.rounds()
        visits = self.visits(previous, current)
        opinions = self.opinions(visits)
        self.corrections(opinions, previous)
        self.risks()
        self.events()
        return self.count

    # --- Rounds and visits ----------------------------------------------------------------------

    def rounds(self) -> tuple[ResearchRound, ResearchRound]:
        start, end = quarter_of(self.today)
        last_start, last_end = quarter_of(start - datetime.timedelta(days=1))
        secretary = self.cadres[0]
        previous = ResearchRound.objects.create(
            **self.base(),
            title=quarter_title(last_start),
            period_start=last_start,
            period_end=last_end,
            notes="走访本社区全部在册党员和困难家庭，听取对社区党建工作的意见建议。",
            closed_on=last_end,
            created_by=secretary,
        )
        current = ResearchRound.objects.create(
            **self.base(),
            title=quarter_title(start),
            period_start=start,
            period_end=end,
            notes="重点走访老旧楼栋住户，了解加装电梯、养老助餐需求。",
            created_by=secretary,
        )
        members = list(
            Member.objects.filter(
                Q(branch__path__startswith=self.community.path) | Q(residence_community=self.community),
                status="active",
            )
            .order_by("grid", "building", "pk")
            .distinct()[:60]
        )
        targets = []
        for round_ in (previous, current):
            for number, member in enumerate(members[:30] if round_ is previous else members[20:60]):
                cadre = self.cadres[number % len(self.cadres)]
                targets.append(
                    VisitTarget(
                        round=round_,
                        district_id=self.district_id,
                        kind=TargetKind.MEMBER,
                        member=member,
                        label=f"{member.name}（党员，{member.building}{member.room}）"[:100],
                        grid=member.grid,
                        building=member.building,
                        cadre=cadre,
                    )
                )
            for number in range(6):
                building = f"{self.rng.randint(1, 30)}栋"
                targets.append(
                    VisitTarget(
                        round=round_,
                        district_id=self.district_id,
                        kind=TargetKind.HOUSEHOLD,
                        label=f"{building}{self.rng.randint(1, 6)}单元{self.rng.randint(1, 18)}0{number + 1}"
                        f" {self.rng.choice(SURNAMES)}家",
                        grid=f"第{self.rng.randint(1, 6)}网格",
                        building=building,
                        cadre=self.cadres[number % len(self.cadres)],
                    )
                )
        VisitTarget.objects.bulk_create(targets)
        self.count += 2 + len(targets)
        self.round_targets = {
            previous.pk: [target for target in targets if target.round_id == previous.pk],
            current.pk: [target for target in targets if target.round_id == current.pk],
        }
        Research.objects.create(
            **self.base(),
            kind=ResearchKind.PERIODIC,
            round=previous,
            title=f"{previous.title}调研报告",
            conducted_from=last_start,
            conducted_to=last_end,
            methods=["visits", "forum"],
            researchers="、".join(person.display_name for person in self.cadres),
            people_reached=len(self.round_targets[previous.pk]),
            first_hand="走访中居民反映较多的是老旧楼栋加装电梯、楼道照明和老年助餐问题；在职党员反映活动时间安排不便。",
            conclusion="一是协调物业限期修复楼道照明；二是申报老年助餐点；三是在职党员活动改到周末。",
            by=secretary,
        )
        self.count += 1
        return previous, current

    def visits(self, previous: ResearchRound, current: ResearchRound) -> list[Visit]:
        rows: list[Visit] = []
        rate = {previous.pk: 0.85, current.pk: 0.45}
        # A community where one cadre has drifted from the masses: few visits this quarter.
        drifting = self.index % 4 == 3
        for round_ in (previous, current):
            last = min(round_.period_end, self.today)
            span = (last - round_.period_start).days
            for target in self.round_targets[round_.pk]:
                if drifting and target.cadre_id == self.cadres[-1].pk and round_ is current:
                    continue
                if self.rng.random() > rate[round_.pk]:
                    continue
                rows.append(
                    Visit(
                        **self.base(),
                        round=round_,
                        target=target,
                        visitor=target.cadre,
                        visited_on=round_.period_start + datetime.timedelta(days=self.rng.randint(0, max(span, 0))),
                        method=self.rng.choice(["door", "door", "door", "phone", "talk"]),
                        whom=target.label,
                        member=target.member,
                        topics=self.rng.choice(TOPICS),
                        situation=self.rng.choice(SITUATIONS),
                        by=target.cadre,
                    )
                )
        # Visits outside the rounds (care visits, follow-ups), over the last six months.
        for _ in range(10 + self.index % 5):
            visitor = self.rng.choice(self.cadres)
            rows.append(
                Visit(
                    **self.base(),
                    visitor=visitor,
                    visited_on=self.day(180, 0),
                    method="door",
                    whom=f"{self.rng.randint(1, 30)}栋 {self.rng.choice(SURNAMES)}{self.rng.choice(ADDRESSES)}",
                    topics=self.rng.choice(TOPICS),
                    situation=self.rng.choice(SITUATIONS),
                    by=visitor,
                )
            )
        created = bulk_create_with_history(rows, Visit, batch_size=500)
        self.count += len(created)
        return list(Visit.objects.filter(community=self.community).order_by("visited_on", "pk"))

    # --- Opinions and corrections ---------------------------------------------------------------

    def opinion(self, submitted: datetime.date, source: str, *, new: bool = False, **fields: Any) -> Opinion:
        area, title, content = self.rng.choice(OPINIONS)
        age = (self.today - submitted).days
        cadre = fields.pop("assignee", None) or self.rng.choice(self.cadres)
        values: dict[str, Any] = {
            **self.base(),
            "tracking_code": self.code(),
            "source": source,
            "area": area,
            "title": title,
            "content": content,
            "submitted_at": min(_at(submitted, 9 + self.rng.randint(0, 9)), timezone.now()),
            "answer_due_on": submitted + datetime.timedelta(days=15),
            **fields,
        }
        roll = 1.0 if new else self.rng.random()
        answered = min(self.today, submitted + datetime.timedelta(days=self.rng.randint(2, 18)))
        if (age > 40 and roll < 0.8) or (age > 15 and roll < 0.35):
            accepted = roll < 0.65 and area in ANSWERS
            values.update(
                assignee=cadre,
                assigned_at=_at(submitted, 17),
                answered_at=_at(answered, 15),
                answered_by=cadre,
                answer_kind=AnswerKind.ACCEPTED if accepted else AnswerKind.NOT_ACCEPTED,
                answer=ANSWERS.get(area, "感谢您的建议。") if accepted else "经研究，暂不采纳。",
            )
            if accepted:
                promised = answered + datetime.timedelta(days=self.rng.randint(10, 30))
                done = promised - datetime.timedelta(days=self.rng.randint(0, 8))
                values.update(promised_on=promised, progress=Progress.IN_PROGRESS, progress_at=_at(answered, 15))
                if done < self.today and self.rng.random() < 0.8:
                    values.update(
                        status=OpinionStatus.CLOSED,
                        progress=Progress.DONE,
                        progress_note="已按答复落实完毕。",
                        progress_at=_at(done, 16),
                        closed_at=_at(done, 16),
                    )
                else:
                    values.update(status=OpinionStatus.ANSWERED, progress_note="正在协调落实。")
            else:
                values.update(
                    status=OpinionStatus.CLOSED, not_accepted_reason=NOT_ACCEPTED, closed_at=_at(answered, 15)
                )
            if values["status"] == OpinionStatus.CLOSED and self.rng.random() < 0.7:
                values.update(
                    rating=self.rng.choices([5, 4, 3, 2, 1], weights=[40, 35, 15, 7, 3])[0],
                    rated_at=values["closed_at"] + datetime.timedelta(days=1),
                )
        elif not new and (age > 3 or roll < 0.5):
            values.update(status=OpinionStatus.ASSIGNED, assignee=cadre, assigned_at=_at(submitted, 17))
        else:
            values.update(status=OpinionStatus.SUBMITTED)
        return Opinion(**values)

    def opinions(self, visits: list[Visit]) -> list[Opinion]:
        rows = []
        for visit in visits:
            if self.rng.random() < 0.22:
                rows.append(
                    self.opinion(
                        visit.visited_on,
                        OpinionSource.VISIT,
                        visit=visit,
                        submitter_kind=SubmitterKind.MEMBER if visit.member_id else SubmitterKind.RESIDENT,
                        submitter_name=visit.whom[:50],
                        assignee=visit.visitor,
                        created_by=visit.visitor,
                    )
                )
        for number in range(8 + self.index % 4):
            anonymous = number % 3 == 0
            rows.append(
                self.opinion(
                    self.day(170, 0),
                    OpinionSource.ONLINE,
                    submitter_kind=SubmitterKind.ANONYMOUS if anonymous else SubmitterKind.RESIDENT,
                    submitter_name=""
                    if anonymous
                    else f"{self.rng.choice(SURNAMES)}{self.rng.choice(['女士', '先生'])}",
                    contact_phone="" if anonymous else f"139{self.rng.randint(10000000, 99999999)}",
                )
            )
        # One just submitted online, waiting to be assigned.
        rows.append(self.opinion(self.today, OpinionSource.ONLINE, new=True, submitter_kind=SubmitterKind.ANONYMOUS))
        created = bulk_create_with_history(rows, Opinion, batch_size=500)
        self.count += len(created)
        return list(Opinion.objects.filter(community=self.community, answer_kind=AnswerKind.ACCEPTED).order_by("pk"))

    def corrections(self, accepted: list[Opinion], previous: ResearchRound) -> None:
        research = Research.objects.filter(round=previous).first()
        groups = [accepted[:3], accepted[3:5]]
        titles = ["楼道照明和公共设施限期维修机制", "在职党员活动改到周末"]
        for title, group in zip(titles, groups, strict=True):
            if not group:
                continue
            correction = Correction.objects.create(
                **self.base(),
                title=title,
                description="根据走访和居民意见，建立问题清单，明确责任人和完成时限，每月通报一次。",
                corrected_on=min(self.today, max(timezone.localdate(opinion.submitted_at) for opinion in group)),
                research=research if title == titles[0] else None,
                by=self.cadres[0],
            )
            correction.opinions.set(group)
            self.count += 1

    # --- Risks ----------------------------------------------------------------------------------

    def risks(self) -> None:
        secretary, cadre = self.cadres[0], self.cadres[-1]
        everything = self.community.code.endswith("SQ01")
        plans = [
            (
                "major",
                RiskStatus.SOLUTION,
                "老旧小区加装电梯引发邻里矛盾",
                "property",
                "12栋、14栋",
                "低层与高层住户约 60 户",
            ),
            ("major", RiskStatus.RESEARCHING, "拆迁安置补偿分歧", "demolition", "老街片区", "待安置住户 23 户"),
            ("general", RiskStatus.REPORTED, "楼道违规停放电动车充电", "safety", "5栋各单元楼道", "5栋住户"),
            ("general", RiskStatus.RESOLVED, "装修噪音引发邻里纠纷", "neighbourhood", "8栋3单元", "801、901 两户"),
            ("major", RiskStatus.CLOSED, "外卖骑手欠薪聚集", "wages", "商业街站点", "骑手约 30 人"),
        ]
        if not everything:
            plans = [plans[self.index % 5], plans[(self.index + 2) % 5]]
        for level, status, title, category, location, involved in plans:
            reported = self.day(60, 25) if status != RiskStatus.REPORTED else self.day(5, 1)
            risk = Risk(
                **self.base(),
                title=title,
                category=category,
                level=level,
                location=f"{self.community.name}{location}",
                involved=involved,
                involved_count=self.rng.randint(10, 80),
                description=f"{involved}因{title}产生矛盾，情绪较大，存在上访或冲突的可能。",
                reporter="网格员",
                reported_on=reported,
                reported_by=cadre,
                assignee=secretary,
                status=status,
                status_since=reported,
            )
            if status != RiskStatus.REPORTED:
                risk.research_started_on = reported + datetime.timedelta(days=1)
                risk.status_since = risk.research_started_on
            if status == RiskStatus.RESEARCHING:
                # Researched for longer than the state allows: overdue.
                risk.status_since = self.today - datetime.timedelta(days=20)
            if status in (RiskStatus.SOLUTION, RiskStatus.RESOLVED):
                risk.solution = SOLUTION
                risk.solution_on = reported + datetime.timedelta(days=12)
                risk.status_since = risk.solution_on
            if status == RiskStatus.RESOLVED:
                risk.resolution = "双方达成和解协议，签订调解书，回访无反复。"
                risk.resolved_on = reported + datetime.timedelta(days=20)
                risk.status_since = risk.resolved_on
            if status == RiskStatus.CLOSED:
                risk.outcome = "transferred"
                risk.outcome_note = "已移交街道劳动保障监察部门处理，社区配合做好稳控。"
                risk.closed_on = reported + datetime.timedelta(days=6)
                risk.status_since = risk.closed_on
            risk.save()
            self.count += 1
            if status in (RiskStatus.RESEARCHING, RiskStatus.SOLUTION, RiskStatus.RESOLVED, RiskStatus.CLOSED):
                Visit.objects.create(
                    **self.base(),
                    risk=risk,
                    visitor=cadre,
                    visited_on=reported + datetime.timedelta(days=2),
                    whom=involved,
                    topics=f"就“{title}”入户了解情况",
                    situation="当事各方诉求不一，部分居民情绪激动，希望社区出面协调。",
                    by=cadre,
                )
                self.count += 1
            if status in (RiskStatus.SOLUTION, RiskStatus.RESOLVED):
                Research.objects.create(
                    **self.base(),
                    kind=ResearchKind.RISK,
                    risk=risk,
                    title=f"关于“{title}”的调研",
                    conducted_from=reported + datetime.timedelta(days=1),
                    conducted_to=reported + datetime.timedelta(days=8),
                    methods=["visits", "forum", "field"],
                    researchers=f"{secretary.display_name}、{cadre.display_name}",
                    people_reached=self.rng.randint(15, 60),
                    first_hand="逐户走访了解各方诉求，实地察看现场，查阅相关政策文件。",
                    cause="各方利益诉求不同，前期沟通不充分，信息不对称。",
                    crux="补偿（分摊）标准不统一，缺少各方都认可的议事平台。",
                    conclusion="由社区党组织牵头搭建议事平台，邀请街道、物业、居民代表共同协商。",
                    by=secretary,
                )
                Consultation.objects.create(
                    risk=risk,
                    district_id=self.district_id,
                    consulted_on=reported + datetime.timedelta(days=10),
                    method="council",
                    participants="居民代表、楼栋长、物业公司、业委会",
                    participant_count=self.rng.randint(12, 30),
                    opinions="多数居民同意按楼层分摊；低层住户要求保障采光和通行，经协商写入方案。",
                    by=secretary,
                )
                self.count += 2

    # --- Events ---------------------------------------------------------------------------------

    def events(self) -> None:
        everything = self.community.code.endswith("SQ01")
        plans = [
            ("reviewed", "邻里文化节", "festival", -30),
            ("approved", "重阳敬老志愿服务", "volunteer", 7),
            ("submitted", "新春游园会", "festival", 20),
            ("submitted_bare", "健康义诊进社区", "service", 25),
            ("draft", "党史宣讲进楼栋", "lecture", 40),
            ("returned", "社区运动会", "festival", 35),
            ("cancelled", "夏季纳凉晚会", "festival", 15),
        ]
        if not everything:
            plans = [plans[self.index % 7], plans[(self.index + 3) % 7]]
        secretary = self.cadres[0]
        approver = User.objects.filter(username="jiedao").first()
        for state, title, kind, offset in plans:
            planned = self.today + datetime.timedelta(days=offset)
            budget = Decimal(self.rng.choice([1500, 2800, 3600, 5000, 8000]))
            status = "submitted" if state == "submitted_bare" else state
            event = Event(
                **self.base(),
                title=f"{self.community.name}{title}",
                kind=kind,
                purpose="丰富居民文化生活，增进邻里了解，凝聚社区共识。",
                planned_on=planned,
                time_note="上午 9:00—11:30",
                place=f"{self.community.name}党群服务中心广场",
                audience="社区居民、辖区单位职工",
                expected_participants=self.rng.choice([120, 200, 300]),
                staff="社区书记总负责；社区干部 4 人分组负责签到、秩序、后勤；在职党员志愿者 12 人。",
                staff_count=17,
                budget=budget,
                budget_note=f"场地布置 {budget * 4 / 10} 元，物资 {budget * 4 / 10} 元，其他 {budget * 2 / 10} 元。",
                funding_source="党建工作经费",
                materials="帐篷 6 顶、音响 1 套、桌椅 40 套、饮用水、急救箱。",
                status=status,
                created_by=secretary,
            )
            if status in ("submitted", "approved", "reviewed", "returned"):
                event.submitted_at = _at(self.today - datetime.timedelta(days=max(5, -offset + 10)))
            if status in ("approved", "reviewed"):
                event.approved_at = event.submitted_at + datetime.timedelta(days=2)
                event.approved_by = approver
                event.approval_note = "同意。注意安全保障和经费节约。"
            if status == "returned":
                event.returned_at = event.submitted_at + datetime.timedelta(days=1)
                event.return_reason = "经费预算偏高，请压缩物资开支，并补充安全保障方案。"
            if status == "reviewed":
                event.actual_participants = event.expected_participants + self.rng.randint(-40, 60)
                event.actual_spend = (budget * Decimal("0.92")).quantize(Decimal("0.01"))
                event.feedback = "居民普遍满意，希望每年举办；有居民建议增加亲子项目。"
                event.review_summary = "参与人数超出预期，经费结余；下次增加亲子互动环节，提前做好场地分区。"
                event.reviewed_at = _at(planned + datetime.timedelta(days=3))
                event.reviewed_by = secretary
            if status == "cancelled":
                event.cancel_reason = "连续高温预警，为居民安全取消。"
            event.save()
            self.count += 1
            if state not in ("submitted_bare", "draft", "cancelled"):
                Research.objects.create(
                    **self.base(),
                    kind=ResearchKind.EVENT,
                    event=event,
                    title=f"“{event.title}”活动前调研",
                    conducted_from=min(self.today, planned) - datetime.timedelta(days=25),
                    conducted_to=min(self.today, planned) - datetime.timedelta(days=18),
                    methods=["survey", "forum"],
                    researchers=secretary.display_name,
                    people_reached=self.rng.randint(40, 120),
                    residents_want="问卷中七成居民希望有适合老人和孩子一起参加的活动，时间放在周末上午。",
                    purpose="针对新老居民互不熟悉、参与社区事务少的问题，以活动促进邻里交往。",
                    goals="参与居民不少于预计人数的八成；活动后新增志愿者 10 人以上。",
                    by=secretary,
                )
                self.count += 1


def seed_research(*, rng: random.Random, today: datetime.date) -> int:
    """Add the demo records when missing; return how many were created."""
    communities = list(OrgUnit.objects.filter(kind=OrgKind.COMMUNITY, status="active").order_by("path"))
    if not communities or Risk.objects.filter(community__in=communities).exists():
        return 0
    created = 0
    with transaction.atomic():
        for index, community in enumerate(communities):
            cadres = _cadres(community, rng)
            created += CommunityResearch(community, cadres, rng, today, index).run()
    return created
