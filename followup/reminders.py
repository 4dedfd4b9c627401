"""Reminders to report a follow-up round: who still has to report what, and the e-mails.

Who is reminded is the permission policy's to say (`klockaretorpet.permissions`): the
contacts of an activity are the active editors whose organisation is the activity's lead
organisation or one above it (`reminded_organisation_ids`). Activities nobody there can be
reminded about (no lead organisation, or no editor with an e-mail address) go to the plan
administrators (`reminder_fallback_contacts`), so that no activity is left out without anyone
knowing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from klockaretorpet import permissions
from plans.models import Activity
from strategies.models import Organisation

from .models import FollowUp
from .rounds import unreported_activities

DEFAULT_DAYS = 14


@dataclass(frozen=True)
class ReminderItem:
    activity: Activity
    # True when a plan administrator gets it because nobody at the organisation can.
    fallback: bool = False


@dataclass
class Reminder:
    """One e-mail: everything one address has to report, per round."""

    email: str
    name: str
    rounds: dict[FollowUp, list[ReminderItem]] = field(default_factory=dict)

    @property
    def activity_count(self) -> int:
        return sum(len(items) for items in self.rounds.values())


@dataclass
class ReminderPlan:
    reminders: list[Reminder]
    # Users who would have been reminded but have no e-mail address.
    skipped_users: list
    # (round, activity) pairs that nobody, not even a plan administrator, can be reminded about.
    unreached: list[tuple[FollowUp, Activity]]
    today: datetime.date

    @property
    def activity_count(self) -> int:
        """Distinct (round, activity) pairs that at least one e-mail is about."""
        return len(
            {
                (follow_up.pk, item.activity.pk)
                for reminder in self.reminders
                for follow_up, items in reminder.rounds.items()
                for item in items
            }
        )


def plan_reminders(*, days: int = DEFAULT_DAYS, today: datetime.date | None = None) -> ReminderPlan:
    """Work out who gets which reminder; sends nothing."""
    today = today or timezone.localdate()
    parents = dict(Organisation.objects.values_list("pk", "parent"))
    users = get_user_model().objects.all()
    editors_by_organisation: dict[int, list] = {}
    for editor in permissions.reminder_contacts(users):
        editors_by_organisation.setdefault(editor.membership.organisation_id, []).append(editor)
    plan_admins = list(permissions.reminder_fallback_contacts(users))

    reminders: dict[str, Reminder] = {}
    skipped: dict[int, object] = {}
    unreached: list[tuple[FollowUp, Activity]] = []

    def remind(recipients, follow_up: FollowUp, item: ReminderItem) -> bool:
        reached = False
        for user in recipients:
            email = (user.email or "").strip()
            if not email:
                skipped.setdefault(user.pk, user)
                continue
            # Keyed by address: two accounts sharing one mailbox still get one e-mail.
            reminder = reminders.setdefault(
                email.casefold(),
                Reminder(email=email, name=user.get_full_name() or user.get_username()),
            )
            items = reminder.rounds.setdefault(follow_up, [])
            if all(existing.activity.pk != item.activity.pk for existing in items):
                items.append(item)
            reached = True
        return reached

    for follow_up in FollowUp.objects.due(days=days, today=today):
        for activity in unreported_activities(follow_up):
            contacts = [
                editor
                for organisation_id in permissions.reminded_organisation_ids(activity, parents)
                for editor in editors_by_organisation.get(organisation_id, [])
            ]
            if not remind(contacts, follow_up, ReminderItem(activity)) and not remind(
                plan_admins, follow_up, ReminderItem(activity, fallback=True)
            ):
                unreached.append((follow_up, activity))

    return ReminderPlan(
        reminders=list(reminders.values()),
        skipped_users=list(skipped.values()),
        unreached=unreached,
        today=today,
    )


def portal_url() -> str:
    return getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/") + "/"


def round_heading(follow_up: FollowUp, *, today: datetime.date) -> str:
    values = {
        "plan": follow_up.plan.name,
        "year": follow_up.year,
        "deadline": date_format(follow_up.deadline, "j F Y"),
    }
    if follow_up.deadline < today:
        return _("%(plan)s, follow-up %(year)s – the deadline %(deadline)s has passed") % values
    return _("%(plan)s, follow-up %(year)s – report by %(deadline)s") % values


def item_line(item: ReminderItem) -> str:
    activity = item.activity
    line = f"{activity.reference_code} {activity.title}"
    if not item.fallback:
        return line
    if activity.lead_organisation is None:
        reason = _("no lead organisation")
    else:
        reason = _("no editor with an e-mail address at %(organisation)s") % {
            "organisation": activity.lead_organisation.name
        }
    return f"{line} ({reason})"


def reminder_message(reminder: Reminder, *, today: datetime.date) -> EmailMessage:
    """The e-mail, in the active language."""
    lines = [
        _("Hello %(name)s,") % {"name": reminder.name},
        "",
        _("The following activities have not been reported yet in the yearly follow-up."),
    ]
    for follow_up, items in reminder.rounds.items():
        lines += ["", round_heading(follow_up, today=today)]
        lines += [f"  {item_line(item)}" for item in items]
    lines += [
        "",
        _("Report them in the portal: %(url)s") % {"url": portal_url()},
        "",
        _("This is an automatic reminder."),
    ]
    return EmailMessage(
        subject=_("Reminder: activities to report in the yearly follow-up"),
        body="\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.email],
    )


def send_reminders(plan: ReminderPlan) -> int:
    """Send one e-mail per reminder, in the site's language; returns how many were sent."""
    if not plan.reminders:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        messages = [reminder_message(reminder, today=plan.today) for reminder in plan.reminders]
        return get_connection().send_messages(messages) or 0
