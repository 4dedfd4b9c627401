from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from followup.reminders import DEFAULT_DAYS, item_line, plan_reminders, send_reminders


class Command(BaseCommand):
    help = (
        "E-mails the organisations' contacts about activities not yet reported in open "
        "follow-up rounds whose deadline is near or has passed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help=f"Remind about deadlines at most this many days away (default {DEFAULT_DAYS}).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print who would get what; send nothing.",
        )

    def handle(self, *args, days, dry_run, **options):
        with translation.override(settings.LANGUAGE_CODE):
            if days < 0:
                raise CommandError(_("--days must be zero or more."))
            self.remind(days=days, dry_run=dry_run)

    def remind(self, *, days: int, dry_run: bool) -> None:
        plan = plan_reminders(days=days)
        for user in plan.skipped_users:
            self.stdout.write(
                self.style.WARNING(
                    _("Skipped %(user)s: no e-mail address.") % {"user": user.get_username()}
                )
            )
        for follow_up, activity in plan.unreached:
            self.stdout.write(
                self.style.WARNING(
                    _("Nobody to remind about %(activity)s (%(plan)s %(year)s).")
                    % {
                        "activity": f"{activity.reference_code} {activity.title}",
                        "plan": follow_up.plan.name,
                        "year": follow_up.year,
                    }
                )
            )
        if not plan.reminders:
            self.stdout.write(_("No reminders to send."))
            return
        if dry_run:
            for reminder in plan.reminders:
                self.stdout.write(f"{reminder.email} ({reminder.name}):")
                for follow_up, items in reminder.rounds.items():
                    for item in items:
                        self.stdout.write(
                            f"  {follow_up.plan.name} {follow_up.year}: {item_line(item)}"
                        )
            summary = _(
                "Dry run, nothing sent – e-mails: %(emails)d, recipients: %(recipients)d, "
                "activities: %(activities)d."
            )
            sent = len(plan.reminders)
        else:
            summary = _(
                "Reminders sent – e-mails: %(emails)d, recipients: %(recipients)d, "
                "activities: %(activities)d."
            )
            sent = send_reminders(plan)
        self.stdout.write(
            self.style.SUCCESS(
                summary
                % {
                    "emails": sent,
                    "recipients": len(plan.reminders),
                    "activities": plan.activity_count,
                }
            )
        )
