"""The scope matrix: every URL pattern and API route, every persona, objects in and out of scope.

`check_urlconf()` walks a URLconf and returns a list of failures (empty when all is well):
- a route whose view declares neither `scoped_view` nor `scope_exempt` (or, for an API viewset,
  no `scope_model`) fails, so a new route cannot escape the matrix;
- for a route that shows an object, each persona gets 404 (or 403 where its role lacks the
  route's capability) for every object outside its scope, on GET and on POST, and nothing
  changes; inside its scope it gets the page (or 403 without the capability);
- for a list route, no persona finds the names of units outside its scope in the response;
- an API create with an empty body is refused (400, or 403 without the capability) and writes
  nothing;
- an unnamed route fails: the matrix could not request it.

Objects of a model are made for a place in the world by `OBJECT_MAKERS`; a route showing a
model without a maker fails, so a new org-bound model must say how to place one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dangjian.core import scope
from dangjian.core.models import BranchCommittee, CommitteeSeat, Grant, ImportBatch, OrgUnit
from dangjian.members.models import (
    CareRecord,
    ContactLog,
    Development,
    DevelopmentRule,
    DuesBase,
    DuesMonth,
    DuesPayment,
    DuesRelief,
    DuesRule,
    Member,
    MobileMember,
    Transfer,
    UnmaskLog,
)
from dangjian.orglife.models import Attendance, Meeting, MeetingAttachment, MeetingRule, MemberTask
from dangjian.oversight.models import Case, CaseAction, Reminder, ScanRun
from dangjian.research.models import (
    Consultation,
    Correction,
    Event,
    Opinion,
    Research,
    ResearchRound,
    Risk,
    Visit,
    VisitTarget,
)

from . import world_objects, world_research

# Namespaces that the matrix leaves to their own tests: the Django admin is scoped by
# ScopedAdminMixin and tested in test_admin.py.
SKIPPED_NAMESPACES = {"admin"}

OBJECT_MAKERS: dict[type[Model], Callable[[Any, str], Model]] = {
    OrgUnit: lambda world, place: world.units[place],
    BranchCommittee: lambda world, place: world.committees[place],
    CommitteeSeat: lambda world, place: world.seats[place],
    Member: lambda world, place: world.members[place],
    Development: lambda world, place: world.developments[place],
    ImportBatch: lambda world, place: _import_batch(world, place),
    Transfer: world_objects.transfer,
    MobileMember: world_objects.mobile_member,
    ContactLog: world_objects.contact_log,
    DuesBase: world_objects.dues_base,
    DuesMonth: world_objects.dues_month,
    DuesPayment: world_objects.dues_payment,
    DuesRelief: world_objects.dues_relief,
    CareRecord: world_objects.care_record,
    Meeting: world_objects.meeting,
    Attendance: world_objects.attendance,
    MeetingAttachment: world_objects.meeting_attachment,
    MemberTask: world_objects.member_task,
    Case: world_objects.case,
    CaseAction: world_objects.case_action,
    ScanRun: world_objects.scan_run,
    Reminder: world_objects.reminder,
    Risk: world_research.risk,
    Event: world_research.event,
    Research: world_research.research,
    ResearchRound: world_research.research_round,
    Visit: world_research.visit,
    Opinion: world_research.opinion,
    Correction: world_research.correction,
}


def _import_batch(world: Any, place: str) -> ImportBatch:
    """A validated roster import made by someone acting at the unit of `place`, named after it."""
    unit = world.units[place]
    batch, _ = ImportBatch.objects.get_or_create(
        kind="member_roster",
        org_unit=unit,
        file_name=f"{unit.name}名册.xlsx",
        defaults={
            "created_by": world.personas["district_organizer"],
            "file_sha256": "0" * 64,
            "status": "validated",
            "total_rows": 1,
        },
    )
    return batch


# The place inside every persona's scope, and the places outside it (those of them that are
# outside: B2 is inside the district organizer's scope).
INSIDE = "B1"
OUTSIDE_CANDIDATES = ("B2", "B3")

# Words that show an out-of-scope unit's data in a response.
LEAK_MARKERS = ("松涛", "北岭")


@dataclass
class Route:
    name: str
    pattern: str
    callback: Callable[..., Any]
    kwargs: tuple[str, ...]

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def is_viewset(self) -> bool:
        return hasattr(self.callback, "actions")

    def declaration(self, attribute: str, default: Any = None) -> Any:
        if hasattr(self.callback, attribute):
            return getattr(self.callback, attribute)
        cls = self.view_class
        return getattr(cls, attribute, default) if cls is not None else default


def iter_routes(urlconf: str | None = None) -> Iterator[Route]:
    def walk(patterns: list[Any], namespace: str, prefix: str) -> Iterator[Route]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in SKIPPED_NAMESPACES:
                    continue
                inner = (
                    f"{namespace}:{entry.namespace}"
                    if entry.namespace and namespace
                    else (entry.namespace or namespace)
                )
                yield from walk(entry.url_patterns, inner, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                # An unnamed route cannot be reversed by the matrix; it is reported by its pattern.
                name = (f"{namespace}:{entry.name}" if namespace else entry.name) if entry.name else ""
                yield Route(
                    name=name,
                    pattern=prefix + str(entry.pattern),
                    callback=entry.callback,
                    kwargs=tuple(entry.pattern.regex.groupindex),
                )

    yield from walk(get_resolver(urlconf).url_patterns, "", "")


def _url(route: Route, urlconf: str | None, obj: Model | None) -> str:
    kwargs: dict[str, Any] = {}
    for kwarg in route.kwargs:
        if kwarg == "format":
            kwargs[kwarg] = "json"
        elif obj is not None:
            kwargs[kwarg] = obj.pk
    return reverse(route.name, urlconf=urlconf, kwargs=kwargs)


def _capability(route: Route, method: str) -> scope.Cap | None:
    if route.is_viewset:
        cls = route.view_class
        action = route.callback.actions.get(method.lower())
        cap = getattr(cls, "action_caps", {}).get(action)
        if cap is None:
            cap = cls.read_cap if method == "GET" else cls.write_cap
        return cap
    return route.declaration("scope_cap")


def _methods(route: Route) -> list[str]:
    if route.is_viewset:
        return [method.upper() for method in route.callback.actions if method in ("get", "post", "patch", "put")]
    return ["GET", "POST"]


def _snapshot(world: Any) -> list[tuple[Any, ...]]:
    """What a write would change: every unit, committee and seat as stored."""
    return [
        *OrgUnit.objects.order_by("pk").values_list("pk", "name", "code", "path", "status", "version"),
        *BranchCommittee.objects.order_by("pk").values_list("pk", "term_start", "term_end", "ended_on", "version"),
        *CommitteeSeat.objects.order_by("pk").values_list("pk", "person_name", "left_on"),
        *Grant.objects.order_by("pk").values_list("pk", "role", "org_unit_id", "is_active"),
        *Member.objects.order_by("pk").values_list("pk", "name", "branch_id", "status", "version"),
        *UnmaskLog.objects.order_by("pk").values_list("pk", "member_id", "field"),
        *Development.objects.order_by("pk").values_list("pk", "name", "branch_id", "stage", "member_id", "version"),
        *DevelopmentRule.objects.order_by("pk").values_list("pk", "key", "value", "version"),
        *ImportBatch.objects.order_by("pk").values_list(
            "pk", "status", "progress", "new_count", "updated_count", "confirmed_by_id"
        ),
        *Transfer.objects.order_by("pk").values_list("pk", "status", "branch_id", "member_id", "version"),
        *MobileMember.objects.order_by("pk").values_list("pk", "status", "last_contact_on", "version"),
        *ContactLog.objects.order_by("pk").values_list("pk", "mobile_id", "result"),
        *DuesRule.objects.order_by("pk").values_list("pk", "upper_bound", "rate_percent", "fixed_amount", "version"),
        *DuesBase.objects.order_by("pk").values_list("pk", "member_id", "year", "monthly_amount", "version"),
        *DuesMonth.objects.order_by("pk").values_list("pk", "status", "payment_id", "amount_due", "version"),
        *DuesPayment.objects.order_by("pk").values_list("pk", "member_id", "amount"),
        *DuesRelief.objects.order_by("pk").values_list("pk", "status", "version"),
        *CareRecord.objects.order_by("pk").values_list("pk", "member_id", "cared_on"),
        *MeetingRule.objects.order_by("pk").values_list("pk", "frequency", "times", "version"),
        *Meeting.objects.order_by("pk").values_list("pk", "status", "title", "present_count", "version"),
        *Attendance.objects.order_by("pk").values_list("pk", "meeting_id", "member_id", "status"),
        *MeetingAttachment.objects.order_by("pk").values_list("pk", "meeting_id", "name"),
        *MemberTask.objects.order_by("pk").values_list("pk", "status", "done_on", "version"),
        *Case.objects.order_by("pk").values_list("pk", "status", "outcome", "assignee_id", "version"),
        *CaseAction.objects.order_by("pk").values_list("pk", "case_id", "kind"),
        *ScanRun.objects.order_by("pk").values_list("pk", "as_of", "finished_at"),
        *Reminder.objects.order_by("pk").values_list("pk", "read_at", "resolved_at"),
        *Risk.objects.order_by("pk").values_list("pk", "status", "level", "solution", "assignee_id", "version"),
        *Consultation.objects.order_by("pk").values_list("pk", "risk_id", "participants"),
        *Event.objects.order_by("pk").values_list("pk", "status", "approved_by_id", "budget", "version"),
        *Research.objects.order_by("pk").values_list("pk", "kind", "title", "risk_id", "event_id"),
        *ResearchRound.objects.order_by("pk").values_list("pk", "title", "closed_on", "version"),
        *VisitTarget.objects.order_by("pk").values_list("pk", "round_id", "cadre_id", "label"),
        *Visit.objects.order_by("pk").values_list("pk", "whom", "visitor_id", "round_id"),
        *Opinion.objects.order_by("pk").values_list("pk", "status", "assignee_id", "progress", "rating", "version"),
        *Correction.objects.order_by("pk").values_list("pk", "title", "research_id"),
    ]


def check_urlconf(world: Any, urlconf: str | None = None, stats: dict[str, int] | None = None) -> list[str]:
    failures: list[str] = []
    stats = stats if stats is not None else {}
    stats.setdefault("routes", 0)
    stats.setdefault("requests", 0)
    clients: dict[str, Client] = {}
    _request.count = 0  # type: ignore[attr-defined]
    for persona, user in world.personas.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients[persona] = client

    for route in iter_routes(urlconf):
        exempt = route.declaration("scope_exempt")
        if exempt:
            continue
        if not route.name:
            failures.append(f"{route.pattern}: an unnamed route; name it so the scope matrix can request it")
            continue
        model = route.declaration("scope_model")
        if route.is_viewset:
            if model is None:
                failures.append(f"{route.name}: the API viewset declares no scope_model")
                continue
        elif not hasattr(route.callback, "scope_cap") and route.declaration("scope_cap") is None:
            failures.append(f"{route.name} ({route.pattern}): the view is neither scoped_view nor scope_exempt")
            continue
        object_kwargs = [kwarg for kwarg in route.kwargs if kwarg != "format"]
        if object_kwargs and model is None:
            failures.append(f"{route.name}: takes {object_kwargs} but declares no scope model")
            continue
        if object_kwargs and model not in OBJECT_MAKERS:
            failures.append(f"{route.name}: no OBJECT_MAKERS entry for {model.__name__}; add one")
            continue

        stats["routes"] += 1
        for persona, client in clients.items():
            user = world.personas[persona]
            for method in _methods(route):
                cap = _capability(route, method)
                has_cap = cap is None or _persona_can(user, cap)
                if object_kwargs:
                    failures += _check_object_route(
                        world, route, urlconf, client, persona, user, method, model, has_cap
                    )
                elif method == "GET":
                    failures += _check_list_route(route, urlconf, client, persona, has_cap)
                elif route.is_viewset:
                    failures += _check_create_route(world, route, urlconf, client, persona, method, has_cap)
    stats["requests"] = _request.count  # type: ignore[attr-defined]
    return failures


def _persona_can(user: Any, cap: scope.Cap) -> bool:
    # A fresh copy of the user, so cached grants from another request do not leak in.
    fresh = type(user).objects.get(pk=user.pk)
    return scope.can(fresh, cap)


def _request(client: Client, method: str, url: str):
    _request.count += 1  # type: ignore[attr-defined]
    if method == "GET":
        return client.get(url)
    if method == "POST":
        return client.post(url, {})
    return client.generic(method, url, "{}", content_type="application/json")


def _check_object_route(world, route, urlconf, client, persona, user, method, model, has_cap) -> list[str]:
    failures = []
    outside = [place for place in OUTSIDE_CANDIDATES if not _inside(user, world.units[place])]
    for place in outside:
        obj = OBJECT_MAKERS[model](world, place)
        url = _url(route, urlconf, obj)
        before = _snapshot(world)
        response = _request(client, method, url)
        allowed = {404} if has_cap else {403, 404}
        if response.status_code not in allowed:
            failures.append(
                f"{route.name} {method} as {persona}: {model.__name__} at {place} is outside the scope, "
                f"got {response.status_code}, expected {sorted(allowed)}"
            )
        if _snapshot(world) != before:
            failures.append(f"{route.name} {method} as {persona}: a request outside the scope changed data")
    if method == "GET":
        obj = OBJECT_MAKERS[model](world, INSIDE)
        response = _request(client, method, _url(route, urlconf, obj))
        inside_ok = _inside(user, world.units[INSIDE])
        if inside_ok:
            # 405: a view that takes only POST, having found the object in scope.
            expected = {200, 405} if has_cap else {403}
            if response.status_code not in expected:
                failures.append(
                    f"{route.name} GET as {persona}: {model.__name__} at {INSIDE} is in scope, "
                    f"got {response.status_code}, expected {sorted(expected)}"
                )
    return failures


def _check_list_route(route, urlconf, client, persona, has_cap) -> list[str]:
    failures = []
    response = client.get(_url(route, urlconf, None))
    if not has_cap:
        if response.status_code not in (403, 404):
            failures.append(f"{route.name} GET as {persona}: role lacks the capability, got {response.status_code}")
        return failures
    if response.status_code not in (200, 405):
        failures.append(f"{route.name} GET as {persona}: got {response.status_code}, expected 200")
        return failures
    body = response.content.decode("utf-8", errors="replace")
    # The district organizer's scope holds 松涛 (same district); no one's holds 北岭.
    markers = ("北岭",) if persona == "district_organizer" else LEAK_MARKERS
    for marker in markers:
        if marker in body:
            failures.append(f"{route.name} GET as {persona}: the response shows “{marker}”, outside the scope")
    return failures


def _check_create_route(world, route, urlconf, client, persona, method, has_cap) -> list[str]:
    """An empty create is refused (400 with the capability, 403 without) and writes nothing."""
    before = _snapshot(world)
    response = _request(client, method, _url(route, urlconf, None))
    expected = {400} if has_cap else {403}
    failures = []
    if response.status_code not in expected:
        failures.append(f"{route.name} {method} as {persona}: got {response.status_code}, expected {sorted(expected)}")
    if _snapshot(world) != before:
        failures.append(f"{route.name} {method} as {persona}: an empty create changed data")
    return failures


def _inside(user: Any, unit: OrgUnit) -> bool:
    fresh = type(user).objects.get(pk=user.pk)
    return scope.contains(fresh, unit) and scope.active_role(fresh) not in scope.SELF_ROLES
