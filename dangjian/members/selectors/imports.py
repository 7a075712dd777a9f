"""Reads of the roster import: the batches in the user's scope, one batch, its progress."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from dangjian.core import scope
from dangjian.core.choices import ImportStatus
from dangjian.core.models import ImportBatch, User

from ..imports import KIND, error_sentence
from ..services.imports import progress_key

# Errors shown on the page; the error file holds them all.
ERRORS_SHOWN = 200


def import_batch_list(*, user: User) -> QuerySet[ImportBatch]:
    """The roster imports in the scope, newest first, without the files themselves."""
    return (
        scope.restrict(ImportBatch.objects.filter(kind=KIND), user)
        .select_related("created_by", "confirmed_by", "org_unit")
        .defer("content", "errors", "preview")
    )


def import_batch_get(*, user: User, pk: Any, with_content: bool = False) -> ImportBatch:
    queryset = ImportBatch.objects.filter(kind=KIND).select_related("created_by", "confirmed_by", "org_unit")
    if not with_content:
        queryset = queryset.defer("content")
    return scope.get_or_404(queryset, user, pk=pk)


def import_progress(batch: ImportBatch) -> int:
    """How far a batch has run: the row's figure, or the write's figure published in the cache."""
    if batch.status != ImportStatus.RUNNING:
        return 100 if batch.is_finished else batch.progress
    return max(batch.progress, cache.get(progress_key(batch.pk)) or 0)


def import_errors_shown(batch: ImportBatch) -> list[dict[str, Any]]:
    return [{**error, "sentence": error_sentence(error)} for error in batch.errors[:ERRORS_SHOWN]]
