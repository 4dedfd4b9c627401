"""Text stored before the plain-text fields, in their form: LF line breaks, no blanks at line ends.

Only open rounds: a closed round and its plan version stay exactly as they were closed.
"""

from django.db import migrations

from klockaretorpet.plain_text import normalise_stored_rows


def normalise(apps, schema_editor):
    follow_up = apps.get_model("followup", "FollowUp")
    review = apps.get_model("followup", "ActivityReview")
    normalise_stored_rows(follow_up.objects.filter(state="open"), ["summary"])
    normalise_stored_rows(
        review.objects.filter(follow_up__state="open"), ["done", "deviations", "next_step"]
    )


class Migration(migrations.Migration):
    dependencies = [("followup", "0003_plain_text_fields")]

    # Nothing to undo: the old form of a line break is not worth restoring.
    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
