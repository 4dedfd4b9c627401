"""Text stored before the plain-text fields, in their form: LF line breaks, no blanks at line ends."""

from django.db import migrations

from klockaretorpet.plain_text import normalise_stored_rows

FIELDS = {
    "District": ["name", "description"],
    "Organisation": ["name", "short_name"],
    "IntentDeclaration": [
        "title",
        "introduction",
        "programme_goals_introduction",
        "background",
        "vision",
        "goals_introduction",
        "implementation",
        "success_factors_introduction",
    ],
    "Goal": ["title", "description"],
    "Strategy": ["title", "description"],
    "SuccessFactor": ["title", "description"],
    "ProgrammeGoal": ["title", "description"],
}


def normalise(apps, schema_editor):
    for model_name, field_names in FIELDS.items():
        model = apps.get_model("strategies", model_name)
        normalise_stored_rows(model.objects.all(), field_names)


class Migration(migrations.Migration):
    dependencies = [("strategies", "0003_plain_text_fields")]

    # Nothing to undo: the old form of a line break is not worth restoring.
    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
