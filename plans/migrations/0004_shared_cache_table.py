"""The shared cache's table (settings.CACHES), made by `migrate` like every other table.

Every committed write to plan data starts a new generation in that cache (plans.tree_cache), so a
database without the table could not save anything: it must never depend on a separate
`createcachetable` step being remembered on deployment.
"""

from django.conf import settings
from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_tables(apps, schema_editor):
    for cache in settings.CACHES.values():
        if cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
            table = schema_editor.connection.ops.quote_name(cache["LOCATION"])
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [("plans", "0003_roles")]

    operations = [migrations.RunPython(create_cache_tables, drop_cache_tables)]
