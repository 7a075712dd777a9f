"""Pages of the risk register (维稳隐患): the list with its status tabs and overdue warnings, a
report, a risk with its research checklist, and each step as its own route."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import render_page
from dangjian.core.pages import submit_form

from ..choices import OPEN_RISK_STATUSES, ResearchKind, RiskLevel, RiskStatus
from ..forms import risks as forms
from ..forms.filters import RiskFilterForm
from ..forms.visits import VisitForm
from ..models import Risk, risk_state_days
from ..selectors import risks as selectors
from ..selectors.common import record_history
from ..services import research as research_services
from ..services import risks as services
from ..services import visits as visit_services
from .common import Cap, list_queries, paginate, step_view, tabs

TEMPLATE = "research/risk_detail.html"


@scoped_view(cap=Cap.RESEARCH_VIEW)
def risk_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = RiskFilterForm(data=request.GET or None, user=user)
    filters = form.filters()
    limits = risk_state_days()
    page = paginate(request, selectors.risk_list(user=user, today=today, filters=filters))
    for risk in page:
        risk.overdue = risk.days_overdue(today, limits)
        risk.due = risk.due_on(limits)
    counts = selectors.risk_status_counts(user=user, today=today, filters=filters)
    context = {
        "form": form,
        "page": page,
        "status": filters.status,
        "tabs": tabs(counts, [("", "全部"), ("open", "未办结"), *RiskStatus.choices]),
        "limits": [(RiskStatus(state).label, days) for state, days in limits.items()],
        "can_manage": scope.can(user, Cap.RESEARCH_MANAGE),
        "today": today,
        **list_queries(request),
    }
    return render_page(request, "research/risk_list.html", context, partial="results")


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def risk_create_view(request: HttpRequest) -> HttpResponse:
    form = forms.RiskForm(data=request.POST or None, user=request.user)
    done = submit_form(
        request,
        form,
        lambda data: services.risk_report(by=request.user, community=form.community_value(), **form.values()),
        lambda risk: (f"已登记维稳隐患：{risk.title}", reverse("research:risk_detail", args=[risk.pk])),
    )
    return done or render(request, "research/form.html", _form_context(form, "登记维稳隐患", back="research:risk_list"))


@scoped_view(cap=Cap.RESEARCH_MANAGE, model=Risk)
def risk_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    risk = selectors.risk_get(user=request.user, pk=pk)
    initial = {name: getattr(risk, name) for name in services.EDITABLE}
    initial["version"] = risk.version
    form = forms.RiskForm(data=request.POST or None, user=request.user, community=risk.community, initial=initial)
    done = submit_form(
        request,
        form,
        lambda data: services.risk_update(
            risk=risk,
            by=request.user,
            expected_version=data.get("version"),
            **{name: value for name, value in form.values().items() if name in services.EDITABLE},
        ),
        lambda saved: (f"已修改：{saved.title}", reverse("research:risk_detail", args=[saved.pk])),
    )
    context = _form_context(
        form, f"修改维稳隐患：{risk.title}", back_url=reverse("research:risk_detail", args=[risk.pk])
    )
    return done or render(request, "research/form.html", context)


def _form_context(form: Any, title: str, *, back: str = "", back_url: str = "", intro: str = "") -> dict[str, Any]:
    return {"form": form, "title": title, "back_url": back_url or reverse(back), "intro": intro}


# --- A risk and its steps ----------------------------------------------------------------------


def _risk_page(request: HttpRequest, risk: Risk, bound: dict[str, Any] | None = None) -> HttpResponse:
    bound = bound or {}
    today = timezone.localdate()
    limits = risk_state_days()
    records = selectors.risk_records(risk=risk)
    can_manage = scope.can(request.user, Cap.RESEARCH_MANAGE)
    status = risk.status
    actions = []
    if can_manage and risk.is_open:
        version = risk.version
        if status in (RiskStatus.REPORTED, RiskStatus.RESEARCHING):
            actions.append(("solution", "拟定解决方案", bound.get("solution") or forms.SolutionForm(version=version)))
        if status == RiskStatus.SOLUTION:
            actions.append(("resolve", "登记化解", bound.get("resolve") or forms.ResolveForm(version=version)))
        actions.append(("consult", "记录群众协商", bound.get("consult") or forms.ConsultationForm(version=version)))
        actions.append(("close", "关闭隐患", bound.get("close") or forms.RiskCloseForm(version=version)))
    checklist = []
    if risk.level == RiskLevel.MAJOR:
        checklist = [
            ("深入群众走访，掌握第一手资料", len(records["visits"])),
            ("调研找出问题的起因和症结", len(records["researches"])),
            ("依靠群众协商，征求居民意见", len(records["consultations"])),
        ]
    context = {
        "risk": risk,
        **records,
        "checklist": checklist,
        "ready": all(count for _, count in checklist),
        "actions": actions,
        "open_action": next(iter(bound), ""),
        "can_manage": can_manage,
        "can_research": can_manage and status in OPEN_RISK_STATUSES,
        "overdue": risk.days_overdue(today, limits),
        "due": risk.due_on(limits),
        "history": record_history(record=risk),
        "today": today,
    }
    return render_page(request, TEMPLATE, context, partial="actions")


@scoped_view(cap=Cap.RESEARCH_VIEW, model=Risk)
def risk_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _risk_page(request, selectors.risk_get(user=request.user, pk=pk))


@scoped_view(cap=Cap.RESEARCH_MANAGE, model=Risk)
def risk_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    risk = selectors.risk_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.VersionForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.risk_start_research(risk=risk, by=request.user, expected_version=data.get("version")),
        lambda saved: (
            "已开始调研：请深入群众走访，记录调研和群众协商情况。",
            reverse("research:risk_detail", args=[saved.pk]),
        ),
    )
    if done:
        return done
    for error in form.non_field_errors():
        messages.error(request, error)
    return _risk_page(request, risk)


@scoped_view(cap=Cap.RESEARCH_MANAGE, model=Risk)
def risk_research_view(request: HttpRequest, pk: int) -> HttpResponse:
    risk = selectors.risk_get(user=request.user, pk=pk)
    form = forms.ResearchForm(
        data=request.POST or None,
        user=request.user,
        community=risk.community,
        kind=ResearchKind.RISK,
        initial={"title": f"关于“{risk.title}”的调研"},
    )
    done = submit_form(
        request,
        form,
        lambda data: research_services.research_record(
            by=request.user, community=risk.community, kind=ResearchKind.RISK, risk=risk, **form.values()
        ),
        lambda research: ("已记录调研。", reverse("research:risk_detail", args=[risk.pk])),
    )
    context = _form_context(
        form,
        f"记录调研：{risk.title}",
        back_url=reverse("research:risk_detail", args=[risk.pk]),
        intro="深入到基层和群众中去，掌握第一手资料，找出问题的起因和症结。",
    )
    return done or render(request, "research/form.html", context)


@scoped_view(cap=Cap.RESEARCH_MANAGE, model=Risk)
def risk_visit_view(request: HttpRequest, pk: int) -> HttpResponse:
    risk = selectors.risk_get(user=request.user, pk=pk)
    form = VisitForm(data=request.POST or None, user=request.user, community=risk.community)
    done = submit_form(
        request,
        form,
        lambda data: visit_services.visit_record(by=request.user, community=risk.community, risk=risk, **form.values()),
        lambda visit: (f"已登记走访：{visit.whom}", reverse("research:risk_detail", args=[risk.pk])),
    )
    context = _form_context(
        form,
        f"登记调研走访：{risk.title}",
        back_url=reverse("research:risk_detail", args=[risk.pk]),
        intro="走访涉及的居民和单位，了解第一手情况。",
    )
    return done or render(request, "research/form.html", context)


def _again(request: HttpRequest, risk: Risk, bound: dict[str, Any]) -> HttpResponse:
    return _risk_page(request, risk, bound)


def _done(message: str):
    return lambda risk: (f"{risk.title}：{message}", reverse("research:risk_detail", args=[risk.pk]))


risk_consult_view = step_view(
    name="consult",
    cap=Cap.RESEARCH_MANAGE,
    model=Risk,
    get=selectors.risk_get,
    form=lambda data, record, user: forms.ConsultationForm(data=data),
    run=lambda risk, data, by: (
        services.consultation_add(
            risk=risk,
            by=by,
            consulted_on=data["consulted_on"],
            method=data["method"],
            participants=data["participants"],
            participant_count=data["participant_count"],
            opinions=data["opinions"],
        ).risk
    ),
    done=_done("已记录群众协商。"),
    again=_again,
)

risk_solution_view = step_view(
    name="solution",
    cap=Cap.RESEARCH_MANAGE,
    model=Risk,
    get=selectors.risk_get,
    form=lambda data, record, user: forms.SolutionForm(data=data),
    run=lambda risk, data, by: services.risk_propose_solution(
        risk=risk,
        by=by,
        solution=data["solution"],
        solution_on=data["solution_on"],
        expected_version=data.get("version"),
    ),
    done=_done("已拟定解决方案。"),
    again=_again,
)

risk_resolve_view = step_view(
    name="resolve",
    cap=Cap.RESEARCH_MANAGE,
    model=Risk,
    get=selectors.risk_get,
    form=lambda data, record, user: forms.ResolveForm(data=data),
    run=lambda risk, data, by: services.risk_resolve(
        risk=risk,
        by=by,
        resolution=data["resolution"],
        resolved_on=data["resolved_on"],
        expected_version=data.get("version"),
    ),
    done=_done("已化解。"),
    again=_again,
)

risk_close_view = step_view(
    name="close",
    cap=Cap.RESEARCH_MANAGE,
    model=Risk,
    get=selectors.risk_get,
    form=lambda data, record, user: forms.RiskCloseForm(data=data),
    run=lambda risk, data, by: services.risk_close(
        risk=risk,
        by=by,
        outcome=data["outcome"],
        note=data["note"],
        closed_on=data["closed_on"],
        expected_version=data.get("version"),
    ),
    done=_done("已关闭。"),
    again=_again,
)
