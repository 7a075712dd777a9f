"""What the research forms share: Bootstrap styling, choice widgets laid out inline, the
community and cadre fields filled from the user's scope, and the hidden version."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.core.forms import BootstrapMixin, DateInput
from dangjian.core.models import OrgUnit, User

from ..selectors.common import cadre_choices, community_choices

__all__ = ["DateInput", "InlineChecks", "InlineRadios", "ScopedForm", "StyleMixin", "Textarea", "VersionForm"]


class StyleMixin(BootstrapMixin):
    """Bootstrap's classes without validating early: these forms set their choices after the
    base __init__, so styling there must not run the validation (and cache its errors) before
    the choices are in place. After validation, full_clean() styles again and marks the fields
    in error."""

    def _style(self) -> None:
        errors = self._errors or {}  # type: ignore[attr-defined]
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if name in errors:
                css += " is-invalid"
            widget.attrs["class"] = css


class InlineRadios(forms.RadioSelect):
    template_name = "research/widgets/choices_inline.html"


class InlineChecks(forms.CheckboxSelectMultiple):
    template_name = "research/widgets/choices_inline.html"


def Textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ScopedForm(StyleMixin, forms.Form):
    """A form whose `community` and cadre fields offer only what is in the user's scope. A user
    of one community gets that community without a choice to make."""

    cadre_fields: tuple[str, ...] = ()
    # A user of one community records for it without choosing (filters keep "all" instead).
    single_community_fixed = True

    def __init__(self, *args: Any, user: User, community: OrgUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fixed_community = community
        if "community" in self.fields:
            choices = community_choices(user=user)
            field = self.fields["community"]
            field.queryset = choices
            field.label_from_instance = lambda unit: unit.name
            field.empty_label = "请选择社区"
            if community is None and self.single_community_fixed and len(choices) == 1:
                community = self.fixed_community = choices[0]
            if community is not None:
                del self.fields["community"]
        for name in self.cadre_fields:
            if name in self.fields:
                self.fields[name].queryset = cadre_choices(user=user, community=community)
                self.fields[name].label_from_instance = lambda person: person.display_name
        self._style()

    def community_value(self) -> OrgUnit | None:
        if self.fixed_community is not None:
            return self.fixed_community
        return self.cleaned_data.get("community")


class VersionForm(StyleMixin, forms.Form):
    """A step on a record: the version the page showed, so a change made meanwhile is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, version: int | None = None, prefix_id: str = "", **kwargs: Any) -> None:
        if prefix_id:
            kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = version
        self._style()
