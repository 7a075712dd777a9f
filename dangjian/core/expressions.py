"""Query expressions the ORM does not have for both databases the product runs on."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, CharField


class KeyList(Aggregate):
    """The keys of a group as one comma-separated text ("3,7,12"), in no particular order, or
    NULL for no rows: PostgreSQL's `string_agg`, SQLite's `group_concat`. `keys` reads it."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s::text, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        return self.as_sql(
            compiler,
            connection,
            function="GROUP_CONCAT",
            template="%(function)s(%(expressions)s, ',')",
            **extra_context,
        )


def keys(text: str | None) -> list[int]:
    """The keys of a `KeyList` value."""
    return [int(key) for key in text.split(",")] if text else []
