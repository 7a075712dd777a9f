"""Pages of opinions and suggestions (意见建议): the list with its status tabs and overdue
opinions, recording one, an opinion with its assignment, answer and progress, the bulk update
from a file, and the corrections (及时修正) made because of them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.forms import file_size_label
from dangjian.core.htmx import render_page
from dangjian.core.pages import submit_form
from dangjian.members.imports.columns import FileRefused, error_sentence

from .. import imports
from ..choices import AnswerKind, OpinionStatus
from ..forms import opinions as forms
from ..forms.filters import CorrectionFilterForm, OpinionFilterForm
from ..models import Correction, Opinion
from ..selectors import opinions as selectors
from ..selectors.common import cadre_choices, community_choices, record_history
from ..selectors.visits import research_choices, research_get
from ..services import opinions as services
from .common import Cap, list_queries, paginate, step_view, tabs, xlsx_response

TEMPLATE = "research/opinion_detail.html"


@scoped_view(cap=Cap.RESEARCH_VIEW)
def opinion_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = OpinionFilterForm(data=request.GET or None, user=user)
    filters = form.filters()
    page = paginate(request, selectors.opinion_list(user=user, today=today, filters=filters))
    for opinion in page:
        opinion.overdue_on = opinion.overdue_since(today)
    counts = selectors.opinion_status_counts(user=user, today=today, filters=filters)
    context = {
        "form": form,
        "page": page,
        "status": filters.status,
        "tabs": tabs(counts, [("", "全部"), ("open", "未办结"), *OpinionStatus.choices]),
        "can_manage": scope.can(user, Cap.RESEARCH_MANAGE),
        "communities": list(community_choices(user=user)),
        "today": today,
        **list_queries(request),
    }
    return render_page(request, "research/opinion_list.html", context, partial="results")


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def opinion_create_view(request: HttpRequest) -> HttpResponse:
    form = forms.OpinionRegisterForm(data=request.POST or None, user=request.user)
    done = submit_form(
        request,
        form,
        lambda data: services.opinion_register(by=request.user, community=form.community_value(), **form.values()),
        lambda opinion: (
            f"已登记意见建议，查询码 {opinion.tracking_code}（可告知提出人查询办理进展）。",
            reverse("research:opinion_detail", args=[opinion.pk]),
        ),
    )
    context = {
        "form": form,
        "title": "登记意见建议",
        "back_url": reverse("research:opinion_list"),
        "intro": "来电、来信、会议座谈中听到的意见建议在这里登记；走访中收集的请在走访记录中填写。",
    }
    return done or render(request, "research/form.html", context)


def _opinion_page(request: HttpRequest, opinion: Opinion, bound: dict[str, Any] | None = None) -> HttpResponse:
    bound = bound or {}
    user = request.user
    today = timezone.localdate()
    can_manage = scope.can(user, Cap.RESEARCH_MANAGE)
    version = opinion.version
    actions = []
    if can_manage and opinion.status in (OpinionStatus.SUBMITTED, OpinionStatus.ASSIGNED):
        cadres = cadre_choices(user=user, community=opinion.community)
        assign = bound.get("assign") or forms.OpinionAssignForm(
            cadres=cadres, version=version, initial={"assignee": opinion.assignee_id, "area": opinion.area}
        )
        actions.append(("answer", "答复", bound.get("answer") or forms.OpinionAnswerForm(version=version)))
        actions.append(("assign", "分派与分类" if opinion.assignee_id else "分派承办干部", assign))
    if can_manage and opinion.status == OpinionStatus.ANSWERED:
        actions.append(
            ("progress", "更新落实进展", bound.get("progress") or forms.OpinionProgressForm(version=version))
        )
    context = {
        "opinion": opinion,
        "actions": actions,
        "open_action": next(iter(bound), ""),
        "overdue_on": opinion.overdue_since(today),
        "corrections": list(opinion.corrections.all()),
        "history": record_history(record=opinion),
        "can_manage": can_manage,
        "today": today,
    }
    return render_page(request, TEMPLATE, context, partial="actions")


@scoped_view(cap=Cap.RESEARCH_VIEW, model=Opinion)
def opinion_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _opinion_page(request, selectors.opinion_get(user=request.user, pk=pk))


def _done(message: str):
    return lambda opinion: (f"“{opinion.title}”{message}", reverse("research:opinion_detail", args=[opinion.pk]))


opinion_assign_view = step_view(
    name="assign",
    cap=Cap.RESEARCH_MANAGE,
    model=Opinion,
    get=selectors.opinion_get,
    form=lambda data, record, user: forms.OpinionAssignForm(
        data=data, cadres=cadre_choices(user=user, community=record.community)
    ),
    run=lambda opinion, data, by: services.opinion_assign(
        opinion=opinion, by=by, assignee=data["assignee"], area=data["area"], expected_version=data.get("version")
    ),
    done=_done("已分派。"),
    again=_opinion_page,
)

opinion_answer_view = step_view(
    name="answer",
    cap=Cap.RESEARCH_MANAGE,
    model=Opinion,
    get=selectors.opinion_get,
    form=lambda data, record, user: forms.OpinionAnswerForm(data=data),
    run=lambda opinion, data, by: services.opinion_answer(
        opinion=opinion,
        by=by,
        answer_kind=data["answer_kind"],
        answer=data["answer"],
        not_accepted_reason=data.get("not_accepted_reason", ""),
        promised_on=data.get("promised_on"),
        expected_version=data.get("version"),
    ),
    done=lambda opinion: (
        f"“{opinion.title}”已答复" + ("，请跟进落实。" if opinion.answer_kind == AnswerKind.ACCEPTED else "，已办结。"),
        reverse("research:opinion_detail", args=[opinion.pk]),
    ),
    again=_opinion_page,
)

opinion_progress_view = step_view(
    name="progress",
    cap=Cap.RESEARCH_MANAGE,
    model=Opinion,
    get=selectors.opinion_get,
    form=lambda data, record, user: forms.OpinionProgressForm(data=data),
    run=lambda opinion, data, by: services.opinion_progress(
        opinion=opinion, by=by, progress=data["progress"], note=data["note"], expected_version=data.get("version")
    ),
    done=lambda opinion: (
        f"“{opinion.title}”" + ("已落实，已办结。" if opinion.status == OpinionStatus.CLOSED else "的进展已更新。"),
        reverse("research:opinion_detail", args=[opinion.pk]),
    ),
    again=_opinion_page,
)


# --- The bulk update ---------------------------------------------------------------------------


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def opinion_import_view(request: HttpRequest) -> HttpResponse:
    form = forms.OpinionImportForm(data=request.POST or None, files=request.FILES or None)
    errors: list[dict[str, Any]] = []
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = imports.read_rows(form.cleaned_data["file"].read())
        except FileRefused as refused:
            errors = refused.errors
        else:
            result = imports.apply_rows(rows=rows, by=request.user)
            errors = result.errors
    context = {
        "form": form,
        "errors": [{**error, "sentence": error_sentence(error)} for error in errors],
        "result": result if result is not None and not errors else None,
        "max_size": file_size_label(settings.DANGJIAN_IMPORT_MAX_BYTES),
        "max_rows": settings.DANGJIAN_IMPORT_MAX_ROWS,
    }
    return render(request, "research/opinion_import.html", context, status=400 if errors else 200)


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def opinion_import_template_view(request: HttpRequest) -> HttpResponse:
    return xlsx_response(imports.write_template(user=request.user), "意见建议办理情况模板.xlsx")


# --- Corrections -------------------------------------------------------------------------------


@scoped_view(cap=Cap.RESEARCH_VIEW)
def correction_list_view(request: HttpRequest) -> HttpResponse:
    form = CorrectionFilterForm(data=request.GET or None, user=request.user)
    context = {
        "form": form,
        "page": paginate(request, selectors.correction_list(user=request.user, filters=form.filters())),
        "can_manage": scope.can(request.user, Cap.RESEARCH_MANAGE),
        **list_queries(request),
    }
    return render_page(request, "research/correction_list.html", context, partial="results")


@scoped_view(cap=Cap.RESEARCH_MANAGE)
def correction_create_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    cited = research = None
    if request.GET.get("opinion"):
        cited = selectors.opinion_get(user=user, pk=request.GET["opinion"])
    elif request.GET.get("research"):
        research = research_get(user=user, pk=request.GET["research"])
    community = cited.community if cited else (research.community if research else None)
    initial = {"opinions": [cited.pk]} if cited else ({"research": research.pk} if research else None)
    form = forms.CorrectionForm(
        data=request.POST or None,
        user=user,
        community=community,
        opinions=selectors.opinion_choices(user=user, community=community, limit=200),
        researches=research_choices(user=user, community=community, limit=100),
        initial=initial,
    )
    done = submit_form(
        request,
        form,
        lambda data: services.correction_record(by=user, community=form.community_value(), **form.values()),
        lambda correction: (
            f"已记录及时修正：{correction.title}",
            reverse("research:correction_detail", args=[correction.pk]),
        ),
    )
    context = {
        "form": form,
        "title": "记录及时修正",
        "back_url": reverse("research:correction_list"),
        "intro": "在调研和听取意见的基础上，找到工作中的问题和不足，并及时修正。",
    }
    return done or render(request, "research/form.html", context)


@scoped_view(cap=Cap.RESEARCH_VIEW, model=Correction)
def correction_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    correction = selectors.correction_get(user=request.user, pk=pk)
    context = {
        "correction": correction,
        "opinions": list(correction.opinions.all()),
        "history": record_history(record=correction),
    }
    return render(request, "research/correction_detail.html", context)
