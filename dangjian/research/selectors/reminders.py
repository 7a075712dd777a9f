"""What falls due in research, for the reminder centre: open risks past their state's limit (and
every open major risk), rounds of visits ending soon with members or households not yet visited,
and opinions overdue. Each list is read in one query, whatever its length."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.urls import reverse

from dangjian.core import scope
from dangjian.core.choices import Role
from dangjian.core.models import User

from ..choices import OPEN_RISK_STATUSES, RiskLevel
from ..models import Opinion, ResearchRound, Risk, Visit, VisitTarget, risk_state_days
from .opinions import overdue_opinions_q
from .risks import overdue_risks_q


@dataclass(frozen=True)
class ReminderItem:
    kind: str  # "risk_open", "round_due", "opinion_overdue"
    key: str
    title: str
    url: str
    due_on: datetime.date | None


def round_due_days() -> int:
    """How many days before a round ends its unvisited targets are reminded (setting
    DANGJIAN_ROUND_DUE_DAYS)."""
    return int(getattr(settings, "DANGJIAN_ROUND_DUE_DAYS", 14))


def reminder_items(*, user: User, today: datetime.date) -> list[ReminderItem]:
    """The research reminders of the user's active grant. A community cadre is reminded of the
    risks and opinions assigned to them (or to no one) and of their own unvisited targets; the
    secretary and the organizers of everything in their scope."""
    if not scope.can(user, scope.Cap.RESEARCH_VIEW):
        return []
    own_only = scope.active_role(user) == Role.COMMUNITY_CADRE
    items: list[ReminderItem] = []

    limits = risk_state_days()
    risks = scope.restrict(Risk.objects.filter(status__in=OPEN_RISK_STATUSES), user).filter(
        Q(level=RiskLevel.MAJOR) | overdue_risks_q(today, limits)
    )
    if own_only:
        risks = risks.filter(Q(assignee=user) | Q(assignee=None))
    for risk in risks.select_related("community").order_by("status_since", "pk"):
        due = risk.due_on(limits)
        late = f"，已超期 {risk.days_overdue(today, limits)} 天" if due and due < today else ""
        items.append(
            ReminderItem(
                kind="risk_open",
                key=f"risk:{risk.pk}:{risk.status}",
                title=f"{risk.community.name}{risk.get_level_display()}维稳隐患“{risk.title}”{risk.get_status_display()}{late}",
                url=reverse("research:risk_detail", args=[risk.pk]),
                due_on=due,
            )
        )

    horizon = today + datetime.timedelta(days=round_due_days())
    todo = VisitTarget.objects.filter(round=OuterRef("pk")).exclude(Exists(Visit.objects.filter(target=OuterRef("pk"))))
    if own_only:
        todo = todo.filter(cadre=user)
    rounds = (
        scope.restrict(
            ResearchRound.objects.filter(closed_on=None, period_start__lte=today, period_end__lte=horizon), user
        )
        .filter(Exists(todo))
        .annotate(
            todo_count=Subquery(
                todo.order_by().values("round").annotate(n=Count("pk")).values("n"), output_field=IntegerField()
            )
        )
        .select_related("community")
        .order_by("period_end", "pk")
    )
    for round in rounds:
        state = (
            "已过结束日期" if round.period_end < today else f"{round.period_end.month}月{round.period_end.day}日结束"
        )
        items.append(
            ReminderItem(
                kind="round_due",
                key=f"round:{round.pk}",
                title=f"{round.community.name}{round.title}{state}，尚有 {round.todo_count} 个走访对象未走访",
                url=reverse("research:round_detail", args=[round.pk]),
                due_on=round.period_end,
            )
        )

    opinions = scope.restrict(Opinion.objects.filter(overdue_opinions_q(today)), user)
    if own_only:
        opinions = opinions.filter(Q(assignee=user) | Q(assignee=None))
    for opinion in opinions.select_related("community").order_by("answer_due_on", "pk"):
        since = opinion.overdue_since(today)
        what = "逾期未答复" if opinion.answered_at is None else "承诺事项逾期未落实"
        items.append(
            ReminderItem(
                kind="opinion_overdue",
                key=f"opinion:{opinion.pk}",
                title=f"{opinion.community.name}意见建议“{opinion.title}”{what}",
                url=reverse("research:opinion_detail", args=[opinion.pk]),
                due_on=since,
            )
        )
    return items
