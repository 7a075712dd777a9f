"""Writing a checked file: the new rows in batches and the changed ones one by one, through the
registry's services, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.bulk import collector_paused
from dangjian.core.crypto import blind_index
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
    """Write every new and changed row, in one transaction: the new rows in batches
    (`members_create_bulk`, history included), the changed ones through `member_update` with the
    version seen at the check. A refusal of any row (a number registered meanwhile, a record
    changed meanwhile) undoes all."""
    new = [row for row in check.rows if row.kind == NEW]
    changed = [row for row in check.rows if row.kind not in (NEW, UNCHANGED)]
    total = len(new) + len(changed)
    step = max(1, len(changed) // 50)
    with collector_paused(), transaction.atomic():
        if new:
            try:
                services.members_create_bulk(by=by, rows=[(row.built, row.categories) for row in new])
            except services.NumbersTaken as taken:
                title = column_title("id_number")
                raise RowRefused(
                    [
                        error_entry(row.number, title, services.JUST_REGISTERED)
                        for row in new
                        if blind_index(row.fields["id_number"]) in taken.taken
                    ]
                ) from taken
            if progress is not None:
                progress(round(100 * len(new) / total))
        for position, row in enumerate(changed, start=1):
            try:
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
                progress(round(100 * (len(new) + position) / total))
