"""Factories for the core models. Units are made through the service, so paths are right."""

from __future__ import annotations

import datetime
import itertools

import factory
from django.utils import timezone

from dangjian.core import services
from dangjian.core.choices import OrgKind, Position
from dangjian.core.models import BranchCommittee, Grant, OrgUnit, User

_codes = itertools.count(1)


def make_unit(kind: str, parent: OrgUnit | None = None, name: str | None = None, code: str | None = None) -> OrgUnit:
    number = next(_codes)
    return services.org_unit_create(
        parent=parent,
        kind=kind,
        code=code or f"T{number:05d}",
        name=name or f"{OrgKind(kind).label}{number}",
        by=None,
    )


def make_committee(
    unit: OrgUnit, *, ends_in_days: int = 30, secretary: str | None = "书记甲", today: datetime.date | None = None
) -> BranchCommittee:
    today = today or timezone.localdate()
    end = today + datetime.timedelta(days=ends_in_days)
    committee = services.committee_create(
        org_unit=unit, term_start=end - datetime.timedelta(days=365 * 3), term_end=end, by=None
    )
    if secretary:
        services.seat_add(
            committee=committee,
            person_name=secretary,
            position=Position.SECRETARY,
            by=None,
            started_on=committee.term_start,
        )
    return committee


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "Test-password-2026")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def grant(user: User, role: str, unit: OrgUnit) -> Grant:
    return services.grant_create(user=user, role=role, org_unit=unit, by=None)
