"""Pages of relationship transfers (组织关系转接): the list with its direction tabs, the letters
coming to the user's branches (待接收), finding the member a letter is for, issuing a letter
(out of the district, within it), recording an incoming letter, a letter's page with the action
that applies, re-issuing an expired letter, registering the person of an incoming letter, and
the printed letter."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import render_page
from dangjian.core.models import OrgUnit
from dangjian.core.pages import submit_form

from . import transfer_forms as forms
from .choices import MemberStatus, TransferDirection, TransferStatus
from .models import Member, Transfer
from .selectors import registry as registry_selectors
from .selectors import transfers as selectors
from .services import transfers as services

Cap = scope.Cap
PAGE_SIZE = 50


def _units(request: HttpRequest):
    return scope.units(request.user).active().exclude(kind="group").order_by("path")


# --- Lists -------------------------------------------------------------------------------------


@scoped_view(cap=Cap.MEMBER_VIEW)
def transfer_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.TransferFilterForm(data=request.GET or None, units=_units(request))
    filters = form.filters()
    page = Paginator(selectors.transfer_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.transfer_direction_counts(user=user, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    without_direction = query.copy()
    without_direction.pop("direction", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "query_without_direction": without_direction.urlencode(),
        "direction": filters.direction,
        "tabs": [
            ("", "全部", counts[""]),
            *((value, label, counts[value]) for value, label in TransferDirection.choices),
        ],
        "expiring": list(selectors.transfer_expiring(user=user)[:20]),
        "incoming_count": selectors.transfer_incoming(user=user).count(),
        "today": timezone.localdate(),
        "warning_days": settings.DANGJIAN_LETTER_WARNING_DAYS,
        "can_manage": scope.can(user, Cap.MEMBER_MANAGE),
    }
    return render_page(request, "members/transfer_list.html", context, partial="results")


@scoped_view(cap=Cap.MEMBER_VIEW)
def transfer_incoming_view(request: HttpRequest) -> HttpResponse:
    """Letters within the district coming to a branch in the scope, still to be reported."""
    transfers = selectors.transfer_incoming(user=request.user)
    page = Paginator(transfers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "today": timezone.localdate(),
        "warning_days": settings.DANGJIAN_LETTER_WARNING_DAYS,
        "can_manage": scope.can(request.user, Cap.MEMBER_MANAGE),
    }
    return render(request, "members/transfer_incoming.html", context)


@scoped_view(cap=Cap.MEMBER_MANAGE)
def transfer_pick_view(request: HttpRequest) -> HttpResponse:
    """Find the member a letter is for (by name, initials or an exact number)."""
    form = forms.MemberPickForm(data=request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    context = {"form": form, "q": q, "members": selectors.member_pick(user=request.user, q=q)}
    return render_page(request, "members/transfer_pick.html", context, partial="results")


# --- Issuing and receiving ---------------------------------------------------------------------


def _member_blocker(member: Member) -> str:
    """Why no letter can be issued for the member now ("" when one can)."""
    if member.status != MemberStatus.ACTIVE:
        return f"{member.name}当前为“{member.get_status_display()}”，只有在册党员可以开具介绍信。"
    tab = selectors.member_relationship_tab(member=member)
    letter = tab["open_letter"]
    if letter is not None:
        return f"{member.name}已有一封未办结的介绍信{letter.letter_number}，请先办结、退回或作废。"
    return ""


def _issue_page(request: HttpRequest, member: Member, form, title: str, action) -> HttpResponse:
    done = submit_form(
        request,
        form,
        action,
        lambda transfer: (
            f"已开具介绍信{transfer.letter_number}：{transfer.name}",
            reverse("members:transfer_detail", args=[transfer.pk]),
        ),
    )
    if done:
        return done
    context = {"form": form, "member": member, "title": title, "blocker": _member_blocker(member)}
    return render(request, "members/transfer_form.html", context)


@scoped_view(cap=Cap.MEMBER_MANAGE, model=Member)
def transfer_out_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_for_letter(user=request.user, pk=pk)
    form = forms.TransferOutForm(
        data=request.POST or None, dues_paid_until=selectors.dues_paid_until_default(member=member)
    )
    return _issue_page(
        request,
        member,
        form,
        f"开具转出介绍信 · {member.name}",
        lambda data: services.transfer_issue_out(member=member, by=request.user, **data),
    )


@scoped_view(cap=Cap.MEMBER_MANAGE, model=Member)
def transfer_within_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.member_for_letter(user=request.user, pk=pk)
    form = forms.TransferWithinForm(
        data=request.POST or None,
        targets=selectors.within_targets(member),
        dues_paid_until=selectors.dues_paid_until_default(member=member),
    )
    return _issue_page(
        request,
        member,
        form,
        f"区内转接 · {member.name}",
        lambda data: services.transfer_issue_within(member=member, by=request.user, **data),
    )


@scoped_view(cap=Cap.MEMBER_MANAGE)
def transfer_in_create_view(request: HttpRequest) -> HttpResponse:
    form = forms.TransferInForm(
        data=request.POST or None, branches=registry_selectors.branch_choices(user=request.user)
    )
    done = submit_form(
        request,
        form,
        lambda data: services.transfer_receive_in(by=request.user, **data),
        lambda transfer: (
            f"已登记转入介绍信：{transfer.name}，请编入支部。",
            reverse("members:transfer_detail", args=[transfer.pk]),
        ),
    )
    if done:
        return done
    return render(request, "members/transfer_form.html", {"form": form, "title": "登记转入介绍信"})


# --- A letter and its actions ------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """An action the letter's page offers: its form, which side may take it, and what it says."""

    label: str
    form: type[forms.ActionForm]
    done: str
    button: str = "btn-primary"
    confirm: str = ""
    receiving_side: bool = False


ACTIONS: dict[str, Action] = {
    "report": Action(
        "登记报到",
        forms.ReportForm,
        "已登记报到。",
        confirm="登记报到后，党员的组织关系将随之转移，确定吗？",
        receiving_side=True,
    ),
    "return": Action("退回", forms.ReturnForm, "介绍信已退回，党员仍在原支部。", button="btn-outline-secondary"),
    "cancel": Action(
        "作废",
        forms.CancelForm,
        "介绍信已作废。",
        button="btn-outline-danger",
        confirm="作废后该介绍信不能再使用，确定吗？",
    ),
}


def _offered(action: str, transfer: Transfer, issuer: bool) -> bool:
    direction, status = transfer.direction, transfer.status
    if action == "report":
        return direction != TransferDirection.IN and status in (TransferStatus.ISSUED, TransferStatus.EXPIRED)
    if not issuer:
        return False
    if action == "return":
        if direction == TransferDirection.IN:
            return status == TransferStatus.RECEIVED
        return status in (TransferStatus.ISSUED, TransferStatus.EXPIRED)
    if action == "cancel":
        return status in (TransferStatus.ISSUED, TransferStatus.RECEIVED)
    return False


def _detail(request: HttpRequest, transfer: Transfer, bound: dict[str, forms.ActionForm] | None = None):
    user = request.user
    can_manage = scope.can(user, Cap.MEMBER_MANAGE)
    issuer = selectors.transfer_is_issuer(user=user, transfer=transfer)
    actions = []
    if can_manage:
        for name, action in ACTIONS.items():
            if _offered(name, transfer, issuer):
                form = (bound or {}).get(name) or action.form(action=name, version=transfer.version)
                actions.append({"action": name, "step": action, "form": form})
    expired = services.is_expired(transfer)
    if expired and actions and actions[0]["action"] == "report":
        last_day = services.day_label(transfer.expires_on)
        actions[0]["form"].fields[
            "reported_on"
        ].help_text = f"介绍信已过期：只能登记{last_day}（含）以前已报到的情况；此后报到的，请重新开具介绍信。"
    context = {
        "transfer": transfer,
        "actions": actions,
        "open_action": next(iter(bound)) if bound else "",
        "issuer": issuer,
        "expired": expired,
        "may_reissue": can_manage and issuer and expired and transfer.direction != TransferDirection.IN,
        "may_register": can_manage
        and transfer.direction == TransferDirection.IN
        and transfer.status == TransferStatus.RECEIVED,
        "may_print": issuer
        and can_manage
        and transfer.direction != TransferDirection.IN
        and transfer.status != TransferStatus.CANCELLED,
        "history": selectors.transfer_history(user=user, transfer=transfer),
        "today": timezone.localdate(),
        "warning_days": settings.DANGJIAN_LETTER_WARNING_DAYS,
    }
    return render_page(request, "members/transfer_detail.html", context, partial="actions")


@scoped_view(cap=Cap.MEMBER_VIEW, model=Transfer)
def transfer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.transfer_get(user=request.user, pk=pk)
    return _detail(request, transfer)


def _action_view(name: str):
    action = ACTIONS[name]

    @scoped_view(cap=Cap.MEMBER_MANAGE, model=Transfer)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        transfer = selectors.transfer_get(user=request.user, pk=pk)  # outside the scope: 404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        issuer = selectors.transfer_is_issuer(user=request.user, transfer=transfer)
        if not issuer and not action.receiving_side:
            raise PermissionDenied("只有开具介绍信的一方可以办理此项。")
        form = action.form(data=request.POST, action=name)
        done = submit_form(
            request,
            form,
            lambda data: services.ACTION_SERVICES[name](transfer, data, request.user),
            lambda saved: (f"{saved.name}：{action.done}", reverse("members:transfer_detail", args=[saved.pk])),
        )
        return done or _detail(request, transfer, bound={name: form})

    view.__name__ = view.__qualname__ = f"transfer_{name}_view"
    return view


transfer_report_view = _action_view("report")
transfer_return_view = _action_view("return")
transfer_cancel_view = _action_view("cancel")


def _issuer_only(request: HttpRequest, transfer: Transfer) -> None:
    if not selectors.transfer_is_issuer(user=request.user, transfer=transfer):
        raise PermissionDenied("只有开具介绍信的一方可以办理此项。")


@scoped_view(cap=Cap.MEMBER_MANAGE, model=Transfer)
def transfer_reissue_view(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.transfer_get(user=request.user, pk=pk)
    _issuer_only(request, transfer)
    allowed = transfer.direction != TransferDirection.IN and services.is_expired(transfer)
    member = transfer.member
    form = forms.ReissueForm(
        data=request.POST or None if allowed else None,
        transfer=transfer,
        targets=selectors.within_targets(member) if member is not None else OrgUnit.objects.none(),
        dues_paid_until=selectors.dues_paid_until_default(member=member) if member is not None else None,
    )
    if allowed:
        done = submit_form(
            request,
            form,
            lambda data: services.transfer_reissue(
                transfer=transfer,
                by=request.user,
                issued_on=data["issued_on"],
                valid_days=data["valid_days"],
                dues_paid_until=data["dues_paid_until"],
                counterpart=data.get("counterpart"),
                to_branch=data.get("to_branch"),
                expected_version=data["version"],
            ),
            lambda new: (
                f"已重新开具介绍信{new.letter_number}（原介绍信{transfer.letter_number}已过期）。",
                reverse("members:transfer_detail", args=[new.pk]),
            ),
        )
        if done:
            return done
    context = {"form": form, "transfer": transfer, "allowed": allowed}
    return render(request, "members/transfer_reissue.html", context)


@scoped_view(cap=Cap.MEMBER_MANAGE, model=Transfer)
def transfer_register_view(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.transfer_get(user=request.user, pk=pk)
    _issuer_only(request, transfer)
    allowed = transfer.direction == TransferDirection.IN and transfer.status == TransferStatus.RECEIVED
    form = forms.TransferRegisterForm(
        data=request.POST or None if allowed else None,
        transfer=transfer,
        groups=selectors.group_choices_for(branch=transfer.branch),
        communities=scope.units(request.user).active().filter(kind="community").order_by("path"),
        categories=registry_selectors.active_categories(),
    )
    if allowed:
        done = submit_form(
            request,
            form,
            lambda data: services.transfer_register(
                transfer=transfer,
                by=request.user,
                registered_on=data["registered_on"],
                categories=data["categories"],
                expected_version=data["version"],
                **form.member_fields(),
            ),
            lambda saved: (
                f"{saved.name}已编入{saved.branch.name}。",
                reverse("members:member_detail", args=[saved.member_id]),
            ),
        )
        if done:
            return done
    existing = selectors.existing_member_for(transfer=transfer) if allowed else None
    context = {"form": form, "transfer": transfer, "allowed": allowed, "existing": existing}
    return render(request, "members/transfer_register.html", context)


@scoped_view(cap=Cap.MEMBER_MANAGE, model=Transfer)
def transfer_print_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The introduction letter as printed: stub, letter and return receipt. The ID number is
    printed in full only for a user who may see it, and that printing is logged."""
    transfer = selectors.transfer_get(user=request.user, pk=pk)
    _issuer_only(request, transfer)
    if transfer.direction == TransferDirection.IN or not transfer.letter_number:
        raise Http404("转入介绍信由对方党组织开具，无需在此打印。")
    if transfer.status == TransferStatus.CANCELLED:
        raise PermissionDenied("已作废的介绍信不能打印。")
    full = scope.can(request.user, Cap.MEMBER_UNMASK)
    id_number = services.letter_id_number(
        transfer=transfer, by=request.user, full=full, ip_address=request.META.get("REMOTE_ADDR")
    )
    context = selectors.letter_print_context(transfer=transfer, id_number=id_number)
    context["full"] = full
    return render(request, "members/letter_print.html", context)
