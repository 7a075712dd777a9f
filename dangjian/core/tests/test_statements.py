"""Statements the ORM writes once per key and the product sends again: the same rows as the
ORM's own iteration, read afresh on every call, with nothing built after the first call."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core import scope
from dangjian.core.choices import OrgKind
from dangjian.core.models import OrgUnit
from dangjian.core.statements import Statements
from dangjian.core.tests.factories import UserFactory, grant, make_unit
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


class Builds:
    """A queryset builder that counts its calls."""

    def __init__(self, build):
        self.build = build
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.build()


def test_rows_are_the_orms_own_converted_values_read_afresh_each_call(world):
    statements = Statements("test rows")
    branch = world.units["B1"]
    build = Builds(
        lambda: Member.objects.filter(branch=branch).order_by("pk").values_list("pk", "name", "phone", "birth_date")
    )
    first = statements.rows(branch.pk, build)
    assert first == list(build.build())
    # The phone is decrypted and the date is a date, as the ORM gives them.
    assert first[0][2].startswith("138") and first[0][3].year == 1960
    with CaptureQueriesContext(connection) as queries:
        again = statements.rows(branch.pk, build)
    assert again == first and build.calls == 1
    assert len(queries) == 1
    newcomer = make_member(branch, name="新来党员")
    assert statements.rows(branch.pk, build)[-1][:2] == (newcomer.pk, "新来党员")
    assert build.calls == 1


def test_each_call_sends_the_statement_of_its_first_call(world):
    statements = Statements("test sql")
    branch = world.units["B1"]
    build = Builds(lambda: Member.objects.filter(branch=branch).order_by("pk").values_list("pk", "name"))
    with CaptureQueriesContext(connection) as first:
        statements.rows("b1", build)
    with CaptureQueriesContext(connection) as second:
        statements.rows("b1", build)
    assert [query["sql"] for query in second] == [query["sql"] for query in first]
    assert len(second) == 1


def test_a_count_is_the_orms_count_read_afresh(world):
    statements = Statements("test count")
    unit = world.units["C1"]
    build = Builds(lambda: OrgUnit.objects.filter(path__startswith=unit.path))
    assert statements.count(unit.path, build) == build.build().count() == 5
    with CaptureQueriesContext(connection) as queries:
        assert statements.count(unit.path, build) == 5
    assert len(queries) == 1 and build.calls == 1
    make_unit(OrgKind.BRANCH, unit, name="翠湖新支部")
    assert statements.count(unit.path, build) == 6 and build.calls == 1


def test_keys_keep_their_own_statements(world):
    statements = Statements("test keys")

    def units_under(key):
        return lambda: OrgUnit.objects.filter(path__startswith=world.units[key].path).values_list("name")

    assert statements.count("C1", units_under("C1")) == 5
    assert statements.count("C2", units_under("C2")) == 3
    assert statements.count("C1", units_under("C2")) == 5  # the key's statement, built once
    assert len(statements) == 2


def test_an_empty_queryset_sends_nothing(world):
    statements = Statements("test empty")
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert statements.rows("none", lambda: OrgUnit.objects.none().values_list("pk")) == []
            assert statements.count("none", lambda: OrgUnit.objects.none()) == 0
        assert len(queries) == 0


def test_only_the_most_recent_keys_are_kept(world):
    statements = Statements("test size", maxsize=2)
    build = Builds(lambda: OrgUnit.objects.values_list("pk"))
    for key in ("a", "b", "a", "c"):
        statements.rows(key, build)
    assert len(statements) == 2 and build.calls == 3
    statements.rows("a", build)  # kept: used after b
    assert build.calls == 3
    statements.rows("b", build)  # dropped for c
    assert build.calls == 4


def test_equal_restrictions_filter_alike(world):
    first, second = world.personas["community_secretary"], world.personas["community_cadre"]
    assert scope.restriction(first) == scope.restriction(second) == ("subtree", world.units["C1"].path)
    assert scope.restriction(world.personas["subdistrict_organizer"]) == ("subtree", world.units["S1"].path)
    assert str(scope.restrict(Member.objects.all(), first).query) == str(
        scope.restrict(Member.objects.all(), second).query
    )
    member = world.personas["member"]
    assert scope.restriction(member) == ("self", world.units["B1"].path, member.pk)
    assert scope.restriction(world.personas["outsider"]) == ("none",)
    superuser = UserFactory(username="root", is_superuser=True)
    assert scope.restriction(superuser) == ("all",)
    grant(superuser, world.personas["community_secretary"].grants.get().role, world.units["C2"])
    acting = type(superuser).objects.get(pk=superuser.pk)
    assert scope.restriction(acting) == ("subtree", world.units["C2"].path)
