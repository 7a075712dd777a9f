"""What a file may name (loaded once per file) and the form that checks one row: MemberForm,
with the column-wide checks done once for the file."""

from __future__ import annotations

import copy
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_init, pre_init

from dangjian.core.choices import OrgKind
from dangjian.core.crypto import blind_index
from dangjian.core.models import OrgUnit

from ..forms import MemberForm
from ..models import MemberCategory, check_id_number
from .columns import ALREADY_REGISTERED


class ColumnMemo(dict):
    """What a field made of each value it accepted, by field name then value: a column repeats
    its values (a branch, a gender, a join date across thousands of rows), and a field's checks
    of a value do not depend on the rest of the row, so each value is checked once per file.
    A value refused is checked again on every row that holds it, so each row gets its own
    messages. Columns of values that never repeat (names, numbers) stop being kept at LIMIT."""

    LIMIT = 5_000
    MISSING = object()

    @classmethod
    def key(cls, value: Any) -> Any:
        """The value as a key (a list of choices as a tuple), or MISSING for a value not kept.
        Text (a default choice is a TextChoices member, equal to its text), a date and None
        never equal one another."""
        if isinstance(value, str) or value is None or type(value) is datetime.date:
            return value
        if type(value) is list and all(isinstance(item, str) for item in value):
            return tuple(value)
        return cls.MISSING

    def column(self, name: str) -> dict[Any, Any]:
        seen = self.get(name)
        if seen is None:
            seen = self[name] = {}
        return seen

    @classmethod
    def keep(cls, seen: dict[Any, Any], key: Any, value: Any) -> None:
        if len(seen) < cls.LIMIT:
            seen[key] = value


@dataclass(frozen=True)
class ExclusionRule:
    """ModelForm._get_validation_exclusions for forms that share their fields, worked out once:
    the fields always left out, the model fields on the form (left out when the row's value is
    refused), and those left out when the row leaves them empty."""

    always: frozenset[str]
    on_form: frozenset[str]
    when_empty: tuple[tuple[str, tuple[Any, ...]], ...]

    def exclusions(self, errors: dict[str, Any], cleaned: dict[str, Any]) -> set[str]:
        exclude = set(self.always)
        exclude.update(name for name in errors if name in self.on_form)
        exclude.update(name for name, empty in self.when_empty if cleaned.get(name) in empty)
        return exclude


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
    # What the new rows' form fields and model fields made of each value they accepted, by
    # field name (see ColumnMemo).
    form_memo: ColumnMemo = field(default_factory=ColumnMemo)
    model_memo: ColumnMemo = field(default_factory=ColumnMemo)
    # Which model fields the new rows' forms leave out of the model's validation (see
    # RowForm._get_validation_exclusions).
    exclusion_rule: ExclusionRule | None = None

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
    # A new instance to copy, or False when the model's defaults are computed (see _new_instance).
    _blank: ClassVar[Model | bool | None] = None

    def __init__(
        self, *args: Any, lookups: Lookups, registered: dict[str, int], id_index: str | None = None, **kwargs: Any
    ) -> None:
        self.registered = registered
        # The blind index of the row's ID number, when the column was already read for it.
        self.id_index = id_index
        new = kwargs.get("instance") is None
        # A new row's checks of a value are the same on every row (an existing member's form
        # depends on the member), so only new rows use the file's memos.
        self.lookups = lookups
        self.form_memo = lookups.form_memo if new else None
        self.model_memo = lookups.model_memo if new else None
        if new and lookups.row_fields is not None:
            # MemberForm's set-up (querysets, widgets) is already in the shared fields; a form
            # for an existing member changes its fields (the numbers become optional) and so
            # always gets its own.
            # ModelForm's own set-up for a new instance, without applying the fields'
            # limit_choices_to again (the shared fields have it).
            self.base_fields = lookups.row_fields
            self.instance = self._new_instance()
            self._validate_unique = False
            kwargs.pop("instance", None)
            # No label suffix to translate: a row is never rendered.
            forms.BaseForm.__init__(self, *args, initial=kwargs.pop("initial", None) or {}, label_suffix="", **kwargs)
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
        data, files, memo = self.data, self.files, self.form_memo
        for name, form_field in self.fields.items():
            try:
                if form_field.disabled:
                    value = self.get_initial_for_field(form_field, name)
                else:
                    value = form_field.widget.value_from_datadict(data, files, self.add_prefix(name))
                key = ColumnMemo.key(value) if memo is not None else ColumnMemo.MISSING
                if key is not ColumnMemo.MISSING:
                    seen = memo.column(name)
                    cleaned = seen.get(key, ColumnMemo.MISSING)
                    if cleaned is not ColumnMemo.MISSING:
                        self.cleaned_data[name] = cleaned
                        continue
                self.cleaned_data[name] = form_field.clean(value)
                cleaner = getattr(self, f"clean_{name}", None)
                if cleaner is not None:
                    self.cleaned_data[name] = cleaner()
                if key is not ColumnMemo.MISSING:
                    ColumnMemo.keep(seen, key, self.cleaned_data[name])
            except ValidationError as error:
                self.add_error(name, error)

    def _get_validation_exclusions(self) -> set[str]:
        if self.form_memo is None:
            return {*super()._get_validation_exclusions(), *self.COLUMN_CHECKED}
        # The new rows share their fields, so the rule is the same for each (Django works it
        # out from every model field on every row).
        if self.lookups.exclusion_rule is None:
            self.lookups.exclusion_rule = self._exclusion_rule()
        return self.lookups.exclusion_rule.exclusions(self._errors, self.cleaned_data)

    def _exclusion_rule(self) -> ExclusionRule:
        """ModelForm._get_validation_exclusions, case for case, as a rule for any row."""
        always, on_form, when_empty = set(self.COLUMN_CHECKED), set(), []
        opts = self._meta
        for model_field in self.instance._meta.fields:
            name = model_field.name
            if (
                name not in self.fields
                or (opts.fields and name not in opts.fields)
                or (opts.exclude and name in opts.exclude)
            ):
                always.add(name)
                continue
            on_form.add(name)
            form_field = self.fields[name]
            if not model_field.blank and not form_field.required:
                when_empty.append((name, tuple(form_field.empty_values)))
        return ExclusionRule(frozenset(always), frozenset(on_form), tuple(when_empty))

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
                holder = self.registered.get(self.id_index or blind_index(number))
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
    def _new_instance(cls) -> Model:
        """A new instance with the model's defaults, as the model's constructor makes it: a copy
        of one made once for the class (the constructor sets some thirty fields one by one). The
        constructor makes it when a default is computed per instance or something listens to
        instances being made."""
        model = cls._meta.model
        if pre_init.has_listeners(model) or post_init.has_listeners(model):
            return model()
        if cls._blank is None:
            computed = any(field.has_default() and callable(field.default) for field in model._meta.concrete_fields)
            cls._blank = False if computed else model()
        if cls._blank is False:
            return model()
        instance = model.__new__(model)
        instance.__dict__.update(cls._blank.__dict__)
        instance._state = ModelState()
        return instance

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
        # Model.full_clean(exclude, validate_unique=False), step for step, with the fields
        # cleaned through the file's memo.
        errors: dict[str, Any] = {}
        try:
            self._clean_model_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        try:
            instance.clean()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        exclude.update(name for name in errors if name != NON_FIELD_ERRORS)
        try:
            instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            self._update_errors(ValidationError(errors))
        if self._validate_unique:
            self.validate_unique()

    def _clean_model_fields(self, exclude: set[str]) -> None:
        """Model.clean_fields: each field not excluded cleans the instance's value. A field that
        is not a relation answers from the file's memo for a value it has accepted before."""
        instance, memo = self.instance, self.model_memo
        errors = {}
        for model_field in instance._meta.fields:
            name = model_field.name
            if name in exclude or model_field.generated:
                continue
            raw_value = getattr(instance, model_field.attname)
            if model_field.blank and raw_value in model_field.empty_values:
                continue
            if isinstance(raw_value, DatabaseDefault):
                continue
            key = ColumnMemo.key(raw_value) if memo is not None and not model_field.is_relation else ColumnMemo.MISSING
            if key is not ColumnMemo.MISSING:
                seen = memo.column(name)
                cleaned = seen.get(key, ColumnMemo.MISSING)
                if cleaned is not ColumnMemo.MISSING:
                    setattr(instance, model_field.attname, cleaned)
                    continue
            try:
                cleaned = model_field.clean(raw_value, instance)
            except ValidationError as error:
                errors[name] = error.error_list
                continue
            setattr(instance, model_field.attname, cleaned)
            if key is not ColumnMemo.MISSING:
                ColumnMemo.keep(seen, key, cleaned)
        if errors:
            raise ValidationError(errors)


# The page's fields, made preloaded once for the class; each form copies them, as Django does,
# and gets the file's objects in __init__.
RowForm.base_fields = dict(RowForm.base_fields)
for _name in RowForm.PRELOADED:
    _kind = PreloadedMultipleChoiceField if _name == "categories" else PreloadedChoiceField
    RowForm.base_fields[_name] = _kind.adopt(RowForm.base_fields[_name], {})
