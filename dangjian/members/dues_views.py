"""Pages of Party dues (党费): the monthly ledger, the bracket rules, a branch's yearly sheet of
income bases (form, xlsx template and upload), a member's dues with payments and relief
requests, the branch's batch collection, reliefs and their approval, and the arrears list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.forms import ImportFileForm
from dangjian.core.htmx import render_page
from dangjian.core.pages import CountedPaginator, apply_errors, submit_form

from . import dues_forms as forms
from . import dues_import, exports_dues
from .choices import ApprovalStatus, DuesMonthStatus
from .models import DuesRelief, Member
from .selectors import dues as selectors
from .services import dues as services

Cap = scope.Cap
PAGE_SIZE = 50


def _query(request: HttpRequest, *drop: str) -> str:
    query = request.GET.copy()
    for key in ("page", *drop):
        query.pop(key, None)
    return query.urlencode()


# --- The monthly ledger ------------------------------------------------------------------------


@scoped_view(cap=Cap.DUES_VIEW)
def dues_ledger_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.LedgerFilterForm(data=request.GET or None, units=selectors.dues_unit_choices(user=user))
    filters = form.filters()
    page = Paginator(selectors.dues_ledger(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    summary = selectors.dues_ledger_summary(user=user, filters=filters)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "summary": summary,
        "tabs": [
            ("", "全部", summary["all"]["n"]),
            *((value, label, summary[value]["n"]) for value, label in DuesMonthStatus.choices),
        ],
        "status": filters.status,
        "query": _query(request),
        "query_without_status": _query(request, "status"),
        "this_month": services.current_month(),
        "can_manage": scope.can(user, Cap.DUES_MANAGE),
    }
    return render_page(request, "members/dues_ledger.html", context, partial="results")


@scoped_view(cap=Cap.DUES_MANAGE)
def dues_open_view(request: HttpRequest) -> HttpResponse:
    """Open this month's (and any missing earlier month's of this year) ledger for the scope."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    root = scope.scope_root(request.user)
    opened = services.dues_open_months(
        through=timezone.localdate(), units=None if scope.is_unrestricted(request.user) else [root]
    )
    if opened:
        messages.success(request, f"已开立 {opened} 个党员月份的党费账目。")
    else:
        messages.info(request, "本年度至本月的党费账目都已开立；尚未核定基数的党员需先核定基数。")
    return redirect("members:dues_ledger")


# --- The rules ---------------------------------------------------------------------------------


@scoped_view(cap=Cap.DUES_VIEW)
def dues_rules_view(request: HttpRequest) -> HttpResponse:
    context = {
        "table": selectors.dues_rule_table(),
        "can_edit": scope.can(request.user, Cap.RULES_MANAGE),
        "can_manage": scope.can(request.user, Cap.DUES_MANAGE),
    }
    return render(request, "members/dues_rules.html", context)


@scoped_view(cap=Cap.RULES_MANAGE)
def dues_rules_edit_view(request: HttpRequest) -> HttpResponse:
    form = forms.DuesRulesForm(data=request.POST or None, table=selectors.dues_rule_table())
    done = submit_form(
        request,
        form,
        lambda data: services.dues_rules_update(
            values=form.values(), expected_versions=form.versions(), by=request.user
        ),
        lambda changed: (
            f"已修改 {len(changed)} 档党费交纳标准；此后核定的基数按新标准计算。" if changed else "交纳标准没有变化。",
            reverse("members:dues_rules"),
        ),
    )
    return done or render(request, "members/dues_rules_form.html", {"form": form})


# --- A branch's yearly sheet of bases ----------------------------------------------------------


def _sheet_choice(request: HttpRequest, data: Any) -> tuple[forms.SheetChoiceForm, Any, int]:
    form = forms.SheetChoiceForm(data=data or None, branches=selectors.dues_branch_choices(user=request.user))
    branch, year = form.choice()
    return form, branch, year


def _bases_page(request: HttpRequest, choice: forms.SheetChoiceForm, branch: Any, year: int) -> HttpResponse:
    rows = selectors.dues_sheet(user=request.user, branch=branch, year=year) if branch else []
    context = {
        "choice": choice,
        "branch": branch,
        "year": year,
        "rows": rows,
        "counts": selectors.dues_sheet_counts(rows),
        "overview": [] if branch else selectors.dues_sheet_overview(user=request.user, year=year),
        "can_manage": scope.can(request.user, Cap.DUES_MANAGE),
    }
    return render(request, "members/dues_bases.html", context)


@scoped_view(cap=Cap.DUES_VIEW)
def dues_bases_view(request: HttpRequest) -> HttpResponse:
    choice, branch, year = _sheet_choice(request, request.GET)
    return _bases_page(request, choice, branch, year)


def _sheet_page(request: HttpRequest, branch: Any, year: int, formset: Any, **extra: Any) -> HttpResponse:
    rows = {row.member.pk: row for row in selectors.dues_sheet(user=request.user, branch=branch, year=year)}
    lines = []
    for form in formset.forms:
        key = form["member"].value()
        row = rows.get(int(key)) if str(key).isdigit() else None
        lines.append({"form": form, "row": row})
    context = {
        "branch": branch,
        "year": year,
        "formset": formset,
        "lines": lines,
        "import_form": _import_form(),
        **extra,
    }
    return render(request, "members/dues_bases_form.html", context)


def _import_form(data: Any = None, files: Any = None) -> ImportFileForm:
    form = ImportFileForm(data=data, files=files)
    form.fields["file"].label = "党费基数表"
    form.fields["file"].help_text = "用下载的本支部党费基数表填写，保存为 .xlsx 后上传；任何一行有错都不会保存。"
    return form


@scoped_view(cap=Cap.DUES_MANAGE)
def dues_bases_edit_view(request: HttpRequest) -> HttpResponse:
    choice, branch, year = _sheet_choice(request, request.POST if request.method == "POST" else request.GET)
    if branch is None:  # no branch chosen yet: the list of branches to choose from
        return _bases_page(request, choice, branch, year)
    rows = selectors.dues_sheet(user=request.user, branch=branch, year=year)
    members = {row.member.pk: row.member for row in rows}
    if request.method != "POST":
        formset = forms.BaseSheetFormSet(initial=forms.sheet_initial(rows), members=members, prefix="rows")
        return _sheet_page(request, branch, year, formset)
    formset = forms.BaseSheetFormSet(data=request.POST, members=members, prefix="rows")
    if formset.is_valid():
        entries, positions = [], []
        for index, form in enumerate(formset.forms):
            if form.is_blank:
                continue
            data = form.cleaned_data
            entries.append(
                services.BaseEntry(
                    member=data["member"],
                    income_class=data["income_class"],
                    monthly_income=data["monthly_income"],
                    expected_version=data["version"] if data["version"] is not None else 0,
                )
            )
            positions.append(index)
        try:
            changed = services.dues_bases_save(year=year, entries=entries, by=request.user)
        except services.SheetRefused as refused:
            for entry_index, errors in refused.errors.items():
                form = formset.forms[positions[entry_index]]
                apply_errors(form, ValidationError(errors))
        else:
            messages.success(request, f"已保存{branch.name}{year}年度党费基数：{changed} 人有变化。")
            return redirect(f"{reverse('members:dues_bases')}?branch={branch.pk}&year={year}")
    return _sheet_page(request, branch, year, formset, refused=True)


@scoped_view(cap=Cap.DUES_MANAGE)
def dues_bases_template_view(request: HttpRequest) -> HttpResponse:
    choice, branch, year = _sheet_choice(request, request.GET)
    if branch is None:  # no branch chosen yet: the list of branches to choose from
        return _bases_page(request, choice, branch, year)
    rows = selectors.dues_sheet(user=request.user, branch=branch, year=year)
    content = exports_dues.write_base_template(branch=branch, year=year, rows=rows)
    return exports_dues.xlsx_response(content, f"{branch.name}{year}年度党费基数表.xlsx")


@scoped_view(cap=Cap.DUES_MANAGE)
def dues_bases_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a filled-in sheet: every row checked first; saved only when all pass."""
    choice, branch, year = _sheet_choice(request, request.POST if request.method == "POST" else request.GET)
    import_form = _import_form(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"choice": choice, "branch": branch, "year": year, "import_form": import_form}
    if request.method != "POST":
        return render(request, "members/dues_bases_import.html", context)
    if branch is None:
        choice.add_error("branch", "请选择党支部。")
        return render(request, "members/dues_bases_import.html", context)
    if not import_form.is_valid():
        return render(request, "members/dues_bases_import.html", context)
    rows = selectors.dues_sheet(user=request.user, branch=branch, year=year)
    members = {row.member.pk: row.member for row in rows}
    check = dues_import.check_base_file(import_form.cleaned_data["file"].read(), members=members)
    errors = check.errors
    if not errors:
        try:
            changed = services.dues_bases_save(year=year, entries=check.entries, by=request.user)
        except services.SheetRefused as refused:
            errors = dues_import.refused_rows(check, refused.errors)
        else:
            messages.success(
                request,
                f"已导入{branch.name}{year}年度党费基数：{len(check.entries)} 行通过校验，{changed} 人有变化"
                + (f"，{check.skipped} 行未填写、保持不变" if check.skipped else "")
                + "。",
            )
            return redirect(f"{reverse('members:dues_bases')}?branch={branch.pk}&year={year}")
    context["errors"] = errors
    return render(request, "members/dues_bases_import.html", context, status=200)


# --- A member's dues ---------------------------------------------------------------------------


def _year(request: HttpRequest) -> int | None:
    value = request.GET.get("dues_year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None


def _member_page(request: HttpRequest, member: Member, *, bound: dict[str, Any] | None = None) -> HttpResponse:
    bound = bound or {}
    user = request.user
    dues = selectors.member_dues_tab(member=member, year=_year(request))
    can_manage = scope.can(user, Cap.DUES_MANAGE)
    due_months = selectors.dues_due_months(member=member) if can_manage else []
    all_months = member.dues_months.all()
    context = {
        "member": member,
        "dues": dues,
        "can_manage": can_manage,
        "can_approve": scope.can(user, Cap.DUES_APPROVE),
        "due_months": due_months,
        "pay_form": bound.get("pay") or forms.PaymentForm(months=all_months),
        "pay_checked": set(request.POST.getlist("months")) if "pay" in bound else set(),
        "base_form": bound.get("base") or forms.MemberBaseForm(base=dues["base"], year=dues["year"]),
        "relief_form": bound.get("relief") or forms.ReliefRequestForm(),
        "open_form": next(iter(bound), ""),
        "on_dues_page": True,
        "this_month": services.current_month(),
    }
    return render(request, "members/dues_member.html", context)


@scoped_view(cap=Cap.DUES_VIEW, model=Member)
def dues_member_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.dues_member_get(user=request.user, pk=pk)
    return _member_page(request, member)


def _member_url(member: Member) -> str:
    return reverse("members:dues_member", args=[member.pk])


@scoped_view(cap=Cap.DUES_MANAGE, model=Member)
def dues_pay_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.dues_member_get(user=request.user, pk=pk)  # outside the scope: 404 first
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.PaymentForm(data=request.POST, months=member.dues_months.all())
    done = submit_form(
        request,
        form,
        lambda data: services.dues_payment_record(member=member, by=request.user, **form.service_fields()),
        lambda payment: (
            f"已登记{member.name}交纳党费 {payment.amount} 元（{payment.get_kind_display()}）。",
            _member_url(member),
        ),
    )
    return done or _member_page(request, member, bound={"pay": form})


@scoped_view(cap=Cap.DUES_MANAGE, model=Member)
def dues_member_base_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.dues_member_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.MemberBaseForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.dues_base_set(
            member=member,
            year=data["year"],
            income_class=data["income_class"],
            monthly_income=data["monthly_income"],
            by=request.user,
            expected_version=data["version"],
        ),
        lambda base: (
            f"已核定{member.name}{base.year}年度党费基数：每月 {base.monthly_amount} 元。",
            f"{_member_url(member)}?dues_year={base.year}",
        ),
    )
    return done or _member_page(request, member, bound={"base": form})


@scoped_view(cap=Cap.DUES_MANAGE, model=Member)
def dues_relief_request_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.dues_member_get(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = forms.ReliefRequestForm(data=request.POST)
    done = submit_form(
        request,
        form,
        lambda data: services.dues_relief_request(member=member, by=request.user, **data),
        lambda relief: (
            f"已提交{member.name}的党费{relief.get_kind_display()}申请，待有审批权限的同志审批。",
            reverse("members:dues_relief_detail", args=[relief.pk]),
        ),
    )
    return done or _member_page(request, member, bound={"relief": form})


# --- Batch collection --------------------------------------------------------------------------


@scoped_view(cap=Cap.DUES_MANAGE)
def dues_batch_view(request: HttpRequest) -> HttpResponse:
    """A branch's month collected at once: tick the members who paid; each gets their own payment."""
    user = request.user
    choice = forms.BatchChoiceForm(
        data=(request.POST if request.method == "POST" else request.GET) or None,
        branches=selectors.dues_branch_choices(user=user),
    )
    branch, month = choice.choice()
    form = None
    due = []
    if branch is not None:
        form = forms.BatchForm(
            data=request.POST if request.method == "POST" else None,
            months=selectors.dues_branch_month(user=user, branch=branch, month=month),
        )
        due = list(selectors.dues_batch_months(user=user, branch=branch, month=month))
        if request.method == "POST":
            done = submit_form(
                request,
                form,
                lambda data: services.dues_batch_record(
                    month_ids=[row.pk for row in data["months"]],
                    paid_on=data["paid_on"],
                    method=data["method"],
                    by=user,
                ),
                lambda payments: (
                    f"已登记{branch.name}{services.month_label(month)} {len(payments)} 名党员的党费，"
                    f"共 {sum(payment.amount for payment in payments)} 元。",
                    f"{reverse('members:dues_batch')}?branch={branch.pk}&month={month:%Y-%m}",
                ),
            )
            if done:
                return done
    elif request.method == "POST":
        choice.add_error("branch", "请选择党支部。")
    context = {
        "choice": choice,
        "branch": branch,
        "month": month,
        "month_label": services.month_label(month),
        "form": form,
        "due": due,
        "paid_count": selectors.dues_batch_paid(user=user, branch=branch, month=month) if branch else 0,
        "checked": {str(value) for value in request.POST.getlist("months")} if request.method == "POST" else set(),
    }
    return render(request, "members/dues_batch.html", context)


# --- Reliefs -----------------------------------------------------------------------------------


@scoped_view(cap=Cap.DUES_VIEW)
def dues_relief_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = forms.ReliefFilterForm(data=request.GET or None, units=selectors.dues_unit_choices(user=user))
    status, unit = form.filters()
    page = Paginator(selectors.dues_relief_list(user=user, status=status, unit=unit), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = selectors.dues_relief_counts(user=user)
    context = {
        "form": form,
        "page": page,
        "status": status,
        "tabs": [("", "全部", counts[""]), *((value, label, counts[value]) for value, label in ApprovalStatus.choices)],
        "query": _query(request),
        "query_without_status": _query(request, "status"),
        "can_manage": scope.can(user, Cap.DUES_MANAGE),
    }
    return render_page(request, "members/dues_reliefs.html", context, partial="results")


def _relief_page(request: HttpRequest, relief: DuesRelief, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = request.user
    bound = bound or {}
    may_decide = (
        scope.can(user, Cap.DUES_APPROVE)
        and relief.status == ApprovalStatus.REQUESTED
        and relief.requested_by_id != user.pk
    )
    context = {
        "relief": relief,
        "months": selectors.dues_relief_months(relief=relief),
        "history": selectors.dues_relief_history(relief=relief),
        "may_decide": may_decide,
        "own_request": relief.requested_by_id == user.pk and relief.status == ApprovalStatus.REQUESTED,
        "can_approve": scope.can(user, Cap.DUES_APPROVE),
        "approve_form": bound.get("approve") or forms.ReliefDecideForm(action="approve", version=relief.version),
        "refuse_form": bound.get("refuse") or forms.ReliefDecideForm(action="refuse", version=relief.version),
        "refusal": next((form for form in bound.values() if form.errors), None),
    }
    return render(request, "members/dues_relief_detail.html", context)


@scoped_view(cap=Cap.DUES_VIEW, model=DuesRelief)
def dues_relief_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _relief_page(request, selectors.dues_relief_get(user=request.user, pk=pk))


def _decide_view(action: str):
    approve = action == "approve"

    @scoped_view(cap=Cap.DUES_APPROVE, model=DuesRelief)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        relief = selectors.dues_relief_get(user=request.user, pk=pk)  # outside the scope: 404 first
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = forms.ReliefDecideForm(data=request.POST, action=action)
        done = submit_form(
            request,
            form,
            lambda data: services.dues_relief_decide(
                relief=relief,
                approve=approve,
                note=data["decision_note"],
                by=request.user,
                expected_version=data["version"],
            ),
            lambda decided: (
                f"已{'批准' if approve else '决定不予批准'}{decided.member.name}"
                f"的党费{decided.get_kind_display()}申请。",
                reverse("members:dues_relief_detail", args=[decided.pk]),
            ),
        )
        if done:
            return done
        relief = selectors.dues_relief_get(user=request.user, pk=pk)  # as it is now, after the refusal
        return _relief_page(request, relief, bound={action: form})

    view.__name__ = view.__qualname__ = f"dues_relief_{action}_view"
    return view


dues_relief_approve_view = _decide_view("approve")
dues_relief_refuse_view = _decide_view("refuse")


# --- Arrears -----------------------------------------------------------------------------------


def _arrears_filters(request: HttpRequest) -> tuple[forms.ArrearsFilterForm, selectors.ArrearsFilters]:
    form = forms.ArrearsFilterForm(data=request.GET or None, units=selectors.dues_unit_choices(user=request.user))
    return form, form.filters()


@scoped_view(cap=Cap.DUES_VIEW)
def dues_arrears_view(request: HttpRequest) -> HttpResponse:
    form, filters = _arrears_filters(request)
    today = timezone.localdate()
    rows = selectors.dues_arrears(user=request.user, filters=filters, today=today)
    totals = selectors.dues_arrears_totals(user=request.user, filters=filters, today=today)
    page = CountedPaginator(rows, PAGE_SIZE, count=totals["members"]).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "totals": totals,
        "query": _query(request),
        "this_month": services.current_month(),
        "can_manage": scope.can(request.user, Cap.DUES_MANAGE),
    }
    return render_page(request, "members/dues_arrears.html", context, partial="results")


@scoped_view(cap=Cap.DUES_VIEW)
def dues_arrears_export_view(request: HttpRequest) -> HttpResponse:
    _, filters = _arrears_filters(request)
    today = timezone.localdate()
    rows = selectors.dues_arrears(user=request.user, filters=filters, today=today)
    root = filters.unit or scope.scope_root(request.user)
    return exports_dues.arrears_response(
        rows.iterator(chunk_size=2000), scope_name=root.name if root else "", today=today
    )
