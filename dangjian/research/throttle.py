"""Limits on the public pages (no sign-in): how many opinions one address and one community may
submit, and how many tracking-code look-ups one address may make, in a window of time.

Counts live in Django's cache (Redis when several servers share the work), in fixed windows:
one key per address or community and window, set to expire with the window. A submission refused
by a limit writes nothing; the submissions accepted before it stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def submit_limits() -> tuple[Limit, Limit]:
    return (
        Limit("ip", int(getattr(settings, "DANGJIAN_OPINION_LIMIT_PER_IP", 5)), 3600),
        Limit("community", int(getattr(settings, "DANGJIAN_OPINION_LIMIT_PER_COMMUNITY", 100)), 3600),
    )


def lookup_limit() -> Limit:
    return Limit("lookup", int(getattr(settings, "DANGJIAN_TRACKING_LIMIT_PER_IP", 30)), 600)


def _key(limit: Limit, subject: str) -> str:
    window = int(timezone.now().timestamp()) // limit.seconds
    return f"research:throttle:{limit.name}:{subject}:{window}"


def _hit(limit: Limit, subject: str) -> bool:
    """Count one use; False when the window's count is already used up."""
    key = _key(limit, subject)
    cache.add(key, 0, timeout=limit.seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds)
        used = 1
    return used <= limit.count


def _exhausted(limit: Limit, subject: str) -> bool:
    return (cache.get(_key(limit, subject)) or 0) >= limit.count


SUBMIT_REFUSED = (
    "提交过于频繁：为防止恶意刷屏，同一网络每小时最多提交 {ip} 条、本社区每小时最多受理 {community} 条网上意见。"
    "您之前已提交的意见均已受理，请稍后再试，或拨打社区电话反映。"
)
LOOKUP_REFUSED = "查询过于频繁，请 10 分钟后再试。"


def submission_refused(*, ip: str, community_id: int) -> str | None:
    """Whether a submission would be refused now (before the form is checked): the message, or None."""
    by_ip, by_community = submit_limits()
    if _exhausted(by_ip, ip) or _exhausted(by_community, str(community_id)):
        return SUBMIT_REFUSED.format(ip=by_ip.count, community=by_community.count)
    return None


def take_submission(*, ip: str, community_id: int) -> str | None:
    """Count a submission about to be written: None when it may go ahead, else the message."""
    by_ip, by_community = submit_limits()
    if not _hit(by_ip, ip) or not _hit(by_community, str(community_id)):
        return SUBMIT_REFUSED.format(ip=by_ip.count, community=by_community.count)
    return None


def take_lookup(*, ip: str) -> str | None:
    if not _hit(lookup_limit(), ip):
        return LOOKUP_REFUSED
    return None
