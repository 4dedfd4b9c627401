"""The three roles as groups with their model permissions.

The permission policy (klockaretorpet/permissions.py) decides per object; these model
permissions only open the admin's doors (which apps and lists a role sees at all).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PLAN_ADMIN, EDITOR, READER = "Planadministratör", "Redaktör", "Läsare"
PLAN_APPS = ["strategies", "plans"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    plan_permissions = Permission.objects.filter(content_type__app_label__in=PLAN_APPS)
    view = plan_permissions.filter(codename__startswith="view_")

    Group.objects.get_or_create(name=PLAN_ADMIN)[0].permissions.set(plan_permissions)
    Group.objects.get_or_create(name=EDITOR)[0].permissions.set(
        [
            *view,
            *plan_permissions.filter(
                codename__in=[
                    "change_activity",
                    "add_indicator",
                    "change_indicator",
                    "delete_indicator",
                ]
            ),
        ]
    )
    Group.objects.get_or_create(name=READER)[0].permissions.set(view)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[PLAN_ADMIN, EDITOR, READER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("strategies", "0002_versions_and_membership"),
        ("plans", "0002_activity_version"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
