"""Background tasks of oversight (the django.tasks API): the blind-spot scan and the reminders.
A deployment schedules `scan_all_districts` monthly and `refresh_all_reminders` daily (or runs
the management commands of the same names from cron)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_blind_spot_scan(run_id: int) -> dict[str, int]:
    """Run a scan recorded by `services.scan_start`; returns what it opened, by kind."""
    from .models import ScanRun
    from .scan import run_scan

    return run_scan(run=ScanRun.objects.get(pk=run_id)).opened


@task()
def scan_all_districts(as_of: str | None = None) -> list[int]:
    """Scan every active district as of a month ("2026-05"; default: the last complete month)."""
    from .forms import parse_month
    from .scan import scan_blind_spots

    return [run.pk for run in scan_blind_spots(as_of=parse_month(as_of) if as_of else None)]


@task()
def refresh_all_reminders() -> int:
    """Refresh every user's reminders and mail the digests; returns how many appeared."""
    from .reminders import refresh_reminders

    return refresh_reminders()
