"""`manage.py refresh_reminders [--user USERNAME]`: recompute reminders and mail the digests."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.models import User
from dangjian.oversight.reminders import refresh_reminders


class Command(BaseCommand):
    help = "刷新每位用户的提醒（按其每项授权的范围计算），并给有邮箱的用户发送一封新提醒汇总邮件。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", dest="username", help="只刷新该用户")
        parser.add_argument("--today", dest="today", help="按该日期计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, **options) -> None:
        user = None
        if options["username"]:
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"没有用户名为 {options['username']} 的用户。")
        today = None
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today 应为 YYYY-MM-DD。") from exc
        appeared = refresh_reminders(user=user, today=today)
        self.stdout.write(f"提醒已刷新：新出现 {appeared} 条。")
