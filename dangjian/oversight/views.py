"""Pages of oversight: the blind-spot cases (list with counts, signals and the chart; a case with
its evidence and the actions that work it to an outcome), the scan runs, and the reminder centre."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import render_page
from dangjian.core.pages import submit_form

from . import forms, selectors, services
from .choices import CaseStatus
from .models import Case

Cap = scope.Cap
PAGE_SIZE = 50
DETAIL = "oversight/case_detail.html"


# --- The case list ------------------------------------------------------------------------------


@scoped_view(cap=Cap.CASE_VIEW)
def case_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.CaseFilterForm(
        data=request.GET or None,
        units=selectors.filter_units(user=user),
        assignees=selectors.assignee_filter_choices(user=user),
    )
    filters = form.filters()
    page = Paginator(selectors.case_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page:
        case.kind_short = selectors.KIND_SHORT.get(case.kind, case.kind)
    query = request.GET.copy()
    query.pop("page", None)
    without_kind = query.copy()
    without_kind.pop("kind", None)
    if not form.is_bound:
        without_kind["status"] = "open"
    show_chart = selectors.shows_chart(user)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "query_without_kind": without_kind.urlencode(),
        "counts": selectors.case_kind_counts(user=user, filters=filters),
        "signals": selectors.nominal_signals(user=user, filters=filters),
        "chart": selectors.open_cases_chart(user=user) if show_chart else None,
        "can_scan": scope.can(user, Cap.SCAN_RUN),
    }
    return render_page(request, "oversight/case_list.html", context, partial="results")


# --- A case and its actions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """An action the case page offers: its form, the service it runs, what it says after."""

    label: str
    form: type[forms.ActionForm]
    run: Callable[[Case, dict[str, Any], Any], Any]
    done: str
    for_closed: bool = False
    button: str = "btn-primary"
    confirm: str = ""


ACTIONS: dict[str, Action] = {
    "note": Action(
        "添加工作记录",
        forms.NoteForm,
        lambda case, data, user: services.case_add_note(
            case=case, kind=data["kind"], note=data["note"], by=user, expected_version=data.get("version")
        ),
        "已添加工作记录。",
    ),
    "assign": Action(
        "指定责任人",
        forms.AssignForm,
        lambda case, data, user: services.case_assign(
            case=case,
            assignee=data["assignee"],
            note=data.get("note", ""),
            by=user,
            expected_version=data.get("version"),
        ),
        "已指定责任人。",
        button="btn-outline-primary",
    ),
    "close": Action(
        "办结",
        forms.CloseForm,
        lambda case, data, user: services.case_close(
            case=case, outcome=data["outcome"], note=data["note"], by=user, expected_version=data.get("version")
        ),
        "已办结该盲点。",
        button="btn-success",
        confirm="办结后将不再出现在待处理列表中，确定办结吗？",
    ),
    "reopen": Action(
        "重新打开",
        forms.ReopenForm,
        lambda case, data, user: services.case_reopen(
            case=case, note=data["note"], by=user, expected_version=data.get("version")
        ),
        "已重新打开该盲点。",
        for_closed=True,
        button="btn-outline-secondary",
    ),
}


def _action_form(name: str, case: Case, user: Any, data: Any = None) -> forms.ActionForm:
    kwargs: dict[str, Any] = {"action": name, "version": case.version}
    if name == "assign":
        kwargs["assignees"] = selectors.assignee_choices(user=user, case=case)
    return ACTIONS[name].form(data=data, **kwargs)


def _detail(
    request: HttpRequest, case: Case, bound: dict[str, forms.ActionForm] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    can_manage = scope.can(user, Cap.CASE_MANAGE)
    actions = []
    if can_manage:
        closed = case.status == CaseStatus.CLOSED
        for name, action in ACTIONS.items():
            if action.for_closed != closed:
                continue
            form = (bound or {}).get(name) or _action_form(name, case, user)
            actions.append({"name": name, "action": action, "form": form})
    # A refusal of an action the case no longer offers (closed meanwhile by someone else) is
    # shown above the actions it now offers.
    offered = {item["name"] for item in actions}
    refusals = [
        error for name, form in (bound or {}).items() if name not in offered for error in form.non_field_errors()
    ]
    context = {
        "case": case,
        "refusals": refusals,
        "evidence": selectors.evidence_view(case),
        "links": selectors.case_links(case),
        "other_cases": selectors.member_other_cases(user=user, case=case),
        "actions": actions,
        "open_action": next(iter(bound)) if bound else "",
        "can_manage": can_manage,
        "can_view_members": scope.can(user, Cap.MEMBER_VIEW),
    }
    return render_page(request, DETAIL, context, partial="actions", status=status)


@scoped_view(cap=Cap.CASE_VIEW, model=Case)
def case_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(user=request.user, pk=pk)
    return _detail(request, case)


def _action_view(name: str):
    action = ACTIONS[name]

    @scoped_view(cap=Cap.CASE_MANAGE, model=Case)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        case = selectors.case_get(user=request.user, pk=pk)  # outside the scope: 404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = _action_form(name, case, request.user, data=request.POST)
        done = submit_form(
            request,
            form,
            lambda data: action.run(case, data, request.user),
            lambda result: (action.done, reverse("oversight:case_detail", args=[case.pk])),
        )
        if done:
            return done
        # Refused: show the case as it now is, with this form and its errors.
        return _detail(request, selectors.case_get(user=request.user, pk=pk), bound={name: form})

    view.__name__ = view.__qualname__ = f"case_{name}_view"
    return view


case_note_view = _action_view("note")
case_assign_view = _action_view("assign")
case_close_view = _action_view("close")
case_reopen_view = _action_view("reopen")


# --- Scan runs ---------------------------------------------------------------------------------


def _scan_list(request: HttpRequest, form: forms.ScanStartForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    page = Paginator(selectors.scan_runs(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "runs": [(run, selectors.run_figures(run)) for run in page],
        "form": form or forms.ScanStartForm(units=selectors.scan_units(user=user)),
        "kinds": selectors.kind_headings(),
    }
    return render(request, "oversight/scan_list.html", context, status=status)


@scoped_view(cap=Cap.SCAN_RUN)
def scan_list_view(request: HttpRequest) -> HttpResponse:
    return _scan_list(request)


@scoped_view(cap=Cap.SCAN_RUN)
def scan_start_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.ScanStartForm(data=request.POST, units=selectors.scan_units(user=request.user))
    done = submit_form(
        request,
        form,
        lambda data: services.scan_start(unit=data["unit"], as_of=data["as_of"], by=request.user),
        lambda run: (
            f"已开始扫描{run.org_unit.name}（截至{run.as_of.year}年{run.as_of.month}月），完成后结果显示在下表。",
            reverse("oversight:scan_list"),
        ),
    )
    return done or _scan_list(request, form, status=400)


# --- The reminder centre -----------------------------------------------------------------------


def _reminders(request: HttpRequest) -> HttpResponse:
    groups = selectors.reminder_groups(user=request.user)
    context = {
        "groups": groups,
        "unread": sum(group.unread for group in groups),
        "seen_at": timezone.now().isoformat(),
    }
    return render_page(request, "oversight/reminder_list.html", context, partial="reminders")


@scoped_view(cap=Cap.ORG_VIEW)
def reminder_list_view(request: HttpRequest) -> HttpResponse:
    return _reminders(request)


@scoped_view(cap=Cap.ORG_VIEW)
def reminder_read_view(request: HttpRequest) -> HttpResponse:
    """Mark one of the user's own reminders read (its id in the body: only the user's own are
    found, anyone else's answers 404), then follow its link or show the centre again."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.ReminderReadForm(data=request.POST)
    if not form.is_valid():
        return HttpResponse("请指明要标记的提醒。", status=400)
    reminder = selectors.reminder_get(user=request.user, pk=form.cleaned_data["reminder"])
    services.reminder_mark_read(reminder=reminder)
    if request.POST.get("go") and reminder.url:
        return redirect(reminder.url)
    if getattr(request, "htmx", False):
        return _reminders(request)
    return redirect("oversight:reminder_list")


@scoped_view(cap=Cap.ORG_VIEW)
def reminder_read_all_view(request: HttpRequest) -> HttpResponse:
    """Mark read the reminders shown on the page (those that had appeared when it was shown)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.ReminderReadAllForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, "缺少页面显示时间，请刷新页面后重试。")
        return redirect("oversight:reminder_list")
    grant = scope.active_grant(request.user)
    count = services.reminder_mark_all_read(
        user=request.user, org_unit=grant.org_unit if grant else None, seen_at=form.cleaned_data["seen_at"]
    )
    messages.success(request, f"已将 {count} 条提醒标为已读。" if count else "没有未读的提醒。")
    return redirect("oversight:reminder_list")
