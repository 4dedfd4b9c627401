"""The roles' model permissions for the follow-up (see plans/migrations/0003_roles.py): they
open the admin's doors; the permission policy decides per object."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PLAN_ADMIN, EDITOR, READER = "Planadministratör", "Redaktör", "Läsare"


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    followup = Permission.objects.filter(content_type__app_label="followup")
    view = followup.filter(codename__startswith="view_")
    reporting = followup.filter(
        codename__in=[
            "add_activityreview",
            "change_activityreview",
            "add_indicatorvalue",
            "change_indicatorvalue",
        ]
    )
    Group.objects.get_or_create(name=PLAN_ADMIN)[0].permissions.add(*followup)
    Group.objects.get_or_create(name=EDITOR)[0].permissions.add(*view, *reporting)
    Group.objects.get_or_create(name=READER)[0].permissions.add(*view)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    followup = Permission.objects.filter(content_type__app_label="followup")
    for group in Group.objects.filter(name__in=[PLAN_ADMIN, EDITOR, READER]):
        group.permissions.remove(*followup)


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0001_initial"),
        ("plans", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
