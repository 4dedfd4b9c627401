from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from plans.copying import copy_declaration, create_district
from strategies.models import District, IntentDeclaration, Strategy


class Command(BaseCommand):
    help = (
        "Copies a declaration (texts, partners, goals, strategies and, with --with-activities, "
        "its current activity plan) as an unpublished template for another district. History, "
        "follow-ups and plan versions are not copied."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="The slug of the declaration to copy.")
        parser.add_argument(
            "--district", required=True, help="The district of the copy: its name or slug."
        )
        parser.add_argument(
            "--create-district",
            action="store_true",
            dest="may_create_district",
            help="Create the district with the name given to --district if it does not exist.",
        )
        parser.add_argument("--title", required=True, help="The new declaration's title.")
        parser.add_argument("--slug", help="The new declaration's slug (default: the district's).")
        parser.add_argument(
            "--with-activities",
            action="store_true",
            help="Copy the current activity plan's activities too, every one as planned.",
        )
        parser.add_argument(
            "--keep-schedule",
            action="store_true",
            help="Keep the activities' planned start and end (default: only the schedule note).",
        )
        parser.add_argument(
            "--keep-indicator-values",
            action="store_true",
            help="Keep the indicators' baseline and target values (default: left empty).",
        )
        parser.add_argument(
            "--user", required=True, help="User name the change history records as the copier."
        )

    def handle(self, *args, source, district, may_create_district, user, **options):
        try:
            original = IntentDeclaration.objects.select_related("district").get(slug=source)
        except IntentDeclaration.DoesNotExist:
            known = ", ".join(IntentDeclaration.objects.values_list("slug", flat=True)) or "–"
            raise CommandError(
                f"Avsiktsförklaringen ”{source}” finns inte. Kända: {known}."
            ) from None
        copier = get_user_model().objects.filter(username=user).first()
        if copier is None:
            raise CommandError(f"Användaren ”{user}” finns inte.")
        target = District.objects.filter(Q(slug=district) | Q(name__iexact=district)).first()
        if target is None and not may_create_district:
            known = ", ".join(District.objects.values_list("name", flat=True)) or "–"
            raise CommandError(
                f"Stadsdelen ”{district}” finns inte. Kända: {known}. Ange --create-district "
                "för att skapa den."
            )
        try:
            with transaction.atomic():
                if target is None:
                    target = create_district(name=district, user=copier)
                copy = copy_declaration(
                    original,
                    district=target,
                    slug=options["slug"] or target.slug,
                    title=options["title"],
                    user=copier,
                    with_activities=options["with_activities"],
                    keep_schedule=options["keep_schedule"],
                    keep_indicator_values=options["keep_indicator_values"],
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        plan = copy.activity_plans.first()
        activities = plan.activities.count() if plan else 0
        self.stdout.write(
            f"”{copy.title}” ({copy.slug}) skapad för {target.name} som kopia av "
            f"”{original.title}”: {copy.goals.count()} målbilder, "
            f"{Strategy.objects.filter(goal__declaration=copy).count()} strategier, "
            f"{activities} aktiviteter. Den är inte publicerad: {copy.get_absolute_url()}"
        )
