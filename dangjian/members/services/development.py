"""Writes of the development pipeline (发展党员): one function per step, in a transaction, with
history. The intervals between the steps are read from the DevelopmentRule rows at each check,
so a rule the district changes applies to the next check."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from dangjian.core import scope
from dangjian.core.crypto import blind_index
from dangjian.core.models import OrgUnit, User
from dangjian.core.services import STALE_MESSAGE

from ..choices import DEFAULT_RULES, OPEN_STAGES, DevelopmentStage, MembershipType, RuleKey
from ..models import Development, DevelopmentRule, Member, add_months, load_rules
from .registry import member_create

# Fields computed in save() from the ones a person types.
COMPUTED = ["birth_date", "name_initials", "id_number_index", "phone_index"]


def day_label(day: datetime.date) -> str:
    """2026年11月25日, as dates are written on screen."""
    return f"{day.year}年{day.month}月{day.day}日"


def _locked(development: Development, expected_version: int | None, stages: Iterable[str], action: str) -> Development:
    """The record, locked for this transaction; refused if someone changed it since it was read,
    or if it is not at a stage where `action` applies."""
    # Lock the record's row only, not the branch it joins (of=("self",) on PostgreSQL).
    locked = Development.objects.select_for_update(of=("self",)).get(pk=development.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if locked.stage not in stages:
        raise ValidationError(f"该记录当前为“{locked.get_stage_display()}”阶段，不能{action}。", code="stage")
    return locked


def _save(development: Development, by: User | None) -> Development:
    development._history_user = by
    development.full_clean(exclude=COMPUTED)
    try:
        with transaction.atomic():
            development.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"id_number": ["该公民身份号码刚刚被他人登记了发展党员记录，请核对。"]}, code="conflict"
        ) from exc
    return development


def _step(development: Development, by: User | None) -> Development:
    development.version += 1
    return _save(development, by)


@transaction.atomic
def development_apply(
    *,
    by: User | None,
    name: str,
    gender: str,
    id_number: str,
    branch: OrgUnit,
    applied_on: datetime.date,
    phone: str = "",
    notes: str = "",
) -> Development:
    """Record an application for membership (入党申请人). The applicant must have reached the
    minimum age (rule `applicant_min_age`) on the day of the application."""
    development = Development(
        name=name,
        gender=gender,
        id_number=(id_number or "").strip().upper(),
        phone=(phone or "").strip(),
        branch=branch,
        applied_on=applied_on,
        notes=notes,
        stage=DevelopmentStage.APPLICANT,
    )
    errors: dict[str, list[str]] = {}
    try:
        development.full_clean(exclude=COMPUTED)
    except ValidationError as error:
        errors = {field: list(messages) for field, messages in error.message_dict.items()}
    birth = development.birth_date
    if birth and applied_on and "id_number" not in errors:
        rules = load_rules()
        min_age = rules[RuleKey.APPLICANT_MIN_AGE]
        earliest = add_months(birth, rules.months(RuleKey.APPLICANT_MIN_AGE))
        if applied_on < earliest:
            errors.setdefault("applied_on", []).append(
                f"申请入党时应年满{min_age}周岁（发展党员规则“申请入党最低年龄”现为{min_age}周岁）："
                f"该申请人{day_label(birth)}出生，{day_label(earliest)}起方可申请。"
            )
        if Member.objects.filter(id_number_index=blind_index(development.id_number)).exists():
            errors.setdefault("id_number", []).append("该公民身份号码已登记为党员，无需再发展。")
    if errors:
        raise ValidationError(errors)
    return _save(development, by)


@transaction.atomic
def development_make_activist(
    *, development: Development, activist_on: datetime.date, by: User | None, expected_version: int | None = None
) -> Development:
    """The branch names the applicant an activist (入党积极分子)."""
    development = _locked(development, expected_version, [DevelopmentStage.APPLICANT], "确定为入党积极分子")
    if activist_on < development.applied_on:
        raise ValidationError(
            {"activist_on": f"确定为入党积极分子的日期不能早于申请入党日期（{day_label(development.applied_on)}）。"}
        )
    development.activist_on = activist_on
    development.stage = DevelopmentStage.ACTIVIST
    return _step(development, by)


@transaction.atomic
def development_make_candidate(
    *, development: Development, candidate_on: datetime.date, by: User | None, expected_version: int | None = None
) -> Development:
    """An activist trained for long enough (rule `activist_min_months`) becomes a development
    target (发展对象)."""
    development = _locked(development, expected_version, [DevelopmentStage.ACTIVIST], "确定为发展对象")
    rules = load_rules()
    earliest = development.candidate_earliest(rules)
    if earliest is not None and candidate_on < earliest:
        months = rules[RuleKey.ACTIVIST_MIN_MONTHS]
        raise ValidationError(
            {
                "candidate_on": f"入党积极分子须经{months}个月以上培养教育方可确定为发展对象："
                f"该积极分子{day_label(development.activist_on)}确定，最早可于{day_label(earliest)}确定为发展对象。"
            }
        )
    development.candidate_on = candidate_on
    development.stage = DevelopmentStage.CANDIDATE
    return _step(development, by)


@transaction.atomic
def development_admit(
    *, development: Development, admitted_on: datetime.date, by: User | None, expected_version: int | None = None
) -> Development:
    """The branch's general meeting admits the development target as a probationary member
    (预备党员); the probation runs from this day."""
    development = _locked(development, expected_version, [DevelopmentStage.CANDIDATE], "接收为预备党员")
    if admitted_on < development.candidate_on:
        raise ValidationError(
            {
                "admitted_on": "接收为预备党员的日期不能早于确定为发展对象日期"
                f"（{day_label(development.candidate_on)}）。"
            }
        )
    development.admitted_on = admitted_on
    development.stage = DevelopmentStage.PROBATIONARY
    return _step(development, by)


@transaction.atomic
def development_extend(
    *,
    development: Development,
    months: int,
    extended_on: datetime.date,
    by: User | None,
    expected_version: int | None = None,
) -> Development:
    """Extend a probation (rules `max_extensions`, `extension_min_months`, `extension_max_months`)."""
    development = _locked(development, expected_version, [DevelopmentStage.PROBATIONARY], "延长预备期")
    rules = load_rules()
    most = rules[RuleKey.MAX_EXTENSIONS]
    if development.extensions >= most:
        message = (
            "现行发展党员规则不允许延长预备期。"
            if most == 0
            else f"预备期最多延长{most}次，该预备党员已延长{development.extensions}次，不能再延长。"
        )
        raise ValidationError({"extension_months": message})
    low, high = rules[RuleKey.EXTENSION_MIN_MONTHS], rules[RuleKey.EXTENSION_MAX_MONTHS]
    if not low <= months <= high:
        raise ValidationError({"extension_months": f"延长预备期应为{low}至{high}个月，填写的是{months}个月。"})
    development.extensions += 1
    development.extension_months += months
    development.extended_on = extended_on
    return _step(development, by)


@transaction.atomic
def development_confirm(
    *, development: Development, confirmed_on: datetime.date, by: User | None, expected_version: int | None = None
) -> Development:
    """Confirm a probationary member whose probation (with any extension) has ended: the record
    becomes full (正式党员), and the member is put on the roll of the same branch."""
    development = _locked(development, expected_version, [DevelopmentStage.PROBATIONARY], "转正")
    rules = load_rules()
    ends = development.probation_ends_on(rules)
    if ends is not None and confirmed_on < ends:
        probation = f"{rules[RuleKey.PROBATION_MONTHS]}个月"
        if development.extension_months:
            probation += f"，延长{development.extension_months}个月"
        raise ValidationError(
            {
                "confirmed_on": f"预备期（{probation}）自{day_label(development.admitted_on)}起算，"
                f"尚未期满：最早转正日期为{day_label(ends)}。"
            }
        )
    try:
        member = member_create(
            by=by,
            name=development.name,
            gender=development.gender,
            id_number=development.id_number,
            phone=development.phone,
            branch=development.branch,
            join_date=development.admitted_on,
            full_member_date=confirmed_on,
            membership_type=MembershipType.FULL,
        )
    except ValidationError as error:
        messages = [
            f"建立党员档案未成功：{_member_label(field)}{message}"
            for field, field_messages in getattr(error, "message_dict", {"__all__": error.messages}).items()
            for message in field_messages
        ]
        raise ValidationError(messages, code="member") from error
    development.member = member
    development.confirmed_on = confirmed_on
    development.stage = DevelopmentStage.FULL
    return _step(development, by)


def _member_label(field: str) -> str:
    if field == "__all__":
        return ""
    return f"{Member._meta.get_field(field).verbose_name}："


@transaction.atomic
def development_stop(
    *,
    development: Development,
    reason: str,
    stopped_on: datetime.date,
    by: User | None,
    expected_version: int | None = None,
) -> Development:
    """End a record that will not lead to membership; it keeps its row, with the reason."""
    development = _locked(development, expected_version, OPEN_STAGES, "终止")
    if not (reason or "").strip():
        raise ValidationError({"stop_reason": "请填写终止原因。"})
    development.stop_reason = reason.strip()
    development.stopped_on = stopped_on
    development.stage = DevelopmentStage.STOPPED
    return _step(development, by)


# --- The rules ---------------------------------------------------------------------------------

# Bounds that keep an edited rule meaningful (a typing slip, not a policy choice).
RULE_BOUNDS: dict[str, tuple[int, int]] = {
    RuleKey.APPLICANT_MIN_AGE: (14, 60),
    RuleKey.ACTIVIST_MIN_MONTHS: (1, 60),
    RuleKey.PROBATION_MONTHS: (1, 60),
    RuleKey.EXTENSION_MIN_MONTHS: (1, 60),
    RuleKey.EXTENSION_MAX_MONTHS: (1, 60),
    RuleKey.MAX_EXTENSIONS: (0, 5),
}


@transaction.atomic
def development_rules_update(
    *, values: Mapping[str, int], by: User, expected_versions: Mapping[str, int] | None = None
) -> list[DevelopmentRule]:
    """The district organizer changes the rules' values; each check made afterwards reads them."""
    if not scope.can(by, scope.Cap.RULES_MANAGE):
        raise PermissionDenied("只有区委组织部可以修改发展党员规则。")
    unknown = set(values) - set(RuleKey.values)
    if unknown:
        raise ValueError(f"unknown rules {sorted(unknown)}")
    rows = {row.key: row for row in DevelopmentRule.objects.select_for_update().order_by("pk")}
    for key, (value, unit, description) in DEFAULT_RULES.items():
        if key not in rows:
            rows[key] = DevelopmentRule(
                key=key, label=RuleKey(key).label, value=value, unit=unit, description=description
            )
    for key, version in (expected_versions or {}).items():
        if rows[key].pk and rows[key].version != version:
            raise ValidationError(STALE_MESSAGE, code="stale")
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        low, high = RULE_BOUNDS[key]
        if value is None or not low <= value <= high:
            errors.setdefault(str(key), []).append(
                f"{rows[key].label}应在{low}至{high}{rows[key].get_unit_display()}之间。"
            )
    merged = {key: values.get(key, row.value) for key, row in rows.items()}
    if not errors and merged[RuleKey.EXTENSION_MIN_MONTHS] > merged[RuleKey.EXTENSION_MAX_MONTHS]:
        errors.setdefault(str(RuleKey.EXTENSION_MIN_MONTHS), []).append("延长预备期最短月数不能大于最长月数。")
    if errors:
        raise ValidationError(errors)
    changed = []
    for key, value in values.items():
        row = rows[key]
        if row.pk and row.value == value:
            continue
        row.value = value
        if row.pk:
            row.version += 1
        row._history_user = by
        row.full_clean()
        row.save()
        changed.append(row)
    return changed


# Each step of the pipeline by name, called with the step's form or serializer data (field names
# as on the model, plus an optional `version`): the one dispatch the pages and the API share.
STEP_SERVICES: dict[str, Callable[[Development, Mapping[str, Any], User | None], Development]] = {
    "activist": lambda d, data, by: development_make_activist(
        development=d, activist_on=data["activist_on"], by=by, expected_version=data.get("version")
    ),
    "candidate": lambda d, data, by: development_make_candidate(
        development=d, candidate_on=data["candidate_on"], by=by, expected_version=data.get("version")
    ),
    "admit": lambda d, data, by: development_admit(
        development=d, admitted_on=data["admitted_on"], by=by, expected_version=data.get("version")
    ),
    "confirm": lambda d, data, by: development_confirm(
        development=d, confirmed_on=data["confirmed_on"], by=by, expected_version=data.get("version")
    ),
    "extend": lambda d, data, by: development_extend(
        development=d,
        months=data["extension_months"],
        extended_on=data["extended_on"],
        by=by,
        expected_version=data.get("version"),
    ),
    "stop": lambda d, data, by: development_stop(
        development=d,
        reason=data["stop_reason"],
        stopped_on=data["stopped_on"],
        by=by,
        expected_version=data.get("version"),
    ),
}
