"""The member list, scoped to a sub-district, filtered, page 1: the product's page against the
Django admin changelist with the same filter (the same user, so the same scope) and against the
page's own SQL run raw (the limit: every statement the page sent, replayed with its parameters
through the same connection, rows fetched).

Both pages are requested through Django's test client in this process (middleware, session,
templates: the whole request), with no network in between; each side's figure is the median of
`repeats` runs after one warm-up."""

from __future__ import annotations

import statistics
import time
from typing import Any

from django.db import connection
from django.test import Client

PAGE_FILTER = {"status": "active", "standing": "normal"}
ADMIN_FILTER = {"status__exact": "active", "standing__exact": "normal"}


class Recorder:
    """Collects each statement with its parameters, as sent."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def timed_get(client: Client, path: str, params: dict[str, str], repeats: int) -> tuple[list[float], int, int]:
    """Seconds of each of `repeats` requests after a warm-up, the status and the query count."""
    response = client.get(path, params)
    if response.status_code != 200:
        raise AssertionError(f"{path} answered {response.status_code}")
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        client.get(path, params)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(path, params)
        times.append(time.perf_counter() - started)
    return times, response.status_code, len(recorder.statements)


def page_statements(client: Client, path: str, params: dict[str, str]) -> list[tuple[str, Any]]:
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        client.get(path, params)
    return recorder.statements


def replay(statements: list[tuple[str, Any]], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: no Django wrapper in between
            for sql, params in statements:
                raw.execute(sql, params)
                if raw.description is not None:
                    raw.fetchall()
        times.append(time.perf_counter() - started)
    return times[1:]


def run(*, user, repeats: int = 20) -> dict[str, Any]:
    from django.urls import reverse

    from dangjian.members.models import Member

    client = Client()
    client.force_login(user)
    page_path = reverse("members:member_list")
    admin_path = reverse("admin:members_member_changelist")
    if not user.is_staff:
        type(user).objects.filter(pk=user.pk).update(is_staff=True)

    ours, _, our_queries = timed_get(client, page_path, PAGE_FILTER, repeats)
    theirs, _, their_queries = timed_get(client, admin_path, ADMIN_FILTER, repeats)
    statements = page_statements(client, page_path, PAGE_FILTER)
    # Every statement of the request, the session and user lookups included.
    limit = replay(statements, repeats)

    from dangjian.core import scope

    scope.set_active_grant(user, None)
    in_scope = scope.restrict(Member.objects.filter(status="active", standing="normal"), user).count()

    ours_s, theirs_s, limit_s = statistics.median(ours), statistics.median(theirs), statistics.median(limit)
    return {
        "members_in_filter": in_scope,
        "sides": {
            "ours": {"seconds": ours_s, "p95_seconds": _p95(ours), "queries": our_queries},
            "admin": {"seconds": theirs_s, "p95_seconds": _p95(theirs), "queries": their_queries},
            "raw SQL": {"seconds": limit_s, "statements": len(statements)},
        },
        "ratios": {"admin / ours": theirs_s / ours_s, "ours / raw SQL": ours_s / limit_s},
        "targets": {"admin / ours": (">=", 3.0), "ours / raw SQL": ("<=", 2.0)},
    }


def query_counts(*, user, pages: tuple[int, ...] = (1, 2, 5)) -> dict[int, int]:
    """The page's query count for several page numbers (constant whatever the page)."""
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    counts = {}
    for number in pages:
        statements = page_statements(client, reverse("members:member_list"), {**PAGE_FILTER, "page": str(number)})
        counts[number] = len(statements)
    return counts


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
