"""Demo data: oversight. The blind-spot scan of 示范区 as of last month (after the meetings, dues,
letters and mobile members of the other demo modules exist), some cases worked to every outcome
by the demo accounts, and the demo accounts' reminders. Idempotent: the scan runs once for that
month, the cases are worked once, and refreshing reminders twice changes nothing."""

from __future__ import annotations

import datetime
import itertools
import random

from django.db.models import Q

from dangjian.core import scope
from dangjian.core.models import OrgUnit, User
from dangjian.oversight import services
from dangjian.oversight.choices import ActionKind, CaseKind, CaseOutcome, CaseStatus
from dangjian.oversight.models import Case, CaseAction, Reminder, ScanRun
from dangjian.oversight.reminders import refresh_reminders
from dangjian.oversight.scan import last_complete_month, scan_blind_spots

DISTRICT_CODE = "QU01"
COMMUNITY_CODE = "JD01-SQ01"
REMINDER_ACCOUNTS = ("quzzb", "jiedao", "shuji", "ganbu", "zhibu")

CONTACT_NOTES = [
    "电话联系本人，说明了组织生活安排，本人表示近期工作繁忙。",
    "上门走访，家属介绍本人在外务工，已留下联系方式。",
    "微信联系本人，已发送本月主题党日通知。",
    "与本人谈心谈话，了解到身体不好、行动不便。",
]
OUTCOME_NOTES = {
    CaseOutcome.CONTACTED: "已联系上本人并谈话，本人说明了情况，支部将持续跟进。",
    CaseOutcome.RESUMED: "本人已参加本月主题党日，恢复正常组织生活。",
    CaseOutcome.JUSTIFIED: "本人长期住院治疗，确有正当理由，支部安排送学上门。",
    CaseOutcome.REMOVAL_PROPOSED: "经多次教育仍无转变，提请支部党员大会按自行脱党处理。",
    CaseOutcome.RESOLVED_ELSEWHERE: "已重新开具介绍信并到接收单位报到。",
}


def _acting(username: str) -> User | None:
    """A demo account, acting through its widest grant."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        scope.set_active_grant(user, None)
    return user


def _work_cases(rng: random.Random) -> int:
    """Assign, note and close some of 翠湖社区's cases (and a few elsewhere), with every outcome."""
    secretary = _acting("shuji")
    cadre = User.objects.filter(username="ganbu").first()
    organizer = _acting("quzzb")
    if secretary is None or cadre is None or organizer is None:
        return 0
    community = OrgUnit.objects.filter(code=COMMUNITY_CODE).first()
    district = OrgUnit.objects.filter(code=DISTRICT_CODE).first()
    if community is None or district is None:
        return 0
    worked = 0
    open_here = (
        Case.objects.filter(branch__path__startswith=community.path, status=CaseStatus.OPEN)
        .exclude(kind=CaseKind.NOMINAL)
        .select_related("member", "branch")
        .order_by("kind", "pk")
    )
    here = _mixed(list(open_here), rng)
    outcomes = list(CaseOutcome)
    # The outcomes a six-month case closes with; letters and contacts have their own.
    rotation = itertools.cycle(
        [CaseOutcome.RESUMED, CaseOutcome.CONTACTED, CaseOutcome.JUSTIFIED, CaseOutcome.REMOVAL_PROPOSED]
    )
    for index, case in enumerate(here[:24]):
        if index % 3 == 0:
            case = services.case_assign(case=case, assignee=cadre, by=secretary, note="请于两周内联系本人。")
            worked += 1
        if index % 2 == 0:
            services.case_add_note(
                case=case, kind=ActionKind.CONTACT, note=CONTACT_NOTES[index % len(CONTACT_NOTES)], by=secretary
            )
            worked += 1
        if index < 10:
            if case.kind == CaseKind.POCKET:
                outcome = CaseOutcome.RESOLVED_ELSEWHERE
            elif case.kind == CaseKind.LOST_CONTACT:
                outcome = CaseOutcome.CONTACTED
            else:
                outcome = next(rotation)
            services.case_close(case=case, outcome=outcome, note=OUTCOME_NOTES[outcome], by=secretary)
            worked += 1
    # A few closed elsewhere in the district, so every community's chart is not the same.
    elsewhere = list(
        Case.objects.filter(branch__path__startswith=district.path, status=CaseStatus.OPEN)
        .exclude(branch__path__startswith=community.path)
        .exclude(kind=CaseKind.NOMINAL)
        .order_by("pk")
    )
    for index, case in enumerate(rng.sample(elsewhere, min(12, len(elsewhere)))):
        outcome = outcomes[index % len(outcomes)]
        services.case_add_note(
            case=case, kind=ActionKind.VISIT, note=CONTACT_NOTES[index % len(CONTACT_NOTES)], by=organizer
        )
        services.case_close(case=case, outcome=outcome, note=OUTCOME_NOTES[outcome], by=organizer)
        worked += 2
    return worked


def _mixed(cases: list[Case], rng: random.Random) -> list[Case]:
    """The cases taken a kind at a time in turn, so that every kind gets worked."""
    by_kind: dict[str, list[Case]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    for group in by_kind.values():
        rng.shuffle(group)
    mixed = []
    while any(by_kind.values()):
        for group in by_kind.values():
            if group:
                mixed.append(group.pop())
    return mixed


def seed_oversight(*, rng: random.Random, today: datetime.date) -> int:
    """Add the demo records when missing; return how many were created."""
    district = OrgUnit.objects.filter(code=DISTRICT_CODE).first()
    if district is None:
        return 0
    created = 0
    as_of = last_complete_month(today)
    if not ScanRun.objects.filter(org_unit=district, as_of=as_of, finished_at__isnull=False).exists():
        for run in scan_blind_spots(unit=district, as_of=as_of, today=today):
            created += run.opened_total
    worked_before = CaseAction.objects.filter(case__district=district).filter(
        Q(kind__in=(ActionKind.ASSIGN, ActionKind.CLOSE)) & Q(by__isnull=False)
    )
    if not worked_before.exists():
        created += _work_cases(rng)
    before = Reminder.objects.count()
    for user in User.objects.filter(username__in=REMINDER_ACCOUNTS).order_by("pk"):
        refresh_reminders(user=user, today=today)
    created += Reminder.objects.count() - before
    return created
