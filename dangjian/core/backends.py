"""The sign-in backend: Django's `ModelBackend`, reading each request's user with their grants."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import models

from . import scope
from .statements import Statements

# One statement per user (`core.statements`): the first query of every page.
USER_GRANTS = Statements("users with their grants", maxsize=4096)


class GrantsBackend(ModelBackend):
    """Signs in as `ModelBackend` does. A request's user is read together with their live grants
    (`scope.live_grants`), the first thing every page asks `core.scope`: one query instead of
    two. Someone without a live grant is read as `ModelBackend` reads them."""

    def get_user(self, user_id: Any) -> Any:
        grants = user_with_grants(user_id)
        if not grants:
            user = super().get_user(user_id)
            if user is not None:
                scope.keep_grants(user, [])
            return user
        user = grants[0].user
        if not self.user_can_authenticate(user):
            return None
        scope.keep_grants(user, grants)
        return user


@dataclass(frozen=True)
class Part:
    """One model's columns in a row of `user_with_grants`."""

    model: type[models.Model]
    names: tuple[str, ...]
    start: int
    stop: int

    def make(self, row: tuple[Any, ...]) -> models.Model:
        return self.model.from_db(self.model._default_manager.db, self.names, row[self.start : self.stop])


def user_with_grants(user_id: Any) -> list[Any]:
    """The user's live grants, each with its unit and the user (one object for all): a row per
    grant holding the three models' columns, made into models as the ORM makes them."""
    (grant, user, unit), columns = _layout()
    rows = USER_GRANTS.rows(user_id, lambda: scope.live_grants().filter(user_id=user_id).values_list(*columns))
    if not rows:
        return []
    the_user = user.make(rows[0])
    grants = []
    for row in rows:
        made = grant.make(row)
        made.user = the_user
        made.org_unit = unit.make(row)
        grants.append(made)
    return grants


@lru_cache(maxsize=1)
def _layout() -> tuple[tuple[Part, Part, Part], tuple[str, ...]]:
    """Where the grant's, the user's and the unit's columns lie in a row, and the row's columns
    as `values_list` names them."""
    from .models import Grant, OrgUnit, User

    parts, start = [], 0
    for model in (Grant, User, OrgUnit):
        names = tuple(field.attname for field in model._meta.concrete_fields)
        parts.append(Part(model, names, start, start + len(names)))
        start += len(names)
    grant, user, unit = parts
    columns = (*grant.names, *(f"user__{name}" for name in user.names), *(f"org_unit__{name}" for name in unit.names))
    return (grant, user, unit), columns
