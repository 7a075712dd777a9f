"""The sign-in backend: Django's `ModelBackend`, reading each request's user with their grants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from . import scope


class GrantsBackend(ModelBackend):
    """Signs in as `ModelBackend` does. A request's user is read together with their live grants
    (`scope.live_grants`), the first thing every page asks `core.scope`: one query instead of
    two. Someone without a live grant is read as `ModelBackend` reads them."""

    def get_user(self, user_id: Any) -> Any:
        grants = list(scope.live_grants().select_related("user").filter(user_id=user_id))
        if not grants:
            user = super().get_user(user_id)
            if user is not None:
                scope.keep_grants(user, [])
            return user
        user = grants[0].user
        if not self.user_can_authenticate(user):
            return None
        for grant in grants:
            grant.user = user
        scope.keep_grants(user, grants)
        return user
