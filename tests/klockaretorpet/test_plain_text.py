"""Free text is stored in one form, whatever wrote it, and control characters never get in
(`klockaretorpet.plain_text`): through the editing form (the admin), the follow-up's report
form, the model and both imports."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from followup.forms import ReviewForm
from followup.models import ActivityReview, FollowUp
from klockaretorpet.plain_text import (
    PlainCharField,
    PlainTextField,
    normalise_text,
    report_texts_over_limits,
)
from plans.models import Activity
from tests.factories import ActivityFactory
from tests.plans.test_admin import activity_form_data

pytestmark = pytest.mark.django_db

CONTROL_MESSAGE = "Texten innehåller osynliga styrtecken (U+0001)"
# Fields that hold codes or choices, never text somebody writes.
NOT_FREE_TEXT = {"reference_code", "code_prefix", "prefix", "kolada_kpi", "slug", "username"}


def test_normalised_text_has_lf_line_breaks_and_no_blanks_at_line_ends():
    assert normalise_text("  Första  \r\nandra\rtredje \n\n") == "Första\nandra\ntredje"


def test_every_free_text_field_of_the_plan_apps_is_a_plain_text_field():
    # A new text field that forgot the rule would let CRLF and control characters in again.
    for app_label in ("strategies", "plans", "followup"):
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.label.split(".")[1].startswith("Historical"):
                continue
            for field in model._meta.get_fields():
                if (
                    isinstance(field, models.CharField | models.TextField)
                    and field.editable
                    and not field.choices
                    and field.name not in NOT_FREE_TEXT
                    and not isinstance(field, models.SlugField)
                ):
                    assert isinstance(field, PlainCharField | PlainTextField), (
                        f"{model._meta.label}.{field.name}"
                    )


def test_saving_stores_the_normalised_text_whatever_path_saves():
    activity = ActivityFactory(description="Rad ett  \r\nrad två \r\n", title=" Rubrik ")
    activity.refresh_from_db()
    assert (activity.title, activity.description) == ("Rubrik", "Rad ett\nrad två")


def test_the_model_refuses_control_characters_naming_them():
    activity = ActivityFactory()
    activity.measurability = 'Antal\x01=HYPERLINK("http://example.com")'
    with pytest.raises(ValidationError) as refused:
        activity.full_clean()
    assert list(refused.value.message_dict) == ["measurability"]


def test_the_editing_form_stores_a_textarea_s_crlf_as_lf(admin_client):
    activity = ActivityFactory(description="Gammal")
    url = reverse("admin:plans_activity_change", args=[activity.pk])
    data = activity_form_data(activity, description="Första raden  \r\nandra raden\r\n")

    assert admin_client.post(url, data).status_code == 302
    assert Activity.objects.get(pk=activity.pk).description == "Första raden\nandra raden"


def test_the_editing_form_refuses_a_formula_behind_a_control_character_in_the_title(
    admin_client,
):
    activity = ActivityFactory(title="Rubrik")
    url = reverse("admin:plans_activity_change", args=[activity.pk])
    data = activity_form_data(activity, title='\x01=HYPERLINK("http://example.com")')

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert CONTROL_MESSAGE in " ".join(response.context["adminform"].form.errors["title"])
    assert Activity.objects.get(pk=activity.pk).title == "Rubrik"


def test_the_admin_refuses_control_characters_at_the_field(admin_client):
    activity = ActivityFactory(description="Beskrivning")
    url = reverse("admin:plans_activity_change", args=[activity.pk])
    data = activity_form_data(activity, description="Text\x01 inklistrad")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert CONTROL_MESSAGE in " ".join(response.context["adminform"].form.errors["description"])
    assert Activity.objects.get(pk=activity.pk).description == "Beskrivning"


def test_a_report_with_control_characters_is_refused_at_its_field():
    activity = ActivityFactory()
    follow_up = FollowUp.objects.create(plan=activity.plan, year=2024, deadline="2025-01-31")
    form = ReviewForm(
        data={
            "assessment": "on_track",
            "done": "Gjort\x01 enligt plan",
            "new_status": "ongoing",
            "version": "0",
        },
        instance=ActivityReview(follow_up=follow_up, activity=activity),
        indicators=[],
        values={},
    )

    assert not form.is_valid()
    assert list(form.errors) == ["done"]
    assert CONTROL_MESSAGE in form.errors["done"][0]


# --- length limits (issue 13): a report with megabytes of text would take minutes to render ------

LIMIT_MESSAGE = "”{field}” får vara högst {limit} tecken lång; texten har {length} tecken."


def limit_message(field: str, limit: int) -> str:
    as_shown = {1500: "1\xa0500", 1501: "1\xa0501", 500: "500", 501: "501"}
    return LIMIT_MESSAGE.format(field=field, limit=as_shown[limit], length=as_shown[limit + 1])


def test_every_free_text_field_has_a_length_limit():
    for app_label in ("strategies", "plans", "followup"):
        for model in apps.get_app_config(app_label).get_models():
            for field in model._meta.get_fields():
                if isinstance(field, PlainCharField | PlainTextField):
                    assert field.max_length, f"{model._meta.label}.{field.name}"


def test_the_model_refuses_text_over_the_limit_naming_field_and_limit():
    activity = ActivityFactory()
    activity.description = "x" * 1501
    with pytest.raises(ValidationError) as refused:
        activity.full_clean()
    assert refused.value.message_dict == {"description": [limit_message("Beskrivning", 1500)]}


def test_a_line_break_counts_as_one_character_as_in_the_browser():
    activity = ActivityFactory()
    # 750 lines of one letter: 1,499 characters with LF line breaks, 2,248 with CRLF.
    activity.description = "\r\n".join(["x"] * 750)
    activity.full_clean()


def test_the_editing_form_says_the_description_limit_and_keeps_the_stored_text(admin_client):
    activity = ActivityFactory(description="Kort")
    url = reverse("admin:plans_activity_change", args=[activity.pk])

    response = admin_client.post(url, activity_form_data(activity, description="y" * 1501))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["description"]
    assert errors == [limit_message("Beskrivning", 1500)]
    assert 'maxlength="1500"' in response.content.decode()
    assert Activity.objects.get(pk=activity.pk).description == "Kort"


def test_the_admin_says_the_limit_and_keeps_the_stored_text(admin_client):
    activity = ActivityFactory(measurability="Antal")
    url = reverse("admin:plans_activity_change", args=[activity.pk])

    response = admin_client.post(url, activity_form_data(activity, measurability="z" * 501))

    errors = response.context["adminform"].form.errors["measurability"]
    assert errors == [limit_message("Mätbarhet", 500)]
    assert Activity.objects.get(pk=activity.pk).measurability == "Antal"


def test_a_report_over_the_limit_is_refused_at_its_field():
    activity = ActivityFactory()
    follow_up = FollowUp.objects.create(plan=activity.plan, year=2024, deadline="2025-01-31")
    form = ReviewForm(
        data={
            "assessment": "on_track",
            "done": "d" * 1501,
            "new_status": "ongoing",
            "version": "0",
        },
        instance=ActivityReview(follow_up=follow_up, activity=activity),
        indicators=[],
        values={},
    )

    assert not form.is_valid()
    assert form.errors["done"] == [limit_message("Vad som har gjorts", 1500)]


def test_texts_stored_before_the_limits_are_reported_by_the_migration_not_cut(capsys):
    activity = ActivityFactory()
    Activity.objects.filter(pk=activity.pk).update(description="å" * 2000)

    report_texts_over_limits("plans")(apps, None)

    printed = capsys.readouterr().out
    assert f"Aktivitet {activity.pk}: ”Beskrivning” har 2\xa0000 tecken; gränsen är 1\xa0500." in (
        printed
    )
    assert Activity.objects.get(pk=activity.pk).description == "å" * 2000
