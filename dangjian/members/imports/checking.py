"""Checking every row of a file through the page's form: what each row would do (new, updated,
unchanged) or every error by row and column."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Prefetch

from dangjian.core.bulk import collector_paused
from dangjian.core.crypto import blind_index, mask_id_number
from dangjian.core.models import OrgUnit

from ..models import Member, MemberCategory
from ..services.registry import MEMBER_FIELDS
from .columns import (
    CATEGORY_SEPARATORS,
    CHOICE_FIELDS,
    COLUMNS,
    DEFAULTED_FIELDS,
    ID_CHUNK,
    NEW,
    PREVIEW_ROWS,
    UNCHANGED,
    UPDATED,
    FileRefused,
    cell_text,
    column_title,
    error_entry,
)
from .reading import SheetData, read_sheet
from .rows import Lookups, RowForm, load_lookups


@dataclass
class CheckedRow:
    number: int
    kind: str  # new, updated, unchanged
    fields: dict[str, Any]
    categories: list[MemberCategory]
    member: Member | None = None
    member_version: int | None = None
    changes: list[str] = field(default_factory=list)
    # A new row's member as the page's form built it from the row (the birth date read from the
    # ID number): written as it is, not built again.
    built: Member | None = None


@dataclass
class Check:
    """What a file would do, or why it is refused."""

    rows: list[CheckedRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    total_rows: int = 0

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind)

    def preview(self) -> dict[str, list[dict[str, Any]]]:
        sample: dict[str, list[dict[str, Any]]] = {NEW: [], UPDATED: [], UNCHANGED: []}
        for row in self.rows:
            if len(sample[row.kind]) < PREVIEW_ROWS:
                branch = row.fields.get("branch")
                sample[row.kind].append(
                    {
                        "row": row.number,
                        "name": row.fields.get("name", ""),
                        "id_number": mask_id_number(row.fields.get("id_number", "")),
                        "branch": branch.name if branch else "",
                        "changes": row.changes,
                    }
                )
        return sample


def _form_value(member: Member, name: str) -> Any:
    """A stored member's value as the page's form would show it (a blank cell keeps it)."""
    if name == "categories":
        return [str(category.pk) for category in member.categories.all()]
    model_field = Member._meta.get_field(name)
    if model_field.is_relation:
        value = getattr(member, model_field.attname)
        return "" if value is None else str(value)
    value = getattr(member, name)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else value


def _comparable(member: Member) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in MEMBER_FIELDS:
        model_field = Member._meta.get_field(name)
        values[name] = getattr(member, model_field.attname if model_field.is_relation else name)
    values["categories"] = {category.pk for category in member.categories.all()}
    return values


def _cleaned_comparable(form: RowForm) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in MEMBER_FIELDS:
        value = form.cleaned_data.get(name)
        values[name] = value.pk if isinstance(value, Model) else value
    values["categories"] = {category.pk for category in form.cleaned_data.get("categories") or []}
    return values


class _RowReader:
    """Turns one row's cells into the data the page's form receives, naming what it cannot map."""

    def __init__(self, sheet: SheetData, lookups: Lookups) -> None:
        self.sheet = sheet
        self.lookups = lookups
        self.choice_values: dict[str, dict[str, str]] = {}
        for name in CHOICE_FIELDS:
            mapping: dict[str, str] = {}
            for value, label in Member._meta.get_field(name).choices:
                mapping[str(label)] = value
                mapping[value] = value
            self.choice_values[name] = mapping
        self.defaults = {name: Member._meta.get_field(name).get_default() for name in DEFAULTED_FIELDS}

    def cell(self, row: list[Any], name: str) -> Any:
        index = self.sheet.columns[name]
        return row[index] if index < len(row) else None

    def data(self, row: list[Any], member: Member | None) -> tuple[dict[str, Any], dict[str, str]]:
        data: dict[str, Any] = {}
        problems: dict[str, str] = {}
        lookups = self.lookups
        for column in COLUMNS:
            name = column.field
            text = cell_text(self.cell(row, name))
            if not text:
                if member is not None:
                    data[name] = _form_value(member, name)
                elif name in self.defaults:
                    data[name] = self.defaults[name]
                else:
                    data[name] = [] if name == "categories" else ""
                continue
            if name in self.choice_values:
                data[name] = self.choice_values[name].get(text, text)
            elif column.kind == "date" and isinstance(raw := self.cell(row, name), datetime.date):
                # A date cell reaches the form as the date it holds (the text form would only be
                # parsed back into it).
                data[name] = raw.date() if isinstance(raw, datetime.datetime) else raw
            elif name == "branch":
                unit = lookups.branches.get(text)
                data[name] = str(unit.pk) if unit else text
                if unit is None:
                    problems[name] = (
                        f"有多个党支部名为「{text}」：请从下拉列表中选择带编码的名称。"
                        if text in lookups.ambiguous_branches
                        else f"找不到党支部「{text}」：请从下拉列表中选择您权限范围内的党支部。"
                    )
            elif name == "residence_community":
                unit = lookups.communities.get(text)
                data[name] = str(unit.pk) if unit else text
                if unit is None:
                    problems[name] = (
                        f"有多个社区名为「{text}」：请从下拉列表中选择带编码的名称。"
                        if text in lookups.ambiguous_communities
                        else f"找不到社区「{text}」：请从下拉列表中选择您权限范围内的社区。"
                    )
            elif name == "categories":
                chosen, unknown = [], []
                for part in CATEGORY_SEPARATORS.split(text):
                    if part:
                        category = lookups.categories.get(part)
                        (chosen if category else unknown).append(str(category.pk) if category else part)
                data[name] = chosen
                if unknown:
                    names = "".join(f"「{part}」" for part in unknown)
                    problems[name] = f"没有人员类别{names}：可选 {'、'.join(lookups.categories)}。"
            else:
                data[name] = text
        # The group is named within the row's branch (many branches have a 第一党小组).
        group_text = cell_text(self.cell(row, "group"))
        if group_text:
            branch_key = data.get("branch", "")
            branch_pk = int(branch_key) if str(branch_key).isdigit() else None
            group = lookups.groups.get((branch_pk, group_text)) if branch_pk else None
            data["group"] = str(group.pk) if group else ""
            if group is None and "branch" not in problems:
                problems["group"] = f"所在党支部下没有党小组「{group_text}」：请核对党小组名称，或留空。"
        elif member is not None and data.get("branch") != str(member.branch_id):
            data["group"] = ""  # a group belongs to its branch: moving to another branch leaves it
        id_cell = self.cell(row, "id_number")
        if isinstance(id_cell, int | float) and not isinstance(id_cell, bool):
            problems["id_number"] = "公民身份号码被存成了数字，后几位可能已经丢失：请把该列设为文本格式后重新填写。"
        return data, problems


def _registered(indexes: list[str], lookups: Lookups) -> tuple[dict[str, int], dict[str, Member]]:
    """Who holds each ID number already (any scope), and the holders inside the scope: one query
    (per chunk of numbers) for the whole column, instead of one per row."""
    holders: dict[str, int] = {}
    in_scope: dict[str, Member] = {}
    root_path = lookups.root.path if lookups.root is not None else ""
    categories = Prefetch("categories", queryset=MemberCategory.objects.order_by("sort_order", "pk"))
    for start in range(0, len(indexes), ID_CHUNK):
        chunk = indexes[start : start + ID_CHUNK]
        for member in (
            Member.objects.filter(id_number_index__in=chunk).select_related("branch").prefetch_related(categories)
        ):
            holders[member.id_number_index] = member.pk
            if member.branch.path.startswith(root_path):
                in_scope[member.id_number_index] = member
    return holders, in_scope


def check_sheet(sheet: SheetData, *, root: OrgUnit | None, progress: Callable[[int], None] | None = None) -> Check:
    """Every row through the page's form; what each would do, or every error by row and column."""
    lookups = load_lookups(root)
    reader = _RowReader(sheet, lookups)
    check = Check(total_rows=len(sheet.rows))
    errors: list[dict[str, Any]] = []

    # The ID-number column at once: the numbers, duplicates within the file, who holds them.
    row_index: dict[int, str] = {}
    seen: dict[str, list[int]] = defaultdict(list)
    for number, row in sheet.rows:
        text = cell_text(reader.cell(row, "id_number")).upper()
        if text:
            index = blind_index(text)
            row_index[number] = index
            seen[index].append(number)
    duplicates = {index: numbers for index, numbers in seen.items() if len(numbers) > 1}
    holders, members = _registered(list(seen), lookups)

    id_title = column_title("id_number")
    step = max(1, len(sheet.rows) // 20)
    for position, (number, row) in enumerate(sheet.rows, start=1):
        index = row_index.get(number)
        if index in duplicates:
            others = "、".join(str(other) for other in duplicates[index] if other != number)
            errors.append(error_entry(number, id_title, f"与第 {others} 行是同一个公民身份号码：同一人只能填写一行。"))
            continue
        member = members.get(index) if index else None
        snapshot = _comparable(member) if member is not None else None
        version = member.version if member is not None else None
        data, problems = reader.data(row, member)
        form = RowForm(data=data, instance=member, lookups=lookups, registered=holders, id_index=index)
        valid = form.is_valid()
        row_errors: dict[str, list[str]] = {name: list(messages) for name, messages in form.errors.items()}
        for name, message in problems.items():
            row_errors[name] = [message]  # what the row named, said in its own words
        if valid and not problems:
            if snapshot is None:
                kind, changes = NEW, []
            else:
                cleaned = _cleaned_comparable(form)
                changes = [column_title(name) for name in cleaned if cleaned[name] != snapshot[name]]
                kind = UPDATED if changes else UNCHANGED
            check.rows.append(
                CheckedRow(
                    number=number,
                    kind=kind,
                    fields=form.service_fields(),
                    categories=list(form.cleaned_data.get("categories") or []),
                    member=member,
                    member_version=version,
                    changes=changes,
                    built=form.instance if snapshot is None else None,
                )
            )
        else:
            for name, messages in row_errors.items():
                title = "" if name == "__all__" else column_title(name)
                errors.extend(error_entry(number, title, message) for message in messages)
        if progress is not None and position % step == 0:
            progress(round(100 * position / len(sheet.rows)))
    check.errors = errors
    if errors:
        check.rows = []
    return check


def check_content(content: bytes, *, root: OrgUnit | None, progress: Callable[[int], None] | None = None) -> Check:
    with collector_paused():  # the file's rows and their checked members are all kept
        try:
            sheet = read_sheet(content)
        except FileRefused as refused:
            return Check(errors=refused.errors)
        return check_sheet(sheet, root=root, progress=progress)
