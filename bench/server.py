"""Serve the platform the way production does, for benchmarks that need a real server.

`serve()` collects the static files, starts gunicorn with the project's WSGI app, debug off and
manifest static storage, waits until it answers and stops it afterwards, errors included.

STATIC_ROOT is fixed in the settings (`<repo>/staticfiles`). So that concurrent benchmarks never
share that folder, the files are collected into a folder of their own: `collectstatic` runs
through `python -m bench.server collectstatic`, and gunicorn loads `bench.server:wsgi_app()`, both
of which point STATIC_ROOT at `BENCH_STATIC_ROOT` before Django starts and change nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .env import BENCH_ENV

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
LOG_DIR = REPO / "var" / "bench"

DEFAULT_REDIS_URL = BENCH_ENV["REDIS_URL"]


def bench_env(database_url: str, *, redis_url: str | None = DEFAULT_REDIS_URL) -> dict[str, str]:
    """The production-like environment of a benchmark server (bench.env's keys and settings, so
    it reads what the generator encrypted), with persistent database connections and the Redis
    cache, as a deployment runs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DANGJIAN_"))}
    env.update(BENCH_ENV)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "dangjian.settings",
            "DATABASE_URL": database_url,
            "DATABASE_CONN_MAX_AGE": "60",
            "DJANGO_LOG_LEVEL": "WARNING",
            "REDIS_URL": redis_url or "",
        }
    )
    return env


def _static_root_from_env() -> None:
    """Point STATIC_ROOT at BENCH_STATIC_ROOT before anything reads it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    from django.conf import settings

    settings.STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])


def wsgi_app() -> Any:
    """Gunicorn's app factory: the project's WSGI app, with STATIC_ROOT from BENCH_STATIC_ROOT."""
    _static_root_from_env()
    from dangjian.wsgi import application

    return application


def _collectstatic(env: Mapping[str, str], log) -> None:
    subprocess.run(
        [str(PYTHON), "-m", "bench.server", "collectstatic"],
        cwd=REPO,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        check=True,
        timeout=300,
    )


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log_path}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{url}/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"gunicorn did not answer within {timeout:.0f} s; see {log_path}:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(process: subprocess.Popen) -> None:
    """Stop gunicorn's whole process group: TERM (graceful), then KILL after 15 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=10)


@contextmanager
def serve(
    database_url: str,
    *,
    port: int = 8765,
    workers: int = 3,
    redis_url: str | None = DEFAULT_REDIS_URL,
    extra_env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    static_root: Path | None = None,
    startup_timeout: float = 60.0,
) -> Iterator[str]:
    """Run gunicorn on 127.0.0.1:`port` against `database_url` and yield its base URL.

    Debug off, manifest static storage (collected into a temporary folder), two-factor sign-in
    off, the cache in Redis (`redis_url`; None for a per-process memory cache). `extra_env`
    overrides any variable, e.g. DATABASE_CONN_MAX_AGE. Access and error logs, with each request's
    duration in microseconds and the worker's pid, go to `log_path` (default
    var/bench/gunicorn-<port>.log, overwritten). Collecting takes about half a minute (WhiteNoise
    compresses every file); pass `static_root` to collect into that folder once and reuse it.
    """
    if port == 8000:
        raise ValueError("port 8000 is the demo's; benchmarks use 8765 and up")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = log_path or LOG_DIR / f"gunicorn-{port}.log"
    env = bench_env(database_url, redis_url=redis_url)
    env.update(extra_env or {})
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="dangjian-bench-static-") as temporary:
        root = static_root or Path(temporary)
        env["BENCH_STATIC_ROOT"] = str(root)
        with log_path.open("w", encoding="utf-8") as log:
            if not (root / "staticfiles.json").exists():
                _collectstatic(env, log)
                log.flush()
            command = [
                str(REPO / ".venv" / "bin" / "gunicorn"),
                "bench.server:wsgi_app()",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
                "--access-logformat",
                '%(t)s pid=%(p)s "%(r)s" %(s)s %(b)s %(D)sus',
                "--capture-output",
            ]
            # A new session makes gunicorn the leader of its own process group, workers included.
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                _wait_until_up(base_url, process, log_path, startup_timeout)
                yield base_url
            finally:
                _stop(process)


def _main(argv: list[str]) -> int:
    if argv != ["collectstatic"]:
        print("usage: python -m bench.server collectstatic  (with BENCH_STATIC_ROOT set)", file=sys.stderr)
        return 2
    _static_root_from_env()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
