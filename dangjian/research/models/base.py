"""What every record of research shares: the community it belongs to, the district key, and the
scope rule that follows from them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangjian.core.choices import OrgKind
from dangjian.core.models import district_key


class CommunityRecord(models.Model):
    """A record kept by one community. Staff see it through their scope; members and residents
    never see it through the scope rule (the public pages show a resident their own opinion by
    its tracking code, nothing else)."""

    scope_path = "community__path"

    community = models.ForeignKey(
        "core.OrgUnit",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrgKind.COMMUNITY},
    )
    district = district_key()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.community.district_id
        super().save(*args, **kwargs)

    @staticmethod
    def scope_self(user: Any) -> Q:
        return Q(pk__in=[])

    def clean_community(self) -> None:
        if self.community_id and self.community.kind != OrgKind.COMMUNITY:
            raise ValidationError({"community": "请选择社区。"})


def day_label(day: Any) -> str:
    """2026年11月25日, as dates are written on screen."""
    return f"{day.year}年{day.month}月{day.day}日"
