"""Markers shared by the test modules of every app."""

from __future__ import annotations

import pytest
from django.conf import settings

# Row locks (SELECT … FOR UPDATE) and concurrent writers exist on PostgreSQL only: SQLite runs one
# writer at a time, so tests of two people acting at once, and query budgets that depend on
# PostgreSQL's bulk inserts, run where production runs.
postgres_only = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL (row locks, concurrent writers)",
)
