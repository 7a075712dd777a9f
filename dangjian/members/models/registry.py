"""The member registry: Party members, their categories, positions, rewards and penalties, and
the log of every time someone's ID number or phone was shown in full."""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin
from simple_history.models import HistoricalRecords
from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from stdnum.exceptions import (
    ValidationError as StdnumError,
)

from dangjian.core.choices import OrgKind
from dangjian.core.crypto import EncryptedCharField, blind_index, mask_id_number, mask_phone
from dangjian.core.models import OrgUnit, User, add_years

from ..choices import Education, Gender, MembershipType, MemberStatus, RecordKind, Standing, UnmaskField


# Names repeat (a roster of 100,000 holds a few thousand given names per surname), and pypinyin
# takes tens of microseconds a name.
@lru_cache(maxsize=65_536)
def name_initials(name: str) -> str:
    """张三 → zs: the first letter of each syllable, for search by initials."""
    return "".join(syllable[:1] for syllable in lazy_pinyin(name, style=Style.NORMAL)).lower()


# python-stdnum's birth-place answer depends on the first six digits and the birth year alone:
# it is asked once per pair (a roster of 100,000 numbers comes from a few hundred places).
_BIRTH_PLACES: dict[tuple[str, int], bool] = {}


def _known_birth_place(number: str, year: int) -> bool:
    key = (number[:6], year)
    known = _BIRTH_PLACES.get(key)
    if known is None:
        try:
            ric.get_birth_place(number)
            known = True
        except InvalidComponent:
            known = False
        if len(_BIRTH_PLACES) < 100_000:
            _BIRTH_PLACES[key] = known
    return known


def forget_lookups() -> None:
    """Empty the caches of values looked up (initials of names, birth places of numbers)."""
    name_initials.cache_clear()
    _BIRTH_PLACES.clear()


def _validate_id_number(number: str) -> datetime.date:
    """`ric.validate`, with the birth-place lookup cached: the birth date the number holds.
    The number is compacted once (python-stdnum compacts it again in each of its functions,
    character by character; an ASCII number only needs its case and ends made plain)."""
    number = number.upper().strip() if number.isascii() else ric.compact(number)
    if len(number) != 18:
        raise InvalidLength()
    if not number[:-1].isdigit() or not number[:-1].isascii():
        raise InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidChecksum()
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidComponent() from exc
    if not _known_birth_place(number, birth.year):
        raise InvalidComponent()
    return birth


def check_id_number(value: str) -> datetime.date:
    """Validate a Chinese citizen ID number (GB 11643) and return the birth date it holds."""
    number = value.strip().upper()
    try:
        return _validate_id_number(number)
    except InvalidLength as exc:
        raise ValidationError("公民身份号码应为 18 位。", code="length") from exc
    except InvalidChecksum as exc:
        raise ValidationError("公民身份号码校验位不正确，请核对。", code="checksum") from exc
    except InvalidComponent as exc:
        raise ValidationError("公民身份号码中的出生日期或地区码无效。", code="component") from exc
    except (InvalidFormat, StdnumError) as exc:
        raise ValidationError("公民身份号码格式不正确：前 17 位应为数字，最后一位为数字或 X。", code="format") from exc


class PersonIdentityMixin:
    """Who a person is, as the registry and the development pipeline both keep it: the pinyin
    initials of the name, the ID number and phone (encrypted fields) with their blind indexes,
    the birth date the ID number holds, and the masked forms every page shows."""

    def prepare_identity(self) -> None:
        self.name_initials = name_initials(self.name)
        self.id_number = self.id_number.strip().upper()
        self.id_number_index = blind_index(self.id_number)
        self.phone = (self.phone or "").strip()
        self.phone_index = blind_index(self.phone) if self.phone else ""
        if self.id_number and not self.birth_date:
            self.birth_date = check_id_number(self.id_number)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def age(self) -> int:
        today = timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class MemberCategory(models.Model):
    """A kind of member the article names (retiree, laid-off, mobile…) or an organizer adds."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    is_builtin = models.BooleanField(_("内置"), default=False, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("人员类别")
        verbose_name_plural = _("人员类别")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(models.QuerySet["Member"]):
    def on_roll(self) -> MemberQuerySet:
        return self.filter(status=MemberStatus.ACTIVE)


class Member(PersonIdentityMixin, models.Model):
    """A Party member on the roll of a branch. Members leave by status, never by deletion."""

    scope_path = "branch__path"

    user = models.OneToOneField(
        User, verbose_name=_("平台账号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="member"
    )
    name = models.CharField(_("姓名"), max_length=50)
    name_initials = models.CharField(_("姓名首字母"), max_length=50, editable=False, db_index=True)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"), editable=False)
    id_number = EncryptedCharField(_("公民身份号码"))
    id_number_index = models.CharField(_("身份号码索引"), max_length=40, unique=True, editable=False)
    phone = EncryptedCharField(_("手机号码"), blank=True)
    phone_index = models.CharField(_("手机号码索引"), max_length=40, blank=True, db_index=True, editable=False)
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
    occupation = models.CharField(_("职业"), max_length=60, blank=True)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    residence_community = models.ForeignKey(
        OrgUnit,
        verbose_name=_("居住社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resident_members",
        limit_choices_to={"kind": OrgKind.COMMUNITY},
    )
    grid = models.CharField(_("网格"), max_length=40, blank=True)
    building = models.CharField(_("楼栋"), max_length=40, blank=True)
    room = models.CharField(_("房号"), max_length=20, blank=True)
    join_date = models.DateField(_("入党日期"))
    full_member_date = models.DateField(_("转正日期"), null=True, blank=True)
    membership_type = models.CharField(
        _("党员类型"), max_length=20, choices=MembershipType.choices, default=MembershipType.FULL
    )
    standing = models.CharField(_("党籍状态"), max_length=20, choices=Standing.choices, default=Standing.NORMAL)
    status = models.CharField(_("在册状态"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    branch = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所在党支部"),
        on_delete=models.PROTECT,
        related_name="members",
        limit_choices_to={"kind": OrgKind.BRANCH},
        # Indexed by member_branch_status and member_branch_initials, which lead with it.
        db_index=False,
    )
    group = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所在党小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_members",
        limit_choices_to={"kind": OrgKind.GROUP},
    )
    district = models.ForeignKey(
        OrgUnit, verbose_name=_("所属区"), null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    categories = models.ManyToManyField(MemberCategory, verbose_name=_("人员类别"), blank=True, related_name="members")
    hardship_notes = models.TextField(_("困难情况"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # A member's history is read by the member's id alone: the copied columns are not indexed
    # (each index would be written for every change of every member, an import's included).
    history = HistoricalRecords(
        excluded_fields=["id_number", "phone"],
        m2m_fields=[categories],
        no_db_index=[
            "name_initials",
            "id_number_index",
            "phone_index",
            "branch",
            "district",
            "group",
            "residence_community",
            "user",
        ],
    )
    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["branch__path", "name_initials", "pk"]
        indexes = [
            models.Index(fields=["branch", "status"], name="member_branch_status"),
            # The list's order within a branch: a page of a district's or a sub-district's
            # members is read branch after branch in order (with orgunit_path_order) instead of
            # sorting every member in scope.
            models.Index(fields=["branch", "name_initials", "id"], name="member_branch_initials"),
            models.Index(fields=["status", "standing"], name="member_status_standing"),
            models.Index(fields=["join_date"], name="member_join_date"),
            models.Index(fields=["birth_date"], name="member_birth_date"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.prepare_derived()
        super().save(*args, **kwargs)

    def prepare_derived(self) -> None:
        """Fill the fields computed from others; bulk paths that skip save() call this."""
        self.prepare_identity()
        self.district_id = self.branch.district_id

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees their own record; a resident sees none."""
        return Q(user=user)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.id_number:
            try:
                self.birth_date = check_id_number(self.id_number)
            except ValidationError as error:
                errors.setdefault("id_number", []).extend(error.messages)
            else:
                duplicate = Member.objects.filter(id_number_index=blind_index(self.id_number)).exclude(pk=self.pk)
                if duplicate.exists():
                    errors.setdefault("id_number", []).append("该公民身份号码已登记在册。")
        if self.phone and not (self.phone.isdigit() and len(self.phone) == 11 and self.phone.startswith("1")):
            errors.setdefault("phone", []).append("手机号码应为 1 开头的 11 位数字。")
        if self.ethnicity and not self.ethnicity.endswith("族"):
            errors.setdefault("ethnicity", []).append("请填写民族全称，如“汉族”。")
        if self.branch_id and self.branch.kind != OrgKind.BRANCH:
            errors.setdefault("branch", []).append("党员只能编入党支部。")
        if self.group_id and self.branch_id and self.group.parent_id != self.branch_id:
            errors.setdefault("group", []).append("所选党小组不属于该党支部。")
        if self.membership_type == MembershipType.FULL and self.join_date and not self.full_member_date:
            errors.setdefault("full_member_date", []).append("正式党员请填写转正日期。")
        if self.membership_type == MembershipType.PROBATIONARY and self.full_member_date:
            errors.setdefault("full_member_date", []).append("预备党员尚未转正，不应有转正日期。")
        if self.join_date and self.full_member_date and self.full_member_date < self.join_date:
            errors.setdefault("full_member_date", []).append("转正日期不能早于入党日期。")
        if self.join_date and self.join_date > timezone.localdate():
            errors.setdefault("join_date", []).append("入党日期不能晚于今天。")
        if self.birth_date and self.join_date and self.join_date < add_years(self.birth_date, 18):
            errors.setdefault("join_date", []).append("入党时应年满十八周岁。")
        if errors:
            raise ValidationError(errors)


class MemberPosition(models.Model):
    """A position a member holds or held (in the Party, at work, in the community)."""

    scope_path = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="positions")
    title = models.CharField(_("职务"), max_length=60)
    organization = models.CharField(_("任职单位"), max_length=100, blank=True)
    started_on = models.DateField(_("任职日期"))
    ended_on = models.DateField(_("免职日期"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        ordering = ["member", models.F("ended_on").desc(nulls_first=True), "-started_on"]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.title}"

    def clean(self) -> None:
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "免职日期不能早于任职日期。"})


class RewardPenalty(models.Model):
    """A reward or a disciplinary penalty in a member's record."""

    scope_path = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(_("类别"), max_length=10, choices=RecordKind.choices)
    title = models.CharField(_("名称"), max_length=100)
    granted_by = models.CharField(_("批准机关"), max_length=100, blank=True)
    granted_on = models.DateField(_("日期"))
    description = models.TextField(_("说明"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("奖惩")
        verbose_name_plural = _("奖惩")
        ordering = ["member", "-granted_on"]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.get_kind_display()} · {self.title}"


class UnmaskLog(models.Model):
    """Each time someone's ID number or phone was shown in full: who, whose, which, when."""

    scope_path = "member__branch__path"

    user = models.ForeignKey(User, verbose_name=_("查看人"), on_delete=models.PROTECT, related_name="unmask_logs")
    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="unmask_logs")
    field = models.CharField(_("字段"), max_length=20, choices=UnmaskField.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("明文查看记录")
        verbose_name_plural = _("明文查看记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} 查看 {self.member} 的{self.get_field_display()}"
