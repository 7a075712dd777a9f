"""Background tasks of the members app (the django.tasks API)."""

from __future__ import annotations

from django_tasks import task


@task()
def check_roster_import(batch_id: int) -> str:
    """Check every row of an uploaded roster file; the outcome is kept on the ImportBatch."""
    from .services.imports import roster_import_check

    return roster_import_check(batch_id=batch_id).status


@task()
def run_roster_import(batch_id: int) -> str:
    """Write a confirmed roster import; its progress and outcome are kept on the ImportBatch."""
    from .services.imports import roster_import_run

    return roster_import_run(batch_id=batch_id).status
