"""Background tasks of Party dues (the django.tasks API)."""

from __future__ import annotations

from django_tasks import task


@task()
def open_current_dues_months() -> int:
    """Open this month's dues ledger (and any month of this year still missing) for every member
    on the roll with a base for the year. Enqueue it on the first day of each month (a scheduler
    or cron: `manage.py open_dues_months` does the same by hand); running it twice adds nothing."""
    from django.utils import timezone

    from .services.dues import dues_open_months

    return dues_open_months(through=timezone.localdate())
