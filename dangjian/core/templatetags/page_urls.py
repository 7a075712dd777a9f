"""The `url` tag of every template (a builtin, so no `{% load %}`): the address of a page named
without arguments is reversed once per process, URL configuration, script prefix and current
application instead of on every page. A page names a dozen such addresses (the header's links,
its buttons), and a `reverse` costs more than the rest of the tag. Addresses with arguments, and
`{% url … as name %}`, are Django's tag unchanged."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.template import defaulttags
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


def page_url(view_name: str, current_app: str | None = None) -> str:
    """The address of a page named without arguments, reversed once per URL configuration,
    script prefix and current application (the tag's, and the navigation bar's)."""
    return _reversed(view_name, current_app, get_urlconf(), get_script_prefix())


@lru_cache(maxsize=1024)
def _reversed(view_name: str, current_app: str | None, urlconf: str | None, script_prefix: str) -> str:
    return reverse(view_name, urlconf=urlconf, current_app=current_app)  # reverse adds the prefix


class PageURLNode(defaulttags.URLNode):
    def render(self, context: Any) -> str:
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = page_url(view_name, current_app)
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Any, token: Any) -> defaulttags.URLNode:
    node = defaulttags.url(parser, token)
    if not node.args and not node.kwargs and node.asvar is None:
        node.__class__ = PageURLNode
    return node
