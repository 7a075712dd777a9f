"""`manage.py open_dues_months [--through YYYY-MM] [--unit CODE]`: open the dues ledger's months."""

from __future__ import annotations

import calendar
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.core.models import OrgUnit
from dangjian.members.dues_forms import parse_month
from dangjian.members.services.dues import dues_open_months, month_label


class Command(BaseCommand):
    help = (
        "开立党费月账：为已核定当年基数的在册党员，开立当年 1 月（或入党、登记当月）至指定月份尚未开立的月份。"
        "可重复运行，已开立的月份不变。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--through", help="开立到哪个月，如 2026-09（默认本月）")
        parser.add_argument("--unit", help="只开立该组织（编码）及其下级的党员；默认全部")

    def handle(self, *args, **options) -> None:
        through = timezone.localdate()
        if options["through"]:
            month = parse_month(options["through"])
            if month is None:
                raise CommandError("--through 应为“年-月”，如 2026-09。")
            through = datetime.date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
        units = None
        if options["unit"]:
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"没有编码为 {options['unit']} 的组织。")
            units = [unit]
        opened = dues_open_months(through=through, units=units)
        self.stdout.write(f"已开立 {opened} 个党员月份的党费账目（{through.year}年1月至{month_label(through)}）。")
