"""Every migration of the project's apps can be undone: a release can be rolled back with
`manage.py migrate <app> <migration>` without restoring a backup."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from plans.models import Activity
from tests.factories import ActivityFactory, IndicatorFactory

# In the order they are unapplied: each depends on the ones after it.
PROJECT_APPS = ["followup", "plans", "strategies"]
ROLES = {"Planadministratör", "Redaktör", "Läsare"}

# (app, migration name) → why it cannot be undone. Keep it empty: an irreversible migration
# makes rolling back a release a restore from backup.
IRREVERSIBLE: dict[tuple[str, str], str] = {}


def project_tables() -> set[str]:
    """Every table of the project's models, their many-to-many and history tables included."""
    return {
        model._meta.db_table
        for app_label in PROJECT_APPS
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True)
    }


def test_every_operation_of_the_project_migrations_is_reversible():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    migrations = {
        key: migration
        for key, migration in loader.disk_migrations.items()
        if key[0] in PROJECT_APPS
    }
    assert {app for app, _ in migrations} == set(PROJECT_APPS)

    irreversible = [
        f"{app}.{name}: {operation.describe()}"
        for (app, name), migration in sorted(migrations.items())
        for operation in migration.operations
        if not operation.reversible and (app, name) not in IRREVERSIBLE
    ]

    assert irreversible == [], "give each a reverse, or list it in IRREVERSIBLE with the reason"
    assert set(IRREVERSIBLE) <= set(migrations), "IRREVERSIBLE names a migration that is gone"


@pytest.mark.django_db(transaction=True)
def test_project_apps_migrate_to_zero_and_back():
    tables = project_tables()
    assert tables <= set(connection.introspection.table_names())
    try:
        for app_label in PROJECT_APPS:
            call_command("migrate", app_label, "zero", verbosity=0)

        assert tables.isdisjoint(connection.introspection.table_names())
        # The roles are the data migrations' work; undoing them removes them.
        assert not Group.objects.filter(name__in=ROLES).exists()
    finally:
        # Fully migrated again whatever failed above: the tests after this one need the tables.
        call_command("migrate", verbosity=0)

    assert tables <= set(connection.introspection.table_names())
    roles = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    assert set(roles) == ROLES
    editor = set(roles["Redaktör"].permissions.values_list("codename", flat=True))
    assert {"change_activity", "view_goal", "add_activityreview"} <= editor
    activity = ActivityFactory(title="Läxhjälp på biblioteket")
    IndicatorFactory(activity=activity, name="Deltagare")
    stored = Activity.objects.get(pk=activity.pk)
    assert stored.title == "Läxhjälp på biblioteket"
    assert stored.reference_code == activity.reference_code
    assert [indicator.name for indicator in stored.indicators.all()] == ["Deltagare"]
    assert stored.history.count() == 1
