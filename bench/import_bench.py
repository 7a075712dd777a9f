"""Roster import of a large template file: the product's import (check every row, then write)
against django-import-export (a resource for the same model, the same file, the same database)
and against PostgreSQL COPY of the same rows (the limit).

Each side starts from the same roll and runs in a transaction that is rolled back, so the three
import the same new members. The limit reads the same file with the same reader, derives what
the table stores (encrypted numbers, blind indexes, initials, birth date) and COPYs the rows;
it checks nothing.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文俊海燕晨宇浩然欣怡子涵雨轩"
# A region code the generator's members never use, so every row of the file is a new member.
REGION = "652201"


class _Rollback(Exception):
    pass


def cold() -> None:
    """Empty the product's caches of values seen (initials of names, birth places of numbers),
    so that no side runs on what the side before it looked up."""
    from dangjian.members.models.registry import forget_lookups

    forget_lookups()


def rolled_back(work: Callable[[], Any]) -> tuple[float, Any]:
    """Run `work` in a transaction that is undone afterwards, from cold caches; its seconds and
    result."""
    result: list[Any] = []
    cold()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result.append(work())
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, result[0]


def id_number(birth: datetime.date, serial: int) -> str:
    from stdnum.cn import ric

    body = f"{REGION}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def roster_rows(count: int, *, branches: list[str], communities: list[str], categories: list[str]) -> list[list]:
    """`count` rows in the template's column order, as a secretary fills them in."""
    from dangjian.members.imports import COLUMNS

    rng = random.Random(2026)
    fields = [column.field for column in COLUMNS]
    rows = []
    first = datetime.date(1940, 1, 1)
    for number in range(count):
        birth = first + datetime.timedelta(days=number // 1000)
        joined = birth.replace(year=birth.year + rng.randint(19, 40), day=1)
        probationary = rng.random() < 0.03
        values = {
            "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            "gender": rng.choice(("男", "女")),
            "ethnicity": "" if rng.random() < 0.9 else "回族",
            "id_number": id_number(birth, number),
            "phone": f"1{rng.choice((3, 5, 8))}{rng.randrange(10**9):09d}",
            "education": rng.choice(("本科", "大专", "高中/中专", "初中", "硕士研究生")),
            "occupation": rng.choice(("退休", "企业职工", "个体", "教师", "")),
            "work_unit": "",
            "branch": rng.choice(branches),
            "group": "",
            "membership_type": "预备党员" if probationary else "",
            "join_date": joined,
            "full_member_date": None if probationary else joined.replace(year=joined.year + 1),
            "standing": "",
            "status": "",
            "categories": rng.choice(categories) if categories and rng.random() < 0.4 else "",
            "residence_community": rng.choice(communities) if communities and rng.random() < 0.5 else "",
            "grid": f"第{rng.randint(1, 12)}网格",
            "building": f"{rng.randint(1, 40)}栋",
            "room": f"{rng.randint(1, 30)}0{rng.randint(1, 4)}",
            "hardship_notes": "",
        }
        rows.append([values[name] for name in fields])
    return rows


def roster_file(root, count: int) -> bytes:
    """The template of `root`'s scope with `count` rows filled in."""
    from dangjian.members.imports import load_lookups, write_template
    from dangjian.members.models import MemberCategory

    lookups = load_lookups(root)
    categories = list(MemberCategory.objects.filter(is_active=True).values_list("name", flat=True)[:4])
    rows = roster_rows(
        count, branches=lookups.branch_labels, communities=lookups.community_labels, categories=categories
    )
    return write_template(root=root, rows=rows)


# --- Ours ---------------------------------------------------------------------------------------


def ours(content: bytes, *, root, by) -> dict[str, Any]:
    """The product's import as the confirmed batch runs it: check every row against the roll,
    then write them all in one transaction."""
    from dangjian.members.imports import check_content, write_rows

    timings: dict[str, float] = {}

    def work() -> int:
        started = time.perf_counter()
        check = check_content(content, root=root)
        if check.refused:
            raise AssertionError(f"the benchmark file was refused: {check.errors[:3]}")
        timings["check"] = time.perf_counter() - started
        started = time.perf_counter()
        write_rows(check, by=by)
        timings["write"] = time.perf_counter() - started
        return len(check.rows)

    seconds, rows = rolled_back(work)
    return {"seconds": seconds, "rows": rows, **{f"{name}_seconds": value for name, value in timings.items()}}


# --- django-import-export -----------------------------------------------------------------------


def import_export_resource(root):
    """A ModelResource for Member reading the template's columns, validating each instance
    (`clean_model_instances`) as the product does. Units and categories are looked up in
    dictionaries loaded once (kinder to it than its ForeignKeyWidget's query a row), rows are
    keyed by the ID number's blind index (one lookup a row, its ordinary instance loader)."""
    from import_export import fields, resources, widgets

    from dangjian.core.crypto import blind_index
    from dangjian.members.imports import load_lookups
    from dangjian.members.models import Member

    lookups = load_lookups(root)

    class LabelWidget(widgets.Widget):
        def __init__(self, choices, default: str = "") -> None:
            super().__init__()
            self.values = {str(label): value for value, label in choices}
            self.default = default

        def clean(self, value, row=None, **kwargs):
            return self.values.get(str(value or "").strip(), self.default)

    class LookupWidget(widgets.Widget):
        def __init__(self, table: dict) -> None:
            super().__init__()
            self.table = table

        def clean(self, value, row=None, **kwargs):
            return self.table.get(str(value or "").strip())

    class CategoriesWidget(widgets.ManyToManyWidget):
        def clean(self, value, row=None, **kwargs):
            names = [name for name in str(value or "").split("、") if name]
            return [lookups.categories[name] for name in names if name in lookups.categories]

    def field(name: str, **kwargs):
        return fields.Field(attribute=name, column_name=str(Member._meta.get_field(name).verbose_name), **kwargs)

    def choices(name: str):
        return Member._meta.get_field(name).choices

    class MemberResource(resources.ModelResource):
        name = field("name")
        gender = field("gender", widget=LabelWidget(choices("gender")))
        ethnicity = field("ethnicity", widget=LabelWidget([(e, e) for e in _ethnic_groups()], "汉族"))
        id_number = field("id_number")
        phone = field("phone")
        education = field("education", widget=LabelWidget(choices("education")))
        occupation = field("occupation")
        work_unit = field("work_unit")
        branch = field("branch", widget=LookupWidget(lookups.branches))
        membership_type = field("membership_type", widget=LabelWidget(choices("membership_type"), "full"))
        join_date = field("join_date", widget=widgets.DateWidget())
        full_member_date = field("full_member_date", widget=widgets.DateWidget())
        standing = field("standing", widget=LabelWidget(choices("standing"), "normal"))
        status = field("status", widget=LabelWidget(choices("status"), "active"))
        categories = field("categories", widget=CategoriesWidget(Member.categories.field.related_model))
        residence_community = field("residence_community", widget=LookupWidget(lookups.communities))
        grid = field("grid")
        building = field("building")
        room = field("room")
        hardship_notes = field("hardship_notes")
        id_number_index = fields.Field(attribute="id_number_index", column_name="id_number_index")

        class Meta:
            model = Member
            import_id_fields = ("id_number_index",)
            clean_model_instances = True
            skip_diff = True
            fields = (
                "name",
                "gender",
                "ethnicity",
                "id_number",
                "phone",
                "education",
                "occupation",
                "work_unit",
                "branch",
                "membership_type",
                "join_date",
                "full_member_date",
                "standing",
                "status",
                "categories",
                "residence_community",
                "grid",
                "building",
                "room",
                "hardship_notes",
                "id_number_index",
            )

        def before_import_row(self, row, **kwargs):
            for key in list(row.keys()):
                if row[key] is None:
                    row[key] = ""
            row["id_number_index"] = blind_index(str(row["公民身份号码"]).strip().upper())

        def import_instance(self, instance, row, **kwargs):
            super().import_instance(instance, row, **kwargs)
            instance.prepare_derived()

    return MemberResource()


def _ethnic_groups() -> tuple[str, ...]:
    from dangjian.members.choices import ETHNIC_GROUPS

    return tuple(ETHNIC_GROUPS)


def theirs(content: bytes, *, root) -> dict[str, Any]:
    """django-import-export: tablib reads the file, the resource imports every row."""
    import tablib

    resource = import_export_resource(root)

    def work() -> dict[str, int]:
        dataset = tablib.Dataset().load(content, format="xlsx")
        dataset.append_col([""] * len(dataset), header="id_number_index")
        result = resource.import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
        if result.has_validation_errors():
            invalid = result.invalid_rows[0]
            raise AssertionError(f"django-import-export refused a row: {invalid.error_dict}")
        return dict(result.totals)

    seconds, totals = rolled_back(work)
    return {"seconds": seconds, "totals": totals}


# --- The limit: COPY --------------------------------------------------------------------------


def copy_rows(content: bytes, *, root) -> dict[str, Any]:
    """Read the same file with the same reader, derive the stored columns and COPY them."""
    from django.utils import timezone

    from dangjian.core.crypto import blind_index, encrypt
    from dangjian.members.imports import COLUMNS, load_lookups, read_sheet
    from dangjian.members.models import Member
    from dangjian.members.models.registry import check_id_number, name_initials

    lookups = load_lookups(root)
    labels = {
        name: {str(label): value for value, label in Member._meta.get_field(name).choices}
        for name in ("gender", "education", "membership_type", "standing", "status")
    }
    table = Member._meta.db_table

    def work() -> int:
        sheet = read_sheet(content)
        position = {column.field: index for index, column in enumerate(COLUMNS)}
        now = timezone.now()
        columns = [
            "name",
            "name_initials",
            "gender",
            "ethnicity",
            "birth_date",
            "id_number",
            "id_number_index",
            "phone",
            "phone_index",
            "education",
            "occupation",
            "work_unit",
            "residence_community_id",
            "grid",
            "building",
            "room",
            "join_date",
            "full_member_date",
            "membership_type",
            "standing",
            "status",
            "branch_id",
            "group_id",
            "district_id",
            "hardship_notes",
            "version",
            "created_at",
            "updated_at",
        ]
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for _, cells in sheet.rows:

                    def cell(name: str, cells=cells) -> Any:
                        value = cells[position[name]] if position[name] < len(cells) else None
                        return "" if value is None else value

                    number = str(cell("id_number")).strip().upper()
                    phone = str(cell("phone")).strip()
                    branch = lookups.branches[str(cell("branch"))]
                    community = lookups.communities.get(str(cell("residence_community")))
                    copy.write_row(
                        (
                            cell("name"),
                            name_initials(cell("name")),
                            labels["gender"].get(cell("gender"), ""),
                            cell("ethnicity") or "汉族",
                            check_id_number(number),
                            encrypt(number),
                            blind_index(number),
                            encrypt(phone) if phone else "",
                            blind_index(phone) if phone else "",
                            labels["education"].get(cell("education"), ""),
                            cell("occupation"),
                            cell("work_unit"),
                            community.pk if community else None,
                            cell("grid"),
                            cell("building"),
                            cell("room"),
                            _day(cell("join_date")),
                            _day(cell("full_member_date")) or None,
                            labels["membership_type"].get(cell("membership_type"), "full"),
                            labels["standing"].get(cell("standing"), "normal"),
                            labels["status"].get(cell("status"), "active"),
                            branch.pk,
                            None,
                            branch.district_id,
                            cell("hardship_notes"),
                            1,
                            now,
                            now,
                        )
                    )
        return len(sheet.rows)

    seconds, rows = rolled_back(work)
    return {"seconds": seconds, "rows": rows}


def _day(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if not value:
        return None
    return datetime.date.fromisoformat(str(value)[:10])


def run(*, root, by, rows: int = 100_000, peer_rows: int | None = None) -> dict[str, Any]:
    """The three sides on the same file of `rows` rows. django-import-export imports the first
    `peer_rows` of them when given (a sample, extrapolated per row) — by default all."""
    started = time.perf_counter()
    content = roster_file(root, rows)
    built = time.perf_counter() - started
    limit = copy_rows(content, root=root)
    mine = ours(content, root=root, by=by)
    if peer_rows and peer_rows < rows:
        sample = roster_file(root, peer_rows)
        peer = theirs(sample, root=root)
        peer["sample_rows"] = peer_rows
        peer["measured_seconds"] = peer["seconds"]
        peer["seconds"] = peer["seconds"] * rows / peer_rows
    else:
        peer = theirs(content, root=root)
    return {
        "rows": rows,
        "file_bytes": len(content),
        "file_seconds": built,
        "sides": {"ours": mine, "django-import-export": peer, "COPY": limit},
        "ratios": {
            "django-import-export / ours": peer["seconds"] / mine["seconds"],
            "ours / COPY": mine["seconds"] / limit["seconds"],
        },
        "targets": {"django-import-export / ours": (">=", 10.0), "ours / COPY": ("<=", 3.0)},
    }
