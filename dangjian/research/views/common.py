"""What the research pages share: pagination that keeps the filters, status tabs, and the
factory of the small POST routes that move a record one step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.pages import submit_form

Cap = scope.Cap
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def paginate(request: HttpRequest, queryset: QuerySet) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def list_queries(request: HttpRequest, tab_key: str = "status") -> dict[str, str]:
    """The current filters as query strings: without the page, and also without the tab."""
    query = request.GET.copy()
    query.pop("page", None)
    without_tab = query.copy()
    without_tab.pop(tab_key, None)
    return {"query": query.urlencode(), "query_without_tab": without_tab.urlencode()}


def tabs(counts: dict[str, int], choices: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    return [(value, str(label), counts.get(value, 0)) for value, label in choices]


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def step_view(
    *,
    name: str,
    cap: scope.Cap,
    model: type[Model],
    get: Callable[..., Any],
    form: Callable[..., Any],
    run: Callable[[Any, dict[str, Any], Any], Any],
    done: Callable[[Any], tuple[str, str]],
    again: Callable[[HttpRequest, Any, dict[str, Any]], HttpResponse],
) -> Callable[..., HttpResponse]:
    """A POST route that takes a record one step (answer, approve, close…): the record is found
    in scope first (404 outside it), the step's form is checked, its service run; a refusal shows
    the record page again with the form and its errors, nothing written."""

    @scoped_view(cap=cap, model=model)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        record = get(user=request.user, pk=pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        bound = form(data=request.POST, record=record, user=request.user)
        response = submit_form(request, bound, lambda data: run(record, data, request.user), done)
        if response is not None:
            return response
        bound._style()  # mark the fields a service refused, too
        return again(request, record, {name: bound})

    view.__name__ = view.__qualname__ = f"{name}_view"
    return view
