"""Copying a declaration as a template for another district (issue 6, item 6)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from followup.models import ActivityReview, Assessment, FollowUp, PlanVersion
from followup.rounds import write_revision
from klockaretorpet.change_history import change_entries, history_queryset
from plans.copying import copy_declaration, slug_taken_message
from plans.models import Activity, ActivityPlan, ActivityStatus, Indicator, PlanStatus
from strategies.models import (
    District,
    Goal,
    IntentDeclaration,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)
from tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db

COPIED_MODELS = [IntentDeclaration, Goal, Strategy, ActivityPlan, Activity, Indicator, District]


@pytest.fixture
def plan_admin(django_user_model):
    user = django_user_model.objects.create_user(
        "planadmin", password="lösenord-för-test", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Planadministratör"))
    return user


@pytest.fixture
def role_editor(django_user_model):
    user = django_user_model.objects.create_user(
        "redaktor.kommun", password="lösenord-för-test", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Redaktör"))
    return user


@pytest.fixture
def source(declaration, plan_admin):
    """Klockaretorpet with a lived life: a published page, an ongoing activity with every
    kind of relation, a follow-up round with a report, a plan version and edit history."""
    IntentDeclaration.objects.filter(pk=declaration.pk).update(is_published=True)
    declaration.refresh_from_db()
    plan = declaration.activity_plans.get()
    activity = plan.activities.get(title="Trygghetsvandringar")
    activity.status = ActivityStatus.ONGOING
    activity.schedule_note = "Varje vår och höst"
    activity._history_user = plan_admin
    activity.save()
    activity.co_organisations.set([Organisation.objects.get(name="Hyresbostäder i Norrköping")])
    activity.success_factors.set(SuccessFactor.objects.all()[:2])
    activity.programme_goals.set(ProgrammeGoal.objects.all()[:1])
    goal = declaration.goals.get(position=1)
    goal.title = f"{goal.title} (reviderad)"
    goal.save()
    follow_up = FollowUp.objects.create(plan=plan, year=2024, deadline=datetime.date(2025, 1, 31))
    ActivityReview.objects.create(
        follow_up=follow_up,
        activity=activity,
        assessment=Assessment.ON_TRACK,
        done="Två vandringar.",
        new_status=ActivityStatus.ONGOING,
    )
    write_revision(plan, user=plan_admin)
    return declaration


@pytest.fixture
def hageby(db):
    return DistrictFactory(name="Hageby", slug="hageby")


def copy(source, district, user, **options):
    options.setdefault("with_activities", False)
    return copy_declaration(
        source,
        district=district,
        slug="hageby",
        title="Avsiktsförklaring Hageby",
        user=user,
        **options,
    )


def counts() -> dict[str, int]:
    models = [*COPIED_MODELS, FollowUp, ActivityReview, PlanVersion]
    totals = {model.__name__: model.objects.count() for model in models}
    totals |= {f"history of {model.__name__}": model.history.count() for model in COPIED_MODELS}
    return totals


def tree(declaration) -> list[tuple]:
    return [
        (
            (goal.position, goal.title, goal.description),
            (strategy.position, strategy.title, strategy.description),
        )
        for goal in declaration.goals.order_by("position")
        for strategy in goal.strategies.order_by("position")
    ]


# --- the function ---------------------------------------------------------------------------


def test_copy_has_the_goals_and_strategies_with_the_same_numbers_and_texts(
    source, hageby, plan_admin
):
    result = copy(source, hageby, plan_admin)

    assert tree(result) == tree(source)
    assert len(tree(result)) == 8
    assert result.goals.count() == 3


def test_copy_is_an_unpublished_declaration_of_the_chosen_district(source, hageby, plan_admin):
    result = copy(source, hageby, plan_admin)

    assert (result.slug, result.title, result.district) == (
        "hageby",
        "Avsiktsförklaring Hageby",
        hageby,
    )
    assert result.is_published is False
    assert result.adopted_on is None
    assert result.vision == source.vision
    assert result.background == source.background
    assert set(result.partners.all()) == set(source.partners.all())
    assert result.version == 1


def test_activities_are_copied_only_when_asked(source, hageby, plan_admin):
    result = copy(source, hageby, plan_admin)

    assert not result.activity_plans.exists()
    assert not Activity.objects.filter(plan__declaration=result).exists()


def test_copied_activities_keep_codes_indicators_and_relations_and_start_planned(
    source, hageby, plan_admin
):
    result = copy(source, hageby, plan_admin, with_activities=True)

    source_plan, plan = source.activity_plans.get(), result.activity_plans.get()
    assert plan.status == PlanStatus.DRAFT
    assert plan.name == "Aktivitetsplan Hageby"
    assert (plan.start_year, plan.end_year) == (source_plan.start_year, source_plan.end_year)
    originals = {a.reference_code: a for a in source_plan.activities.all()}
    copies = {a.reference_code: a for a in plan.activities.all()}
    assert set(copies) == set(originals)
    assert len(copies) == 5
    for code, activity in copies.items():
        original = originals[code]
        assert activity.status == ActivityStatus.PLANNED
        assert activity.title == original.title
        assert activity.strategy.number == original.strategy.number
        assert activity.strategy.goal.declaration == result
        assert activity.lead_organisation == original.lead_organisation
        assert (activity.code_prefix, activity.code_serial) == (
            original.code_prefix,
            original.code_serial,
        )
        for relation in ("co_organisations", "success_factors", "programme_goals"):
            assert set(getattr(activity, relation).all()) == set(
                getattr(original, relation).all()
            ), relation
    walk = copies[originals_code(originals, "Trygghetsvandringar")]
    assert walk.co_organisations.count() == 1
    assert walk.success_factors.count() == 2
    assert walk.programme_goals.count() == 1
    (indicator,) = walk.indicators.all()
    assert (indicator.name, indicator.unit, indicator.higher_is_better) == (
        "Trygga boende",
        "%",
        True,
    )


def originals_code(originals, title) -> str:
    return next(code for code, activity in originals.items() if activity.title == title)


def test_schedule_dates_are_cleared_unless_kept_and_the_note_always_kept(
    source, hageby, plan_admin
):
    cleared = copy(source, hageby, plan_admin, with_activities=True)
    walk = Activity.objects.get(plan__declaration=cleared, title="Trygghetsvandringar")
    assert (walk.planned_start, walk.planned_end) == (None, None)
    assert walk.schedule_note == "Varje vår och höst"

    kept = copy_declaration(
        source,
        district=hageby,
        slug="hageby-2",
        title="Med tidplan",
        user=plan_admin,
        with_activities=True,
        keep_schedule=True,
    )
    walk = Activity.objects.get(plan__declaration=kept, title="Trygghetsvandringar")
    assert (walk.planned_start, walk.planned_end) == (
        datetime.date(2024, 3, 1),
        datetime.date(2025, 12, 1),
    )


def test_indicator_values_are_cleared_unless_kept(source, hageby, plan_admin):
    cleared = copy(source, hageby, plan_admin, with_activities=True)
    kept = copy_declaration(
        source,
        district=hageby,
        slug="hageby-2",
        title="Med värden",
        user=plan_admin,
        with_activities=True,
        keep_indicator_values=True,
    )

    without = Indicator.objects.get(activity__plan__declaration=cleared)
    assert (without.baseline_value, without.baseline_year, without.target_value) == (
        None,
        None,
        None,
    )
    with_values = Indicator.objects.get(activity__plan__declaration=kept)
    assert (with_values.baseline_value, with_values.baseline_year) == (Decimal("58.50"), 2022)
    assert with_values.target_value == Decimal("1500.00")


def test_no_follow_ups_reviews_or_plan_versions_are_copied(source, hageby, plan_admin):
    result = copy(source, hageby, plan_admin, with_activities=True)

    plan = result.activity_plans.get()
    assert not FollowUp.objects.filter(plan=plan).exists()
    assert not ActivityReview.objects.filter(activity__plan=plan).exists()
    assert not PlanVersion.objects.filter(plan=plan).exists()
    assert (FollowUp.objects.count(), ActivityReview.objects.count()) == (1, 1)
    assert PlanVersion.objects.count() == 1


def test_every_copy_has_one_created_record_naming_the_user(source, hageby, plan_admin):
    result = copy(source, hageby, plan_admin, with_activities=True)

    plan = result.activity_plans.get()
    copies = [
        result,
        *result.goals.all(),
        *Strategy.objects.filter(goal__declaration=result),
        plan,
        *plan.activities.all(),
        *Indicator.objects.filter(activity__plan=plan),
    ]
    indicators = Indicator.objects.filter(activity__plan__declaration=source).count()
    assert len(copies) == 1 + 3 + 8 + 1 + 5 + indicators
    for obj in copies:
        records = list(obj.history.all())
        assert [(r.history_type, r.history_user) for r in records] == [("+", plan_admin)], obj


def test_the_created_record_lists_the_relations_so_history_shows_one_entry(
    source, hageby, plan_admin
):
    result = copy(source, hageby, plan_admin, with_activities=True)

    record = result.history.get()
    assert {row.organisation for row in record.partners.all()} == set(result.partners.all())
    walk = Activity.objects.get(plan__declaration=result, title="Trygghetsvandringar")
    (activity_record,) = walk.history.all()
    assert {row.successfactor for row in activity_record.success_factors.all()} == set(
        walk.success_factors.all()
    )
    # An edit afterwards shows what changed, not the relations as if they were new.
    walk.title = "Trygghetsvandringar i Hageby"
    walk._history_user = plan_admin
    walk._history_date = timezone.now() + datetime.timedelta(minutes=5)
    walk.save()
    entries = change_entries(list(history_queryset(walk.history)))
    assert [entry.kind for entry in entries] == ["~", "+"]
    assert [change.new for change in entries[0].changes] == ["Trygghetsvandringar i Hageby"]


def test_the_source_is_untouched(source, hageby, plan_admin):
    def state():
        plan = source.activity_plans.get()
        return (
            IntentDeclaration.objects.filter(pk=source.pk).values().get(),
            tree(source),
            sorted(plan.activities.values_list("reference_code", "status", "version", "plan")),
            sorted(Indicator.objects.filter(activity__plan=plan).values_list("pk", "target_value")),
            plan.status,
            [obj.history.count() for obj in [source, plan, *plan.activities.all()]],
        )

    before = state()
    copy(source, hageby, plan_admin, with_activities=True)

    assert state() == before


def test_a_taken_slug_is_refused_and_nothing_is_written(source, hageby, plan_admin):
    before = counts()

    with translation.override("sv"), pytest.raises(ValidationError) as refused:
        copy_declaration(
            source,
            district=hageby,
            slug="klockaretorpet",
            title="Dubblett",
            user=plan_admin,
            with_activities=True,
        )

    (message,) = refused.value.message_dict["slug"]
    assert list(refused.value.message_dict) == ["slug"]
    # In Swedish, naming the field as its label does (“Kortnamn i webbadress”).
    assert message.startswith("Kortnamnet ”klockaretorpet” används redan")
    assert counts() == before


def test_new_activities_in_the_copy_get_codes_after_the_copied_ones(source, hageby, plan_admin):
    result = copy(source, hageby, plan_admin, with_activities=True)
    plan = result.activity_plans.get()
    copied = plan.activities.get(title="Trygghetsvandringar")

    added = Activity.objects.create(plan=plan, strategy=copied.strategy, title="Ny aktivitet")

    assert added.code_prefix == copied.code_prefix
    assert added.code_serial == copied.code_serial + 1


# --- the portal page ------------------------------------------------------------------------


def copy_url(declaration) -> str:
    return reverse("plans:declaration-copy", args=[declaration.slug])


def test_only_plan_admins_open_and_post_the_page(client, source, role_editor, reader, plan_admin):
    url = copy_url(source)
    data = {"district": "", "new_district_name": "Hageby", "title": "Avsiktsförklaring Hageby"}

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login") + "?next=")
    for user in (role_editor, reader):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
        assert client.post(url, data).status_code == 403, user
    assert not IntentDeclaration.objects.filter(slug="hageby").exists()
    client.force_login(plan_admin)
    assert client.get(url).status_code == 200


def test_declaration_page_links_to_the_copy_page_for_plan_admins_only(
    client, source, reader, plan_admin
):
    link = f'href="{copy_url(source)}"'
    client.force_login(reader)
    assert link not in client.get(source.get_absolute_url()).content.decode()
    client.force_login(plan_admin)
    assert link in client.get(source.get_absolute_url()).content.decode()


def test_the_page_has_labelled_fields(client, source, plan_admin):
    client.force_login(plan_admin)

    html = client.get(copy_url(source)).content.decode()

    for name in (
        "district",
        "new_district_name",
        "title",
        "slug",
        "with_activities",
        "keep_schedule",
        "keep_indicator_values",
    ):
        assert f'id="id_{name}"' in html, name
    assert 'for="id_title"' in html
    assert "<h1>" in html


def test_posting_copies_and_redirects_to_the_new_declaration(client, source, hageby, plan_admin):
    client.force_login(plan_admin)

    response = client.post(
        copy_url(source),
        {"district": hageby.pk, "title": "Avsiktsförklaring Hageby", "with_activities": "on"},
        follow=True,
    )

    copied = IntentDeclaration.objects.get(slug="hageby")  # the district's slug by default
    assert response.redirect_chain == [(copied.get_absolute_url(), 302)]
    assert "Avsiktsförklaring Hageby" in response.content.decode()
    (message,) = response.context["messages"]
    assert "Avsiktsförklaring Hageby" in str(message)
    assert copied.district == hageby
    assert copied.activity_plans.get().activities.count() == 5
    assert copied.history.get().history_user == plan_admin


def test_posting_a_new_district_name_creates_the_district(client, source, plan_admin):
    client.force_login(plan_admin)

    response = client.post(
        copy_url(source),
        {"new_district_name": "Navestad", "title": "Avsiktsförklaring Navestad", "slug": "nav"},
    )

    district = District.objects.get(name="Navestad")
    copied = IntentDeclaration.objects.get(slug="nav")
    assert response.status_code == 302
    assert (district.slug, copied.district) == ("navestad", district)
    assert not copied.activity_plans.exists()
    assert [r.history_user for r in district.history.all()] == [plan_admin]


def test_an_empty_post_redisplays_the_form_with_errors(client, source, plan_admin):
    client.force_login(plan_admin)
    before = counts()

    response = client.post(copy_url(source), {})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in html
    assert 'id="id_district-error"' in html
    assert 'id="id_title-error"' in html
    assert counts() == before


def test_a_taken_slug_is_shown_beside_the_field(client, source, hageby, plan_admin):
    client.force_login(plan_admin)
    before = counts()

    response = client.post(
        copy_url(source), {"district": hageby.pk, "title": "Dubblett", "slug": "klockaretorpet"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [slug_taken_message("klockaretorpet")]
    assert 'id="id_slug-error"' in response.content.decode()
    assert counts() == before


def test_an_existing_district_name_or_both_choices_are_refused(client, source, hageby, plan_admin):
    client.force_login(plan_admin)
    url = copy_url(source)

    existing = client.post(url, {"new_district_name": "hageby", "title": "X"})
    both = client.post(url, {"district": hageby.pk, "new_district_name": "Ny", "title": "X"})

    assert list(existing.context["form"].errors) == ["new_district_name"]
    assert list(both.context["form"].errors) == ["new_district_name"]
    assert District.objects.count() == 2


def test_a_failed_copy_leaves_no_new_district_behind(client, source, plan_admin, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValidationError({"slug": "Upptagen."})

    monkeypatch.setattr("plans.copy_views.copy_declaration", refuse)
    client.force_login(plan_admin)

    response = client.post(copy_url(source), {"new_district_name": "Navestad", "title": "X"})

    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == ["Upptagen."]
    assert not District.objects.filter(name="Navestad").exists()


# --- the management command -----------------------------------------------------------------


def test_the_command_copies_with_activities(source, hageby, plan_admin, capsys):
    call_command(
        "copy_declaration",
        "klockaretorpet",
        "--district",
        "Hageby",
        "--slug",
        "hageby-2026",
        "--title",
        "Avsiktsförklaring Hageby",
        "--with-activities",
        "--user",
        "planadmin",
    )

    copied = IntentDeclaration.objects.get(slug="hageby-2026")
    assert copied.district == hageby
    assert copied.is_published is False
    assert copied.activity_plans.get().activities.count() == 5
    assert copied.history.get().history_user == plan_admin
    assert "3 målbilder, 8 strategier, 5 aktiviteter" in capsys.readouterr().out


def test_the_command_creates_a_district_only_when_told(source, plan_admin):
    arguments = ["klockaretorpet", "--district", "Navestad", "--title", "X", "--user", "planadmin"]

    with pytest.raises(CommandError, match="Navestad"):
        call_command("copy_declaration", *arguments)
    assert not District.objects.filter(name="Navestad").exists()

    call_command("copy_declaration", *arguments, "--create-district")
    copied = IntentDeclaration.objects.get(slug="navestad")
    assert copied.district.name == "Navestad"
    assert not copied.activity_plans.exists()


def test_the_command_refuses_a_taken_slug(source, hageby, plan_admin):
    before = counts()

    with pytest.raises(CommandError, match="klockaretorpet"):
        call_command(
            "copy_declaration",
            "klockaretorpet",
            "--district=hageby",
            "--slug=klockaretorpet",
            "--title=X",
            "--user=planadmin",
        )

    assert counts() == before
