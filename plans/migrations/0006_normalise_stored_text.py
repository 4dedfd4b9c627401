"""Text stored before the plain-text fields, in their form: LF line breaks, no blanks at line ends."""

from django.db import migrations

from klockaretorpet.plain_text import normalise_stored_rows

FIELDS = {
    "ActivityPlan": ["name"],
    "Activity": ["title", "description", "schedule_note", "responsible_unit", "measurability"],
    "Indicator": ["name", "unit"],
}


def normalise(apps, schema_editor):
    for model_name, field_names in FIELDS.items():
        model = apps.get_model("plans", model_name)
        normalise_stored_rows(model.objects.all(), field_names)


class Migration(migrations.Migration):
    dependencies = [("plans", "0005_plain_text_fields")]

    # Nothing to undo: the old form of a line break is not worth restoring.
    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
