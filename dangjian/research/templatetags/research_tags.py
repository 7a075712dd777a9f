"""Small presentation filters of the research pages: the colour of a status and a percentage."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

# Bootstrap badge classes by status (risks, events, opinions share the vocabulary of colours).
BADGES = {
    "reported": "text-bg-warning",
    "researching": "text-bg-info",
    "solution": "text-bg-primary",
    "resolved": "text-bg-success",
    "closed": "text-bg-secondary",
    "draft": "text-bg-light border",
    "submitted": "text-bg-warning",
    "returned": "text-bg-danger",
    "approved": "text-bg-success",
    "reviewed": "text-bg-secondary",
    "cancelled": "text-bg-light border",
    "assigned": "text-bg-info",
    "answered": "text-bg-primary",
    "major": "text-bg-danger",
    "general": "text-bg-light border",
    "accepted": "text-bg-success",
    "not_accepted": "text-bg-secondary",
    "in_progress": "text-bg-info",
    "done": "text-bg-success",
}


@register.filter
def badge(status: str) -> str:
    return BADGES.get(str(status), "text-bg-light border")


@register.filter
def pct(value: Decimal | None) -> str:
    """85.0% (or — when there is nothing to divide)."""
    if value is None:
        return "—"
    return f"{value}%"


@register.filter
def dash(value: object) -> object:
    """The value, or — when it is None (0 stays 0)."""
    return "—" if value is None else value
