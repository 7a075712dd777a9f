"""The article's member categories, present from the start; organizers may add more."""

from django.db import migrations

BUILTIN = [
    ("enterprise_retiree", "企业离退休"),
    ("labour_relation_ended", "解除劳动关系"),
    ("laid_off", "下岗失业"),
    ("self_employed_mobile", "自主择业流动"),
    ("in_service", "在职党员"),
    ("in_hardship", "困难党员"),
    ("elderly_ill", "年老体弱"),
]


def add_categories(apps, schema_editor):
    category = apps.get_model("members", "MemberCategory")
    for order, (code, name) in enumerate(BUILTIN, start=1):
        category.objects.get_or_create(code=code, defaults={"name": name, "is_builtin": True, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
