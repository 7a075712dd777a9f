"""The dues brackets as the Party's dues rules set them; the district may change them."""

from decimal import Decimal

from django.db import migrations

# Copied here, not imported, so that this migration keeps its meaning when the code changes:
# (income class, upper bound of monthly income, rate in percent, fixed monthly amount).
RULES = [
    ("in_work", "3000.00", "0.5", None),
    ("in_work", "5000.00", "1.0", None),
    ("in_work", "10000.00", "1.5", None),
    ("in_work", None, "2.0", None),
    ("retiree", "5000.00", "0.5", None),
    ("retiree", None, "1.0", None),
    ("minimal", None, None, "0.20"),
]


def add_rules(apps, schema_editor):
    rule = apps.get_model("members", "DuesRule")
    for income_class, bound, rate, fixed in RULES:
        rule.objects.get_or_create(
            income_class=income_class,
            upper_bound=Decimal(bound) if bound else None,
            defaults={
                "rate_percent": Decimal(rate) if rate else None,
                "fixed_amount": Decimal(fixed) if fixed else None,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("members", "0005_orglife_records")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
