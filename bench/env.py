"""The one environment every benchmark process runs in: the generator, the in-process benchmarks
and the served product must share the field and index keys (the ID numbers are encrypted at
generation time and read back by the product) and run with production settings (no debug)."""

from __future__ import annotations

import base64
import hashlib
import os

BENCH_PASSWORD = "Bench@2026"


def _key(purpose: str) -> str:
    return base64.b64encode(hashlib.sha256(f"dangjian-bench-{purpose}".encode()).digest()).decode()


BENCH_ENV = {
    "DJANGO_DEBUG": "false",
    "DANGJIAN_TESTING": "false",
    "DJANGO_SECRET_KEY": "dangjian-bench-secret-key-not-for-production",
    "DANGJIAN_FIELD_KEY": _key("field"),
    "DANGJIAN_INDEX_KEY": _key("index"),
    "DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS": "false",
    "DANGJIAN_SECURE_COOKIES": "false",
    "DANGJIAN_IMPORT_MAX_ROWS": "200000",
    "DANGJIAN_IMPORT_MAX_BYTES": str(200 * 1024 * 1024),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DANGJIAN_LOGIN_FAILURE_LIMIT": "100000",
    # The shared cache a deployment of several processes runs with (sessions, throttles).
    "REDIS_URL": "redis://127.0.0.1:6379/11",
}


def database_url(scale_name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/dangjian_bench_{scale_name.lower()}"


def bench_environ(url: str) -> dict[str, str]:
    """The environment of a benchmark process on the database at `url`."""
    return {**os.environ, **BENCH_ENV, "DATABASE_URL": url}


def setup(url: str) -> None:
    """Point this process at the benchmark database and start Django."""
    os.environ.update(BENCH_ENV)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()
    from django.conf import settings

    # In-process pages name static files without the collected manifest (served benchmarks use
    # the manifest: bench.server collects it).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
