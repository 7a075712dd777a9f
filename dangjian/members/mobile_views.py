"""Pages of mobile members (流动党员): the outflow and inflow lists (by unit and by days since
the last contact, the longest without contact first), finding the member who goes away,
registering an outflow or an inflow, and one record with its contact log, where contacts are
logged and the mobility is ended."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.htmx import render_page
from dangjian.core.pages import submit_form

from . import mobile_forms as forms
from .choices import MemberStatus, MobileDirection, MobileStatus
from .models import Member, MobileMember
from .selectors import mobile as selectors
from .selectors import registry as registry_selectors
from .selectors import transfers as transfer_selectors
from .selectors.mobile import CONTACT_BANDS
from .services import mobile as services
from .transfer_forms import MemberPickForm

Cap = scope.Cap
PAGE_SIZE = 50


@scoped_view(cap=Cap.MEMBER_VIEW)
def mobile_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.MobileFilterForm(
        data=request.GET or None, units=scope.units(user).active().exclude(kind="group").order_by("path")
    )
    filters = form.filters()
    page = Paginator(selectors.mobile_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    bands = selectors.mobile_band_counts(user=user, filters=filters)
    directions = selectors.mobile_direction_counts(user=user, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    without_band = query.copy()
    without_band.pop("band", None)
    without_direction = query.copy()
    for key in ("direction", "band"):
        without_direction.pop(key, None)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "query_without_band": without_band.urlencode(),
        "query_without_direction": without_direction.urlencode(),
        "direction_tabs": [(value, label, directions[value]) for value, label in MobileDirection.choices],
        "band_tabs": [
            ("", "全部", bands[""]),
            *((key, label, bands[key]) for key, (label, _, _) in CONTACT_BANDS.items()),
        ],
        "today": timezone.localdate(),
        "can_manage": scope.can(user, Cap.MEMBER_MANAGE),
    }
    return render_page(request, "members/mobile_list.html", context, partial="results")


@scoped_view(cap=Cap.MEMBER_MANAGE)
def mobile_pick_view(request: HttpRequest) -> HttpResponse:
    """Find the member who goes away (by name, initials or an exact number)."""
    form = MemberPickForm(data=request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    context = {"form": form, "q": q, "members": transfer_selectors.member_pick(user=request.user, q=q)}
    return render_page(request, "members/mobile_pick.html", context, partial="results")


@scoped_view(cap=Cap.MEMBER_MANAGE, model=Member)
def mobile_outflow_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = transfer_selectors.member_for_letter(user=request.user, pk=pk)
    form = forms.OutflowForm(data=request.POST or None)
    done = submit_form(
        request,
        form,
        lambda data: services.mobile_register_outflow(member=member, by=request.user, **form.mobility()),
        lambda mobile: (
            f"已登记流出党员：{mobile.member.name}（{mobile.place}）",
            reverse("members:mobile_detail", args=[mobile.pk]),
        ),
    )
    if done:
        return done
    tab = transfer_selectors.member_relationship_tab(member=member)
    blocker = ""
    if member.status != MemberStatus.ACTIVE:
        blocker = f"{member.name}当前为“{member.get_status_display()}”，只有在册党员可以登记流出。"
    elif tab["open_mobility"] is not None:
        blocker = f"{member.name}已登记为流动党员（{tab['open_mobility'].place}），请先结束该登记。"
    context = {"form": form, "member": member, "title": f"登记流出党员 · {member.name}", "blocker": blocker}
    return render(request, "members/mobile_form.html", context)


@scoped_view(cap=Cap.MEMBER_MANAGE)
def mobile_inflow_create_view(request: HttpRequest) -> HttpResponse:
    form = forms.InflowForm(data=request.POST or None, branches=registry_selectors.branch_choices(user=request.user))
    done = submit_form(
        request,
        form,
        lambda data: services.mobile_register_inflow(
            branch=data["branch"], by=request.user, member_fields=form.member_fields(), **form.mobility()
        ),
        lambda mobile: (
            f"已登记流入党员：{mobile.member.name}（{mobile.member.branch.name}）",
            reverse("members:mobile_detail", args=[mobile.pk]),
        ),
    )
    if done:
        return done
    return render(request, "members/mobile_form.html", {"form": form, "title": "登记流入党员"})


def _detail(
    request: HttpRequest,
    mobile: MobileMember,
    *,
    contact_form: forms.ContactForm | None = None,
    end_form: forms.EndForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = scope.can(request.user, Cap.MEMBER_MANAGE)
    away = mobile.status == MobileStatus.AWAY
    context = {
        "mobile": mobile,
        "contacts": list(mobile.contacts.all()),
        "cases": list(mobile.cases.all()),
        "can_manage": can_manage,
        "contact_form": (contact_form or forms.ContactForm()) if can_manage and away else None,
        "end_form": (end_form or forms.EndForm(version=mobile.version)) if can_manage and away else None,
        "history": selectors.mobile_history(user=request.user, mobile=mobile),
        "today": timezone.localdate(),
    }
    return render(request, "members/mobile_detail.html", context, status=status)


@scoped_view(cap=Cap.MEMBER_VIEW, model=MobileMember)
def mobile_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.mobile_get(user=request.user, pk=pk))


@scoped_view(cap=Cap.MEMBER_MANAGE, model=MobileMember)
def mobile_contact_view(request: HttpRequest, pk: int) -> HttpResponse:
    mobile = selectors.mobile_get(user=request.user, pk=pk)  # outside the scope: 404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.ContactForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.ACTION_SERVICES["contact"](mobile, data, request.user),
        lambda log: (
            f"已登记联系记录：{services.day_label(log.contacted_on)} · {log.get_result_display()}",
            reverse("members:mobile_detail", args=[mobile.pk]),
        ),
    )
    return done or _detail(request, mobile, contact_form=form)


@scoped_view(cap=Cap.MEMBER_MANAGE, model=MobileMember)
def mobile_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    mobile = selectors.mobile_get(user=request.user, pk=pk)  # outside the scope: 404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.EndForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.ACTION_SERVICES["end"](mobile, data, request.user),
        lambda saved: (
            f"{saved.member.name}的流动登记已结束。",
            reverse("members:mobile_detail", args=[saved.pk]),
        ),
    )
    return done or _detail(request, mobile, end_form=form)
