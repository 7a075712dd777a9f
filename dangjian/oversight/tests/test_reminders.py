"""Reminders: each kind appears in the grant's scope and resolves when its condition goes, one
digest mail per appearance, the header bell costs one query, and no one sees another's."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.models import User
from dangjian.members.models import CareRecord, ContactLog, DuesMonth, Transfer, add_months
from dangjian.members.tests.factories import make_development
from dangjian.orglife.models import Meeting
from dangjian.oversight.choices import CaseStatus, ReminderKind
from dangjian.oversight.context_processors import reminders as bell_context
from dangjian.oversight.models import Case, Reminder
from dangjian.oversight.reminders import refresh_reminders

from . import factories as f

pytestmark = pytest.mark.django_db


def current(user: User, kind: str | None = None):
    rows = Reminder.objects.filter(user=user, resolved_at__isnull=True)
    return rows.filter(kind=kind) if kind else rows


def refresh(world, persona: str = "community_secretary") -> User:
    user = world.personas[persona]
    refresh_reminders(user=user)
    return user


def test_a_letter_about_to_expire_is_reminded_and_resolves_when_reported(world):
    person = f.member(world.units["B1"], "朱将到期")
    letter = f.letter(person, f.today() + datetime.timedelta(days=3), number="2026-0021")
    far = f.letter(f.member(world.units["B1"], "朱还早"), f.today() + datetime.timedelta(days=20), number="2026-0022")
    user = refresh(world)
    row = current(user, ReminderKind.LETTER_EXPIRING).get()
    assert row.key == f"transfer:{letter.pk}" and row.org_unit == world.units["C1"]
    assert "朱将到期" in row.title and "3 天后到期" in row.title and row.due_on == letter.expires_on
    assert row.url == reverse("members:transfer_detail", args=[letter.pk])
    assert not current(user).filter(key=f"transfer:{far.pk}").exists()
    Transfer.objects.filter(pk=letter.pk).update(status="reported")
    refresh(world)
    row.refresh_from_db()
    assert row.resolved_at is not None


def test_open_cases_are_counted_by_kind_and_resolve_when_closed(world):
    case = Case.objects.create(
        kind="six_month_no_dues",
        member=world.members["B1"],
        branch=world.units["B1"],
        evidence={"months": []},
        summary="欠费",
    )
    user = refresh(world)
    row = current(user, ReminderKind.OPEN_CASES).get()
    assert row.key == "cases:six_month_no_dues" and "1 件待处理" in row.title
    assert row.url == reverse("oversight:case_list") + "?kind=six_month_no_dues&status=open"
    # Not the other community's secretary's business.
    assert (
        not current(refresh(world, "branch_secretary"), ReminderKind.OPEN_CASES).filter(title__contains="松涛").exists()
    )
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    refresh(world)
    row.refresh_from_db()
    assert row.resolved_at is not None


def test_arrears_are_one_reminder_with_the_count(world):
    last_month = add_months(f.today().replace(day=1), -1)
    rows = []
    for index, name in enumerate(["欠一", "欠三甲", "欠三乙"]):
        person = f.member(world.units["B1"], name)
        months = 1 if index == 0 else 3
        rows += [
            DuesMonth(
                member=person,
                district_id=person.district_id,
                month=add_months(last_month, -k),
                amount_due=Decimal("10"),
            )
            for k in range(months)
        ]
    this_month = f.member(world.units["B1"], "本月未交")
    rows.append(
        DuesMonth(
            member=this_month,
            district_id=this_month.district_id,
            month=f.today().replace(day=1),
            amount_due=Decimal("10"),
        )
    )
    DuesMonth.objects.bulk_create(rows)
    user = refresh(world)
    row = current(user, ReminderKind.ARREARS).get()
    assert row.title == "3 名党员有欠交党费，其中 2 名欠交 3 个月以上"
    DuesMonth.objects.filter(month__lt=f.today().replace(day=1)).update(status="paid")
    refresh(world)
    row.refresh_from_db()
    assert row.resolved_at is not None


def test_pipeline_stages_due_are_reminded(world):
    make_development(world.units["B1"], "预备甲", stage="probationary", admitted_on=add_months(f.today(), -13))
    user = refresh(world)
    row = current(user, ReminderKind.PIPELINE_DUE).get(key="pipeline:overdue")
    assert "1 名预备党员预备期已满" in row.title and row.url == reverse("members:development_list")


def test_committee_terms_ending_are_one_reminder(world):
    user = refresh(world)
    row = current(user, ReminderKind.TERM_ENDING).get()
    # 翠湖社区, its general branch and its two branches: all end within 30 days.
    assert row.title.startswith("4 个组织的委员会任期将在 90 天内届满") and row.url == reverse("core:committees_ending")


def test_mobile_members_not_reached_in_90_days_are_reminded_until_reached(world):
    person = f.member(world.units["B1"], "何流动")
    mobile = f.outflow(person, since=f.today() - datetime.timedelta(days=100))
    f.outflow(f.member(world.units["B1"], "何刚走"), since=f.today() - datetime.timedelta(days=30))
    user = refresh(world)
    row = current(user, ReminderKind.MOBILE_CONTACT).get()
    assert row.title.startswith("1 名流动党员")
    ContactLog.objects.create(mobile=mobile, contacted_on=f.today(), channel="phone", result="reached")
    refresh(world)
    row.refresh_from_db()
    assert row.resolved_at is not None


def test_care_visits_due_are_read_from_each_members_latest_record(world):
    due = f.member(world.units["B1"], "郑帮扶")
    done = f.member(world.units["B1"], "郑已访")
    common = {"hardship": "illness", "form": "visit", "carers": "书记", "situation": "住院"}
    CareRecord.objects.create(
        member=due,
        cared_on=f.today() - datetime.timedelta(days=60),
        next_visit_on=f.today() + datetime.timedelta(days=3),
        **common,
    )
    CareRecord.objects.create(
        member=done,
        cared_on=f.today() - datetime.timedelta(days=60),
        next_visit_on=f.today() - datetime.timedelta(days=1),
        **common,
    )
    CareRecord.objects.create(
        member=done, cared_on=f.today(), next_visit_on=f.today() + datetime.timedelta(days=60), **common
    )
    user = refresh(world)
    row = current(user, ReminderKind.CARE_VISIT).get()
    assert row.title == "1 名党员的帮扶回访将在 7 天内到期" and row.due_on == f.today() + datetime.timedelta(days=3)


def test_meetings_owed_are_per_meeting_for_one_branch_and_counted_for_many(world):
    branch_secretary = refresh(world, "branch_secretary")  # GB1 holds one branch, B1
    owed = current(branch_secretary, ReminderKind.MEETINGS_OWED)
    themed = owed.get(key__contains=":themed_day:")
    assert themed.key.startswith(f"meetings:{world.units['B1'].pk}:") and "翠湖第一支部" in themed.title
    assert themed.url == reverse("orglife:compliance")
    secretary = refresh(world)  # 翠湖社区 holds two branches
    assert (
        current(secretary, ReminderKind.MEETINGS_OWED)
        .get(key__startswith="meetings:themed_day:")
        .title.endswith("2 个党支部的主题党日尚未开足")
    )
    # The branch holds its themed day: that reminder resolves.
    Meeting.objects.create(
        branch=world.units["B1"],
        kind="themed_day",
        status="held",
        title="主题党日",
        place="活动室",
        held_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    refresh(world, "branch_secretary")
    themed.refresh_from_db()
    assert themed.resolved_at is not None


def test_members_and_residents_get_no_reminders(world):
    Case.objects.create(
        kind="six_month_no_life", member=world.members["B1"], branch=world.units["B1"], evidence={"m": 1}, summary="x"
    )
    for persona in ("member", "resident", "outsider"):
        assert refresh_reminders(user=world.personas[persona]) == 0
        assert not Reminder.objects.filter(user=world.personas[persona]).exists()


def test_a_reminder_that_comes_back_is_new_again_and_the_refresh_is_idempotent(world):
    case = Case.objects.create(
        kind="six_month_no_life", member=world.members["B1"], branch=world.units["B1"], evidence={"m": 1}, summary="x"
    )
    user = world.personas["community_secretary"]
    assert refresh_reminders(user=user) > 0
    assert refresh_reminders(user=user) == 0
    row = current(user, ReminderKind.OPEN_CASES).get()
    row.read_at = timezone.now()
    row.save()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    refresh_reminders(user=user)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.OPEN)
    assert refresh_reminders(user=user) == 1
    row.refresh_from_db()
    assert row.resolved_at is None and row.read_at is None


def test_a_user_with_two_grants_gets_each_grants_reminders(world):
    from dangjian.core.tests.factories import grant

    user = world.personas["branch_secretary"]
    grant(user, "branch_secretary", world.units["B1b"])
    refresh_reminders(user=user)
    units = set(current(user).values_list("org_unit__name", flat=True))
    assert units == {"翠湖社区党总支", "翠湖第二支部"}


def test_each_grant_sees_and_counts_only_its_own_units_reminders_without_a_join(world):
    from dangjian.core.tests.factories import grant
    from dangjian.oversight.selectors import reminders, unread_count

    user = world.personas["branch_secretary"]
    grant(user, "branch_secretary", world.units["B1b"])
    refresh_reminders(user=user)
    for chosen in scope.user_grants(User.objects.get(pk=user.pk)):
        acting = User.objects.get(pk=user.pk)
        scope.set_active_grant(acting, chosen.pk)
        expected = current(user).filter(org_unit=chosen.org_unit)
        assert set(reminders(user=acting)) == set(expected) and expected.exists()
        assert unread_count(user=acting) == expected.filter(read_at__isnull=True).count()
        assert "JOIN" not in str(reminders(user=acting).query)


# --- The digest mail ---------------------------------------------------------------------------


def test_one_digest_mail_lists_what_appeared_and_is_not_repeated(world):
    user = world.personas["community_secretary"]
    user.email = "shuji@example.cn"
    user.save(update_fields=["email"])
    refresh_reminders(user=user)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["shuji@example.cn"] and "条新提醒" in message.subject
    assert "【翠湖社区】" in message.body and "委员会任期" in message.body
    assert not current(user).filter(emailed_at__isnull=True).exists()
    refresh_reminders(user=user)
    assert len(mail.outbox) == 1  # nothing new: no mail
    f.letter(f.member(world.units["B1"], "朱新信"), f.today() + datetime.timedelta(days=2), number="2026-0031")
    refresh_reminders(user=user)
    assert len(mail.outbox) == 2
    assert "朱新信" in mail.outbox[1].body and "委员会任期" not in mail.outbox[1].body


def test_users_without_an_email_address_get_no_mail(world):
    refresh(world)
    assert mail.outbox == []


def test_refreshing_everyone_covers_each_user_with_a_grant(world):
    refresh_reminders()
    assert set(Reminder.objects.values_list("user__username", flat=True)) == {
        "district_organizer",
        "subdistrict_organizer",
        "community_secretary",
        "community_cadre",
        "branch_secretary",
    }


def test_the_command_refreshes_one_user(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("refresh_reminders", "--user", "community_cadre", stdout=out)
    assert "提醒已刷新" in out.getvalue()
    assert set(Reminder.objects.values_list("user__username", flat=True)) == {"community_cadre"}


# --- The header bell ---------------------------------------------------------------------------


def test_the_header_count_is_one_query_and_none_for_anonymous_users(world):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as queries:
        assert bell_context(request) == {}
    assert len(queries) == 0
    user = refresh(world)
    Reminder.objects.filter(user=user).update(read_at=None)
    request.user = User.objects.get(pk=user.pk)
    scope.active_grant(request.user)  # the middleware has chosen the grant before any page
    expected = current(user).count()
    with CaptureQueriesContext(connection) as queries:
        bell = bell_context(request)["reminder_bell"]
        counted = (bell.unread, bell.unread)
    assert counted == (expected, expected) and expected > 0
    assert len(queries) == 1


def test_the_header_shows_the_unread_count_in_one_query(world, login):
    user = refresh(world)
    client = login(user)
    client.get(reverse("oversight:reminder_list"))
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("oversight:case_list")).content.decode()
    unread = current(user).filter(read_at__isnull=True).count()
    assert f'id="reminder-count">{unread}<' in body
    assert sum("oversight_reminder" in query["sql"] for query in queries.captured_queries) == 1


def test_members_see_no_bell(world, login):
    client = login(world.personas["member"])
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/").content.decode()
    assert "reminder-bell" not in body
    assert not any("oversight_reminder" in query["sql"] for query in queries.captured_queries)
