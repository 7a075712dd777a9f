"""Writing many new rows at once (an import of tens of thousands of members): PostgreSQL's COPY,
or `bulk_create` on other databases.

`insert_rows` writes unsaved model instances and gives them their primary keys, as
`bulk_create` does, with the same values (`pre_save` for auto_now fields, `get_db_prep_save`
for any field that prepares its value, such as the encrypted ones). On PostgreSQL the keys come
from the table's sequence in one query and the rows go in one COPY per batch, which spares the
per-value SQL parameters of a multi-row INSERT.

`insert_values` writes rows given as plain values (the link rows of such a write) the same
way, without making a model instance for each.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections, models, router

BATCH = 5000


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk job that keeps what it makes (a file's
    100,000 checked rows): the collector would otherwise walk every object kept so far, again
    and again as they accumulate, about a tenth of checking a file at city scale. Reference
    counting still frees what is dropped; cycles made meanwhile wait for the collector's next
    run after the job."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


# Field classes whose Python value is what the database stores (psycopg adapts it as it is):
# no get_db_prep_save call needed. Subclasses are not included (they may prepare values).
RAW_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateField,
    models.DateTimeField,
    models.ForeignKey,
    models.IntegerField,
    models.OneToOneField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SlugField,
    models.SmallIntegerField,
    models.TextField,
)


def _new_keys(cursor, meta, count: int) -> list[int]:
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [meta.db_table, meta.pk.column, count],
    )
    return [key for (key,) in cursor.fetchall()]


def _copy_statement(connection, meta, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(meta.db_table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"


def insert_rows(
    model: type[models.Model],
    objects: Sequence[models.Model],
    *,
    prepare: Callable[[models.Model], None] | None = None,
    batch_size: int = BATCH,
) -> None:
    """Insert `objects` (new instances of `model`) and set their primary keys. `prepare`, when
    given, is called on each instance just before its row is sent: on PostgreSQL the database
    writes the rows already sent (their indexes above all) while the next ones are prepared,
    instead of waiting for all of them to be."""
    if not objects:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        if prepare is not None:
            for instance in objects:
                prepare(instance)
        model._default_manager.using(alias).bulk_create(objects, batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    fields = list(meta.concrete_fields)
    auto_now = [field for field in fields if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)]
    raw = [type(field) in RAW_FIELDS for field in fields]
    statement = _copy_statement(connection, meta, [field.column for field in fields])
    # wrap_database_errors: a refused row raises Django's IntegrityError, as bulk_create would.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for instance, key in zip(objects, _new_keys(cursor, meta, len(objects)), strict=True):
            setattr(instance, pk.attname, key)
        for start in range(0, len(objects), batch_size):
            with cursor.cursor.copy(statement) as copy:
                for instance in objects[start : start + batch_size]:
                    if prepare is not None:
                        prepare(instance)
                    for field in auto_now:
                        field.pre_save(instance, add=True)
                    copy.write_row(
                        [
                            getattr(instance, field.attname)
                            if plain
                            else field.get_db_prep_save(getattr(instance, field.attname), connection)
                            for field, plain in zip(fields, raw, strict=True)
                        ]
                    )
    for instance in objects:
        instance._state.adding = False
        instance._state.db = alias


def insert_values(
    model: type[models.Model], attnames: Sequence[str], rows: Sequence[Sequence[Any]], *, batch_size: int = BATCH
) -> list[int]:
    """Insert rows given as values of the fields `attnames` (the primary key not among them;
    every field one whose value is stored as it is, see RAW_FIELDS) without making an instance
    a row: the link rows of a bulk write. The new rows' primary keys, in order."""
    if not rows:
        return []
    meta = model._meta
    fields = [meta.get_field(name) for name in attnames]
    prepared = [field.name for field in fields if type(field) not in RAW_FIELDS]
    if prepared:
        raise ValueError(f"insert_values cannot write {prepared}: their values need preparing")
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model._default_manager.using(alias).bulk_create(objects, batch_size=batch_size)
        return [instance.pk for instance in objects]
    statement = _copy_statement(connection, meta, [meta.pk.column, *(field.column for field in fields)])
    with connection.cursor() as cursor, connection.wrap_database_errors:
        keys = _new_keys(cursor, meta, len(rows))
        for start in range(0, len(rows), batch_size):
            with cursor.cursor.copy(statement) as copy:
                for key, row in zip(keys[start : start + batch_size], rows[start : start + batch_size], strict=True):
                    copy.write_row((key, *row))
    return keys
