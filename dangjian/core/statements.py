"""Statements the ORM writes once per process and the product sends again.

Building and compiling a queryset can cost the ORM more than the query costs the database: the
signed-in user with their grants and the reminder bell's count (on every page), the member
list's lookups, count and page. For such a query, a `Statements` keeps the SQL statement the ORM
wrote for a key, and answers each later call with that key by sending the statement through the
caller's connection: same SQL, same parameters, nothing built or compiled after the first time.
Rows are never kept; each call reads the database. The ORM's converters still run on every value
read (dates on SQLite, encrypted fields), as they would in the ORM's own iteration.

The key must hold every value the queryset is built from (an id, a path, a role, today's date
where a filter uses it): equal keys, equal statements. `scope.restriction` is the scope's part of
such a key. The most recently used `maxsize` keys are kept."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True)
class Statement:
    alias: str
    sql: str
    params: tuple[Any, ...]
    # (position, converters, expression) for each column the ORM converts.
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...] = ()
    columns: int = 0


# What a key's queryset was when it can match nothing (an empty scope: `QuerySet.none()`).
NOTHING = Statement(alias="", sql="", params=())


class Statements:
    """The statements of one query of the product, by key."""

    def __init__(self, name: str, maxsize: int = 1024) -> None:
        self.name = name
        self.maxsize = maxsize
        self._kept: OrderedDict[Hashable, Statement] = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, key: Hashable, build: Callable[[], QuerySet[Any]]) -> list[tuple[Any, ...]]:
        """The rows of `build()`, a `values_list` queryset, as its iteration gives them."""
        statement = self._get(key)
        if statement is None:
            statement = self._keep(key, _compiled(build()))
        if statement is NOTHING:
            return []
        found = _send(statement, lambda cursor: cursor.fetchall())
        if not statement.converters:
            return [tuple(row[: statement.columns]) for row in found]
        connection = connections[statement.alias]
        rows = []
        for row in found:
            values = list(row[: statement.columns])
            for position, converters, expression in statement.converters:
                value = values[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                values[position] = value
            rows.append(tuple(values))
        return rows

    def count(self, key: Hashable, build: Callable[[], QuerySet[Any]]) -> int:
        """`build().count()`."""
        statement = self._get(key)
        if statement is None:
            queryset = build()
            sent: list[tuple[str, tuple[Any, ...]]] = []

            def record(execute, sql, params, many, context):
                sent.append((sql, tuple(params or ())))
                return execute(sql, params, many, context)

            with connections[queryset.db].execute_wrapper(record):
                counted = queryset.count()
            if len(sent) <= 1:
                self._keep(key, Statement(queryset.db, *sent[0]) if sent else NOTHING)
            return counted
        if statement is NOTHING:
            return 0
        return _send(statement, lambda cursor: cursor.fetchone()[0])

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def _get(self, key: Hashable) -> Statement | None:
        with self._lock:
            statement = self._kept.get(key)
            if statement is not None:
                self._kept.move_to_end(key)
            return statement

    def _keep(self, key: Hashable, statement: Statement) -> Statement:
        with self._lock:
            self._kept[key] = statement
            self._kept.move_to_end(key)
            while len(self._kept) > self.maxsize:
                self._kept.popitem(last=False)
        return statement


def _send(statement: Statement, read: Callable[[Any], Any]) -> Any:
    with connections[statement.alias].cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        return read(cursor)


def _compiled(queryset: QuerySet[Any]) -> Statement:
    """The statement the ORM sends for `queryset`, with the converters its iteration runs."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return NOTHING
    selected = [column[0] for column in compiler.select[: compiler.col_count]]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(selected).items()
    )
    return Statement(queryset.db, sql, tuple(params), converters, compiler.col_count)
