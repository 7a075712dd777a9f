"""The scope matrix over the research routes alone (the full matrix in core runs them too, with
every other app's): every page and API route of research, every persona, in and out of scope."""

from __future__ import annotations

import pytest

from dangjian.core.tests import scope_matrix

pytestmark = pytest.mark.django_db

API_PREFIXES = ("risk-", "event-", "research-", "visit-", "opinion-", "correction-", "detachment-")


def research_routes(urlconf=None):
    for route in ORIGINAL_ITER_ROUTES(urlconf):
        if route.name.startswith("research:") or route.name.startswith(API_PREFIXES):
            yield route


ORIGINAL_ITER_ROUTES = scope_matrix.iter_routes


def test_every_research_route_keeps_every_persona_inside_its_scope(world, monkeypatch):
    monkeypatch.setattr(scope_matrix, "iter_routes", research_routes)
    stats: dict[str, int] = {}
    failures = scope_matrix.check_urlconf(world, stats=stats)
    assert failures == []
    names = {route.name for route in research_routes()}
    assert stats["routes"] >= len(names) - 2  # the two public pages are exempt and not requested
    assert stats["requests"] >= stats["routes"] * 8


def test_the_public_pages_are_the_only_exempt_research_routes():
    exempt = {route.name for route in research_routes() if route.declaration("scope_exempt")}
    assert exempt == {"research:public_opinion", "research:public_track"}


def test_the_matrix_walks_every_research_route():
    names = {route.name for route in research_routes()}
    for name in (
        "research:risk_detail",
        "research:risk_solution",
        "research:event_approve",
        "research:round_assign",
        "research:visit_detail",
        "research:opinion_answer",
        "research:correction_detail",
        "research:indicators",
        "risk-detail",
        "event-approve",
        "opinion-answer",
        "detachment-list",
    ):
        assert name in names, name
