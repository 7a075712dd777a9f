"""The development pipeline's rules as the Party's rules set them; the district may change them."""

from django.db import migrations

# Copied here, not imported, so that this migration keeps its meaning when the code changes.
RULES = [
    ("applicant_min_age", "申请入党最低年龄", 18, "years", "年满十八周岁方可申请入党（按申请入党日期计算）。"),
    ("activist_min_months", "积极分子最短培养期", 12, "months", "入党积极分子经过一年以上培养教育，方可列为发展对象。"),
    ("probation_months", "预备期", 12, "months", "预备党员的预备期为一年，自支部大会通过之日算起。"),
    ("extension_min_months", "延长预备期最短", 6, "months", "需要继续考察的，可以延长预备期，最短半年。"),
    ("extension_max_months", "延长预备期最长", 12, "months", "延长预备期最长不超过一年。"),
    ("max_extensions", "预备期最多延长次数", 1, "times", "预备期只能延长一次。"),
]


def add_rules(apps, schema_editor):
    rule = apps.get_model("members", "DevelopmentRule")
    for key, label, value, unit, description in RULES:
        rule.objects.get_or_create(
            key=key, defaults={"label": label, "value": value, "unit": unit, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("members", "0003_development")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
