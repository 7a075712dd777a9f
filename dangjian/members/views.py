"""Pages of the member registry: the list with its filters and export, a member's record,
adding and editing, showing a number in full, the log of those showings, and the roster import
(template, upload, errors or preview, confirmation, progress, history)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import import_module
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from dangjian.core import scope
from dangjian.core.access import scope_exempt, scoped_view
from dangjian.core.crypto import mask_phone, unseal
from dangjian.core.forms import ImportFileForm, file_size_label
from dangjian.core.htmx import render_page
from dangjian.core.models import ImportBatch
from dangjian.core.pages import submit_form
from dangjian.core.widgets import escape_text

from . import exports, imports
from .choices import Gender, MembershipType, MemberStatus, Standing, UnmaskField
from .forms import MemberFilterForm, MemberForm
from .models import Member
from .selectors import imports as import_selectors
from .selectors import registry as selectors
from .services import care as care_services
from .services import imports as import_services
from .services import registry as services

Cap = scope.Cap
PAGE_SIZE = 50


def _filter_form(request: HttpRequest, lookup: selectors.CategoryLookup | None = None) -> MemberFilterForm:
    """The list's filters; with the page's `lookup` of categories, a form to show as well."""
    shown = lookup is not None
    return MemberFilterForm(
        data=request.GET or None,
        units=selectors.filter_units(user=request.user),
        categories=selectors.active_categories(),
        category_options=lookup.options() if shown else None,
        unit_options=partial(selectors.filter_unit_rows, user=request.user) if shown else None,
    )


# The member table's rows are written here rather than in the template: fifty rows of nine
# cells cost the template engine about as much as the rest of the page together, and this costs
# a tenth of it. The markup is the template's, cell for cell; every value is escaped.
PROBATIONARY = '<span class="badge text-bg-warning">预备</span>'
ON_ROLL = '<span class="text-success">在册</span>'
BADGE = '<span class="badge text-bg-secondary">{}</span>'


def _member_rows(members: Iterable[dict[str, Any]], categories: selectors.CategoryLookup) -> SafeString:
    """The table's rows (`selectors.member_table`'s values, their categories named by
    `categories`), as one block of markup: name (linked), gender, age, branch and group, type,
    date joined, phone (masked), categories, and a badge unless the member is on the roll in
    normal standing."""
    today = timezone.localdate()
    genders, standings, statuses = _row_labels(get_language())
    # One reverse per process instead of one per row.
    head, tail = _detail_link(get_script_prefix(), get_urlconf())
    rows = []
    for member in members:
        born, joined = member["birth_date"], member["join_date"]
        group = (
            f'<div class="text-body-secondary">{escape_text(member["group_name"])}</div>'
            if member["group_name"]
            else ""
        )
        badges = "".join(
            f'<span class="badge text-bg-light border me-1">{escape_text(name)}</span>'
            for name in categories.names(member["category_keys"])
        )
        if member["status"] != MemberStatus.ACTIVE:
            status = BADGE.format(escape_text(statuses.get(member["status"], member["status"])))
        elif member["standing"] != Standing.NORMAL:
            status = BADGE.format(escape_text(standings.get(member["standing"], member["standing"])))
        else:
            status = ON_ROLL
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        rows.append(
            "<tr>"
            f'<td class="text-nowrap"><a href="{head}{member["pk"]}{tail}">{escape_text(member["name"])}</a></td>'
            f"<td>{escape_text(genders.get(member['gender'], member['gender']))}</td>"
            f"<td>{age}</td>"
            f'<td class="small">{escape_text(member["branch__name"])}{group}</td>'
            f"<td>{PROBATIONARY if member['membership_type'] == MembershipType.PROBATIONARY else '正式'}</td>"
            f'<td class="text-nowrap">{joined.year}年{joined.month}月{joined.day}日</td>'
            f'<td class="font-monospace small text-nowrap">{escape_text(mask_phone(member["phone"]) or "—")}</td>'
            f'<td class="small">{badges}</td>'
            f"<td>{status}</td>"
            "</tr>"
        )
    return mark_safe("".join(rows))


@lru_cache(maxsize=16)
def _row_labels(language: str | None) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The labels of genders, standings and statuses in `language`, by value."""
    return tuple(
        {value: str(label) for value, label in choices.choices} for choices in (Gender, Standing, MemberStatus)
    )


@lru_cache(maxsize=16)
def _detail_link(script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    """A member page's address around the member's id: (before, after)."""
    head, _, tail = reverse("members:member_detail", args=[987654321], urlconf=urlconf).rpartition("987654321")
    return head, tail


@scoped_view(cap=Cap.MEMBER_VIEW)
def member_list_view(request: HttpRequest) -> HttpResponse:
    categories = selectors.CategoryLookup.load()
    form = _filter_form(request, categories)
    members = selectors.member_table(user=request.user, filters=form.filters())
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": _member_rows(page.object_list, categories),
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
        "lazy_tabs": _lazy_tabs(request, member=member, own=False),
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


@scope_exempt("本人的党员档案：只查询 user 为当前用户的那一条")
@login_required
def my_record_view(request: HttpRequest) -> HttpResponse:
    member = selectors.own_record(user=request.user)
    if member is None:
        return render(request, "members/my_record_missing.html", status=404)
    context = {
        "member": member,
        "history": [],
        "can_manage": False,
        "can_unmask": False,
        "own": True,
        "tab": request.GET.get("tab", "basic"),
        "lazy_tabs": _lazy_tabs(request, member=member, own=True),
    }
    return render(request, "members/member_detail.html", context)


# --- The member page's tabs, each loaded when first shown --------------------------------------
# Each area keeps the reads of its tab in its own selector module, imported when the tab is asked
# for: the member page itself runs none of their queries.


@dataclass(frozen=True)
class MemberTab:
    key: str
    label: str
    selector: str  # "module:function", called with member=…, returning the partial's data
    template: str
    name: str  # the name under which the partial reads that data


MEMBER_TABS = (
    MemberTab(
        "relationship",
        "组织关系",
        "dangjian.members.selectors.transfers:member_relationship_tab",
        "members/partials/tab_relationship.html",
        "relationship",
    ),
    MemberTab(
        "life", "组织生活", "dangjian.orglife.selectors:member_life_tab", "orglife/partials/tab_life.html", "life"
    ),
    MemberTab(
        "dues", "党费", "dangjian.members.selectors.dues:member_dues_tab", "members/partials/tab_dues.html", "dues"
    ),
    MemberTab(
        "care", "帮扶", "dangjian.members.selectors.care:member_care_tab", "members/partials/tab_care.html", "care"
    ),
)
TABS_BY_KEY = {tab.key: tab for tab in MEMBER_TABS}


def _tab_year(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None


def _lazy_tabs(request: HttpRequest, *, member: Member, own: bool) -> list[dict[str, str]]:
    """The tabs the member page loads on demand, with the address of each one's content (the
    dues tab keeps the year the page was asked for)."""
    tabs = []
    for tab in MEMBER_TABS:
        url = (
            reverse(f"members:my_tab_{tab.key}") if own else reverse(f"members:member_tab_{tab.key}", args=[member.pk])
        )
        year = _tab_year(request, "dues_year") if tab.key == "dues" else None
        if year:
            url += f"?year={year}"
        tabs.append({"key": tab.key, "label": tab.label, "url": url})
    return tabs


def _tab_response(request: HttpRequest, member: Member, key: str, *, own: bool) -> HttpResponse:
    tab = TABS_BY_KEY[key]
    module, function = tab.selector.split(":")
    selector = getattr(import_module(module), function)
    user = request.user
    kwargs: dict[str, Any] = {"member": member}
    if key == "dues":
        kwargs["year"] = _tab_year(request, "year")
    data = selector(**kwargs)
    can_manage = not own and scope.can(user, Cap.MEMBER_MANAGE)
    context: dict[str, Any] = {
        "member": member,
        "own": own,
        tab.name: data,
        "can_manage": can_manage,
        # Links from the organizational-life tab open meetings and tasks.
        "links": not own and scope.can(user, Cap.MEETING_VIEW),
    }
    if key == "care":
        # Only the recorder corrects a record, within seven days (the service says why not).
        context["care_editable"] = {
            record.pk
            for record in data["records"]
            if can_manage and not care_services.care_record_edit_refusal(record=record, by=user)
        }
    return render(request, tab.template, context)


def _member_tab_view(key: str):
    @scoped_view(cap=Cap.MEMBER_VIEW, model=Member)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        member = selectors.member_tab_get(user=request.user, pk=pk)  # outside the scope: 404
        return _tab_response(request, member, key, own=False)

    view.__name__ = view.__qualname__ = f"member_tab_{key}_view"
    return view


def _my_tab_view(key: str):
    @scope_exempt("本人党员档案的一个标签页：只查询 user 为当前用户的那一条")
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        member = selectors.own_record(user=request.user)
        if member is None:
            raise Http404("您的账号没有关联党员档案。")
        return _tab_response(request, member, key, own=True)

    view.__name__ = view.__qualname__ = f"my_tab_{key}_view"
    return view


member_tab_relationship_view = _member_tab_view("relationship")
member_tab_life_view = _member_tab_view("life")
member_tab_dues_view = _member_tab_view("dues")
member_tab_care_view = _member_tab_view("care")
my_tab_relationship_view = _my_tab_view("relationship")
my_tab_life_view = _my_tab_view("life")
my_tab_dues_view = _my_tab_view("dues")
my_tab_care_view = _my_tab_view("care")


@scoped_view(cap=Cap.UNMASK_LOG_VIEW)
def unmask_log_view(request: HttpRequest) -> HttpResponse:
    logs = selectors.unmask_log_list(user=request.user)
    page = Paginator(logs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/unmask_log.html", {"page": page})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@scoped_view(cap=Cap.MEMBER_MANAGE)
def import_start_view(request: HttpRequest) -> HttpResponse:
    form = ImportFileForm(data=request.POST or None, files=request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = import_services.roster_import_upload(file_name=upload.name, content=upload.read(), by=request.user)
        return redirect("members:import_batch", pk=batch.pk)
    context = {
        "form": form,
        "recent": import_selectors.import_batch_list(user=request.user)[:5],
        "max_size": file_size_label(settings.DANGJIAN_IMPORT_MAX_BYTES),
        "max_rows": settings.DANGJIAN_IMPORT_MAX_ROWS,
        "root": scope.scope_root(request.user),
    }
    return render(request, "members/import_start.html", context)


@scoped_view(cap=Cap.MEMBER_MANAGE)
def import_template_view(request: HttpRequest) -> HttpResponse:
    return _xlsx_response(imports.write_template(root=scope.scope_root(request.user)), "党员名册导入模板.xlsx")


@scoped_view(cap=Cap.MEMBER_MANAGE)
def import_history_view(request: HttpRequest) -> HttpResponse:
    batches = import_selectors.import_batch_list(user=request.user)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/import_history.html", {"page": page})


def _batch_context(batch: ImportBatch) -> dict[str, object]:
    return {
        "batch": batch,
        "errors": import_selectors.import_errors_shown(batch),
        "progress": import_selectors.import_progress(batch),
        "preview_kinds": [
            ("new", "新增", batch.preview.get("new", []), batch.new_count),
            ("updated", "更新", batch.preview.get("updated", []), batch.updated_count),
            ("unchanged", "未变", batch.preview.get("unchanged", []), batch.unchanged_count),
        ],
        "file_size": file_size_label(batch.file_size),
    }


@scoped_view(cap=Cap.MEMBER_MANAGE, model=ImportBatch)
def import_batch_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = import_selectors.import_batch_get(user=request.user, pk=pk)
    return render(request, "members/import_batch.html", _batch_context(batch))


@scoped_view(cap=Cap.MEMBER_MANAGE, model=ImportBatch)
def import_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = import_selectors.import_batch_get(user=request.user, pk=pk)
    response = render_page(request, "members/import_batch.html", _batch_context(batch), partial="status")
    if request.htmx and not batch.is_pending:
        response["HX-Refresh"] = "true"  # finished: reload once, so the header shows the outcome too
    return response


@scoped_view(cap=Cap.MEMBER_MANAGE, model=ImportBatch)
def import_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = import_selectors.import_batch_get(user=request.user, pk=pk)  # outside the scope: 404 first
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        import_services.roster_import_confirm(batch=batch, by=request.user)
    except ValidationError as error:
        messages.warning(request, " ".join(error.messages))
    return redirect("members:import_batch", pk=batch.pk)


@scoped_view(cap=Cap.MEMBER_MANAGE, model=ImportBatch)
def import_errors_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = import_selectors.import_batch_get(user=request.user, pk=pk, with_content=True)
    content = imports.write_error_file(unseal(bytes(batch.content)), batch.errors)
    stem = batch.file_name.rsplit(".", 1)[0] or "名册"
    return _xlsx_response(content, f"{stem}-错误说明.xlsx")
