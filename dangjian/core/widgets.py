"""Widgets that write the same HTML as Django's widget templates (same attributes, same
escaping) in Python, without rendering a template per widget and per option.

A select renders `select_option.html` once per option: a filter with an option per unit of a
district's scope (nearly two thousand) cost a district organizer's list page hundreds of
milliseconds. Every form with `BootstrapMixin` draws its plain selects and multiple selects
with these (`PLAIN_WIDGETS`); the member list's filters also draw their text and number inputs
with them. `core/tests/test_widgets.py` compares their output with Django's templates.
"""

from __future__ import annotations

import html
from typing import Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def escape_text(value: Any) -> str:
    """conditional_escape, with a plain string escaped directly: Django's escape is the same
    html.escape behind a check for lazy arguments that costs more than the escaping, and a
    district's unit filter escapes two values for each of its two thousand options (markup
    written in Python elsewhere, such as the member table's rows, escapes with it too)."""
    return html.escape(value) if type(value) is str else conditional_escape(value)


def _attrs_html(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: True is a bare attribute, False is left out."""
    return "".join(
        f" {escape_text(name)}" if value is True else f' {escape_text(name)}="{escape_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class PlainSelectMixin:
    """Django's select widget written without its per-option dictionaries: each choice becomes
    an <option> directly, selected as ChoiceWidget.optgroups selects (the first match only,
    unless several may be chosen), in optgroups where a choice is a group."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        built = self.build_attrs(self.attrs, attrs)  # type: ignore[attr-defined]
        if self.allow_multiple_selected:  # type: ignore[attr-defined]
            built["multiple"] = True
        chosen = set(self.format_value(value))  # type: ignore[attr-defined]
        several = self.allow_multiple_selected  # type: ignore[attr-defined]
        has_selected = False
        parts = [f'<select name="{escape_text(name)}"{_attrs_html(built)}>']
        for option_value, option_label in self.choices:  # type: ignore[attr-defined]
            if option_value is None:
                option_value = ""
            grouped = isinstance(option_label, list | tuple)
            labelled = grouped and option_value
            if labelled:
                parts.append(f'<optgroup label="{escape_text(option_value)}">')
            for subvalue, sublabel in option_label if grouped else [(option_value, option_label)]:
                text = str(subvalue)
                selected = (not has_selected or several) and text in chosen
                has_selected |= selected
                # A number (a key) needs no escaping.
                parts.append(
                    f'<option value="{text if type(subvalue) is int else escape_text(text)}"'
                    f"{' selected' if selected else ''}>{escape_text(sublabel)}</option>"
                )
            if labelled:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))


class PlainSelect(PlainSelectMixin, forms.Select):
    pass


class PlainSelectMultiple(PlainSelectMixin, forms.SelectMultiple):
    pass


class PlainInputMixin:
    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = "" if widget["value"] is None else f' value="{escape_text(str(widget["value"]))}"'
        return mark_safe(
            f'<input type="{escape_text(widget["type"])}" name="{escape_text(widget["name"])}"'
            f"{shown}{_attrs_html(widget['attrs'])}>"
        )


class PlainTextInput(PlainInputMixin, forms.TextInput):
    pass


class PlainNumberInput(PlainInputMixin, forms.NumberInput):
    pass


# Django's own widget class -> the one that writes the same HTML in Python. Exact classes only:
# a subclass may have a template of its own.
PLAIN_WIDGETS: dict[type[forms.Widget], type[forms.Widget]] = {
    forms.Select: PlainSelect,
    forms.SelectMultiple: PlainSelectMultiple,
}
