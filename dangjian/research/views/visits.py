"""Pages of periodic research: research records, rounds of visits with their targets and
coverage, and visit records."""

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

from ..choices import ResearchKind
from ..forms import risks as risk_forms
from ..forms import visits as forms
from ..forms.filters import ResearchFilterForm, RoundFilterForm, VisitFilterForm
from ..models import Research, ResearchRound, Visit
from ..selectors import visits as selectors
from ..selectors.common import record_history
from ..services import research as research_services
from ..services import visits as services
from .common import Cap, list_queries, paginate

# --- Research records --------------------------------------------------------------------------


@scoped_view(cap=Cap.RESEARCH_VIEW)
def research_list_view(request: HttpRequest) -> HttpResponse:
    form = ResearchFilterForm(data=request.GET or None, user=request.user)
    context = {
        "form": form,
        "page": paginate(request, selectors.research_list(user=request.user, filters=form.filters())),
        "can_manage": scope.can(request.user, Cap.RESEARCH_MANAGE),
        **list_queries(request),
    }
    return render_page(request, "research/research_list.html", context, partial="results")


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def research_create_view(request: HttpRequest) -> HttpResponse:
    """A periodic research (the risk's and the event's are recorded from their pages)."""
    round = None
    if request.GET.get("round"):
        round = selectors.round_get(user=request.user, pk=request.GET["round"])
    form = risk_forms.ResearchForm(
        data=request.POST or None,
        user=request.user,
        community=round.community if round else None,
        kind=ResearchKind.PERIODIC,
        rounds=selectors.open_rounds(user=request.user, community=round.community if round else None),
        initial={"round": round.pk, "title": f"{round.title}调研报告"} if round else None,
    )
    done = submit_form(
        request,
        form,
        lambda data: research_services.research_record(
            by=request.user, community=form.community_value(), kind=ResearchKind.PERIODIC, **form.values()
        ),
        lambda research: (f"已记录调研：{research.title}", reverse("research:research_detail", args=[research.pk])),
    )
    context = {
        "form": form,
        "title": "记录定期调研",
        "back_url": reverse("research:round_detail", args=[round.pk]) if round else reverse("research:research_list"),
        "intro": "广泛走访党员和群众、听取意见和建议，找到工作中的问题和不足。",
    }
    return done or render(request, "research/form.html", context)


@scoped_view(cap=Cap.RESEARCH_VIEW, model=Research)
def research_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    research = selectors.research_get(user=request.user, pk=pk)
    context = {
        "research": research,
        "corrections": list(research.corrections.all()),
        "history": record_history(record=research),
        "can_manage": scope.can(request.user, Cap.RESEARCH_MANAGE),
    }
    return render(request, "research/research_detail.html", context)


# --- Rounds ------------------------------------------------------------------------------------


@scoped_view(cap=Cap.RESEARCH_VIEW)
def round_list_view(request: HttpRequest) -> HttpResponse:
    form = RoundFilterForm(data=request.GET or None, user=request.user)
    context = {
        "form": form,
        "page": paginate(request, selectors.round_list(user=request.user, filters=form.filters())),
        "coverage": selectors.coverage_by_community(user=request.user, today=timezone.localdate()),
        "can_manage": scope.can(request.user, Cap.RESEARCH_MANAGE),
        **list_queries(request),
    }
    return render_page(request, "research/round_list.html", context, partial="results")


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def round_create_view(request: HttpRequest) -> HttpResponse:
    form = forms.RoundForm(data=request.POST or None, user=request.user)
    done = submit_form(
        request,
        form,
        lambda data: services.round_create(
            by=request.user,
            community=form.community_value(),
            title=data["title"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            notes=data["notes"],
        ),
        lambda round: (
            f"已安排{round.title}：请按网格或楼栋分派走访对象。",
            reverse("research:round_detail", args=[round.pk]),
        ),
    )
    context = {
        "form": form,
        "title": "安排走访轮次",
        "back_url": reverse("research:round_list"),
        "intro": "定期调研一般每季度一轮：广泛走访党员和群众，听取意见和建议。",
    }
    return done or render(request, "research/form.html", context)


def _round_page(request: HttpRequest, round: ResearchRound, assign_form: Any = None) -> HttpResponse:
    user = request.user
    cadre_id = request.GET.get("cadre", "")
    filters = selectors.TargetFilters(
        state=request.GET.get("state", ""), cadre_id=int(cadre_id) if cadre_id.isdigit() else None
    )
    coverage = selectors.round_coverage_by_cadre(round=round)
    can_manage = scope.can(user, Cap.RESEARCH_MANAGE)
    if can_manage and round.is_open and assign_form is None:
        assign_form = forms.AssignForm(user=user, community=round.community)
    context = {
        "round": round,
        "coverage": coverage,
        "targets": paginate(request, selectors.round_targets(round=round, filters=filters)),
        "state": filters.state,
        "cadre_id": cadre_id,
        "assign_form": assign_form if can_manage and round.is_open else None,
        "can_manage": can_manage,
        "researches": list(round.researches.order_by("-conducted_to")[:10]),
        "today": timezone.localdate(),
        **list_queries(request, tab_key="state"),
    }
    return render_page(request, "research/round_detail.html", context, partial="targets")


@scoped_view(cap=Cap.RESEARCH_VIEW, model=ResearchRound)
def round_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_page(request, selectors.round_get(user=request.user, pk=pk))


@scoped_view(cap=Cap.RESEARCH_MANAGE, model=ResearchRound)
def round_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    round = selectors.round_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.AssignForm(data=request.POST, user=request.user, community=round.community)
    done = submit_form(
        request,
        form,
        lambda data: services.round_assign(
            round=round,
            by=request.user,
            cadre=data["cadre"],
            grid=data["grid"],
            building=data["building"],
            include_members=data["include_members"],
            households=form.household_lines(),
        ),
        lambda count: (f"已分派 {count} 个走访对象。", reverse("research:round_detail", args=[round.pk])),
    )
    return done or _round_page(request, round, assign_form=form)


@scoped_view(cap=Cap.RESEARCH_MANAGE, model=ResearchRound)
def round_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    round = selectors.round_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = risk_forms.VersionForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.round_close(round=round, by=request.user),
        lambda saved: (f"{saved.title}已结束，走访覆盖情况已定。", reverse("research:round_detail", args=[saved.pk])),
    )
    if done:
        return done
    for error in form.non_field_errors():
        messages.error(request, error)
    return _round_page(request, round)


# --- Visits ------------------------------------------------------------------------------------


@scoped_view(cap=Cap.RESEARCH_VIEW)
def visit_list_view(request: HttpRequest) -> HttpResponse:
    form = VisitFilterForm(data=request.GET or None, user=request.user)
    context = {
        "form": form,
        "page": paginate(request, selectors.visit_list(user=request.user, filters=form.filters())),
        "can_manage": scope.can(request.user, Cap.RESEARCH_MANAGE),
        **list_queries(request),
    }
    return render_page(request, "research/visit_list.html", context, partial="results")


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def visit_create_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = round = None
    if request.GET.get("target"):
        target = selectors.target_get(user=user, pk=request.GET["target"])
        round = target.round
    elif request.GET.get("round"):
        round = selectors.round_get(user=user, pk=request.GET["round"])
    community = round.community if round else None
    form = forms.VisitForm(
        data=request.POST or None,
        user=user,
        community=community,
        rounds=None if target else selectors.open_rounds(user=user, community=community),
        fixed_whom=target.label if target else "",
        initial={"round": round.pk} if round and not target else None,
    )
    if target is not None and not form.is_bound:
        form.fields["visitor"].initial = target.cadre_id

    def run(data: dict[str, Any]) -> Visit:
        values = form.values()
        return services.visit_record(by=user, community=form.community_value(), target=target, **values)

    done = submit_form(
        request,
        form,
        run,
        lambda visit: (
            f"已登记走访：{visit.whom}"
            + (f"，收集意见建议 {visit.opinions.count()} 条" if visit.opinions.exists() else ""),
            reverse("research:round_detail", args=[visit.round_id])
            if target
            else reverse("research:visit_detail", args=[visit.pk]),
        ),
    )
    context = {
        "form": form,
        "title": f"登记走访：{target.label}" if target else "登记走访",
        "back_url": reverse("research:round_detail", args=[round.pk]) if round else reverse("research:visit_list"),
        "intro": "走访中居民和党员提出的意见建议，每行一条，会自动登记并进入办理。",
    }
    return done or render(request, "research/form.html", context)


@scoped_view(cap=Cap.RESEARCH_VIEW, model=Visit)
def visit_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    context = {"visit": visit, "opinions": list(visit.opinions.all()), "history": record_history(record=visit)}
    return render(request, "research/visit_detail.html", context)
