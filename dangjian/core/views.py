"""Pages of the core: sign-in and account, the home page per role, the org tree, committees."""

from __future__ import annotations

import base64
import time
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import scope, selectors, services
from .access import scope_exempt, scoped_view
from .choices import OrgKind, Role, child_kinds
from .forms import (
    CommitteeCreateForm,
    CommitteeEditForm,
    LoginForm,
    OrgUnitCloseForm,
    OrgUnitCreateForm,
    OrgUnitEditForm,
    OrgUnitMoveForm,
    OtpTokenForm,
    SeatAddForm,
    SeatEndForm,
    StyledPasswordChangeForm,
)
from .htmx import render_page
from .middleware import ACTIVE_GRANT_SESSION_KEY, requires_two_factor
from .models import BranchCommittee, CommitteeSeat, OrgUnit, User
from .pages import submit_form

OTP_PENDING_KEY = "otp_pending"
OTP_PENDING_SECONDS = 300
OTP_MAX_ATTEMPTS = 5
Cap = scope.Cap


def _unit_url(unit: OrgUnit) -> str:
    return reverse("core:org_detail", args=[unit.pk])


def _committee_url(committee: BranchCommittee) -> str:
    return reverse("core:committee_detail", args=[committee.pk])


def _form_page(request: HttpRequest, template: str, unit: OrgUnit, **context: Any) -> HttpResponse:
    context["unit"] = unit
    context["breadcrumbs"] = selectors.org_unit_breadcrumbs(user=request.user, unit=unit)
    return render(request, template, context)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("core:home")


# --- Sign-in and account ---------------------------------------------------------------------


@scope_exempt("登录页面，尚未登录")
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        if any(devices_for_user(user, confirmed=True)):
            request.session[OTP_PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "attempts": 0,
                "next": _safe_next(request),
            }
            return redirect("core:login_otp")
        auth_login(request, user)
        if requires_two_factor(user):
            messages.warning(request, "您的角色需要启用双重验证，请先完成设置。")
            return redirect("core:twofactor_setup")
        return redirect(_safe_next(request))
    return render(request, "core/login.html", {"form": form, "next": request.GET.get("next", "")})


@scope_exempt("登录的第二步，尚未登录")
def login_otp_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(OTP_PENDING_KEY)
    if not pending or time.time() - pending["at"] > OTP_PENDING_SECONDS:
        request.session.pop(OTP_PENDING_KEY, None)
        messages.error(request, "登录已超时，请重新输入用户名和密码。")
        return redirect("core:login")
    user = User.objects.get(pk=pending["user"])
    form = OtpTokenForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            request.session.pop(OTP_PENDING_KEY, None)
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return redirect(pending["next"])
        pending["attempts"] += 1
        if pending["attempts"] >= OTP_MAX_ATTEMPTS:
            request.session.pop(OTP_PENDING_KEY, None)
            messages.error(request, "动态验证码错误次数过多，请重新登录。")
            return redirect("core:login")
        request.session[OTP_PENDING_KEY] = pending
        form.add_error("token", "动态验证码不正确或已过期。")
    return render(request, "core/login_otp.html", {"form": form, "pending_user": user})


@scope_exempt("退出登录")
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.success(request, "您已安全退出。")
    return redirect("core:login")


@scope_exempt("本人的账号设置")
@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = StyledPasswordChangeForm(request.user, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "密码已修改。")
        return redirect("core:home")
    return render(request, "core/password_change.html", {"form": form})


def _qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


@scope_exempt("本人的账号设置")
@login_required
def twofactor_setup_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed is not None:
        return render(
            request,
            "core/twofactor_status.html",
            {"device": confirmed, "required": requires_two_factor(user), "form": OtpTokenForm()},
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    form = OtpTokenForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "双重验证已启用，今后登录需要输入动态验证码。")
            return redirect("core:home")
        form.add_error("token", "动态验证码不正确，请确认手机时间准确后重试。")
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "core/twofactor_setup.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": requires_two_factor(user),
        },
    )


@scope_exempt("本人的账号设置")
@login_required
@require_POST
def twofactor_disable_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if requires_two_factor(user):
        messages.error(request, "您的角色必须启用双重验证，不能关闭。")
        return redirect("core:twofactor_setup")
    form = OtpTokenForm(data=request.POST)
    if form.is_valid() and match_token(user, form.cleaned_data["token"]) is not None:
        TOTPDevice.objects.filter(user=user).delete()
        messages.success(request, "双重验证已关闭。")
        return redirect("core:home")
    messages.error(request, "动态验证码不正确，双重验证未关闭。")
    return redirect("core:twofactor_setup")


@scope_exempt("切换本人的授权；只能切换到本人持有的授权")
@login_required
@require_POST
def grant_switch_view(request: HttpRequest) -> HttpResponse:
    try:
        grant_id = int(request.POST.get("grant", ""))
    except ValueError:
        grant_id = None
    grant = next((g for g in scope.user_grants(request.user) if g.pk == grant_id), None)
    if grant is None:
        raise Http404("没有这项授权")
    request.session[ACTIVE_GRANT_SESSION_KEY] = grant.pk
    messages.success(request, f"已切换为：{grant.get_role_display()} · {grant.org_unit.name}")
    return redirect("core:home")


# --- Home --------------------------------------------------------------------------------------


@scope_exempt("首页只显示当前授权范围内的汇总，所有查询都经过 core.scope")
@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    role = scope.active_role(user)
    context: dict[str, Any] = {"role": role}
    root = scope.scope_root(user)
    if role is None and not scope.is_unrestricted(user):
        return render(request, "core/home_nogrant.html", context)
    if scope.is_unrestricted(user):
        roots = selectors.org_tree_roots(user=user)
        root = roots[0] if roots else None
    context["root"] = root
    if root is None:
        return render(request, "core/home_nogrant.html", context)
    if role in (Role.MEMBER, Role.RESIDENT):
        unit = root
        context["unit"] = unit
        context["breadcrumbs"] = selectors.own_unit_lineage(user=user)
        if role == Role.RESIDENT:
            context["community"] = unit
        else:
            # A member's branch, and the community it belongs to.
            context["community"] = next((a for a in context["breadcrumbs"] if a.kind == OrgKind.COMMUNITY), None)
        context["committee"] = selectors.current_committee(user=user, unit=unit) if unit.has_committee else None
        return render(request, "core/home_self.html", context)
    context["can_view_org"] = scope.can(user, Cap.ORG_VIEW)
    context["counts"] = selectors.org_unit_counts(user=user, under=root)
    context["children"] = selectors.branches_per_child(user=user, unit=root)
    context["chart"] = {
        "categories": [row["name"] for row in context["children"]],
        "series": [
            {"name": "党支部", "data": [row["branches"] for row in context["children"]]},
            {"name": "党小组", "data": [row["groups"] for row in context["children"]]},
        ],
    }
    ending = selectors.committees_ending(user=user)
    context["ending_count"] = ending.count()
    context["ending"] = list(ending[:10])
    context["warning_days"] = settings.DANGJIAN_TERM_WARNING_DAYS
    context["without_committee"] = list(selectors.units_without_committee(user=user)[:10])
    context["current_committee"] = selectors.current_committee(user=user, unit=root) if root.has_committee else None
    return render(request, "core/home.html", context)


# --- The organization tree ---------------------------------------------------------------------


@scoped_view(cap=Cap.ORG_VIEW)
def org_tree_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    query = request.GET.get("q", "").strip()
    results = selectors.org_unit_search(user=user, query=query) if query else None
    roots = selectors.org_tree_roots(user=user)
    for root in roots:
        root.loaded_children = selectors.org_unit_children(user=user, unit=root)
    context = {"roots": roots, "query": query, "results": results}
    return render_page(request, "core/org_tree.html", context, partial="search-results")


@scoped_view(cap=Cap.ORG_VIEW, model=OrgUnit)
def org_children_view(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.org_unit_get(user=request.user, pk=pk)
    show_closed = request.GET.get("closed") == "1"
    children = selectors.org_unit_children(user=request.user, unit=unit, include_closed=show_closed)
    return render(request, "core/partials/org_children.html", {"unit": unit, "children": children})


@scoped_view(cap=Cap.ORG_VIEW, model=OrgUnit)
def org_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    unit = selectors.org_unit_get(user=user, pk=pk)
    context = {
        "unit": unit,
        "breadcrumbs": selectors.org_unit_breadcrumbs(user=user, unit=unit),
        "children": selectors.org_unit_children(user=user, unit=unit, include_closed=True),
        "committees": selectors.committees_of_unit(user=user, unit=unit) if unit.has_committee else [],
        "history": selectors.unit_history(user=user, unit=unit),
        "counts": selectors.org_unit_counts(user=user, under=unit),
        "can_manage": scope.can_manage_unit(user, unit) and unit.is_active,
        "can_add_child": scope.can_add_child(user, unit) and bool(child_kinds(unit.kind)),
        "can_manage_committee": unit.has_committee and unit.is_active and scope.can_manage_committee_of(user, unit),
        "tab": request.GET.get("tab", "info"),
    }
    return render(request, "core/org_detail.html", context)


@scoped_view(cap=Cap.ORG_MANAGE, model=OrgUnit)
def org_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    parent = selectors.org_unit_get(user=user, pk=pk)
    if not scope.can_add_child(user, parent) or not child_kinds(parent.kind):
        raise PermissionDenied("不能在该组织下新增下级组织。")
    form = OrgUnitCreateForm(data=request.POST or None, parent=parent)
    done = submit_form(
        request,
        form,
        lambda data: services.org_unit_create(parent=parent, by=user, **data),
        lambda unit: (f"已新增{unit.get_kind_display()}：{unit.name}", _unit_url(unit)),
    )
    return done or _form_page(request, "core/org_form.html", parent, form=form, title=f"在「{parent.name}」下新增组织")


def _managed_unit(request: HttpRequest, pk: int) -> OrgUnit:
    unit = selectors.org_unit_get(user=request.user, pk=pk)
    if not scope.can_manage_unit(request.user, unit):
        raise PermissionDenied("您只能管理本级以下的组织。")
    if not unit.is_active:
        raise PermissionDenied("该组织已撤销或合并，不能再修改。")
    return unit


@scoped_view(cap=Cap.ORG_MANAGE, model=OrgUnit)
def org_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _managed_unit(request, pk)
    form = OrgUnitEditForm(data=request.POST or None, instance=unit)
    done = submit_form(
        request,
        form,
        # The form already wrote into `unit`; the service loads its own copy under a lock.
        lambda data: services.org_unit_update(
            unit=unit,
            by=request.user,
            expected_version=data["version"],
            **{name: data[name] for name in OrgUnitEditForm.Meta.fields},
        ),
        lambda saved: ("组织信息已保存。", _unit_url(saved)),
    )
    return done or _form_page(request, "core/org_form.html", unit, form=form, title=f"编辑「{unit.name}」")


@scoped_view(cap=Cap.ORG_MANAGE, model=OrgUnit)
def org_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _managed_unit(request, pk)
    targets = selectors.move_targets(user=request.user, unit=unit)
    form = OrgUnitMoveForm(data=request.POST or None, targets=targets, unit=unit)
    done = submit_form(
        request,
        form,
        lambda data: services.org_unit_move(
            unit=unit, new_parent=data["new_parent"], by=request.user, expected_version=data["version"]
        ),
        lambda moved: (f"已将「{moved.name}」移到「{moved.parent.name}」之下。", _unit_url(moved)),
    )
    return done or _form_page(request, "core/org_form.html", unit, form=form, title=f"移动「{unit.name}」")


@scoped_view(cap=Cap.ORG_MANAGE, model=OrgUnit)
def org_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _managed_unit(request, pk)
    targets = selectors.merge_targets(user=request.user, unit=unit)
    form = OrgUnitCloseForm(data=request.POST or None, targets=targets, unit=unit)
    done = submit_form(
        request,
        form,
        lambda data: services.org_unit_close(
            unit=unit,
            status=data["status"],
            closed_on=data["closed_on"],
            reason=data["reason"],
            merged_into=data["merged_into"],
            by=request.user,
            expected_version=data["version"],
        ),
        lambda closed: (f"「{closed.name}」已{closed.get_status_display()}。", _unit_url(closed)),
    )
    return done or _form_page(
        request, "core/org_form.html", unit, form=form, title=f"撤销或合并「{unit.name}」", danger=True
    )


# --- Committees --------------------------------------------------------------------------------


@scoped_view(cap=Cap.COMMITTEE_VIEW)
def committees_ending_view(request: HttpRequest) -> HttpResponse:
    try:
        days = max(1, min(int(request.GET.get("days", "")), 3650))
    except ValueError:
        days = None
    committees = selectors.committees_ending(user=request.user, days=days)
    context = {
        "committees": committees,
        "days": days or settings.DANGJIAN_TERM_WARNING_DAYS,
        "without_committee": selectors.units_without_committee(user=request.user),
    }
    return render_page(request, "core/committees_ending.html", context, partial="ending-table")


def _committee_unit(request: HttpRequest, pk: int) -> OrgUnit:
    unit = selectors.org_unit_get(user=request.user, pk=pk)
    if not unit.has_committee:
        raise Http404("该组织不设委员会")
    if not unit.is_active or not scope.can_manage_committee_of(request.user, unit):
        raise PermissionDenied("您不能管理该组织的委员会。")
    return unit


@scoped_view(cap=Cap.COMMITTEE_MANAGE, model=OrgUnit)
def committee_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _committee_unit(request, pk)
    form = CommitteeCreateForm(data=request.POST or None, org_unit=unit)
    done = submit_form(
        request,
        form,
        lambda data: services.committee_create(org_unit=unit, by=request.user, **data),
        lambda committee: (f"已登记第{committee.term_number}届委员会。", _committee_url(committee)),
    )
    return done or _form_page(request, "core/committee_form.html", unit, form=form, title=f"{unit.name} 换届登记")


@scoped_view(cap=Cap.COMMITTEE_VIEW, model=BranchCommittee)
def committee_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    committee = selectors.committee_get(user=request.user, pk=pk)
    unit = committee.org_unit
    context = {
        "committee": committee,
        "unit": unit,
        "breadcrumbs": selectors.org_unit_breadcrumbs(user=request.user, unit=unit),
        "seats": list(committee.seats.all()),
        "can_manage": unit.is_active and scope.can_manage_committee_of(request.user, unit),
        "history": selectors.committee_history(user=request.user, committee=committee),
    }
    return render(request, "core/committee_detail.html", context)


def _managed_committee(request: HttpRequest, pk: int) -> BranchCommittee:
    committee = selectors.committee_get(user=request.user, pk=pk)
    if not committee.org_unit.is_active or not scope.can_manage_committee_of(request.user, committee.org_unit):
        raise PermissionDenied("您不能管理该组织的委员会。")
    return committee


@scoped_view(cap=Cap.COMMITTEE_MANAGE, model=BranchCommittee)
def committee_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    committee = _managed_committee(request, pk)
    form = CommitteeEditForm(data=request.POST or None, instance=committee)
    done = submit_form(
        request,
        form,
        lambda data: services.committee_update(
            committee=committee,
            by=request.user,
            expected_version=data["version"],
            **{name: data[name] for name in CommitteeEditForm.Meta.fields},
        ),
        lambda saved: ("委员会信息已保存。", _committee_url(saved)),
    )
    return done or _committee_form_page(request, committee, form, f"编辑{committee}")


@scoped_view(cap=Cap.COMMITTEE_MANAGE, model=BranchCommittee)
def seat_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    committee = _managed_committee(request, pk)
    form = SeatAddForm(data=request.POST or None)
    done = submit_form(
        request,
        form,
        lambda data: services.seat_add(committee=committee, by=request.user, **data),
        lambda seat: (f"已增补：{seat}", _committee_url(committee)),
    )
    return done or _committee_form_page(request, committee, form, f"{committee} · 增补委员")


@scoped_view(cap=Cap.COMMITTEE_MANAGE, model=CommitteeSeat)
def seat_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    seat = selectors.seat_get(user=request.user, pk=pk)
    committee = _managed_committee(request, seat.committee_id)
    form = SeatEndForm(data=request.POST or None)
    done = submit_form(
        request,
        form,
        lambda data: services.seat_end(seat=seat, left_on=data["left_on"], reason=data["reason"], by=request.user),
        lambda ended: (f"{ended.person_name} 已离任。", _committee_url(committee)),
    )
    return done or _committee_form_page(request, committee, form, f"{seat} · 离任")


def _committee_form_page(request: HttpRequest, committee: BranchCommittee, form: Any, title: str) -> HttpResponse:
    return _form_page(
        request, "core/committee_form.html", committee.org_unit, form=form, committee=committee, title=title
    )
