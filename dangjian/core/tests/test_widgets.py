"""The plain widgets are a speed-up only: they write what Django's widget templates write."""

from __future__ import annotations

import re

import pytest
from django import forms

from dangjian.core.forms import BootstrapMixin, UnitChoiceField
from dangjian.core.models import OrgUnit
from dangjian.core.tests.factories import make_unit
from dangjian.core.widgets import PLAIN_WIDGETS, PlainSelect, PlainSelectMultiple

pytestmark = pytest.mark.django_db

STOCK = {plain: stock for stock, plain in PLAIN_WIDGETS.items()}


class SampleForm(BootstrapMixin, forms.Form):
    unit = UnitChoiceField(label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部")
    branch = UnitChoiceField(label="党支部", queryset=OrgUnit.objects.none(), indent_from=2)
    grouped = forms.ChoiceField(
        label="分组",
        choices=[("", "请选择"), ("甲组", [("a", "A & <b>"), ("b", "B")]), ("c", '"C"'), ("d", "D")],
        required=False,
    )
    several = forms.MultipleChoiceField(label="多选", choices=[("1", "一"), ("2", "二"), ("3", "三")], required=False)
    answer = forms.NullBooleanField(label="是否", required=False)
    kind = forms.ChoiceField(label="类型", choices=[("x", "X"), ("y", "Y")], widget=forms.RadioSelect)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["branch"].queryset = units.filter(kind="branch")
        self._style()


@pytest.fixture
def units():
    district = make_unit("district", name="东城区")
    subdistrict = make_unit("subdistrict", district, name="和平街道")
    community = make_unit("community", subdistrict, name="安居<社区>")
    make_unit("branch", community, name="第一党支部")
    make_unit("branch", community, name="第二党支部")
    return OrgUnit.objects.filter(path__startswith=district.path).order_by("path")


def _rendered(form: forms.Form, *, plain: bool) -> str:
    if not plain:
        for field in form.fields.values():
            field.widget.__class__ = STOCK.get(type(field.widget), type(field.widget))
    return re.sub(r">\s+<", "><", "".join(str(form[name]) for name in form.fields))


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"grouped": "a", "several": ["1", "3"], "answer": "true", "kind": "y"},
        {"unit": "not a number", "grouped": "zzz", "several": ["9"], "kind": "x"},
    ],
)
def test_bootstrap_forms_draw_their_selects_as_djangos_templates_do(units, data):
    if data is not None and "unit" not in data:
        data = {**data, "unit": str(units[2].pk), "branch": str(units.filter(kind="branch").first().pk)}
    form = SampleForm(data=data, units=units)
    form.is_valid()
    assert type(form.fields["unit"].widget) is PlainSelect
    assert type(form.fields["several"].widget) is PlainSelectMultiple
    # Subclasses keep their own templates.
    assert type(form.fields["answer"].widget) is forms.NullBooleanSelect
    assert type(form.fields["kind"].widget) is forms.RadioSelect

    plain = _rendered(form, plain=True)
    again = SampleForm(data=data, units=units)
    again.is_valid()
    assert plain == _rendered(again, plain=False)
    if data and data.get("grouped") == "a":
        assert '<option value="a" selected>A &amp; &lt;b&gt;</option>' in plain
        assert '<optgroup label="甲组">' in plain


def test_unit_choices_are_indented_below_their_level_and_checked_against_the_queryset(units):
    form = SampleForm(units=units)
    choices = list(form.fields["unit"].choices)
    assert choices[0] == ("", "全部")
    assert [label for _, label in choices[1:]] == [
        "东城区",
        "　和平街道",
        "　　安居<社区>",
        "　　　第一党支部",
        "　　　第二党支部",
    ]
    assert [label for _, label in form.fields["branch"].choices] == ["---------", "　第一党支部", "　第二党支部"]

    other = make_unit("subdistrict", make_unit("district", name="西城区"), name="别处街道")
    elsewhere = make_unit("branch", make_unit("community", other, name="别处社区"), name="别处支部")
    form = SampleForm(data={"branch": str(elsewhere.pk), "kind": "x"}, units=units)
    assert not form.is_valid()
    assert "branch" in form.errors
    chosen = units.get(name="第二党支部")
    form = SampleForm(data={"branch": str(chosen.pk), "kind": "x"}, units=units)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["branch"] == chosen


# --- The url tag ---------------------------------------------------------------------------


def test_the_url_tag_writes_what_djangos_writes_under_any_script_prefix(rf):
    from django.template import Context, Engine, engines
    from django.urls import get_script_prefix, set_script_prefix

    source = "{% url 'members:member_list' %}|{% url 'members:member_detail' 7 %}|{% url 'members:member_list' as x %}"
    ours = engines["django"].from_string(source + "[{{ x }}]")
    stock = Engine(libraries={}).from_string(source + "[{{ x }}]")
    from dangjian.core.templatetags.page_urls import PageURLNode

    # Only the address without arguments is kept: the others are Django's node.
    assert [type(node) is PageURLNode for node in ours.template.nodelist if "URLNode" in type(node).__name__] == [
        True,
        False,
        False,
    ]
    before = get_script_prefix()
    try:
        for prefix in ("/", "/dangjian/", "/"):
            set_script_prefix(prefix)
            request = rf.get("/")
            written = ours.render({}, request)
            assert written == stock.render(Context({}))
            assert written.startswith(f"{prefix}members/|{prefix}members/7/|[{prefix}members/]")
    finally:
        set_script_prefix(before)


def test_stacked_fields_write_what_a_template_loop_over_the_form_writes():
    from django.template import engines

    class FilterForm(BootstrapMixin, forms.Form):
        q = forms.CharField(label="查找 <b>", max_length=3, required=False, help_text="姓名或 <拼音>")
        kind = forms.ChoiceField(label="类型", choices=[("x", "X & Y"), ("y", "Y")])

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._style()

    loop = engines["django"].from_string(
        """{% for field in form %}
        <div class="mb-2">
          <label class="form-label small mb-1" for="{{ field.id_for_label }}">{{ field.label }}</label>
          {{ field }}
          {% if field.help_text %}<div class="form-text">{{ field.help_text }}</div>{% endif %}
          {% for error in field.errors %}<div class="invalid-feedback d-block">{{ error }}</div>{% endfor %}
        </div>
        {% endfor %}"""
    )

    def tight(html: str) -> str:
        return re.sub(r">\s+<", "><", html.strip())

    for data in (None, {"q": "太长的查找词", "kind": "z"}, {"q": "张", "kind": "y"}):
        form = FilterForm(data=data)
        if data is not None:
            form.is_valid()
        assert tight(form.stacked_fields()) == tight(loop.render({"form": form}))
    wrong = FilterForm(data={"q": "太长的查找词", "kind": "z"})
    wrong.is_valid()
    written = wrong.stacked_fields()
    assert written.count('class="invalid-feedback d-block"') == 2 and "姓名或 &lt;拼音&gt;" in written
    assert "查找 &lt;b&gt;" in written and 'class="form-select is-invalid"' in written
