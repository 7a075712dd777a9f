"""What a file may name (loaded once per file) and the form that checks one row: MemberForm,
with the column-wide checks done once for the file."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Model

from dangjian.core.choices import OrgKind
from dangjian.core.crypto import blind_index
from dangjian.core.models import OrgUnit

from ..forms import MemberForm
from ..models import MemberCategory, check_id_number
from .columns import ALREADY_REGISTERED


@dataclass
class Lookups:
    """The units and categories a file may name, loaded once, keyed by what a person types."""

    root: OrgUnit | None
    branches: dict[str, OrgUnit] = field(default_factory=dict)
    branch_labels: list[str] = field(default_factory=list)
    ambiguous_branches: set[str] = field(default_factory=set)
    groups: dict[tuple[int, str], OrgUnit] = field(default_factory=dict)
    communities: dict[str, OrgUnit] = field(default_factory=dict)
    community_labels: list[str] = field(default_factory=list)
    ambiguous_communities: set[str] = field(default_factory=set)
    categories: dict[str, MemberCategory] = field(default_factory=dict)
    by_pk: dict[str, dict[int, Model]] = field(default_factory=lambda: defaultdict(dict))

    querysets: dict[str, Any] = field(default_factory=dict)
    # The fields of the file's new rows, set up once by the first (see RowForm).
    row_fields: SharedFields | None = None

    def units(self):
        queryset = OrgUnit.objects.active()
        return queryset.subtree(self.root) if self.root is not None else queryset

    def category_queryset(self):
        return MemberCategory.objects.filter(is_active=True)

    def form_querysets(self) -> dict[str, Any]:
        """The querysets MemberForm takes, built once for the file (never evaluated per row)."""
        if not self.querysets:
            units = self.units()
            self.querysets = {
                "branches": units.filter(kind=OrgKind.BRANCH),
                "groups": units.filter(kind=OrgKind.GROUP),
                "communities": units.filter(kind=OrgKind.COMMUNITY),
                "categories": self.category_queryset(),
            }
        return self.querysets


def _labelled(units: list[OrgUnit]) -> tuple[dict[str, OrgUnit], list[str], set[str]]:
    """Each unit by its name when the name is unique, else by "name（code）"; also by its code."""
    counts: dict[str, int] = defaultdict(int)
    for unit in units:
        counts[unit.name] += 1
    by_label: dict[str, OrgUnit] = {}
    labels = []
    for unit in units:
        label = unit.name if counts[unit.name] == 1 else f"{unit.name}（{unit.code}）"
        by_label[label] = unit
        by_label.setdefault(unit.code, unit)
        labels.append(label)
    return by_label, labels, {name for name, count in counts.items() if count > 1}


def load_lookups(root: OrgUnit | None) -> Lookups:
    lookups = Lookups(root=root)
    units = list(
        lookups.units()
        .filter(kind__in=[OrgKind.BRANCH, OrgKind.GROUP, OrgKind.COMMUNITY])
        .only("pk", "name", "code", "kind", "parent_id", "path", "district_id")
        .order_by("path")
    )
    branches = [unit for unit in units if unit.kind == OrgKind.BRANCH]
    communities = [unit for unit in units if unit.kind == OrgKind.COMMUNITY]
    lookups.branches, lookups.branch_labels, lookups.ambiguous_branches = _labelled(branches)
    lookups.communities, lookups.community_labels, lookups.ambiguous_communities = _labelled(communities)
    for unit in units:
        if unit.kind == OrgKind.GROUP:
            lookups.groups.setdefault((unit.parent_id, unit.name), unit)
        lookups.by_pk[unit.kind][unit.pk] = unit
    for category in lookups.category_queryset():
        lookups.categories[category.name] = category
        lookups.by_pk["category"][category.pk] = category
    return lookups


# --- The form of one row --------------------------------------------------------------------------


class PreloadedChoiceField(forms.ModelChoiceField):
    """The page's choice field, answered from the objects loaded once for the file: the same
    choices (the user's scope), the same message for a choice outside them, no query per row."""

    objects: dict[int, Model]

    @classmethod
    def adopt(cls, original: forms.ModelChoiceField, objects: dict[int, Model]) -> PreloadedChoiceField:
        field = copy.copy(original)  # keeps the page's label, required flag and messages
        field.__class__ = cls
        field.objects = objects
        return field

    def get_limit_choices_to(self) -> None:
        return None  # the loaded objects are already only units of the field's kind

    def to_python(self, value: Any) -> Model | None:
        if value in self.empty_values:
            return None
        try:
            return self.objects[int(value)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            ) from None


class PreloadedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The page's multiple-choice field (categories), answered from objects loaded once."""

    objects: dict[int, Model]

    @classmethod
    def adopt(cls, original: forms.ModelMultipleChoiceField, objects: dict[int, Model]) -> PreloadedMultipleChoiceField:
        field = copy.copy(original)
        field.__class__ = cls
        field.objects = objects
        return field

    def clean(self, value: Any) -> list[Model]:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        if value in self.empty_values:
            return []  # not the queryset's none(): nothing to compile for an empty cell
        if not isinstance(value, (list, tuple)):
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        chosen = self._check_values(value)
        self.run_validators(value)
        return chosen

    def _check_values(self, value: Iterable[Any]) -> list[Model]:
        chosen = []
        for key in value:
            try:
                chosen.append(self.objects[int(key)])
            except (KeyError, TypeError, ValueError):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": key}
                ) from None
        return chosen


class SharedFields(dict):
    """The form fields of a file's new rows, given their querysets and preloaded objects once.
    A row's form only reads its fields, so the copy Django makes for each form (a deep copy of
    twenty fields, most of a row's checking time) can be a shallow one."""

    def __deepcopy__(self, memo: dict) -> SharedFields:
        return SharedFields(self)


class RowForm(MemberForm):
    """MemberForm for one row of a file: the page's rules, with the column-wide checks done once.

    Fields checked for the whole column are left out of the model's per-field validation (which
    would ask the database once per row whether the chosen unit exists): the preloaded fields
    already accepted only units of the right kind in the scope. Member.clean checks the ID number
    and asks the database whether it is registered; here the same function checks it, and the
    answer for "registered" comes from one query for the column (`registered`).
    """

    COLUMN_CHECKED = ("id_number", "branch", "group", "residence_community")
    # Fields answered from the objects loaded for the file, by the key of Lookups.by_pk.
    PRELOADED = {
        "branch": OrgKind.BRANCH,
        "group": OrgKind.GROUP,
        "residence_community": OrgKind.COMMUNITY,
        "categories": "category",
    }

    # The model fields a row's form writes to its instance, each with whether it has a default:
    # those construct_instance visits, found once for the class (see _model_post_clean).
    _constructed: ClassVar[list[tuple[models.Field, bool]] | None] = None

    def __init__(self, *args: Any, lookups: Lookups, registered: dict[str, int], **kwargs: Any) -> None:
        self.registered = registered
        new = kwargs.get("instance") is None
        if new and lookups.row_fields is not None:
            # MemberForm's set-up (querysets, widgets) is already in the shared fields; a form
            # for an existing member changes its fields (the numbers become optional) and so
            # always gets its own.
            # ModelForm's own set-up for a new instance, without applying the fields'
            # limit_choices_to again (the shared fields have it).
            self.base_fields = lookups.row_fields
            self.instance = self._meta.model()
            self._validate_unique = False
            kwargs.pop("instance", None)
            forms.BaseForm.__init__(self, *args, initial=kwargs.pop("initial", None) or {}, **kwargs)
            return
        super().__init__(*args, **lookups.form_querysets(), **kwargs)
        for name, kind in self.PRELOADED.items():
            self.fields[name].objects = lookups.by_pk[kind]
        if new:
            lookups.row_fields = SharedFields(self.fields)

    def _style(self) -> None:
        # A row is never rendered. Styling reads `errors`, which would validate the row inside
        # MemberForm.__init__, before the preloaded fields are in place.
        pass

    def _clean_fields(self) -> None:
        """Django's field cleaning without a BoundField per field (a row is never rendered):
        each field cleans the value its widget reads from the row's data, then the form's
        clean_<field> method runs, and an error lands on its field, as on the page."""
        data, files = self.data, self.files
        for name, form_field in self.fields.items():
            try:
                if form_field.disabled:
                    value = self.get_initial_for_field(form_field, name)
                else:
                    value = form_field.widget.value_from_datadict(data, files, self.add_prefix(name))
                self.cleaned_data[name] = form_field.clean(value)
                cleaner = getattr(self, f"clean_{name}", None)
                if cleaner is not None:
                    self.cleaned_data[name] = cleaner()
            except ValidationError as error:
                self.add_error(name, error)

    def _get_validation_exclusions(self) -> set[str]:
        return {*super()._get_validation_exclusions(), *self.COLUMN_CHECKED}

    def validate_unique(self) -> None:
        """Nothing to ask per row: the one unique column a row fills (the ID number's blind
        index) is checked for the whole column at once (`registered`, and duplicates within the
        file), and the others (the account) are not in the file."""

    def _post_clean(self) -> None:
        number = self.cleaned_data.pop("id_number", None)
        id_errors: list[str] = []
        birth = None
        if number:
            try:
                birth = check_id_number(number)
            except ValidationError as error:
                id_errors = error.messages
            else:
                holder = self.registered.get(blind_index(number))
                if holder is not None and holder != self.instance.pk:
                    id_errors = [ALREADY_REGISTERED]
        stored = self.instance.id_number
        # The model sees no number while it checks the rest of the row (it would repeat the check
        # above and query per row); the birth date it would take from the number is set here.
        self.instance.id_number = ""
        if birth is not None:
            self.instance.birth_date = birth
        try:
            self._model_post_clean()
        finally:
            self.instance.id_number = number or stored
            if number is not None:
                self.cleaned_data["id_number"] = number
        for message in id_errors:
            self.add_error("id_number", message)

    @classmethod
    def _construction(cls) -> list[tuple[models.Field, bool]]:
        if cls._constructed is None:
            opts = cls._meta
            constructed = []
            for model_field in opts.model._meta.fields:
                name = model_field.name
                if not model_field.editable or isinstance(model_field, models.AutoField):
                    continue
                if (opts.fields is not None and name not in opts.fields) or (opts.exclude and name in opts.exclude):
                    continue
                if isinstance(model_field, models.FileField):
                    raise TypeError(f"{name}: a file field is written after the others by construct_instance")
                constructed.append((model_field, model_field.has_default()))
            cls._constructed = constructed
        return cls._constructed

    def _model_post_clean(self) -> None:
        """ModelForm._post_clean for a row, step for step: the cleaned values written to the
        instance as construct_instance writes them (a field with a default that the row left
        out keeps it), then the model's validation of the fields not excluded, then the
        uniqueness check if the form asks for it. What differs is the cost: the fields to
        write are found once for the class, and a field's widget is asked directly whether the
        row left it out (Django makes a BoundField to ask)."""
        exclude = self._get_validation_exclusions()
        cleaned, instance = self.cleaned_data, self.instance
        for model_field, has_default in self._construction():
            name = model_field.name
            if name not in cleaned:
                continue
            if has_default:
                form_field = self.fields[name]
                omitted = form_field.widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name))
                if omitted and cleaned.get(name) in form_field.empty_values:
                    continue
            model_field.save_form_data(instance, cleaned[name])
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as error:
            self._update_errors(error)
        if self._validate_unique:
            self.validate_unique()


# The page's fields, made preloaded once for the class; each form copies them, as Django does,
# and gets the file's objects in __init__.
RowForm.base_fields = dict(RowForm.base_fields)
for _name in RowForm.PRELOADED:
    _kind = PreloadedMultipleChoiceField if _name == "categories" else PreloadedChoiceField
    RowForm.base_fields[_name] = _kind.adopt(RowForm.base_fields[_name], {})
