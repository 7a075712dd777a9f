"""The member list, scoped to a sub-district, filtered, page 1: the product's page against the
Django admin changelist with the same filter (the same user, so the same scope) and against the
page's own SQL run raw (the limit: every statement the page sent, replayed with its parameters
through the same connection, rows fetched).

Both pages are requested through Django's test client in this process (middleware, session,
templates: the whole request), with no network in between; each side's figure is the median of
`repeats` rounds after one warm-up, the sides taking turns within each round."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
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


def checked_get(client: Client, path: str, params: dict[str, str]) -> int:
    """The query count of one request (after a warm-up request that must answer 200)."""
    response = client.get(path, params)
    if response.status_code != 200:
        raise AssertionError(f"{path} answered {response.status_code}")
    return len(page_statements(client, path, params))


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def page_statements(client: Client, path: str, params: dict[str, str]) -> list[tuple[str, Any]]:
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        client.get(path, params)
    return recorder.statements


def replay(statements: list[tuple[str, Any]]) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: no Django wrapper in between
        for sql, params in statements:
            raw.execute(sql, params)
            if raw.description is not None:
                raw.fetchall()


def run(*, user, repeats: int = 30) -> dict[str, Any]:
    from django.urls import reverse

    from dangjian.members.models import Member

    client = Client()
    client.force_login(user)
    page_path = reverse("members:member_list")
    admin_path = reverse("admin:members_member_changelist")
    if not user.is_staff:
        type(user).objects.filter(pk=user.pk).update(is_staff=True)

    our_queries = checked_get(client, page_path, PAGE_FILTER)
    their_queries = checked_get(client, admin_path, ADMIN_FILTER)
    # Every statement of the request, the session and user lookups included.
    statements = page_statements(client, page_path, PAGE_FILTER)
    replay(statements)
    # The three sides take turns, one request each per round, so that a slower spell of the
    # machine falls on all three rather than on whichever side was running.
    ours, theirs, limit = [], [], []
    for _ in range(repeats):
        ours.append(seconds(lambda: client.get(page_path, PAGE_FILTER)))
        theirs.append(seconds(lambda: client.get(admin_path, ADMIN_FILTER)))
        limit.append(seconds(lambda: replay(statements)))

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
