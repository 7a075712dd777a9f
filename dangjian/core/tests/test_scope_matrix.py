"""Every route, every persona: nothing outside the scope is shown or changed."""

from __future__ import annotations

import pytest
from django.urls import path

from dangjian.core import scope
from dangjian.core.access import scoped_view
from dangjian.core.models import OrgUnit
from dangjian.core.tests.scope_matrix import check_urlconf, iter_routes

pytestmark = pytest.mark.django_db


def test_every_route_keeps_every_persona_inside_its_scope(world):
    stats: dict[str, int] = {}
    failures = check_urlconf(world, stats=stats)
    assert failures == []
    # The matrix really ran: every scoped route, for eight personas, in and out of scope.
    assert stats["routes"] >= 20
    assert stats["requests"] >= stats["routes"] * 8


def test_the_matrix_walks_the_page_and_api_routes():
    names = {route.name for route in iter_routes()}
    assert {"core:org_detail", "core:committee_detail", "core:seat_end", "org-unit-detail", "committee-list"} <= names


# A deliberately unscoped view and an undeclared one, in a URLconf of their own.
@scoped_view(cap=scope.Cap.ORG_VIEW, model=OrgUnit)
def unscoped_detail(request, pk):
    from django.http import HttpResponse

    unit = OrgUnit.objects.get(pk=pk)  # no scope: the matrix must catch this
    return HttpResponse(unit.name)


def undeclared_list(request):
    from django.http import HttpResponse

    return HttpResponse("")


urlpatterns = [
    path("leaky/<int:pk>/", unscoped_detail, name="leaky"),
    path("undeclared/", undeclared_list, name="undeclared"),
]


@pytest.mark.urls(__name__)
def test_it_catches_a_deliberately_unscoped_view(world):
    failures = check_urlconf(world)
    leaky = [failure for failure in failures if failure.startswith("leaky GET as community_secretary")]
    assert leaky, failures
    assert "outside the scope, got 200" in leaky[0]
    assert any(
        failure.startswith("undeclared") and "neither scoped_view nor scope_exempt" in failure for failure in failures
    )


def unnamed_view(request):
    from django.http import HttpResponse

    return HttpResponse("")


class UnnamedUrls:
    urlpatterns = [path("unnamed/", unnamed_view)]


def test_it_reports_an_unnamed_route(world, settings):
    import sys
    import types

    module = types.ModuleType("unnamed_urls")
    module.urlpatterns = UnnamedUrls.urlpatterns
    sys.modules["unnamed_urls"] = module
    settings.ROOT_URLCONF = "unnamed_urls"
    assert check_urlconf(world) == ["unnamed/: an unnamed route; name it so the scope matrix can request it"]
