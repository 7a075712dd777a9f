"""`manage.py scan_blind_spots [--as-of YYYY-MM] [--unit CODE]`: the monthly blind-spot scan."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.models import OrgUnit
from dangjian.oversight.choices import CaseKind
from dangjian.oversight.forms import parse_month
from dangjian.oversight.scan import scan_blind_spots


class Command(BaseCommand):
    help = "盲点扫描：找出连续六个月未参加组织生活、未交党费、未做党组织分配工作的党员，以及口袋党员和失联党员。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="截止月份，如 2026-05（默认上个月）")
        parser.add_argument("--unit", dest="unit", help="只扫描该组织（编码）及其下级；默认扫描每个区")

    def handle(self, *args, **options) -> None:
        as_of = None
        if options["as_of"]:
            as_of = parse_month(options["as_of"])
            if as_of is None:
                raise CommandError("--as-of 应为“年-月”，如 2026-05。")
        unit = None
        if options["unit"]:
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"没有编码为 {options['unit']} 的组织。")
            if not unit.is_active:
                raise CommandError(f"{unit.name}已撤销或合并，不能扫描。")
        labels = dict(CaseKind.choices)
        for run in scan_blind_spots(unit=unit, as_of=as_of):
            opened = "，".join(f"{labels[kind]} {count}" for kind, count in run.opened.items() if count) or "无"
            seconds = (run.finished_at - run.started_at).total_seconds()
            self.stdout.write(
                f"{run.org_unit.name}（截至{run.as_of.year}年{run.as_of.month}月）：扫描 {run.members_scanned} 名党员，"
                f"新发现 {run.opened_total} 件（{opened}），用时 {seconds:.1f} 秒。"
            )
