"""The one HTMX helper: a view renders its whole page, or only the fragment HTMX asked for."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `template`; for an HTMX request with a `partial`, only `template#partial`."""
    if partial and getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, f"{template}#{partial}", context, status=status)
    return render(request, template, context, status=status)


def htmx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful form post: a full redirect, also when the form came through HTMX."""
    from django.shortcuts import redirect
    from django_htmx.http import HttpResponseClientRedirect

    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)
