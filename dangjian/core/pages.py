"""What every app's pages share: run a form's service and show its refusal on the form; page a
list whose count is already known."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from .htmx import htmx_redirect


def apply_errors(form, error: ValidationError) -> None:
    """Show a service's validation error on the form, on the field it names where possible."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def submit_form(
    request: HttpRequest,
    form: Any,
    action: Callable[[dict[str, Any]], Any],
    success: Callable[[Any], tuple[str, str]],
) -> HttpResponse | None:
    """Run the service `action` on a valid posted form. On success, say so and go to the page
    `success` names; a service's refusal lands on the form's fields and None is returned, so the
    view shows the form again with nothing written."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except ValidationError as error:
        apply_errors(form, error)
        return None
    message, url = success(result)
    messages.success(request, message)
    return htmx_redirect(request, url)


class CountedPaginator(Paginator):
    """A paginator told its count, for a list whose page already counts its rows in a query of
    its own (a summary over the same filter): Django's would count them again."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.count = count
