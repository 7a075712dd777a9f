"""Run the benchmarks at one scale: `python -m bench.run --scale S` (what `make bench` does) or
`--scale city`. Generates the scale's database when it is not there yet, runs each benchmark
side by side with its peer and its limit, and writes bench/results.json and the tables of
docs/performance.md.

    python -m bench.run --scale S --only import,list   # some of them
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import subprocess
import sys
import time
import traceback
from typing import Any

from .env import BENCH_PASSWORD, bench_environ, database_url, setup

BENCHMARKS = ("import", "member_list", "scan", "largest_paint", "load")
# Seconds a person spends on a page before the next one.
PEOPLE_THINK = (5, 15)
# Per scale: rows of the import file, rows django-import-export imports (per-row cost
# extrapolated to the file: it writes row by row), members of the naive scan's sample, and the
# load's users and seconds.
SETTINGS = {
    "XS": {"import_rows": 2_000, "peer_rows": 500, "naive_sample": 200, "load_users": 50, "load_seconds": 20},
    "S": {"import_rows": 20_000, "peer_rows": 1_000, "naive_sample": 1_000, "load_users": 200, "load_seconds": 60},
    "city": {
        "import_rows": 100_000,
        "peer_rows": 10_000,
        "naive_sample": 2_000,
        "load_users": 200,
        "load_seconds": 90,
    },
}


def generate(scale: str, url: str) -> None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bench.generate", "--scale", scale, "--database-url", url],
        check=True,
        env=bench_environ(url),
    )
    print(f"[bench] data of scale {scale} ready in {time.perf_counter() - started:.0f} s", flush=True)


def bench_user(username: str):
    from dangjian.core import scope
    from dangjian.core.models import User

    user = User.objects.get(username=username)
    scope.set_active_grant(user, None)
    return user


# Tables the writing benchmarks fill and roll back: their dead rows are cleared (and statistics
# renewed) before the next benchmark reads them, whether or not autovacuum runs on the server.
WRITTEN = (
    "members_member",
    "members_member_categories",
    "members_historicalmember",
    "members_historicalmember_categories",
    "oversight_case",
    "oversight_historicalcase",
    "oversight_caseaction",
)


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in WRITTEN:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def run_import(settings: dict[str, Any]) -> dict[str, Any]:
    from dangjian.core import scope

    from . import import_bench

    user = bench_user("bench_subdistrict")
    root = scope.active_grant(user).org_unit
    return import_bench.run(root=root, by=user, rows=settings["import_rows"], peer_rows=settings["peer_rows"])


def run_member_list(settings: dict[str, Any]) -> dict[str, Any]:
    from . import list_bench

    user = bench_user("bench_subdistrict")
    result = list_bench.run(user=user)
    result["query_counts_by_page"] = list_bench.query_counts(user=user)
    return result


def run_scan(settings: dict[str, Any]) -> dict[str, Any]:
    from . import scan_bench

    return scan_bench.run(sample=settings["naive_sample"])


def run_served(url: str, names: list[str], settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The benchmarks that need the product served: largest paint and the load."""
    from django.urls import reverse

    from dangjian.core import scope
    from dangjian.members.models import Member

    from .server import serve

    # Member pages every account may open: the members of the secretary's community.
    secretary = bench_user("bench_secretary")
    in_community = scope.restrict(Member.objects.all(), secretary).order_by("pk").values_list("pk", flat=True)
    members = list(in_community)[::7][:8]
    results: dict[str, dict[str, Any]] = {}
    with serve(url, workers=4) as base:
        if "largest_paint" in names:
            from .browser import largest_paint

            started = time.perf_counter()
            results["largest_paint"] = {
                "pages": largest_paint(
                    base,
                    username="bench_subdistrict",
                    password=BENCH_PASSWORD,
                    paths={"member list": reverse("members:member_list"), "dashboard": reverse("core:home")},
                    runs=9,
                )
            }
            results["largest_paint"]["seconds"] = time.perf_counter() - started
        if "load" in names:
            from .load import mixed_load

            paths = [
                reverse("core:home"),
                reverse("members:member_list"),
                reverse("members:member_list") + "?status=active",
                reverse("members:member_list") + "?standing=normal&page=2",
                reverse("core:org_tree"),
                reverse("orglife:meeting_list"),
                reverse("orglife:compliance"),
                reverse("members:dues_arrears"),
                reverse("oversight:reminder_list"),
                reverse("oversight:case_list"),
                *(reverse("members:member_detail", args=[pk]) for pk in members),
            ]
            # The crowd as a city's users are: most work in a community, fewer in a
            # sub-district's office, a few in the district's (14 : 5 : 1).
            accounts = (
                [("bench_secretary", BENCH_PASSWORD)] * 14
                + [("bench_subdistrict", BENCH_PASSWORD)] * 5
                + [("bench_district", BENCH_PASSWORD)]
            )
            # People read a page before the next: 5-15 s between pages. The same crowd clicking
            # every 1-3 s shows the capacity left (reported beside it, no target).
            for name, think, seconds in (
                ("load", PEOPLE_THINK, settings["load_seconds"]),
                ("load_stress", (1, 3), settings["load_seconds"] // 2),
            ):
                # People arrive over a minute (a sign-in costs a password hash, 0.2 s of CPU), and
                # the pages queued behind the sign-ins drain before the measurement.
                result = mixed_load(
                    base,
                    accounts=accounts,
                    paths=paths,
                    users=settings["load_users"],
                    seconds=seconds,
                    think=think,
                    spawn_rate=4,
                    settle=30,
                )
                results[name] = {**result, "users": settings["load_users"], "seconds": seconds, "think": list(think)}
    return results


def scale_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT counts FROM bench_scale ORDER BY loaded_at DESC LIMIT 1")
        row = cursor.fetchone()
    counts = (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row and row[0] else {}
    tables = counts.get("tables", {})
    from django.db.models import Count

    from dangjian.core.models import OrgUnit

    units = dict(OrgUnit.objects.order_by().values_list("kind").annotate(n=Count("pk")))
    return {
        "districts": units.get("district", 0),
        "sub-districts": units.get("subdistrict", 0),
        "communities": units.get("community", 0),
        "branches": units.get("branch", 0),
        "members": tables.get("members_member", 0),
        "meetings": tables.get("orglife_meeting", 0),
        "attendance rows": tables.get("orglife_attendance", 0),
        "dues months": tables.get("members_duesmonth", 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="S", choices=sorted(SETTINGS))
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(BENCHMARKS))
    parser.add_argument("--database-url", default="")
    options = parser.parse_args(argv)
    names = [name for name in (options.only.split(",") if options.only else BENCHMARKS) if name]
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    url = options.database_url or database_url(options.scale)
    settings = SETTINGS[options.scale]

    started = time.perf_counter()
    generate(options.scale, url)
    setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # data generated by an earlier version of the product
    from . import report

    run: dict[str, Any] = {
        "scale_name": options.scale,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": report.machine(),
        "scale": scale_counts(),
        "benchmarks": {},
    }
    failed = []
    for name, work in (("import", run_import), ("member_list", run_member_list), ("scan", run_scan)):
        if name not in names:
            continue
        print(f"[bench] {name} …", flush=True)
        begun = time.perf_counter()
        vacuum()
        # Each benchmark starts from a collected heap: the garbage of the one before (a
        # 100,000-row import) would otherwise be collected during the next one's requests.
        gc.collect()
        try:
            run["benchmarks"][name] = work(settings)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        print(f"[bench] {name} done in {time.perf_counter() - begun:.0f} s", flush=True)
        report.save(options.scale, run)  # kept as each finishes
    served = [name for name in ("largest_paint", "load") if name in names]
    if served:
        vacuum()
        print(f"[bench] {', '.join(served)} …", flush=True)
        try:
            run["benchmarks"].update(run_served(url, served, settings))
        except Exception:
            traceback.print_exc()
            failed += served
    run["seconds"] = time.perf_counter() - started
    report.save(options.scale, run)
    print(f"[bench] scale {options.scale}: {run['seconds']:.0f} s; bench/results.json and docs/performance.md updated")
    if failed:
        print(f"[bench] failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
