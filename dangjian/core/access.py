"""View decorators that tie every page to the scope rule.

Each view either declares what it shows (`scoped_view`: the model looked up by a URL argument,
the capability the page needs) or says why it needs no scope (`scope_exempt`). The scope-matrix
test reads these declarations from the URLconf, so a new route cannot escape it unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from . import scope

View = Callable[..., HttpResponse]


def scoped_view(
    *, cap: scope.Cap | None, model: type[Model] | None = None, kwarg: str = "pk"
) -> Callable[[View], View]:
    """A signed-in page that needs `cap`, showing an object of `model` found by URL `kwarg`.

    The object itself must be fetched through a scoped selector, which answers 404 outside the
    scope; this decorator records the declaration and refuses roles without the capability.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if cap is not None and not scope.can(request.user, cap):
                raise PermissionDenied("您当前的角色不能使用此功能。")
            return view(request, *args, **kwargs)

        protected = login_required(wrapper)
        protected.scope_model = model  # type: ignore[attr-defined]
        protected.scope_kwarg = kwarg if model is not None else None  # type: ignore[attr-defined]
        protected.scope_cap = cap  # type: ignore[attr-defined]
        return protected

    return decorate


def scope_exempt(reason: str) -> Callable[[View], View]:
    """A view that shows nothing org-bound (login, the user's own settings); `reason` says why."""

    def decorate(view: View) -> View:
        view.scope_exempt = reason  # type: ignore[attr-defined]
        return view

    return decorate
