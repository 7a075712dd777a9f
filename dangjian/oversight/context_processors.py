"""The reminder bell in the header: the unread count of the active grant's reminders, counted by
one query when the page shows the bell, and none for anonymous users, members and residents."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from dangjian.core import scope


class ReminderBell:
    """Lazily counted: a page (or an HTMX fragment) that does not show the bell costs nothing."""

    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def unread(self) -> int:
        from .selectors import unread_count

        return unread_count(user=self.user)


def reminders(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Members and residents get no reminders; nor does anyone without a grant.
    if scope.active_role(user) in scope.SELF_ROLES or not scope.can(user, scope.Cap.ORG_VIEW):
        return {}
    return {"reminder_bell": ReminderBell(user)}
