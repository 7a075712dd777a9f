"""Signing in: passwords, lockout, two-factor login, and the security headers."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "Test-password-2026"


def token_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def unthrottle(device: TOTPDevice) -> None:
    """django-otp slows down guessing after a wrong token; tests go on at once."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    device.refresh_from_db()


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(reverse("core:login"), {"username": username, "password": password})


def test_the_login_page_is_in_chinese(client):
    body = client.get(reverse("core:login")).content.decode()
    assert "社区党建工作平台" in body and "用户名" in body and "密码" in body


def test_a_right_password_signs_in(world, client):
    response = sign_in(client, "community_secretary")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_in_chinese(world, client):
    body = sign_in(client, "community_secretary", "wrong").content.decode()
    assert "用户名或密码不正确" in body


def test_five_failed_logins_lock_the_account(world, client):
    for _ in range(5):
        sign_in(client, "community_cadre", "wrong")
    response = sign_in(client, "community_cadre")
    assert response.status_code == 429
    assert "账号已被暂时锁定" in response.content.decode()


def test_it_signs_out_by_post_only(world, login):
    client = login(world.personas["community_cadre"])
    assert client.get(reverse("core:logout")).status_code == 405
    assert client.post(reverse("core:logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_passwords_are_hashed_with_argon2_in_production():
    from dangjian import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_when_configured(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert identify_hasher(make_password("x")).algorithm == "argon2"


def test_a_user_sets_up_two_factor_and_then_needs_it_to_sign_in(world, client):
    sign_in(client, "community_cadre")
    page = client.get(reverse("core:twofactor_setup"))
    assert page.status_code == 200 and "data:image/svg+xml" in page.content.decode()
    device = TOTPDevice.objects.get(user=world.personas["community_cadre"], confirmed=False)
    bad = client.post(reverse("core:twofactor_setup"), {"token": "12345"}).content.decode()
    assert "动态验证码是 6 位数字" in bad
    assert client.post(reverse("core:twofactor_setup"), {"token": token_for(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed

    client.post(reverse("core:logout"))
    first = sign_in(client, "community_cadre")
    assert first["Location"] == reverse("core:login_otp")
    assert client.get("/").status_code == 302  # not signed in until the second step
    wrong = client.post(reverse("core:login_otp"), {"token": "000000" if token_for(device) != "000000" else "111111"})
    assert "动态验证码不正确" in wrong.content.decode()
    unthrottle(device)
    # The set-up used this time step's token; a token is good once, so take the next step's.
    response = client.post(reverse("core:login_otp"), {"token": token_for(device, offset=1)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_the_second_step_expires(world, client):
    device = TOTPDevice.objects.create(user=world.personas["community_cadre"], name="x", confirmed=True)
    sign_in(client, "community_cadre")
    session = client.session
    session["otp_pending"]["at"] = time.time() - 3600
    session.save()
    response = client.post(reverse("core:login_otp"), {"token": token_for(device)})
    assert response["Location"] == reverse("core:login")


def test_organizers_must_set_up_two_factor_when_required(world, client, settings):
    settings.DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS = True
    response = sign_in(client, "subdistrict_organizer")
    assert response["Location"] == reverse("core:twofactor_setup")
    assert client.get("/org/")["Location"] == reverse("core:twofactor_setup")
    assert client.get(reverse("core:twofactor_setup")).status_code == 200
    assert client.get("/api/v1/org-units/").status_code == 403
    device = TOTPDevice.objects.get(user=world.personas["subdistrict_organizer"])
    client.post(reverse("core:twofactor_setup"), {"token": token_for(device)})
    assert client.get("/org/").status_code == 200
    # Having it, they cannot turn it off.
    response = client.post(reverse("core:twofactor_disable"), {"token": token_for(device, offset=1)})
    assert TOTPDevice.objects.filter(user=world.personas["subdistrict_organizer"]).exists()
    assert response["Location"] == reverse("core:twofactor_setup")


def test_cadres_are_not_forced_to_use_two_factor(world, client, settings):
    settings.DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS = True
    sign_in(client, "community_cadre")
    assert client.get("/org/").status_code == 200


def test_the_requirement_can_be_turned_off(world, client, settings):
    settings.DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS = False
    sign_in(client, "district_organizer")
    assert client.get("/org/").status_code == 200


def test_a_token_for_an_organizer_needs_the_second_factor(world, client, settings):
    settings.DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS = True
    data = {"username": "district_organizer", "password": PASSWORD}
    assert client.post("/api/v1/auth/token/", data).status_code == 403
    device = TOTPDevice.objects.create(user=world.personas["district_organizer"], name="x", confirmed=True)
    assert client.post("/api/v1/auth/token/", data).status_code == 400
    unthrottle(device)
    assert client.post("/api/v1/auth/token/", {**data, "otp_token": token_for(device)}).status_code == 200


def test_a_password_change_with_a_short_password_is_refused(world, login):
    client = login(world.personas["community_cadre"])
    body = client.post(
        reverse("core:password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    ).content.decode()
    assert "<strong>新密码确认</strong>" in body and "密码长度太短" in body


def test_pages_carry_a_strict_content_security_policy(world, login):
    response = login(world.personas["community_cadre"]).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "<script>" not in response.content.decode()  # every script is a file
    assert response["X-Frame-Options"] == "DENY"


def test_cookies_are_secure_outside_debug():
    assert django_settings.SESSION_COOKIE_SECURE is (not django_settings.DEBUG)
    assert django_settings.CSRF_COOKIE_SECURE is (not django_settings.DEBUG)


# --- The user of a request, read with their grants ------------------------------------------


def test_a_request_reads_its_user_and_their_grants_in_one_query(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.core import scope
    from dangjian.core.backends import GrantsBackend
    from dangjian.core.choices import Role
    from dangjian.core.tests.factories import grant

    secretary = world.personas["community_secretary"]
    second = grant(secretary, Role.BRANCH_SECRETARY, world.units["B1"])
    closed = grant(secretary, Role.BRANCH_SECRETARY, world.units["B2"])
    closed.is_active = False
    closed.save()
    with CaptureQueriesContext(connection) as queries:
        user = GrantsBackend().get_user(secretary.pk)
        grants = scope.user_grants(user)
    assert len(queries) == 1
    assert user == secretary and all(item.user is user for item in grants)
    # What scope would have read by itself: the live grants, widest role first.
    fresh = type(secretary).objects.get(pk=secretary.pk)
    assert [item.pk for item in grants] == [item.pk for item in scope.user_grants(fresh)]
    assert second.pk in [item.pk for item in grants] and closed.pk not in [item.pk for item in grants]


def test_a_user_without_grants_or_no_longer_active_is_read_as_django_reads_them(world):
    from django.contrib.auth.backends import ModelBackend

    from dangjian.core import scope
    from dangjian.core.backends import GrantsBackend

    outsider = world.personas["outsider"]
    user = GrantsBackend().get_user(outsider.pk)
    assert user == outsider == ModelBackend().get_user(outsider.pk) and scope.user_grants(user) == []
    cadre = world.personas["community_cadre"]
    type(cadre).objects.filter(pk=cadre.pk).update(is_active=False)
    assert GrantsBackend().get_user(cadre.pk) is None and ModelBackend().get_user(cadre.pk) is None
    assert GrantsBackend().get_user(10**9) is None
