"""The required frequencies of 三会一课 and the other meetings; the district may change them."""

from django.db import migrations

# Copied here, not imported, so that this migration keeps its meaning when the code changes.
RULES = [
    ("general_meeting", "quarterly", 1, "支部党员大会一般每季度召开一次。"),
    ("committee_meeting", "monthly", 1, "支部委员会一般每月召开一次。"),
    ("group_meeting", "monthly", 1, "党小组会一般每月召开一次。"),
    ("party_lecture", "quarterly", 1, "党员每季度至少上一次党课。"),
    ("themed_day", "monthly", 1, "每月相对固定一天开展主题党日。"),
    ("life_meeting", "yearly", 1, "组织生活会一般每年召开一次。"),
    ("member_appraisal", "yearly", 1, "民主评议党员一般每年开展一次。"),
]


def add_rules(apps, schema_editor):
    rule = apps.get_model("orglife", "MeetingRule")
    for kind, frequency, times, description in RULES:
        rule.objects.get_or_create(
            kind=kind, defaults={"frequency": frequency, "times": times, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("orglife", "0001_initial")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
