"""Reminders (提醒): what falls due for each user, for each of their grants.

`refresh_reminders` computes, inside each grant's scope (the grant made active on a private copy
of the user), a handful of aggregated reminders — one per letter about to expire, otherwise one
per kind of matter with a count and a link to the filtered list — and upserts them by
(user, unit, key). A reminder whose condition has gone gets `resolved_at`; one that comes back
is new again. Each user with an e-mail address then gets one digest of the reminders that
appeared since the last mail.

Members and residents get no reminders: their own matters reach them through their branch.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.choices import OrgKind, OrgStatus
from dangjian.core.models import BranchCommittee, Grant, OrgUnit, User
from dangjian.members.choices import ContactResult, DuesMonthStatus, MobileDirection, MobileStatus
from dangjian.members.models import CareRecord, ContactLog, DuesMonth, MobileMember, Transfer

from .choices import CaseKind, CaseStatus, ReminderKind
from .models import Case, Reminder
from .selectors import link

Cap = scope.Cap
# A mobile member should be reached at least this often.
MOBILE_CONTACT_DAYS = 90
# A care visit due within this many days is reminded of.
CARE_VISIT_DAYS = 7
# Arrears of at least this many months are named in the reminder.
LONG_ARREARS_MONTHS = 3


@dataclass(frozen=True)
class Due:
    """A reminder as computed: stable key, what it says, where it links, when it falls due."""

    kind: str
    key: str
    title: str
    url: str = ""
    due_on: datetime.date | None = None


def day_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# --- What falls due, inside the active grant's scope --------------------------------------------


def letters_expiring(user: User, today: datetime.date) -> list[Due]:
    """One reminder per issued letter expiring within DANGJIAN_LETTER_WARNING_DAYS (or past its
    day and not yet marked by the scan)."""
    if not scope.can(user, Cap.MEMBER_VIEW):
        return []
    letters = scope.restrict(
        Transfer.objects.expiring_within(settings.DANGJIAN_LETTER_WARNING_DAYS, today), user
    ).order_by("expires_on", "pk")
    dues = []
    for letter in letters.only("pk", "name", "letter_number", "expires_on", "status", "branch_id"):
        days = (letter.expires_on - today).days
        when = "今天到期" if days == 0 else (f"{days} 天后到期" if days > 0 else f"已过期 {-days} 天")
        dues.append(
            Due(
                ReminderKind.LETTER_EXPIRING,
                f"transfer:{letter.pk}",
                f"{letter.name}的介绍信{letter.letter_number}：{when}（{day_label(letter.expires_on)}），尚未报到",
                link("members:transfer_detail", letter.pk),
                letter.expires_on,
            )
        )
    return dues


def meetings_owed(user: User, today: datetime.date) -> list[Due]:
    """Meetings the branches still owe this period: per meeting for a single branch, otherwise
    one reminder per kind and period counting the branches."""
    if not scope.can(user, Cap.MEETING_VIEW):
        return []
    from dangjian.orglife.choices import MeetingKind
    from dangjian.orglife.selectors import owed_meetings

    branches = scope.restrict(OrgUnit.objects.filter(kind=OrgKind.BRANCH, status=OrgStatus.ACTIVE), user)
    owed = [item for item in owed_meetings(branches=branches, today=today) if item.held < item.required]
    labels = dict(MeetingKind.choices)
    url = link("orglife:compliance")
    if len({item.branch.pk for item in owed}) <= 1:
        return [
            Due(
                ReminderKind.MEETINGS_OWED,
                f"meetings:{item.branch.pk}:{item.kind}:{item.period_label}",
                f"{item.branch.name}{item.period_label}应召开{labels.get(item.kind, item.kind)} {item.required} 次，"
                f"已召开 {item.held} 次",
                url,
                item.period_end,
            )
            for item in owed
        ]
    grouped: dict[tuple[str, str], list] = {}
    for item in owed:
        grouped.setdefault((item.kind, item.period_label), []).append(item)
    return [
        Due(
            ReminderKind.MEETINGS_OWED,
            f"meetings:{kind}:{period}",
            f"{period}：{len(items)} 个党支部的{labels.get(kind, kind)}尚未开足",
            url,
            min(item.period_end for item in items),
        )
        for (kind, period), items in sorted(grouped.items())
    ]


def open_cases(user: User, today: datetime.date) -> list[Due]:
    """Open blind-spot cases, one reminder per kind with the count."""
    if not scope.can(user, Cap.CASE_VIEW):
        return []
    rows = (
        scope.restrict(Case.objects.exclude(status=CaseStatus.CLOSED), user)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    found = {row["kind"]: row["n"] for row in rows}
    return [
        Due(
            ReminderKind.OPEN_CASES,
            f"cases:{kind}",
            f"{label}：{found[kind]} 件待处理" if kind != CaseKind.NOMINAL else f"{label}：{found[kind]} 条待核实",
            link("oversight:case_list", query=f"kind={kind}&status=open"),
        )
        for kind, label in CaseKind.choices
        if found.get(kind)
    ]


def arrears(user: User, today: datetime.date) -> list[Due]:
    """Members with unpaid months before this month: one reminder with the count."""
    if not scope.can(user, Cap.DUES_VIEW):
        return []
    this_month = today.replace(day=1)
    per_member = (
        scope.restrict(DuesMonth.objects.filter(status=DuesMonthStatus.DUE, month__lt=this_month), user)
        .order_by()
        .values("member_id")
        .annotate(months=Count("pk"))
    )
    figures = per_member.aggregate(
        members=Count("member_id"), long=Count("member_id", filter=Q(months__gte=LONG_ARREARS_MONTHS))
    )
    if not figures["members"]:
        return []
    title = f"{figures['members']} 名党员有欠交党费"
    if figures["long"]:
        title += f"，其中 {figures['long']} 名欠交 {LONG_ARREARS_MONTHS} 个月以上"
    url = link("members:dues_arrears")
    return [Due(ReminderKind.ARREARS, "arrears", title, url)]


def pipeline_due(user: User, today: datetime.date) -> list[Due]:
    """Development records that may move on now, and probations ended without confirmation."""
    if not scope.can(user, Cap.MEMBER_VIEW):
        return []
    from dangjian.members.selectors.development import development_due

    lists = development_due(user=user, today=today)
    url = link("members:development_list")
    dues = []
    if lists.due:
        dues.append(
            Due(
                ReminderKind.PIPELINE_DUE,
                "pipeline:due",
                f"发展党员：{len(lists.due)} 人到了办理下一步的时间",
                url,
                min(item.earliest for item in lists.due),
            )
        )
    if lists.overdue:
        dues.append(
            Due(
                ReminderKind.PIPELINE_DUE,
                "pipeline:overdue",
                f"发展党员：{len(lists.overdue)} 名预备党员预备期已满，尚未讨论转正",
                url,
                min(item.earliest for item in lists.overdue),
            )
        )
    return dues


def terms_ending(user: User, today: datetime.date) -> list[Due]:
    """Committee terms ending within DANGJIAN_TERM_WARNING_DAYS (or ended without an election)."""
    if not scope.can(user, Cap.COMMITTEE_VIEW):
        return []
    figures = scope.restrict(
        BranchCommittee.objects.ending_within(settings.DANGJIAN_TERM_WARNING_DAYS, today), user
    ).aggregate(n=Count("pk"), overdue=Count("pk", filter=Q(term_end__lt=today)), first=Min("term_end"))
    if not figures["n"]:
        return []
    title = f"{figures['n']} 个组织的委员会任期将在 {settings.DANGJIAN_TERM_WARNING_DAYS} 天内届满"
    if figures["overdue"]:
        title += f"，其中 {figures['overdue']} 个已届满未换届"
    return [Due(ReminderKind.TERM_ENDING, "terms", title, link("core:committees_ending"), figures["first"])]


def mobile_contact(user: User, today: datetime.date) -> list[Due]:
    """Members away on an outflow, not reached in the last 90 days."""
    if not scope.can(user, Cap.MEMBER_VIEW):
        return []
    since = today - datetime.timedelta(days=MOBILE_CONTACT_DAYS)
    reached = ContactLog.objects.filter(mobile=OuterRef("pk"), result=ContactResult.REACHED, contacted_on__gt=since)
    count = (
        scope.restrict(
            MobileMember.objects.filter(direction=MobileDirection.OUTFLOW, status=MobileStatus.AWAY, since__lte=since),
            user,
        )
        .exclude(Exists(reached))
        .count()
    )
    if not count:
        return []
    return [
        Due(
            ReminderKind.MOBILE_CONTACT,
            "mobile_contact",
            f"{count} 名流动党员 {MOBILE_CONTACT_DAYS} 天内未联系上，请及时联系",
            link("members:mobile_list"),
        )
    ]


def care_visits(user: User, today: datetime.date) -> list[Due]:
    """Care visits due within 7 days (or overdue), by each member's latest care record."""
    if not scope.can(user, Cap.MEMBER_VIEW):
        return []
    later = CareRecord.objects.filter(member=OuterRef("member")).filter(
        Q(cared_on__gt=OuterRef("cared_on")) | Q(cared_on=OuterRef("cared_on"), pk__gt=OuterRef("pk"))
    )
    figures = (
        scope.restrict(
            CareRecord.objects.filter(next_visit_on__lte=today + datetime.timedelta(days=CARE_VISIT_DAYS)), user
        )
        .exclude(Exists(later))
        .aggregate(n=Count("pk"), overdue=Count("pk", filter=Q(next_visit_on__lt=today)), first=Min("next_visit_on"))
    )
    if not figures["n"]:
        return []
    title = f"{figures['n']} 名党员的帮扶回访将在 {CARE_VISIT_DAYS} 天内到期"
    if figures["overdue"]:
        title += f"，其中 {figures['overdue']} 名已逾期"
    return [Due(ReminderKind.CARE_VISIT, "care_visit", title, link("members:care_list"), figures["first"])]


# Research reminders name each risk, round or opinion; past this many of one kind in a grant's
# scope they fold into one reminder with the count, linking to the filtered list.
RESEARCH_FOLD_AT = 5


def research_due(user: User, today: datetime.date) -> list[Due]:
    """Open risks (every major one, and general ones past their state's limit), rounds of visits
    ending with targets not yet visited, and overdue opinions."""
    from dangjian.research.selectors import reminder_items

    grouped: dict[str, list] = {}
    for item in reminder_items(user=user, today=today):
        grouped.setdefault(item.kind, []).append(item)
    folded = {
        ReminderKind.RISK_OPEN: (
            "{n} 件维稳隐患未办结，请跟进调研和化解",
            link("research:risk_list", query="status=open"),
        ),
        ReminderKind.ROUND_DUE: (
            "{n} 轮走访即将结束或已过结束日期，尚有对象未走访",
            link("research:round_list", query="state=open"),
        ),
        ReminderKind.OPINION_OVERDUE: (
            "{n} 条意见建议逾期未答复或未落实",
            link("research:opinion_list", query="status=open&overdue=on"),
        ),
    }
    dues: list[Due] = []
    for kind, (title, url) in folded.items():
        items = grouped.get(kind.value, [])
        if len(items) > RESEARCH_FOLD_AT:
            first = min((item.due_on for item in items if item.due_on), default=None)
            dues.append(Due(kind, f"research:{kind.value}", title.format(n=len(items)), url, first))
        else:
            dues.extend(Due(kind, item.key, item.title, item.url, item.due_on) for item in items)
    return dues


COLLECTORS = (
    letters_expiring,
    meetings_owed,
    open_cases,
    arrears,
    pipeline_due,
    terms_ending,
    mobile_contact,
    care_visits,
    research_due,
)


def due_for_grant(user: User, grant: Grant, today: datetime.date) -> list[Due]:
    """Everything falling due in one grant's scope (the grant is made active on `user`, which
    must be a private copy, not a request's user)."""
    if grant.role in scope.SELF_ROLES:
        return []
    scope.set_active_grant(user, grant.pk)
    dues: list[Due] = []
    for collect in COLLECTORS:
        dues.extend(collect(user, today))
    return dues


# --- Writing them ------------------------------------------------------------------------------


@transaction.atomic
def _refresh_user(person: User, today: datetime.date, now: datetime.datetime) -> int:
    """Upsert one user's reminders; returns how many appeared (new, or back after resolving).
    `person` is a private copy of the user: its active grant changes below."""
    wanted: dict[tuple[int, str], Due] = {}
    for grant in scope.user_grants(person) if person.is_active else []:
        for due in due_for_grant(person, grant, today):
            wanted[(grant.org_unit_id, due.key)] = due
    existing = {(row.org_unit_id, row.key): row for row in Reminder.objects.select_for_update().filter(user=person)}
    appeared = 0
    new = []
    for (unit_id, key), due in wanted.items():
        row = existing.get((unit_id, key))
        if row is None:
            new.append(
                Reminder(
                    user=person,
                    org_unit_id=unit_id,
                    kind=due.kind,
                    key=key,
                    title=due.title[:200],
                    url=due.url[:300],
                    due_on=due.due_on,
                    created_at=now,
                )
            )
            continue
        changed = []
        if row.resolved_at is not None:  # back again: a new reminder
            row.resolved_at = row.read_at = row.emailed_at = None
            row.created_at = now
            changed += ["resolved_at", "read_at", "emailed_at", "created_at"]
            appeared += 1
        for name, value in (
            ("kind", due.kind),
            ("title", due.title[:200]),
            ("url", due.url[:300]),
            ("due_on", due.due_on),
        ):
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed.append(name)
        if changed:
            row.save(update_fields=changed)
    Reminder.objects.bulk_create(new)
    appeared += len(new)
    gone = [row.pk for key, row in existing.items() if key not in wanted and row.resolved_at is None]
    if gone:
        Reminder.objects.filter(pk__in=gone).update(resolved_at=now)
    return appeared


def send_digest(user: User, now: datetime.datetime | None = None) -> int:
    """Mail the user one digest of the reminders that appeared since the last mail; returns how
    many it listed. Users without an e-mail address get none."""
    if not user.email:
        return 0
    now = now or timezone.now()
    pending = list(
        Reminder.objects.filter(user=user, resolved_at__isnull=True, emailed_at__isnull=True)
        .select_related("org_unit")
        .order_by("org_unit__path", "kind", "due_on", "pk")
    )
    if not pending:
        return 0
    unread = [row for row in pending if row.read_at is None]
    if unread:
        lines = [f"{user.display_name}，您好：", "", f"社区党建工作平台有 {len(unread)} 条新提醒：", ""]
        unit = None
        for row in unread:
            if row.org_unit_id != unit:
                unit = row.org_unit_id
                lines.append(f"【{row.org_unit.name}】")
            due = f"（{day_label(row.due_on)}）" if row.due_on else ""
            lines.append(f"  · {ReminderKind(row.kind).label}：{row.title}{due}")
        base = getattr(settings, "DANGJIAN_SITE_URL", "").rstrip("/")
        lines += [
            "",
            f"请登录平台，在提醒中心查看：{base}{link('oversight:reminder_list')}",
            "",
            "（本邮件由系统自动发送）",
        ]
        send_mail(
            f"社区党建工作平台：{len(unread)} 条新提醒",
            "\n".join(lines),
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    Reminder.objects.filter(pk__in=[row.pk for row in pending]).update(emailed_at=now)
    return len(unread)


def _user_ids(user: User | None) -> list[int]:
    if user is not None:
        return [user.pk]
    with_grants = Grant.objects.filter(is_active=True, org_unit__status=OrgStatus.ACTIVE).values("user_id")
    # Users who lost their grants or were deactivated still have reminders to resolve.
    with_reminders = Reminder.objects.filter(resolved_at__isnull=True).values("user_id")
    return list(
        User.objects.filter(Q(is_active=True, pk__in=with_grants) | Q(pk__in=with_reminders))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def refresh_reminders(*, user: User | None = None, today: datetime.date | None = None) -> int:
    """Refresh the reminders of one user (or every user with a grant) and mail each one digest
    of what appeared. Returns how many reminders appeared."""
    today = today or timezone.localdate()
    appeared = 0
    for pk in _user_ids(user):
        person = User.objects.get(pk=pk)  # a private copy, never the caller's (request) user
        now = timezone.now()
        appeared += _refresh_user(person, today, now)
        send_digest(person, now)
    return appeared
