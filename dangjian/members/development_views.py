"""Pages of the development pipeline (发展党员): the list with its stage tabs and what is due or
overdue, an application, a record with its timeline and the step that applies next, each step
as its own POST route, and the rules (read by all who see the pipeline, edited by the district)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import render_page
from dangjian.core.pages import submit_form

from . import development_forms as forms
from .choices import DevelopmentStage, RuleKey
from .models import Development, Rules, load_rules
from .selectors import development as selectors
from .selectors.registry import branch_choices
from .services import development as services

Cap = scope.Cap
PAGE_SIZE = 50
TEMPLATE = "members/development_detail.html"


# --- The list ----------------------------------------------------------------------------------


@scoped_view(cap=Cap.MEMBER_VIEW)
def development_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.DevelopmentFilterForm(
        data=request.GET or None,
        units=scope.units(user).active().exclude(kind="group").order_by("path"),
    )
    filters = form.filters()
    rules = load_rules()
    page = Paginator(selectors.development_list(user=user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for development in page:
        development.next = development.next_step(rules)
    counts = selectors.development_stage_counts(user=user, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    without_stage = query.copy()
    without_stage.pop("stage", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "query_without_stage": without_stage.urlencode(),
        "stage": filters.stage,
        "tabs": [
            ("", "全部", counts[""]),
            *((value, label, counts[value]) for value, label in DevelopmentStage.choices),
        ],
        "due": selectors.development_due(user=user, today=timezone.localdate(), unit=filters.unit, rules=rules),
        "today": timezone.localdate(),
        "can_manage": scope.can(user, Cap.MEMBER_MANAGE),
    }
    return render_page(request, "members/development_list.html", context, partial="results")


@scoped_view(cap=Cap.MEMBER_MANAGE)
def development_create_view(request: HttpRequest) -> HttpResponse:
    form = forms.DevelopmentApplyForm(data=request.POST or None, branches=branch_choices(user=request.user))
    done = submit_form(
        request,
        form,
        lambda data: services.development_apply(by=request.user, **data),
        lambda development: (
            f"已登记入党申请人：{development.name}",
            reverse("members:development_detail", args=[development.pk]),
        ),
    )
    return done or render(request, "members/development_form.html", {"form": form, "title": "登记入党申请"})


# --- A record and its steps --------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A step the record page offers: its form, the service it runs and what it says after."""

    label: str
    stages: tuple[str, ...]
    form: type[forms.StepForm]
    done: str
    button: str = "btn-primary"
    confirm: str = ""


STEPS: dict[str, Step] = {
    "activist": Step(
        "确定为入党积极分子",
        (DevelopmentStage.APPLICANT,),
        forms.ActivistForm,
        "已确定为入党积极分子。",
    ),
    "candidate": Step(
        "确定为发展对象",
        (DevelopmentStage.ACTIVIST,),
        forms.CandidateForm,
        "已确定为发展对象。",
    ),
    "admit": Step(
        "接收为预备党员",
        (DevelopmentStage.CANDIDATE,),
        forms.AdmitForm,
        "已接收为预备党员，预备期开始计算。",
    ),
    "confirm": Step(
        "预备党员转正",
        (DevelopmentStage.PROBATIONARY,),
        forms.ConfirmForm,
        "已转为正式党员，并登记入党员名册。",
        confirm="转正后将登记为正式党员，确定吗？",
    ),
    "extend": Step(
        "延长预备期",
        (DevelopmentStage.PROBATIONARY,),
        forms.ExtendForm,
        "已延长预备期。",
        button="btn-outline-secondary",
    ),
    "stop": Step(
        "终止发展",
        (
            DevelopmentStage.APPLICANT,
            DevelopmentStage.ACTIVIST,
            DevelopmentStage.CANDIDATE,
            DevelopmentStage.PROBATIONARY,
        ),
        forms.StopForm,
        "已终止该发展记录。",
        button="btn-outline-danger",
        confirm="终止后该记录不能再继续发展，确定吗？",
    ),
}


def _step_offered(action: str, development: Development, rules: Rules) -> bool:
    if development.stage not in STEPS[action].stages:
        return False
    if action == "extend":
        return development.extensions < rules[RuleKey.MAX_EXTENSIONS]
    return True


def timeline(development: Development, rules: Rules, today: datetime.date) -> list[dict[str, Any]]:
    """The record's stages in order: done with their dates, the next with its earliest day."""
    stopped = development.stage == DevelopmentStage.STOPPED
    probation_end = development.probation_ends_on(rules)
    entries = [
        ("申请入党", development.applied_on, None, ""),
        ("确定为入党积极分子", development.activist_on, development.applied_on, ""),
        (
            "确定为发展对象",
            development.candidate_on,
            development.candidate_earliest(rules),
            f"培养教育满 {rules[RuleKey.ACTIVIST_MIN_MONTHS]} 个月",
        ),
        ("接收为预备党员", development.admitted_on, development.candidate_on, "支部大会讨论通过"),
    ]
    if development.extensions:
        entries.append(
            (
                "延长预备期",
                development.extended_on,
                None,
                f"延长 {development.extension_months} 个月（第 {development.extensions} 次）",
            )
        )
    probation = f"预备期 {rules[RuleKey.PROBATION_MONTHS]} 个月"
    if development.extension_months:
        probation += f"，延长 {development.extension_months} 个月"
    entries.append(("转为正式党员", development.confirmed_on, probation_end, probation))
    result = []
    next_found = False
    for label, done_on, earliest, note in entries:
        entry = {"label": label, "date": done_on, "earliest": None, "note": note, "state": "done"}
        if done_on is None:
            if stopped or next_found:
                entry["state"] = "future"
            else:
                next_found = True
                entry["state"] = "overdue" if label == "转为正式党员" and earliest and earliest < today else "next"
                entry["earliest"] = earliest
        result.append(entry)
    if stopped:
        result.append(
            {
                "label": "终止发展",
                "date": development.stopped_on,
                "earliest": None,
                "note": development.stop_reason,
                "state": "stopped",
            }
        )
    return result


def _detail(request: HttpRequest, development: Development, bound: dict[str, forms.StepForm] | None = None):
    rules = load_rules()
    today = timezone.localdate()
    can_manage = scope.can(request.user, Cap.MEMBER_MANAGE)
    actions = []
    if can_manage:
        for action, step in STEPS.items():
            if not _step_offered(action, development, rules):
                continue
            form = (bound or {}).get(action) or step.form(action=action, version=development.version)
            actions.append({"action": action, "step": step, "form": form})
    context = {
        "development": development,
        "timeline": timeline(development, rules, today),
        "next": development.next_step(rules),
        "actions": actions,
        "open_action": next(iter(bound)) if bound else "",
        "history": selectors.development_history(user=request.user, development=development),
        "can_manage": can_manage,
        "today": today,
    }
    return render_page(request, TEMPLATE, context, partial="actions")


@scoped_view(cap=Cap.MEMBER_VIEW, model=Development)
def development_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    development = selectors.development_get(user=request.user, pk=pk)
    return _detail(request, development)


def _step_view(action: str):
    step = STEPS[action]

    @scoped_view(cap=Cap.MEMBER_MANAGE, model=Development)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        development = selectors.development_get(user=request.user, pk=pk)  # outside the scope: 404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = step.form(data=request.POST, action=action)
        done = submit_form(
            request,
            form,
            lambda data: services.STEP_SERVICES[action](development, data, request.user),
            lambda saved: (f"{saved.name}：{step.done}", reverse("members:development_detail", args=[saved.pk])),
        )
        return done or _detail(request, development, bound={action: form})

    view.__name__ = view.__qualname__ = f"development_{action}_view"
    return view


development_activist_view = _step_view("activist")
development_candidate_view = _step_view("candidate")
development_admit_view = _step_view("admit")
development_extend_view = _step_view("extend")
development_confirm_view = _step_view("confirm")
development_stop_view = _step_view("stop")


# --- The rules ---------------------------------------------------------------------------------


@scoped_view(cap=Cap.MEMBER_VIEW)
def development_rules_view(request: HttpRequest) -> HttpResponse:
    context = {
        "rules": selectors.development_rules(),
        "can_edit": scope.can(request.user, Cap.RULES_MANAGE),
    }
    return render(request, "members/development_rules.html", context)


@scoped_view(cap=Cap.RULES_MANAGE)
def development_rules_edit_view(request: HttpRequest) -> HttpResponse:
    form = forms.DevelopmentRulesForm(data=request.POST or None, rules=selectors.development_rules())
    done = submit_form(
        request,
        form,
        lambda data: services.development_rules_update(
            values=form.values(), expected_versions=form.versions(), by=request.user
        ),
        lambda changed: (
            f"已修改 {len(changed)} 项发展党员规则，此后的审核按新规则执行。" if changed else "规则没有变化。",
            reverse("members:development_rules"),
        ),
    )
    return done or render(request, "members/development_rules_form.html", {"form": form})
