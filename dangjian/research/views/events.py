"""Pages of large events (大型活动): the list, the plan, the pre-event research, submission, the
sub-district's approval or return, the review after the event, cancelling."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import render_page
from dangjian.core.pages import submit_form

from ..choices import EventStatus, ResearchKind
from ..forms import risks as forms
from ..forms.filters import EventFilterForm
from ..models import Event
from ..selectors import risks as selectors
from ..selectors.common import record_history
from ..services import events as services
from ..services import research as research_services
from ..services.research import EVENT_RESEARCH_STATUSES
from .common import Cap, list_queries, paginate, step_view, tabs

TEMPLATE = "research/event_detail.html"


@scoped_view(cap=Cap.RESEARCH_VIEW)
def event_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = EventFilterForm(data=request.GET or None, user=user)
    filters = form.filters()
    counts = selectors.event_status_counts(user=user, filters=filters)
    context = {
        "form": form,
        "page": paginate(request, selectors.event_list(user=user, filters=filters)),
        "status": filters.status,
        "tabs": tabs(counts, [("", "全部"), *EventStatus.choices]),
        "can_manage": scope.can(user, Cap.RESEARCH_MANAGE),
        "can_approve": scope.can(user, Cap.EVENT_APPROVE),
        "today": timezone.localdate(),
        **list_queries(request),
    }
    return render_page(request, "research/event_list.html", context, partial="results")


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def event_create_view(request: HttpRequest) -> HttpResponse:
    form = forms.EventForm(data=request.POST or None, user=request.user)
    done = submit_form(
        request,
        form,
        lambda data: services.event_create(by=request.user, community=form.community_value(), **form.values()),
        lambda event: (
            f"已制定活动方案：{event.title}。请先开展活动前调研，再提请街道审批。",
            reverse("research:event_detail", args=[event.pk]),
        ),
    )
    context = {
        "form": form,
        "title": "制定大型活动方案",
        "back_url": reverse("research:event_list"),
        "intro": "方案要写明人、财、物：人员安排、经费预算和物资准备。街道审批前，须有活动前调研记录。",
    }
    return done or render(request, "research/form.html", context)


@scoped_view(cap=Cap.RESEARCH_MANAGE, model=Event)
def event_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(user=request.user, pk=pk)
    initial = {name: getattr(event, name) for name in services.PLAN_FIELDS}
    initial["version"] = event.version
    form = forms.EventForm(data=request.POST or None, user=request.user, community=event.community, initial=initial)
    done = submit_form(
        request,
        form,
        lambda data: services.event_update(
            event=event, by=request.user, expected_version=data.get("version"), **form.values()
        ),
        lambda saved: (f"已修改活动方案：{saved.title}", reverse("research:event_detail", args=[saved.pk])),
    )
    context = {
        "form": form,
        "title": f"修改活动方案：{event.title}",
        "back_url": reverse("research:event_detail", args=[event.pk]),
    }
    return done or render(request, "research/form.html", context)


@scoped_view(cap=Cap.RESEARCH_MANAGE, model=Event)
def event_research_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(user=request.user, pk=pk)
    form = forms.ResearchForm(
        data=request.POST or None,
        user=request.user,
        community=event.community,
        kind=ResearchKind.EVENT,
        initial={"title": f"“{event.title}”活动前调研"},
    )
    done = submit_form(
        request,
        form,
        lambda data: research_services.research_record(
            by=request.user, community=event.community, kind=ResearchKind.EVENT, event=event, **form.values()
        ),
        lambda research: ("已记录活动前调研。", reverse("research:event_detail", args=[event.pk])),
    )
    context = {
        "form": form,
        "title": f"活动前调研：{event.title}",
        "back_url": reverse("research:event_detail", args=[event.pk]),
        "intro": "在针对性和实效性上下功夫：居民要什么、为什么办这个活动、要达到什么效果。",
    }
    return done or render(request, "research/form.html", context)


def _event_page(request: HttpRequest, event: Event, bound: dict[str, Any] | None = None) -> HttpResponse:
    bound = bound or {}
    user = request.user
    today = timezone.localdate()
    can_manage = scope.can(user, Cap.RESEARCH_MANAGE)
    can_approve = scope.can(user, Cap.EVENT_APPROVE)
    researches = selectors.event_researches(event=event)
    version = event.version
    actions = []
    if can_manage and event.is_editable:
        actions.append(("submit", "提请街道审批", bound.get("submit") or forms.EventSubmitForm(version=version)))
    if can_approve and event.status == EventStatus.SUBMITTED:
        actions.append(("approve", "批准", bound.get("approve") or forms.ApproveForm(version=version)))
        actions.append(("return", "退回修改", bound.get("return") or forms.EventReturnForm(version=version)))
    if can_manage and event.status == EventStatus.APPROVED and event.planned_on <= today:
        actions.append(("review", "活动复盘", bound.get("review") or forms.EventReviewForm(version=version)))
    if can_manage and event.status not in (EventStatus.REVIEWED, EventStatus.CANCELLED):
        actions.append(("cancel", "取消活动", bound.get("cancel") or forms.EventCancelForm(version=version)))
    context = {
        "event": event,
        "researches": researches,
        "actions": actions,
        "open_action": next(iter(bound), ""),
        "can_manage": can_manage,
        "can_research": can_manage and event.status in EVENT_RESEARCH_STATUSES,
        "history": record_history(record=event),
        "today": today,
    }
    return render_page(request, TEMPLATE, context, partial="actions")


@scoped_view(cap=Cap.RESEARCH_VIEW, model=Event)
def event_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _event_page(request, selectors.event_get(user=request.user, pk=pk))


def _done(message: str):
    return lambda event: (f"{event.title}：{message}", reverse("research:event_detail", args=[event.pk]))


event_submit_view = step_view(
    name="submit",
    cap=Cap.RESEARCH_MANAGE,
    model=Event,
    get=selectors.event_get,
    form=lambda data, record, user: forms.EventSubmitForm(data=data),
    run=lambda event, data, by: services.event_submit(event=event, by=by, expected_version=data.get("version")),
    done=_done("已提请街道审批。"),
    again=_event_page,
)

event_approve_view = step_view(
    name="approve",
    cap=Cap.EVENT_APPROVE,
    model=Event,
    get=selectors.event_get,
    form=lambda data, record, user: forms.ApproveForm(data=data),
    run=lambda event, data, by: services.event_approve(
        event=event, by=by, note=data.get("note", ""), expected_version=data.get("version")
    ),
    done=_done("已批准。"),
    again=_event_page,
)

event_return_view = step_view(
    name="return",
    cap=Cap.EVENT_APPROVE,
    model=Event,
    get=selectors.event_get,
    form=lambda data, record, user: forms.EventReturnForm(data=data),
    run=lambda event, data, by: services.event_return(
        event=event, by=by, reason=data["reason"], expected_version=data.get("version")
    ),
    done=_done("已退回社区修改。"),
    again=_event_page,
)

event_review_view = step_view(
    name="review",
    cap=Cap.RESEARCH_MANAGE,
    model=Event,
    get=selectors.event_get,
    form=lambda data, record, user: forms.EventReviewForm(data=data),
    run=lambda event, data, by: services.event_review(
        event=event,
        by=by,
        actual_participants=data["actual_participants"],
        actual_spend=data["actual_spend"],
        feedback=data["feedback"],
        review_summary=data.get("review_summary", ""),
        expected_version=data.get("version"),
    ),
    done=_done("已完成复盘。"),
    again=_event_page,
)

event_cancel_view = step_view(
    name="cancel",
    cap=Cap.RESEARCH_MANAGE,
    model=Event,
    get=selectors.event_get,
    form=lambda data, record, user: forms.EventCancelForm(data=data),
    run=lambda event, data, by: services.event_cancel(
        event=event, by=by, reason=data["reason"], expected_version=data.get("version")
    ),
    done=_done("已取消。"),
    again=_event_page,
)
