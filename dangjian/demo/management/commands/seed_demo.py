"""`manage.py seed_demo`: load the demo district and print the demo logins. Safe to run again."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from dangjian.core.models import BranchCommittee, OrgUnit
from dangjian.demo.seed import DEMO_ACCOUNTS, seed
from dangjian.members.models import Development, Member


class Command(BaseCommand):
    help = "载入演示数据（示范区：3 个街道、12 个社区），并列出演示账号。可重复运行。"

    def handle(self, *args, **options) -> None:
        seeder = seed()
        self.stdout.write(
            f"演示数据：新增 {seeder.created_units} 个组织、{seeder.created_committees} 届委员会、"
            f"{seeder.created_members} 名党员、{seeder.created_developments} 名发展对象；"
            f"现有 {OrgUnit.objects.count()} 个组织、{BranchCommittee.objects.count()} 届委员会、"
            f"{Member.objects.count()} 名党员、{Development.objects.count()} 条发展党员记录。"
        )
        password = settings.DANGJIAN_DEMO_PASSWORD
        self.stdout.write("")
        self.stdout.write("演示账号（打开 http://127.0.0.1:8000 登录）：")
        self.stdout.write(f"  {'用户名':<10}{'密码':<16}角色")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<13}{password:<18}{account.description}")
        self.stdout.write(f"  {'admin':<13}{password:<18}系统管理员（管理后台 /admin/）")
        self.stdout.write("")
