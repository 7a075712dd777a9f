"""The research overview (what needs attention, coverage, the public entrances) and the
detachment indicators with their charts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view

from ..forms.filters import IndicatorFilterForm
from ..selectors import reminder_items
from ..selectors.common import community_choices
from ..selectors.indicators import default_period, detachment_indicators
from ..selectors.opinions import OpinionFilters, opinion_status_counts
from ..selectors.risks import EventFilters, RiskFilters, event_status_counts, risk_status_counts
from ..selectors.visits import coverage_by_community
from .common import Cap


@scoped_view(cap=Cap.RESEARCH_VIEW)
def overview_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    indicators = detachment_indicators(user=user, period=default_period(today, months=3), today=today)
    context = {
        "risks": risk_status_counts(user=user, today=today),
        "overdue_risks": risk_status_counts(user=user, today=today, filters=RiskFilters(overdue=True))["open"],
        "events": event_status_counts(user=user, filters=EventFilters()),
        "opinions": opinion_status_counts(user=user, today=today),
        "overdue_opinions": opinion_status_counts(user=user, today=today, filters=OpinionFilters(overdue=True))["open"],
        "coverage": coverage_by_community(user=user, today=today),
        "indicators": indicators,
        "items": reminder_items(user=user, today=today),
        "communities": list(community_choices(user=user)),
        "can_manage": scope.can(user, Cap.RESEARCH_MANAGE),
        "can_approve": scope.can(user, Cap.EVENT_APPROVE),
        "today": today,
    }
    return render(request, "research/overview.html", context)


@scoped_view(cap=Cap.RESEARCH_VIEW)
def indicators_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = IndicatorFilterForm(data=request.GET or None, user=user)
    period = form.period(today)
    community = form.cleaned_data.get("community") if form.is_valid() else None
    indicators = detachment_indicators(user=user, period=period, today=today, community=community)
    context = {
        "form": form,
        "indicators": indicators,
        "charts": indicators.charts(),
        "months": period.months,
    }
    return render(request, "research/indicators.html", context)
