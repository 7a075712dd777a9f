"""Writes of the roster import: an upload kept as a batch, the check of its rows, its
confirmation, and the run that writes it (the check and the run are background tasks)."""

from __future__ import annotations

import hashlib
import logging
from functools import partial
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.choices import ImportStatus
from dangjian.core.crypto import seal, unseal
from dangjian.core.models import ImportBatch, User

from .. import imports

logger = logging.getLogger(__name__)

# How far the check of a confirmed file takes the progress bar; the write takes the rest.
CHECK_SHARE = 30

REFUSED_CONFIRM = {
    ImportStatus.CHECKING: "该文件正在校验，请等校验完成后再确认。",
    ImportStatus.FAILED: "该文件未通过校验，不能导入：请修正后重新上传。",
    ImportStatus.CONFIRMED: "该文件已确认导入，正在排队，不会重复导入。",
    ImportStatus.RUNNING: "该文件正在导入，不会重复导入。",
    ImportStatus.DONE: "该文件已经导入，不会重复导入。如需再次导入，请重新上传。",
    ImportStatus.ERROR: "该文件导入时出错，没有写入任何数据：请重新上传。",
}
SYSTEM_ERROR = "处理文件时发生系统错误，没有写入任何数据：请稍后重新上传，或联系管理员。"


def progress_key(batch_pk: int) -> str:
    return f"import-progress:{batch_pk}"


def _apply(batch: ImportBatch, check: imports.Check) -> None:
    batch.total_rows = check.total_rows
    batch.new_count = check.count(imports.NEW)
    batch.updated_count = check.count(imports.UPDATED)
    batch.unchanged_count = check.count(imports.UNCHANGED)
    batch.error_count = len(check.errors)
    batch.errors = check.errors[: imports.MAX_STORED_ERRORS]
    batch.preview = {} if check.refused else check.preview()


def roster_import_upload(*, file_name: str, content: bytes, by: User) -> ImportBatch:
    """Keep an uploaded roster file as a batch and hand it to a worker, which checks every row
    (`roster_import_check`). Nothing is written to the roll."""
    if not scope.can(by, scope.Cap.MEMBER_MANAGE):
        raise PermissionDenied("您当前的角色不能导入党员名册。")
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=imports.KIND,
            org_unit=scope.scope_root(by),
            created_by=by,
            file_name=file_name[-255:],
            file_sha256=hashlib.sha256(content).hexdigest(),
            file_size=len(content),
            content=seal(content),
            status=ImportStatus.CHECKING,
        )
        from ..tasks import check_roster_import

        # After the commit, so that a worker in another process finds the batch.
        transaction.on_commit(partial(check_roster_import.enqueue, batch_id=batch.pk))
    return batch


def roster_import_check(*, batch_id: int) -> ImportBatch:
    """Check every row of an uploaded batch (the body of a background task): validated, with
    its preview, or failed, with every error by row and column. Nothing is written to the roll."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != ImportStatus.CHECKING:
            return batch  # checked already: a task delivered twice does nothing
    try:
        check = imports.check_content(
            unseal(bytes(batch.content)),
            root=batch.org_unit,
            progress=lambda percent: _set_progress(batch.pk, percent),
        )
    except Exception:
        logger.exception("roster import %s: the check failed", batch.pk)
        return _finish(batch, ImportStatus.ERROR, errors=[imports.error_entry(None, "", SYSTEM_ERROR)])
    _apply(batch, check)
    batch.status = ImportStatus.FAILED if check.refused else ImportStatus.VALIDATED
    batch.progress = 100
    if check.refused:
        batch.finished_at = timezone.now()
    batch.save()
    return batch


@transaction.atomic
def roster_import_confirm(*, batch: ImportBatch, by: User) -> ImportBatch:
    """Confirm a validated batch and hand it to a worker. The row is locked and its status
    checked, so a second confirmation (a double click, two people) never imports twice."""
    locked = ImportBatch.objects.select_for_update().defer("content").get(pk=batch.pk)
    if locked.status != ImportStatus.VALIDATED:
        raise ValidationError(REFUSED_CONFIRM.get(locked.status, "该文件不能导入。"), code="status")
    locked.status = ImportStatus.CONFIRMED
    locked.confirmed_by = by
    locked.confirmed_at = timezone.now()
    locked.progress = 0
    locked.save(update_fields=["status", "confirmed_by", "confirmed_at", "progress"])
    from ..tasks import run_roster_import

    # After the commit, so that a worker in another process finds the batch confirmed.
    transaction.on_commit(partial(run_roster_import.enqueue, batch_id=locked.pk))
    return locked


def _set_progress(batch_pk: int, value: int) -> None:
    ImportBatch.objects.filter(pk=batch_pk).update(progress=min(99, value))


def _publish_progress(batch_pk: int, value: int) -> None:
    # Inside the write transaction the batch row cannot show progress to other connections; the
    # shared cache can (Redis when several processes serve).
    cache.set(progress_key(batch_pk), min(99, value), timeout=24 * 3600)


def roster_import_run(*, batch_id: int) -> ImportBatch:
    """Run a confirmed batch: check the file again against the roll as it is now, then write every
    row in one transaction. A refusal at either step writes nothing and says why."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != ImportStatus.CONFIRMED:
            return batch  # run already, or never confirmed: a task delivered twice does nothing
        batch.status = ImportStatus.RUNNING
        batch.progress = 1
        batch.save(update_fields=["status", "progress"])
    try:
        content = unseal(bytes(batch.content))
        check = imports.check_content(
            content,
            root=batch.org_unit,
            progress=lambda percent: _set_progress(batch.pk, 1 + percent * CHECK_SHARE // 100),
        )
        if check.refused:
            return _finish(batch, ImportStatus.FAILED, check=check)
        _set_progress(batch.pk, CHECK_SHARE)
        with transaction.atomic():
            imports.write_rows(
                check,
                by=batch.confirmed_by,
                progress=lambda percent: _publish_progress(
                    batch.pk, CHECK_SHARE + percent * (100 - CHECK_SHARE) // 100
                ),
            )
            # Done and written commit together: a batch never says done for rows not written.
            return _finish(batch, ImportStatus.DONE, check=check)
    except imports.RowRefused as refused:
        return _finish(batch, ImportStatus.FAILED, errors=refused.errors)
    except Exception:
        logger.exception("roster import %s failed", batch.pk)
        return _finish(batch, ImportStatus.ERROR, errors=[imports.error_entry(None, "", SYSTEM_ERROR)])
    finally:
        cache.delete(progress_key(batch.pk))


def _finish(
    batch: ImportBatch,
    status: str,
    *,
    check: imports.Check | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> ImportBatch:
    if check is not None:
        _apply(batch, check)
    if errors is not None:
        batch.errors = errors[: imports.MAX_STORED_ERRORS]
        batch.error_count = len(errors)
        batch.preview = {}
    batch.status = status
    batch.progress = 100
    batch.finished_at = timezone.now()
    if status == ImportStatus.DONE:
        batch.content = b""  # imported: the clear ID numbers need not be kept any longer
    batch.save()
    return batch
