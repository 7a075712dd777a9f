"""Writes of opinions and suggestions (意见建议): submitting (on the public page or by a cadre),
assigning, answering, the progress of what was promised, the submitter's rating, and the
corrections (及时修正) made because of them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core.models import OrgUnit, User

from ..choices import (
    AnswerKind,
    OpinionArea,
    OpinionSource,
    OpinionStatus,
    Progress,
    SubmitterKind,
)
from ..models import Correction, Opinion, Research, Visit, answer_days, new_tracking_code
from .common import clean_text, locked, require_cadre, save

# A tracking code is drawn again if it happens to be taken (31^10 codes: practically never).
CODE_ATTEMPTS = 5


def _create(opinion: Opinion, by: User | None) -> Opinion:
    opinion._history_user = by  # type: ignore[attr-defined]
    opinion.tracking_code = new_tracking_code()
    opinion.full_clean(exclude=["tracking_code"])
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                opinion.save()
            return opinion
        except IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
            opinion.tracking_code = new_tracking_code()
    return opinion


def _due(submitted_at: datetime.datetime) -> datetime.date:
    return timezone.localdate(submitted_at) + datetime.timedelta(days=answer_days())


@transaction.atomic
def opinion_submit_public(
    *,
    community: OrgUnit,
    title: str,
    content: str,
    area: str = OpinionArea.OTHER,
    submitter_kind: str = SubmitterKind.ANONYMOUS,
    submitter_name: str = "",
    contact_phone: str = "",
) -> Opinion:
    """A resident or member submits an opinion on the community's public page (no sign-in,
    anonymous allowed). The returned opinion carries the tracking code to give the submitter."""
    if submitter_kind != SubmitterKind.ANONYMOUS and not clean_text(submitter_name):
        raise ValidationError({"submitter_name": "请填写称呼，或选择匿名提交。"})
    now = timezone.now()
    opinion = Opinion(
        community=community,
        source=OpinionSource.ONLINE,
        submitter_kind=submitter_kind,
        submitter_name="" if submitter_kind == SubmitterKind.ANONYMOUS else clean_text(submitter_name),
        contact_phone=clean_text(contact_phone).replace("-", "").replace(" ", ""),
        area=area,
        title=clean_text(title),
        content=clean_text(content),
        submitted_at=now,
        answer_due_on=_due(now),
    )
    return _create(opinion, None)


@transaction.atomic
def opinion_register(
    *,
    by: User | None,
    community: OrgUnit,
    source: str,
    title: str,
    content: str,
    area: str = OpinionArea.OTHER,
    submitter_kind: str = SubmitterKind.RESIDENT,
    submitter_name: str = "",
    contact_phone: str = "",
    visit: Visit | None = None,
    submitted_at: datetime.datetime | None = None,
    assignee: User | None = None,
) -> Opinion:
    """A cadre records an opinion heard in a visit, on the phone, at a meeting or in a letter."""
    require_cadre(assignee, community, "assignee", "承办干部")
    submitted_at = submitted_at or timezone.now()
    if submitted_at > timezone.now():
        raise ValidationError({"submitted_at": "提出时间不能晚于现在。"})
    opinion = Opinion(
        community=community,
        source=source,
        visit=visit,
        submitter_kind=submitter_kind,
        submitter_name="" if submitter_kind == SubmitterKind.ANONYMOUS else clean_text(submitter_name),
        contact_phone=clean_text(contact_phone).replace("-", "").replace(" ", ""),
        area=area,
        title=clean_text(title),
        content=clean_text(content),
        submitted_at=submitted_at,
        answer_due_on=_due(submitted_at),
        created_by=by,
    )
    if assignee is not None:
        opinion.assignee = assignee
        opinion.assigned_at = timezone.now()
        opinion.status = OpinionStatus.ASSIGNED
    return _create(opinion, by)


@transaction.atomic
def opinion_assign(
    *,
    opinion: Opinion,
    by: User | None,
    assignee: User,
    area: str | None = None,
    expected_version: int | None = None,
) -> Opinion:
    """Assign an opinion to the cadre who will answer it (and classify it, if asked)."""
    opinion = locked(opinion, expected_version, [OpinionStatus.SUBMITTED, OpinionStatus.ASSIGNED], "分派")
    require_cadre(assignee, opinion.community, "assignee", "承办干部")
    opinion.assignee = assignee
    opinion.assigned_at = timezone.now()
    opinion.status = OpinionStatus.ASSIGNED
    if area:
        opinion.area = area
    return save(opinion, by, bump=True)


@transaction.atomic
def opinion_answer(
    *,
    opinion: Opinion,
    by: User | None,
    answer_kind: str,
    answer: str,
    not_accepted_reason: str = "",
    promised_on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Opinion:
    """Answer an opinion: accepted (with the date by which it will be done; its progress starts),
    or not accepted with the reason (the opinion is then closed)."""
    opinion = locked(opinion, expected_version, [OpinionStatus.SUBMITTED, OpinionStatus.ASSIGNED], "答复")
    now = timezone.now()
    if answer_kind not in AnswerKind.values:
        raise ValidationError({"answer_kind": "请选择答复结果：采纳或不予采纳。"})
    opinion.answer_kind = answer_kind
    opinion.answer = clean_text(answer)
    opinion.answered_at = now
    opinion.answered_by = by
    if opinion.assignee_id is None:
        opinion.assignee = by
        opinion.assigned_at = now
    if answer_kind == AnswerKind.ACCEPTED:
        if promised_on is not None and promised_on < timezone.localdate():
            raise ValidationError({"promised_on": "承诺完成日期不能早于今天。"})
        opinion.promised_on = promised_on
        opinion.not_accepted_reason = ""
        opinion.progress = Progress.IN_PROGRESS
        opinion.progress_at = now
        opinion.status = OpinionStatus.ANSWERED
    else:
        opinion.not_accepted_reason = clean_text(not_accepted_reason)
        opinion.promised_on = None
        opinion.progress = ""
        opinion.status = OpinionStatus.CLOSED
        opinion.closed_at = now
    return save(opinion, by, bump=True)


@transaction.atomic
def opinion_progress(
    *,
    opinion: Opinion,
    by: User | None,
    progress: str,
    note: str,
    expected_version: int | None = None,
) -> Opinion:
    """Report the progress of what an accepted answer promised; once done, the opinion is closed."""
    opinion = locked(opinion, expected_version, [OpinionStatus.ANSWERED], "更新落实进展")
    if progress not in Progress.values:
        raise ValidationError({"progress": "请选择落实进展。"})
    if not clean_text(note):
        raise ValidationError({"progress_note": "请填写进展说明。"})
    now = timezone.now()
    opinion.progress = progress
    opinion.progress_note = clean_text(note)
    opinion.progress_at = now
    if progress == Progress.DONE:
        opinion.status = OpinionStatus.CLOSED
        opinion.closed_at = now
    return save(opinion, by, bump=True)


@transaction.atomic
def opinion_rate(*, opinion: Opinion, rating: int, comment: str = "") -> Opinion:
    """The submitter rates the answer of a closed opinion, once, on the tracking page."""
    opinion = locked(opinion, None, None, "评价")
    if opinion.status != OpinionStatus.CLOSED:
        raise ValidationError({"rating": "办结后才能评价。"}, code="open")
    if opinion.rating is not None:
        raise ValidationError({"rating": "您已评价过，感谢您的反馈。"}, code="rated")
    if rating not in range(1, 6):
        raise ValidationError({"rating": "请选择 1 至 5 分。"})
    opinion.rating = rating
    opinion.rating_comment = clean_text(comment)[:200]
    opinion.rated_at = timezone.now()
    return save(opinion, None, bump=True)


@transaction.atomic
def correction_record(
    *,
    by: User | None,
    community: OrgUnit,
    title: str,
    description: str,
    corrected_on: datetime.date,
    opinions: Iterable[Opinion] = (),
    research: Research | None = None,
) -> Correction:
    """Record a correction made because of opinions and research (及时修正)."""
    opinions = list(opinions)
    if not opinions and research is None:
        raise ValidationError({"opinions": "请选择这项修正依据的意见建议或调研记录。"})
    stray = [opinion.tracking_code for opinion in opinions if opinion.community_id != community.pk]
    if stray:
        raise ValidationError({"opinions": f"所选意见建议不属于该社区：{'、'.join(stray)}。"})
    correction = Correction(
        community=community,
        title=clean_text(title),
        description=clean_text(description),
        corrected_on=corrected_on,
        research=research,
        by=by,
    )
    save(correction, by)
    correction.opinions.set(opinions)
    return correction
