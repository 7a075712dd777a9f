"""The member list page: its table, its filters, its HTMX fragment and its query budget."""

from __future__ import annotations

import datetime
import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.widgets import PlainNumberInput, PlainSelect, PlainSelectMultiple, PlainTextInput
from dangjian.members.forms import MemberFilterForm
from dangjian.members.models import Member, MemberCategory
from dangjian.members.selectors.registry import active_categories
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


def table_rows(body: str) -> list[str]:
    tbody = body[body.index('<table class="table table-hover align-middle mb-0" id="member-table">') :]
    tbody = tbody[tbody.index("<tbody>") : tbody.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", tbody, flags=re.S)


def test_it_shows_every_column_of_a_member(world, login):
    retiree = MemberCategory.objects.get(code="enterprise_retiree")
    hardship = MemberCategory.objects.get(code="in_hardship")
    born = timezone.localdate().replace(year=timezone.localdate().year - 40) - datetime.timedelta(days=1)
    member = make_member(
        world.units["B1"],
        name="赵六",
        birth=born,
        gender="female",
        group=world.units["G1"],
        membership_type="probationary",
        join_date=datetime.date(2025, 3, 9),
        full_member_date=None,
    )
    member.categories.set([hardship, retiree])
    body = login(world.personas["community_secretary"]).get(reverse("members:member_list"), {"q": "赵六"}).content
    [row] = table_rows(body.decode())
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    assert cells == [
        f'<a href="{reverse("members:member_detail", args=[member.pk])}">赵六</a>',
        "女",
        "40",
        '翠湖第一支部<div class="text-body-secondary">翠湖第一小组</div>',
        '<span class="badge text-bg-warning">预备</span>',
        "2025年3月9日",
        member.phone_masked,
        # In the categories' own order, not the order they were given.
        '<span class="badge text-bg-light border me-1">企业离退休</span>'
        '<span class="badge text-bg-light border me-1">困难党员</span>',
        '<span class="text-success">在册</span>',
    ]
    assert member.phone not in body.decode() and member.id_number not in body.decode()


def test_a_category_no_longer_offered_still_names_the_members_who_hold_it(world, login):
    retired = MemberCategory.objects.create(code="old_kind", name="旧类别", sort_order=0, is_active=False)
    member = make_member(world.units["B1"], name="钱七")
    member.categories.set([retired, MemberCategory.objects.get(code="in_hardship")])
    body = login(world.personas["community_secretary"]).get(reverse("members:member_list"), {"q": "钱七"}).content
    [row] = table_rows(body.decode())
    assert (
        '<span class="badge text-bg-light border me-1">旧类别</span>'
        '<span class="badge text-bg-light border me-1">困难党员</span>'
    ) in row
    filters = body.decode().split('<select name="category"')[1].split("</select>")[0]
    assert "困难党员" in filters and "旧类别" not in filters


def test_it_badges_members_off_the_roll_or_out_of_normal_standing(world, login):
    make_member(world.units["B1"], name="转出者", status="transferred_out")
    make_member(world.units["B1"], name="保留者", standing="retained")
    make_member(world.units["B1"], name="无手机", phone="")
    client = login(world.personas["community_secretary"])

    def row(name: str) -> str:
        [found] = table_rows(client.get(reverse("members:member_list"), {"q": name}).content.decode())
        return found

    assert '<span class="badge text-bg-secondary">已转出</span>' in row("转出者")
    assert '<span class="badge text-bg-secondary">保留党籍</span>' in row("保留者")
    assert ">正式</td>" in row("保留者")
    assert '<td class="font-monospace small text-nowrap">—</td>' in row("无手机")


def test_it_escapes_what_people_typed(world, login):
    member = world.members["B1"]
    Member.objects.filter(pk=member.pk).update(name="<b>粗体</b>")
    body = login(world.personas["community_secretary"]).get(reverse("members:member_list")).content.decode()
    assert "&lt;b&gt;粗体&lt;/b&gt;" in body and "<b>粗体" not in body


def test_it_says_so_when_nobody_matches(world, login):
    body = login(world.personas["community_secretary"]).get(reverse("members:member_list"), {"q": "无此人"})
    assert "没有符合条件的党员。" in body.content.decode()


def test_the_unit_filter_lists_the_scope_indented_and_keeps_the_choices(world, login):
    retiree = MemberCategory.objects.get(code="enterprise_retiree")
    client = login(world.personas["community_secretary"])
    params = {"unit": world.units["B1b"].pk, "category": [retiree.pk], "status": "active"}
    body = client.get(reverse("members:member_list"), params).content.decode()
    units = re.search(r'<select name="unit" class="form-select" id="id_unit">(.*?)</select>', body, flags=re.S)
    assert units is not None
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', units.group(1))
    assert options[0] == ("", "", "---------")
    labels = {label.strip("　"): (label, selected) for _, selected, label in options[1:]}
    assert set(labels) == {"翠湖社区", "翠湖社区党总支", "翠湖第一支部", "翠湖第二支部"}  # no groups, nothing outside
    assert labels["翠湖第二支部"] == ("　" * world.units["B1b"].depth + "翠湖第二支部", " selected")
    assert f'<option value="{retiree.pk}" selected>企业离退休</option>' in body
    assert '<option value="active" selected>在册</option>' in body
    assert "没有符合条件的党员。" in body  # B1b's one member has no category


def test_a_unit_outside_the_scope_is_an_error_on_the_field(world, login):
    client = login(world.personas["community_secretary"])
    body = client.get(reverse("members:member_list"), {"unit": world.units["B2"].pk}).content.decode()
    assert '<select name="unit" class="form-select is-invalid"' in body
    assert "选择一个有效的选项" in body
    assert "松涛" not in body


def test_an_htmx_request_gets_the_table_only(world, login):
    client = login(world.personas["community_secretary"])
    response = client.get(reverse("members:member_list"), {"q": "翠湖"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "member-filters" not in body and len(table_rows(body)) == 2


@pytest.mark.parametrize(
    ("data", "persona"),
    [
        (None, "community_secretary"),
        (
            {"q": "<x>", "unit": "x", "category": ["1", "999"], "status": "active", "join_year": "abc"},
            "district_organizer",
        ),
        ({"q": "zs", "membership_type": "full", "age_band": "35to59", "join_year": "2000", "sort": "-age"}, "member"),
    ],
)
def test_the_filter_widgets_write_what_djangos_widget_templates_write(world, data, persona):
    """The plain widgets are a speed-up only: the same HTML as Django's templates, whitespace apart."""
    user = world.personas[persona]
    scope.set_active_grant(user, None)

    def rendered(plain: bool) -> str:
        form = MemberFilterForm(
            data=data,
            units=scope.units(user).active().exclude(kind="group").order_by("path"),
            categories=active_categories(),
        )
        form.is_valid()
        if not plain:
            stock = {
                PlainSelect: forms.Select,
                PlainSelectMultiple: forms.SelectMultiple,
                PlainTextInput: forms.TextInput,
                PlainNumberInput: forms.NumberInput,
            }
            for field in form.fields.values():
                field.widget.__class__ = stock[type(field.widget)]
        return re.sub(r">\s+<", "><", "".join(str(form[name]) for name in form.fields))

    assert rendered(plain=True) == rendered(plain=False)


def test_the_list_page_runs_its_budget_of_queries(world, login):
    """Session, the user with their grants; the categories (the filter's options and the rows'
    names); count, page (with its members' categories); the bell; the filter's units. The same
    for every page and any number of rows; a unit or a category asked for adds the query that
    checks it."""
    client = login(world.personas["community_secretary"])
    retiree = MemberCategory.objects.get(code="enterprise_retiree")
    for n in range(60):
        member = make_member(world.units["B1"] if n % 2 else world.units["B1b"], name=f"预算{n}")
        member.categories.set([retiree])

    def count(**params) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("members:member_list"), params).status_code == 200
        return len(queries)

    assert count() == 7
    assert count(page=2) == 7
    assert count(status="active", standing="normal", sort="name", page=3) == 7
    assert count(category=retiree.pk) == 8
    # The HTMX fragment draws neither the header's bell nor the filters.
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("members:member_list"), HTTP_HX_REQUEST="true")
    assert len(queries) == 5


def test_the_table_reads_neither_the_id_number_nor_the_residence(world):
    from dangjian.members.selectors.registry import MEMBER_TABLE_FIELDS, member_table

    [member] = member_table(user=world.personas["branch_secretary"])[0:50]
    assert set(member) == {*MEMBER_TABLE_FIELDS, "group_name", "category_keys"}
    assert not {"id_number", "id_number_index", "residence_community", "hardship_notes"} & set(member)
    assert member["group_name"] is None and member["category_keys"] is None


def test_a_list_asked_for_again_reads_the_roll_afresh_within_its_own_scope(world, login):
    """The page's statements are kept per scope, filters and page (`core.statements`); what they
    read is not: a member added shows on the next request, and a secretary of another community
    asking for the same filters gets their own community's members."""
    from dangjian.core.choices import Role
    from dangjian.core.tests.factories import UserFactory, grant

    client = login(world.personas["community_secretary"])
    params = {"status": "active", "standing": "normal"}
    first = client.get(reverse("members:member_list"), params).content.decode()
    make_member(world.units["B1"], name="后来党员")
    again = client.get(reverse("members:member_list"), params).content.decode()
    assert "后来党员" not in first and "后来党员" in again
    assert len(table_rows(again)) == len(table_rows(first)) + 1
    assert f"共 {len(table_rows(again))} 人" in again

    other = UserFactory(username="songtao_secretary")
    grant(other, Role.COMMUNITY_SECRETARY, world.units["C2"])
    theirs = login(other).get(reverse("members:member_list"), params).content.decode()
    assert "松涛界外支部党员" in theirs and "后来党员" not in theirs
    assert "共 1 人" in theirs
