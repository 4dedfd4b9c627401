"""Demo users and illustrative activities, so a new user sees a portal that looks alive.

Everything this adds is labelled as an example; the Klockaretorpet plan itself comes from the
fixture and is not touched. Refuses to run in production (DJANGO_DEBUG off).
"""

import datetime
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from klockaretorpet.admin_site import may_enter_admin
from plans.models import Activity, ActivityPlan, ActivityStatus, ActivityType, Indicator
from strategies.models import (
    IntentDeclaration,
    Membership,
    Organisation,
    OrganisationKind,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)

# Printed on purpose: demo accounts exist only where DJANGO_DEBUG=1 (the command refuses otherwise).
DEMO_PASSWORD = "demo-klockaretorpet"  # noqa: S105
EXAMPLE_NOTE = (
    "Illustrativt exempel (demodata) – ingår inte i avsiktsförklaringen och visar bara hur "
    "portalen ser ut med en ifylld aktivitetsplan."
)

DEMO_USERS = [
    # username, first, last, role, staff, organisation name
    ("planadmin", "Pia", "Planadministratör", "Planadministratör", True, "Norrköpings kommun"),
    ("redaktor.hyresbostader", "Hanna", "Redaktör", "Redaktör", True, "Hyresbostäder i Norrköping"),
    ("redaktor.kommun", "Kim", "Redaktör", "Redaktör", True, "Norrköpings kommun"),
    ("lasare", "Lars", "Läsare", "Läsare", False, "Norrköpings kommun"),
]

KOMMUN, HBN, POLIS = "Norrköpings kommun", "Hyresbostäder i Norrköping", "Polismyndigheten"

DEMO_ACTIVITIES = [
    {
        "strategy": (1, 1),
        "title": "Exempel: Ny gång- och cykelpassage över spårvägen vid centrum",
        "activity_type": ActivityType.INVESTMENT,
        "status": ActivityStatus.PLANNED,
        "planned_start": datetime.date(2025, 9, 1),
        "planned_end": datetime.date(2027, 12, 1),
        "lead": KOMMUN,
        "co": [HBN],
        "responsible_unit": "Samhällsbyggnadskontoret, trafikplanering",
        "measurability": "Antal passager till fots och med cykel per dygn, räknat varje höst.",
        "indicators": [("Passager gång och cykel per dygn", "st", "850", 2023, "1500", 2027, True)],
        "success_factors": ["kommunikation"],
        "programme_goals": ["utjamna-ojamlikheter"],
    },
    {
        "strategy": (1, 3),
        "title": "Exempel: Trygghetsvandringar med boende",
        "activity_type": ActivityType.EXISTING_BUDGET,
        "status": ActivityStatus.ONGOING,
        "planned_start": datetime.date(2023, 3, 1),
        "planned_end": datetime.date(2026, 12, 1),
        "schedule_note": "Varje vår och höst",
        "lead": HBN,
        "co": [KOMMUN, POLIS],
        "responsible_unit": "Områdesförvaltare Klockaretorpet",
        "measurability": "Genomförda vandringar och åtgärdade brister; trygghetsmätningen.",
        "indicators": [
            ("Andel boende som känner sig trygga ute kvällstid", "%", "58", 2022, "70", 2026, True),
        ],
        "success_factors": ["boendekraft", "brottsprevention"],
        "programme_goals": ["oka-tryggheten"],
    },
    {
        "strategy": (1, 3),
        "title": "Exempel: Upprustning av lekplatser på gårdarna",
        "activity_type": ActivityType.COMMISSIONED,
        "status": ActivityStatus.DONE,
        "planned_start": datetime.date(2023, 4, 1),
        "planned_end": datetime.date(2024, 10, 1),
        "lead": HBN,
        "responsible_unit": "Fastighetsutveckling",
        "measurability": "Antal upprustade lekplatser; boendes omdöme i hyresgästenkäten.",
        "success_factors": ["boendekraft"],
    },
    {
        "strategy": (2, 1),
        "title": "Exempel: Sommarjobb för unga i stadsdelen",
        "activity_type": ActivityType.COMMISSIONED,
        "status": ActivityStatus.ONGOING,
        "planned_start": datetime.date(2023, 6, 1),
        "planned_end": datetime.date(2026, 8, 1),
        "schedule_note": "Varje sommar",
        "lead": KOMMUN,
        "co": [HBN],
        "responsible_unit": "Arbetsmarknads- och vuxenutbildningskontoret",
        "measurability": "Antal sommarjobb för unga som bor i Klockaretorpet.",
        "indicators": [
            ("Sommarjobb för unga från Klockaretorpet", "st", "40", 2022, "80", 2026, True)
        ],
        "programme_goals": ["utjamna-ojamlikheter"],
    },
    {
        "strategy": (2, 2),
        "title": "Exempel: Lokal mötesplats med samhällsvägledning",
        "activity_type": ActivityType.EXISTING_BUDGET,
        "status": ActivityStatus.ONGOING,
        "planned_start": datetime.date(2024, 1, 1),
        "planned_end": datetime.date(2026, 12, 1),
        "lead": KOMMUN,
        "co": [HBN],
        "responsible_unit": "Medborgarkontoret",
        "measurability": "Antal besök per månad och antal som fått vägledning till arbete/studier.",
        "indicators": [("Besök per månad", "st", "120", 2024, "300", 2026, True)],
        "success_factors": ["boendekraft"],
    },
    {
        "strategy": (3, 1),
        "title": "Exempel: Belysningsplan för centrum",
        "activity_type": ActivityType.EXISTING_BUDGET,
        "status": ActivityStatus.PLANNED,
        "planned_start": datetime.date(2024, 9, 1),
        "planned_end": datetime.date(2025, 6, 1),
        "lead": HBN,
        "co": [KOMMUN],
        "responsible_unit": "Fastighetsutveckling och park- och gatuenheten",
        "measurability": "Planen antagen; antal åtgärdade mörka platser i centrum.",
        "success_factors": ["brottsprevention"],
        "programme_goals": ["oka-tryggheten"],
    },
    {
        "strategy": (3, 2),
        "title": "Exempel: Lovaktiviteter i idrottshallen",
        "activity_type": ActivityType.EXISTING_BUDGET,
        "status": ActivityStatus.ONGOING,
        "schedule_note": "Löpande, alla skollov",
        "lead": KOMMUN,
        "responsible_unit": "Kultur- och fritidskontoret",
        "measurability": "Antal deltagare per lov, uppdelat på ålder och kön.",
        "indicators": [("Deltagare per lov", "st", "90", 2023, "200", 2026, True)],
        "success_factors": ["kommunikation"],
    },
    {
        "strategy": (3, 3),
        "title": "Exempel: Skyltning till motionsspår och friluftsområden",
        "activity_type": ActivityType.INVESTMENT,
        "status": ActivityStatus.PLANNED,
        "schedule_note": "HT 2026",
        "lead": KOMMUN,
        "responsible_unit": "Park- och naturenheten",
        "measurability": "Skyltprogrammet genomfört; besökare vid motionsspåret.",
    },
    {
        "strategy": (1, 2),
        "title": "Exempel: Utreda plats för ny förskola",
        "activity_type": ActivityType.COMMISSIONED,
        "status": ActivityStatus.PLANNED,
    },
]


class Command(BaseCommand):
    help = "Adds demo users and clearly labelled example activities (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo lägger in demodata och körs bara med DJANGO_DEBUG=1, aldrig i "
                "produktion."
            )
        # Loading the fixture again would undo edits made to the plan's own text since.
        if not IntentDeclaration.objects.filter(slug="klockaretorpet").exists():
            call_command("loaddata", "klockaretorpet", verbosity=0)
        with transaction.atomic():
            users = self._users()
            self._activities(editor=users["redaktor.hyresbostader"])
        if apps.is_installed("followup"):
            # By name, not by import: plans must not depend on the follow-up built on it.
            call_command("seed_demo_followup", stdout=self.stdout)
        self._print_logins(users)

    def _users(self) -> dict:
        user_model = get_user_model()
        users = {}
        for username, first, last, role, is_staff, organisation in DEMO_USERS:
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": is_staff},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
            if not user.email:
                # A reserved domain (RFC 2606): the follow-up reminders have an address to
                # print on the console, and nothing could ever reach a real mailbox.
                user.email = f"{username}@example.org"
            user.save()
            # The groups come from the roles migration (plans/migrations/0003_roles.py).
            user.groups.set([Group.objects.get(name=role)])
            Membership.objects.update_or_create(
                user=user, defaults={"organisation": Organisation.objects.get(name=organisation)}
            )
            users[username] = user
        return users

    def _activities(self, *, editor) -> None:
        declaration = IntentDeclaration.objects.get(slug="klockaretorpet")
        plan = ActivityPlan.objects.get(
            declaration=declaration, name="Aktivitetsplan Klockaretorpet"
        )
        Organisation.objects.get_or_create(
            name=POLIS, defaults={"short_name": "Polisen", "kind": OrganisationKind.POLICE}
        )
        organisations = {org.name: org for org in Organisation.objects.all()}
        strategies = {
            (s.goal.position, s.position): s
            for s in Strategy.objects.filter(goal__declaration=declaration).select_related("goal")
        }
        for spec in DEMO_ACTIVITIES:
            if Activity.objects.filter(plan=plan, title=spec["title"]).exists():
                continue
            activity = Activity(
                plan=plan,
                strategy=strategies[spec["strategy"]],
                title=spec["title"],
                description=EXAMPLE_NOTE,
                activity_type=spec["activity_type"],
                status=spec["status"],
                planned_start=spec.get("planned_start"),
                planned_end=spec.get("planned_end"),
                schedule_note=spec.get("schedule_note", ""),
                lead_organisation=organisations.get(spec.get("lead")),
                responsible_unit=spec.get("responsible_unit", ""),
                measurability=spec.get("measurability", ""),
            )
            activity._history_user = editor
            activity.full_clean()
            activity.save()
            activity.co_organisations.set(organisations[name] for name in spec.get("co", []))
            activity.success_factors.set(
                SuccessFactor.objects.filter(slug__in=spec.get("success_factors", []))
            )
            activity.programme_goals.set(
                ProgrammeGoal.objects.filter(slug__in=spec.get("programme_goals", []))
            )
            for position, (name, unit, base, base_year, target, target_year, higher) in enumerate(
                spec.get("indicators", []), start=1
            ):
                indicator = Indicator(
                    activity=activity,
                    position=position,
                    name=name,
                    unit=unit,
                    baseline_value=Decimal(base),
                    baseline_year=base_year,
                    target_value=Decimal(target),
                    target_year=target_year,
                    higher_is_better=higher,
                )
                indicator._history_user = editor
                indicator.full_clean()
                indicator.save()

    def _print_logins(self, users: dict) -> None:
        self.stdout.write(self.style.SUCCESS("Demodata klar. Logga in på http://127.0.0.1:8000/"))
        self.stdout.write(f"Lösenord för alla demoanvändare: {DEMO_PASSWORD}")
        for username, _first, _last, role, _is_staff, organisation in DEMO_USERS:
            # The role opens the admin, not the staff flag: asked as the admin site asks.
            where = "portal + admin" if may_enter_admin(users[username]) else "portal"
            self.stdout.write(f"  {username:<24} {role:<18} {organisation:<28} ({where})")
