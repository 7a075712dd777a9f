"""Pages of organizational life: the meetings with their filters, a meeting with its attendance,
attachments and printable minutes, the frequency rules, the compliance table (with its chart and
xlsx export) and the tasks a branch assigns to its members. Thin: each page parses its input,
calls a selector or a service, and renders."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import htmx_redirect, render_page
from dangjian.core.pages import apply_errors, submit_form
from dangjian.members.selectors.registry import branch_choices, group_choices

from . import exports, forms, selectors, services
from .choices import MeetingKind, MeetingStatus, TaskStatus
from .models import Meeting, MeetingAttachment, MemberTask

Cap = scope.Cap
PAGE_SIZE = 50


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in ("page", *names):
        query.pop(name, None)
    return query.urlencode()


# --- Meetings ----------------------------------------------------------------------------------


@scoped_view(cap=Cap.MEETING_VIEW)
def meeting_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = forms.MeetingFilterForm(data=request.GET or None, units=selectors.filter_units(user=user), today=today)
    filters = form.filters()
    page = Paginator(selectors.meeting_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": _query_without(request),
        "can_manage": scope.can(user, Cap.MEETING_MANAGE),
        "now": timezone.now(),
    }
    return render_page(request, "orglife/meeting_list.html", context, partial="results")


def _meeting_form(request: HttpRequest, meeting: Meeting | None = None) -> forms.MeetingForm:
    user = request.user
    initial = {}
    if meeting is None and request.GET.get("branch", "").isdigit():
        initial["branch"] = int(request.GET["branch"])
    if meeting is None and request.GET.get("kind") in MeetingKind.values:
        initial["kind"] = request.GET["kind"]
    return forms.MeetingForm(
        data=request.POST or None,
        branches=branch_choices(user=user),
        groups=group_choices(user=user),
        meeting=meeting,
        initial=initial,
    )


@scoped_view(cap=Cap.MEETING_MANAGE)
def meeting_create_view(request: HttpRequest) -> HttpResponse:
    form = _meeting_form(request)
    done = submit_form(
        request,
        form,
        lambda data: services.meeting_create(by=request.user, **form.service_fields()),
        lambda meeting: (
            f"已登记会议：{meeting.title}。会后请登记出席情况。",
            reverse("orglife:meeting_detail", args=[meeting.pk]),
        ),
    )
    return done or render(request, "orglife/meeting_form.html", {"form": form, "title": "登记会议"})


@scoped_view(cap=Cap.MEETING_MANAGE, model=Meeting)
def meeting_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    form = _meeting_form(request, meeting)
    done = submit_form(
        request,
        form,
        lambda data: services.meeting_update(
            meeting=meeting, by=request.user, expected_version=data.get("version"), **form.service_fields()
        ),
        lambda saved: ("已保存会议信息。", reverse("orglife:meeting_detail", args=[saved.pk])),
    )
    context = {"form": form, "title": "修改会议", "meeting": meeting}
    return done or render(request, "orglife/meeting_form.html", context)


def _detail_context(request: HttpRequest, meeting: Meeting, **extra: Any) -> dict[str, Any]:
    can_manage = scope.can(request.user, Cap.MEETING_MANAGE)
    context = {
        "meeting": meeting,
        "attendance": selectors.meeting_attendance(meeting=meeting),
        "attachments": selectors.meeting_attachments(meeting=meeting),
        "history": selectors.meeting_history(meeting=meeting),
        "can_manage": can_manage,
        "may_record": can_manage and meeting.status != MeetingStatus.CANCELLED and meeting.held_at <= timezone.now(),
        "now": timezone.now(),
        "cancel_form": forms.CancelForm(version=meeting.version),
        "attachment_form": forms.AttachmentForm(),
    }
    context.update(extra)
    return context


@scoped_view(cap=Cap.MEETING_VIEW, model=Meeting)
def meeting_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    return render(request, "orglife/meeting_detail.html", _detail_context(request, meeting))


@scoped_view(cap=Cap.MEETING_VIEW, model=Meeting)
def meeting_print_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    context = {
        "meeting": meeting,
        "attendance": selectors.meeting_attendance(meeting=meeting),
        "printed_at": timezone.localtime(),
    }
    return render(request, "orglife/meeting_print.html", context)


@scoped_view(cap=Cap.MEETING_MANAGE, model=Meeting)
def meeting_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.CancelForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.meeting_cancel(
            meeting=meeting, reason=data["reason"], by=request.user, expected_version=data.get("version")
        ),
        lambda saved: ("会议已取消。", reverse("orglife:meeting_detail", args=[saved.pk])),
    )
    if done:
        return done
    context = _detail_context(request, meeting, cancel_form=form, open_cancel=True)
    return render(request, "orglife/meeting_detail.html", context, status=400)


@scoped_view(cap=Cap.MEETING_MANAGE, model=Meeting)
def meeting_attendance_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    roster = selectors.attendance_roster(meeting=meeting)
    form = forms.AttendanceForm(data=request.POST or None, meeting=meeting, roster=roster)
    done = submit_form(
        request,
        form,
        lambda data: services.attendance_record(
            meeting=meeting, entries=form.entries(), by=request.user, expected_version=data.get("version")
        ),
        lambda saved: (
            f"已登记出席情况：应到 {saved.expected_count} 人，实到 {saved.present_count} 人"
            + ("，未达到法定人数，本次会议不计入合规统计。" if saved.quorum_met is False else "。"),
            reverse("orglife:meeting_detail", args=[saved.pk]),
        ),
    )
    if done:
        return done
    context = {
        "meeting": meeting,
        "form": form,
        "rows": form.rows(),
        "seats": selectors.committee_seats(meeting=meeting) if meeting.kind == MeetingKind.COMMITTEE else [],
        "not_yet": meeting.held_at > timezone.now(),
        "cancelled": meeting.status == MeetingStatus.CANCELLED,
    }
    return render(request, "orglife/meeting_attendance.html", context, status=400 if form.errors else 200)


# --- Attachments -------------------------------------------------------------------------------


@scoped_view(cap=Cap.MEETING_MANAGE, model=Meeting)
def attachment_upload_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.AttachmentForm(data=request.POST, files=request.FILES)
    if form.is_valid():
        try:
            attachment = services.attachment_add(
                meeting=meeting, file=form.cleaned_data["file"], name=form.cleaned_data["name"], by=request.user
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                # The model's validators speak of its `file` and `name` fields.
                for field, field_errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                apply_errors(form, error)
        else:
            messages.success(request, f"已上传附件：{attachment.name}")
            return htmx_redirect(request, reverse("orglife:meeting_detail", args=[meeting.pk]) + "#attachments")
    context = _detail_context(request, meeting, attachment_form=form)
    return render(request, "orglife/meeting_detail.html", context, status=400)


@scoped_view(cap=Cap.MEETING_VIEW, model=MeetingAttachment)
def attachment_download_view(request: HttpRequest, pk: int) -> FileResponse:
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("附件文件已不存在") from exc
    suffix = PurePosixPath(attachment.file.name).suffix.lower()
    filename = attachment.name if attachment.name.lower().endswith(suffix) else f"{attachment.name}{suffix}"
    content_type = mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@scoped_view(cap=Cap.MEETING_MANAGE, model=MeetingAttachment)
def attachment_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    meeting_pk = attachment.meeting_id
    try:
        services.attachment_delete(attachment=attachment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"已删除附件：{attachment.name}")
    return htmx_redirect(request, reverse("orglife:meeting_detail", args=[meeting_pk]) + "#attachments")


# --- The frequency rules -----------------------------------------------------------------------


@scoped_view(cap=Cap.MEETING_VIEW)
def rule_list_view(request: HttpRequest) -> HttpResponse:
    context = {"rules": selectors.meeting_rules(), "can_edit": scope.can(request.user, Cap.RULES_MANAGE)}
    return render(request, "orglife/rule_list.html", context)


@scoped_view(cap=Cap.RULES_MANAGE)
def rule_edit_view(request: HttpRequest) -> HttpResponse:
    form = forms.MeetingRulesForm(data=request.POST or None, rules=selectors.meeting_rules())
    done = submit_form(
        request,
        form,
        lambda data: services.meeting_rules_update(
            values=form.values(), expected_versions=form.versions(), by=request.user
        ),
        lambda changed: (
            f"已修改 {len(changed)} 项频次规则，合规统计和提醒按新规则计算。" if changed else "规则没有变化。",
            reverse("orglife:rule_list"),
        ),
    )
    return done or render(request, "orglife/rule_form.html", {"form": form})


# --- Compliance --------------------------------------------------------------------------------


def _compliance(request: HttpRequest) -> tuple[forms.ComplianceFilterForm, selectors.ComplianceTable]:
    user = request.user
    today = timezone.localdate()
    default = selectors.default_period(today)
    form = forms.ComplianceFilterForm(data=request.GET or None, units=selectors.table_units(user=user), today=today)
    if not form.is_bound:
        form = forms.ComplianceFilterForm(
            initial={"period": default.key}, units=selectors.table_units(user=user), today=today
        )
    period, unit = form.values(default) if form.is_bound else (default, None)
    table = selectors.compliance_table(user=user, period=period, unit=unit, today=today)
    return form, table


@scoped_view(cap=Cap.MEETING_VIEW)
def compliance_view(request: HttpRequest) -> HttpResponse:
    form, table = _compliance(request)
    context = {
        "form": form,
        "table": table,
        "chart": table.chart(),
        "query": request.GET.urlencode(),
        "table_body": table.body_html(reverse("orglife:meeting_list")),
    }
    return render_page(request, "orglife/compliance.html", context, partial="results")


@scoped_view(cap=Cap.MEETING_VIEW)
def compliance_export_view(request: HttpRequest) -> HttpResponse:
    _, table = _compliance(request)
    return exports.compliance_response(table)


# --- Member tasks ------------------------------------------------------------------------------


@scoped_view(cap=Cap.MEETING_VIEW)
def task_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    form = forms.TaskFilterForm(data=request.GET or None, units=selectors.filter_units(user=user))
    filters = form.filters()
    page = Paginator(selectors.task_list(user=user, filters=filters, today=today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = selectors.task_counts(user=user, filters=filters, today=today)
    without_state = _query_without(request, "state")
    context = {
        "form": form,
        "page": page,
        "query": _query_without(request),
        "query_without_state": without_state,
        "state": filters.state,
        "tabs": [
            ("", "全部", counts[""]),
            *((key, label, counts[key]) for key, label in selectors.TASK_STATES.items()),
        ],
        "today": today,
        "can_manage": scope.can(user, Cap.MEETING_MANAGE),
    }
    return render_page(request, "orglife/task_list.html", context, partial="results")


@scoped_view(cap=Cap.MEETING_MANAGE)
def task_create_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    branches = branch_choices(user=user)
    data = request.POST or None
    branch_id = (request.POST or request.GET).get("branch", "")
    branch = branches.filter(pk=branch_id).first() if branch_id.isdigit() else None
    members = selectors.task_members(user=user, branch=branch) if branch is not None else None
    initial = {"branch": branch.pk} if branch is not None and data is None else {}
    if data is None and request.GET.get("member", "").isdigit():
        initial["member"] = int(request.GET["member"])
    form = forms.TaskForm(data=data, branches=branches, members=members, initial=initial)
    done = submit_form(
        request,
        form,
        lambda cleaned: services.task_assign(
            member=cleaned["member"],
            title=cleaned["title"],
            description=cleaned["description"],
            assigned_on=cleaned["assigned_on"],
            due_on=cleaned["due_on"],
            by=user,
        ),
        lambda task: (f"已向{task.member.name}交办任务：{task.title}", reverse("orglife:task_detail", args=[task.pk])),
    )
    if done:
        return done
    return render_page(request, "orglife/task_form.html", {"form": form}, partial="task_form")


def _task_detail(request: HttpRequest, task: MemberTask, status: int = 200, **forms_bound: Any) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "task": task,
        "today": today,
        "overdue": task.status == TaskStatus.OPEN and task.due_on is not None and task.due_on < today,
        "can_manage": scope.can(request.user, Cap.MEETING_MANAGE) and task.status == TaskStatus.OPEN,
        "done_form": forms_bound.get("done_form") or forms.TaskDoneForm(version=task.version),
        "cancel_form": forms_bound.get("cancel_form") or forms.TaskCancelForm(version=task.version),
        "open_form": next(iter(forms_bound), ""),
        "history": selectors.task_history(task=task),
    }
    return render(request, "orglife/task_detail.html", context, status=status)


@scoped_view(cap=Cap.MEETING_VIEW, model=MemberTask)
def task_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_detail(request, selectors.task_get(user=request.user, pk=pk))


@scoped_view(cap=Cap.MEETING_MANAGE, model=MemberTask)
def task_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.TaskDoneForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.task_complete(
            task=task,
            done_on=data["done_on"],
            result=data["result"],
            by=request.user,
            expected_version=data.get("version"),
        ),
        lambda saved: ("任务已完成。", reverse("orglife:task_detail", args=[saved.pk])),
    )
    return done or _task_detail(request, task, status=400, done_form=form)


@scoped_view(cap=Cap.MEETING_MANAGE, model=MemberTask)
def task_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.TaskCancelForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.task_cancel(
            task=task, reason=data["reason"], by=request.user, expected_version=data.get("version")
        ),
        lambda saved: ("任务已取消。", reverse("orglife:task_detail", args=[saved.pk])),
    )
    return done or _task_detail(request, task, status=400, cancel_form=form)
