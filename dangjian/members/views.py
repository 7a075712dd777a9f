"""Pages of the member registry: the list with its filters and export, a member's record,
adding and editing, showing a number in full, and the log of those showings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import render_page
from dangjian.core.pages import submit_form

from . import exports
from .choices import UnmaskField
from .forms import MemberFilterForm, MemberForm
from .models import Member
from .selectors import registry as selectors
from .services import registry as services

Cap = scope.Cap
PAGE_SIZE = 50


def _filter_form(request: HttpRequest) -> MemberFilterForm:
    return MemberFilterForm(
        data=request.GET or None,
        units=scope.units(request.user).active().exclude(kind="group").order_by("path"),
        categories=selectors.active_categories(),
    )


@scoped_view(cap=Cap.MEMBER_VIEW)
def member_list_view(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    members = selectors.member_list(user=request.user, filters=form.filters())
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_manage": scope.can(request.user, Cap.MEMBER_MANAGE),
        "can_unmask": scope.can(request.user, Cap.MEMBER_UNMASK),
        "can_view_log": scope.can(request.user, Cap.UNMASK_LOG_VIEW),
    }
    return render_page(request, "members/member_list.html", context, partial="results")


@scoped_view(cap=Cap.MEMBER_VIEW)
def member_export_view(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    members = selectors.member_list(user=request.user, filters=form.filters())
    full = request.GET.get("full") == "1"
    if full and not scope.can(request.user, Cap.MEMBER_UNMASK):
        raise PermissionDenied("您当前的角色不能导出明文。")
    return exports.member_roster_response(members, user=request.user, full=full)


def _form(request: HttpRequest, instance: Member | None = None) -> MemberForm:
    user = request.user
    return MemberForm(
        data=request.POST or None,
        instance=instance,
        branches=selectors.branch_choices(user=user),
        groups=selectors.group_choices(user=user),
        communities=scope.units(user).active().filter(kind="community").order_by("path"),
        categories=selectors.active_categories(),
    )


@scoped_view(cap=Cap.MEMBER_MANAGE)
def member_create_view(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    done = submit_form(
        request,
        form,
        lambda data: services.member_create(by=request.user, categories=data["categories"], **form.service_fields()),
        lambda member: (f"已登记党员：{member.name}", reverse("members:member_detail", args=[member.pk])),
    )
    return done or render(request, "members/member_form.html", {"form": form, "title": "登记党员"})


@scoped_view(cap=Cap.MEMBER_MANAGE, model=Member)
def member_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(user=request.user, pk=pk)
    form = _form(request, instance=member)
    done = submit_form(
        request,
        form,
        lambda data: services.member_update(
            member=member,
            by=request.user,
            expected_version=data["version"],
            categories=data["categories"],
            **form.service_fields(),
        ),
        lambda saved: ("党员信息已保存。", reverse("members:member_detail", args=[saved.pk])),
    )
    return done or render(
        request, "members/member_form.html", {"form": form, "member": member, "title": f"编辑 {member.name}"}
    )


@scoped_view(cap=Cap.MEMBER_VIEW, model=Member)
def member_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(user=request.user, pk=pk)
    context = {
        "member": member,
        "history": selectors.member_history(user=request.user, member=member),
        "can_manage": scope.can(request.user, Cap.MEMBER_MANAGE),
        "can_unmask": scope.can(request.user, Cap.MEMBER_UNMASK),
        "tab": request.GET.get("tab", "basic"),
    }
    return render(request, "members/member_detail.html", context)


@scoped_view(cap=Cap.MEMBER_UNMASK, model=Member)
def member_unmask_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(user=request.user, pk=pk)  # outside the scope: 404 first
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    field = request.POST.get("field", "")
    if field not in UnmaskField.values:
        return HttpResponse("未知字段", status=400)
    value = services.member_unmask(
        member=member, field=field, by=request.user, ip_address=request.META.get("REMOTE_ADDR")
    )
    if not request.htmx:
        messages.info(request, f"{member.name}的{UnmaskField(field).label}：{value}（本次查看已记录）")
        return redirect("members:member_detail", pk=member.pk)
    return render(request, "members/partials/unmasked.html", {"value": value, "field": field})


@scoped_view(cap=Cap.UNMASK_LOG_VIEW)
def unmask_log_view(request: HttpRequest) -> HttpResponse:
    logs = selectors.unmask_log_list(user=request.user)
    page = Paginator(logs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/unmask_log.html", {"page": page})
