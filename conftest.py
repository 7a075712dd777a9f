"""Shared test fixtures: a small two-district world and one persona per role.

The world:
    示范区 D1 ── S1 ── C1 ── GB1 ── B1 ── G1
             │          └── B1b
             └── S2 ── C2 ── B2 ── G2
    其他区 D2 ── S3 ── C3 ── B3 ── G3

Every Party organization has a committee whose term ends within 90 days, and every branch a
member and an activist of the development pipeline named after it, so an unscoped list would
show those of other communities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.cache import cache

from dangjian.core.choices import OrgKind, Role
from dangjian.core.models import BranchCommittee, CommitteeSeat, OrgUnit, User
from dangjian.core.tests.factories import UserFactory, grant, make_committee, make_unit
from dangjian.members.models import Development, Member
from dangjian.members.tests.factories import make_development, make_member


@dataclass
class World:
    units: dict[str, OrgUnit] = field(default_factory=dict)
    committees: dict[str, BranchCommittee] = field(default_factory=dict)
    seats: dict[str, CommitteeSeat] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    developments: dict[str, Development] = field(default_factory=dict)
    personas: dict[str, User] = field(default_factory=dict)


PERSONA_GRANTS = {
    "district_organizer": (Role.DISTRICT_ORGANIZER, "D1"),
    "subdistrict_organizer": (Role.SUBDISTRICT_ORGANIZER, "S1"),
    "community_secretary": (Role.COMMUNITY_SECRETARY, "C1"),
    "community_cadre": (Role.COMMUNITY_CADRE, "C1"),
    "branch_secretary": (Role.BRANCH_SECRETARY, "GB1"),
    "member": (Role.MEMBER, "B1"),
    "resident": (Role.RESIDENT, "C1"),
}
PERSONAS = [*PERSONA_GRANTS, "outsider"]


def build_world() -> World:
    world = World()
    u = world.units
    u["D1"] = make_unit(OrgKind.DISTRICT, name="示范区")
    u["S1"] = make_unit(OrgKind.SUBDISTRICT, u["D1"], name="东湖街道")
    u["C1"] = make_unit(OrgKind.COMMUNITY, u["S1"], name="翠湖社区")
    u["GB1"] = make_unit(OrgKind.GENERAL_BRANCH, u["C1"], name="翠湖社区党总支")
    u["B1"] = make_unit(OrgKind.BRANCH, u["GB1"], name="翠湖第一支部")
    u["B1b"] = make_unit(OrgKind.BRANCH, u["C1"], name="翠湖第二支部")
    u["G1"] = make_unit(OrgKind.GROUP, u["B1"], name="翠湖第一小组")
    u["S2"] = make_unit(OrgKind.SUBDISTRICT, u["D1"], name="南山街道")
    u["C2"] = make_unit(OrgKind.COMMUNITY, u["S2"], name="松涛社区")
    u["B2"] = make_unit(OrgKind.BRANCH, u["C2"], name="松涛界外支部")
    u["G2"] = make_unit(OrgKind.GROUP, u["B2"], name="松涛界外小组")
    u["D2"] = make_unit(OrgKind.DISTRICT, name="其他区")
    u["S3"] = make_unit(OrgKind.SUBDISTRICT, u["D2"], name="北岭街道")
    u["C3"] = make_unit(OrgKind.COMMUNITY, u["S3"], name="北岭社区")
    u["B3"] = make_unit(OrgKind.BRANCH, u["C3"], name="北岭界外支部")
    u["G3"] = make_unit(OrgKind.GROUP, u["B3"], name="北岭界外小组")
    for key in ("C1", "GB1", "B1", "B1b", "C2", "B2", "C3", "B3"):
        world.committees[key] = make_committee(u[key], ends_in_days=30, secretary=f"{u[key].name}书记")
        world.seats[key] = world.committees[key].seats.get()
    for key in ("B1", "B1b", "B2", "B3"):
        world.members[key] = make_member(u[key], name=f"{u[key].name}党员")
        world.developments[key] = make_development(u[key], name=f"{u[key].name}积极分子", stage="activist")
    for persona, (role, unit_key) in PERSONA_GRANTS.items():
        user = UserFactory(username=persona, full_name=f"{persona}用户")
        grant(user, role, u[unit_key])
        world.personas[persona] = user
    # The member persona is the member on the roll of B1.
    world.members["B1"].user = world.personas["member"]
    world.members["B1"].save(update_fields=["user"])
    world.personas["outsider"] = UserFactory(username="outsider", full_name="无授权用户")
    return world


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Most tests sign personas in directly; the two-factor tests turn the requirement on.
    Argon2 is slow by design; tests hash with MD5 (test_auth checks the production hasher)."""
    settings.DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # login throttles count per test, not across the run


@pytest.fixture
def login(client):
    def _login(user: User):
        client.force_login(user)
        return client

    return _login
