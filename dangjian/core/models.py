"""The organization tree, branch committees, user accounts and their grants."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    ALLOWED_PARENT_KINDS,
    COMMITTEE_KINDS,
    IMPORT_KINDS,
    ROLE_UNIT_KINDS,
    ImportStatus,
    OrgKind,
    OrgStatus,
    Position,
    Role,
    term_years,
)

# One segment of the materialized path per level: the unit's primary key, zero-padded so that
# ordering by path gives the depth-first order of the tree.
PATH_SEGMENT_WIDTH = 8


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}."


def path_ids(path: str) -> list[int]:
    """The primary keys on a materialized path, from the top of the tree down to its unit."""
    return [int(segment) for segment in path.split(".") if segment]


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later (29 February falls back to 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class User(AbstractUser):
    """A person who signs in: an organizer, a cadre, a member or a resident."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


def district_key() -> models.ForeignKey:
    """The district key every org-bound row carries (set from its unit on save; moves of the
    tree rewrite it), so that a province may shard by district."""
    return models.ForeignKey(
        "core.OrgUnit", verbose_name=_("所属区"), null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )


code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    _("编码只能包含字母、数字、下划线和连字符，并以字母或数字开头。"),
)


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def active(self) -> OrgUnitQuerySet:
        return self.filter(status=OrgStatus.ACTIVE)

    def subtree(self, unit: OrgUnit) -> OrgUnitQuerySet:
        """The unit and everything below it: one indexed prefix filter."""
        return self.filter(path__startswith=unit.path)

    def descendants(self, unit: OrgUnit) -> OrgUnitQuerySet:
        return self.subtree(unit).exclude(pk=unit.pk)


class OrgUnit(models.Model):
    """A node of the organization tree: a district, sub-district, community, Party
    organization or Party group. Units are closed (merged or dissolved), never deleted."""

    scope_path = "path"

    kind = models.CharField(_("类型"), max_length=20, choices=OrgKind.choices)
    code = models.CharField(_("编码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    district = models.ForeignKey(
        "self",
        verbose_name=_("所属区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    path = models.CharField(_("路径"), max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("层级"), editable=False, default=0)
    status = models.CharField(_("状态"), max_length=20, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    closed_on = models.DateField(_("撤销/合并日期"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_units",
    )
    close_reason = models.CharField(_("撤销/合并原因"), max_length=200, blank=True)
    address = models.CharField(_("办公地址"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()
    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["path"]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%'.
            models.Index(fields=["path"], name="orgunit_path_prefix", opclasses=["varchar_pattern_ops"]),
            # ORDER BY path (the tree's order, and the member list's first key) in index order.
            models.Index(fields=["path"], name="orgunit_path_order"),
            models.Index(fields=["kind", "status"], name="orgunit_kind_status"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == OrgStatus.ACTIVE

    @property
    def has_committee(self) -> bool:
        return self.kind in COMMITTEE_KINDS

    def clean(self) -> None:
        allowed = ALLOWED_PARENT_KINDS.get(self.kind, ())
        if self.parent_id is None:
            if allowed:
                raise ValidationError({"parent": _("%(kind)s必须有上级组织。") % {"kind": self.get_kind_display()}})
        else:
            if self.parent.kind not in allowed:
                raise ValidationError(
                    {
                        "parent": _("%(parent)s下不能设立%(kind)s。")
                        % {
                            "parent": self.parent.get_kind_display(),
                            "kind": self.get_kind_display(),
                        }
                    }
                )
            if self.pk and self.parent.path.startswith(self.path):
                raise ValidationError({"parent": _("不能把组织移到它自己或它的下级组织之下。")})
        if self.status == OrgStatus.MERGED and self.merged_into_id is None:
            raise ValidationError({"merged_into": _("合并时必须选择并入的组织。")})
        if self.status != OrgStatus.ACTIVE and self.closed_on is None:
            raise ValidationError({"closed_on": _("请填写撤销或合并的日期。")})
        if self.closed_on and self.established_on and self.closed_on < self.established_on:
            raise ValidationError({"closed_on": _("撤销/合并日期不能早于成立日期。")})

    def ancestors(self) -> OrgUnitQuerySet:
        """The units above this one, from the top down (one query, from the path)."""
        pks = path_ids(self.path)[:-1]
        return OrgUnit.objects.filter(pk__in=pks).order_by("depth")


class BranchCommitteeQuerySet(models.QuerySet["BranchCommittee"]):
    def current(self, today: datetime.date | None = None) -> BranchCommitteeQuerySet:
        today = today or timezone.localdate()
        return self.filter(term_start__lte=today, ended_on__isnull=True)

    def ending_within(self, days: int, today: datetime.date | None = None) -> BranchCommitteeQuerySet:
        """Current terms whose end falls within `days` days (or has passed without election)."""
        today = today or timezone.localdate()
        return self.current(today).filter(term_end__lte=today + datetime.timedelta(days=days))


class BranchCommittee(models.Model):
    """One term (届) of the committee elected by a Party organization."""

    scope_path = "org_unit__path"

    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="committees")
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("所属区"), null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    term_number = models.PositiveSmallIntegerField(_("届次"))
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期届满"))
    ended_on = models.DateField(_("换届日期"), null=True, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()
    objects = BranchCommitteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("支部委员会")
        verbose_name_plural = _("支部委员会")
        ordering = ["org_unit__path", "-term_number"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "term_number"], name="committee_unique_term"),
            models.CheckConstraint(condition=Q(term_end__gt=models.F("term_start")), name="committee_term_order"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit.name} 第{self.term_number}届委员会"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The district key travels with every org-bound row (sharding by district).
        self.district_id = self.org_unit.district_id
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "district"}
        super().save(*args, **kwargs)

    @staticmethod
    def default_term_end(kind: str, start: datetime.date) -> datetime.date:
        return add_years(start, term_years(kind))

    def status_label(self, today: datetime.date | None = None) -> str:
        today = today or timezone.localdate()
        if self.ended_on:
            return "已换届"
        if self.term_start > today:
            return "未开始"
        if self.term_end < today:
            return "届满未换届"
        return "在任"

    def days_left(self, today: datetime.date | None = None) -> int:
        today = today or timezone.localdate()
        return (self.term_end - today).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left())

    def clean(self) -> None:
        if self.org_unit_id and self.org_unit.kind not in COMMITTEE_KINDS:
            raise ValidationError({"org_unit": _("%(kind)s不设委员会。") % {"kind": self.org_unit.get_kind_display()}})
        if self.term_start and self.term_end and self.term_end <= self.term_start:
            raise ValidationError({"term_end": _("任期届满日期必须晚于任期开始日期。")})
        if self.ended_on and self.term_start and self.ended_on < self.term_start:
            raise ValidationError({"ended_on": _("换届日期不能早于任期开始日期。")})


class CommitteeSeat(models.Model):
    """A person holding a position on a committee for (part of) its term."""

    scope_path = "committee__org_unit__path"

    committee = models.ForeignKey(
        BranchCommittee, verbose_name=_("委员会"), on_delete=models.PROTECT, related_name="seats"
    )
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("所属区"), null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    person_name = models.CharField(_("姓名"), max_length=50)
    user = models.ForeignKey(
        User,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="committee_seats",
    )
    position = models.CharField(_("职务"), max_length=30, choices=Position.choices)
    started_on = models.DateField(_("任职日期"))
    left_on = models.DateField(_("离任日期"), null=True, blank=True)
    left_reason = models.CharField(_("离任原因"), max_length=200, blank=True)
    # The position's place in the customary order (书记, 副书记, 组织委员 …), for listing.
    rank = models.PositiveSmallIntegerField(_("排序"), default=0, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("委员职务")
        verbose_name_plural = _("委员职务")
        # Serving seats (no leaving date) first, on PostgreSQL as on SQLite.
        ordering = ["committee", models.F("left_on").asc(nulls_first=True), "rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee"],
                condition=Q(position=Position.SECRETARY, left_on__isnull=True),
                name="committee_one_secretary",
                violation_error_message=_("该委员会已有在任书记，请先办理原书记离任。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name}（{self.get_position_display()}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.committee.district_id
        self.rank = Position.values.index(self.position) if self.position in Position.values else len(Position.values)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "rank", "district"}
        super().save(*args, **kwargs)

    @property
    def is_serving(self) -> bool:
        return self.left_on is None

    def clean(self) -> None:
        if self.committee_id and self.started_on and self.started_on < self.committee.term_start:
            raise ValidationError({"started_on": _("任职日期不能早于本届任期开始日期。")})
        if self.left_on and self.started_on and self.left_on < self.started_on:
            raise ValidationError({"left_on": _("离任日期不能早于任职日期。")})


class Grant(models.Model):
    """A role a user holds on an org unit. A user may hold several and switches between them."""

    scope_path = "org_unit__path"

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("角色"), max_length=30, choices=Role.choices)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("组织"), on_delete=models.PROTECT, related_name="grants")
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("所属区"), null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    is_active = models.BooleanField(_("有效"), default=True)
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        ordering = ["user", "role", "org_unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "org_unit"], name="grant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.org_unit.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The district key travels with every org-bound row (sharding by district).
        self.district_id = self.org_unit.district_id
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "district"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        allowed = ROLE_UNIT_KINDS.get(self.role, ())
        if self.org_unit_id and self.org_unit.kind not in allowed:
            kinds = "、".join(str(OrgKind(kind).label) for kind in allowed)
            raise ValidationError(
                {"org_unit": _("%(role)s只能授权在%(kinds)s上。") % {"role": self.get_role_display(), "kinds": kinds}}
            )


class ImportBatch(models.Model):
    """One uploaded import file: who sent it and when, its name, hash and size, what its rows
    would do (new, updated, unchanged) or why they were refused, and how far the import ran.

    The file is kept in the row, encrypted (it holds ID numbers in clear), until it has been
    imported: no local file holds state, so any process may confirm it and any worker run it.
    """

    scope_path = "org_unit__path"

    kind = models.CharField(_("导入类型"), max_length=40)
    # The importer's scope root: the rows may reach only this unit and the units below it. Empty
    # for a superuser acting without a grant (the whole tree).
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("导入范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("所属区"), null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_by = models.ForeignKey(
        User, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="import_batches"
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now, db_index=True)
    confirmed_by = models.ForeignKey(
        User, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(_("文件大小（字节）"), default=0)
    content = models.BinaryField(_("文件内容（加密）"), blank=True, default=b"", editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.CHECKING)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    new_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    # Each refusal as {"row": 5, "column": "公民身份号码", "message": "…"}; row is null for the file.
    errors = models.JSONField(_("错误明细"), default=list, blank=True)
    # The first rows of each kind ({"new": [...], "updated": [...], "unchanged": [...]}), masked.
    preview = models.JSONField(_("预览"), default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind_label} · {self.file_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The district key travels with every org-bound row (sharding by district).
        self.district_id = self.org_unit.district_id if self.org_unit_id else None
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "district"}
        super().save(*args, **kwargs)

    @property
    def kind_label(self) -> str:
        return IMPORT_KINDS.get(self.kind, self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.FAILED, ImportStatus.DONE, ImportStatus.ERROR)

    @property
    def is_pending(self) -> bool:
        """Being checked, or confirmed and not yet written: a worker has it or will take it."""
        return self.status in (ImportStatus.CHECKING, ImportStatus.CONFIRMED, ImportStatus.RUNNING)
