"""Writing a checked file: every new and changed row through the registry's services, in one
transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.models import User

from ..services import registry as services
from .checking import Check
from .columns import NEW, UNCHANGED, column_title, error_entry, error_sentence


class RowRefused(Exception):
    """A row the services refused at write time (someone changed the roll since the check)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(error_sentence(error) for error in errors))
        self.errors = errors


def write_rows(check: Check, *, by: User | None, progress: Callable[[int], None] | None = None) -> None:
    """Write every new and changed row through the registry's services, in one transaction: a
    refusal of any row (a number registered meanwhile, a record changed meanwhile) undoes all."""
    to_write = [row for row in check.rows if row.kind != UNCHANGED]
    step = max(1, len(to_write) // 50)
    with transaction.atomic():
        for position, row in enumerate(to_write, start=1):
            try:
                if row.kind == NEW:
                    services.member_create(by=by, categories=row.categories, **row.fields)
                else:
                    services.member_update(
                        member=row.member,
                        by=by,
                        expected_version=row.member_version,
                        categories=row.categories,
                        **row.fields,
                    )
            except ValidationError as error:
                messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
                raise RowRefused(
                    [
                        error_entry(row.number, "" if name == "__all__" else column_title(name), message)
                        for name, items in messages.items()
                        for message in items
                    ]
                ) from error
            if progress is not None and position % step == 0:
                progress(round(100 * position / len(to_write)))
