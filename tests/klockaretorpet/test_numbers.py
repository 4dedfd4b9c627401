from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from klockaretorpet.numbers import decimal_text
from tests.factories import ActivityFactory, FollowUpFactory, IndicatorFactory


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("sv", Decimal("58.50"), "58,5"),
        ("en", Decimal("58.50"), "58.5"),
        ("sv", Decimal("70.00"), "70"),
        ("en", Decimal("1E+3"), "1,000"),
        ("sv", Decimal("1500.25"), "1\xa0500,25"),
        ("sv", "61.5", "61,5"),  # a snapshot's canonical string
        ("en", None, "–"),
    ],
)
def test_a_value_reads_in_the_active_language_without_trailing_zeros(language, value, shown):
    with translation.override(language):
        assert decimal_text(value) == shown


def test_a_year_follows_a_value_but_not_a_missing_one():
    with translation.override("sv"):
        assert decimal_text(Decimal("12.5"), year=2024) == "12,5 (2024)"
        assert decimal_text(None, year=2024) == "–"


def test_sheets_are_swedish_and_ungrouped_whoever_exports_them():
    with translation.override("en"):
        assert decimal_text(Decimal("1500.5"), grouping=False, language="sv") == "1500,5"
        # The active language is left as it was.
        assert translation.get_language() == "en"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown", "other"), [("en", "58.5", "58,5"), ("sv", "58,5", "58.5")]
)
def test_the_overview_the_activity_page_and_the_report_form_show_a_value_alike(
    client, django_user_model, language, shown, other
):
    admin = django_user_model.objects.create_superuser("pia", password="ett-långt-lösenord")
    activity = ActivityFactory()
    IndicatorFactory(activity=activity, baseline_value=Decimal("58.50"), target_value=90)
    follow_up = FollowUpFactory(plan=activity.plan)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    pages = {
        "overview": reverse("followup:dashboard", args=[activity.plan.declaration.slug]),
        "activity": activity.get_absolute_url(),
        "report form": reverse("followup:review-edit", args=[follow_up.pk, activity.pk]),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        assert shown in html, name
        assert other not in html, name
