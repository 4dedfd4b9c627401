"""“Senaste ändringar”: every recorded change across the audited models, newest first."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from klockaretorpet.change_history import KIND_LABELS, FieldChange, changes_since_previous
from plans.models import Activity, ActivityPlan, Indicator
from strategies.models import (
    District,
    Goal,
    IntentDeclaration,
    Membership,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)

AUDITED_MODELS: list[type[models.Model]] = [
    IntentDeclaration,
    Goal,
    Strategy,
    ActivityPlan,
    Activity,
    Indicator,
    District,
    Organisation,
    SuccessFactor,
    ProgrammeGoal,
    Membership,
]
PAGE_SIZE = 100
# Relations an object's label needs, fetched with its history records.
LABEL_RELATIONS = {Membership: ["user", "organisation"]}


@dataclass
class AuditRow:
    record: models.Model
    model: type[models.Model]
    changes: list[FieldChange]

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.record.history_type])

    @property
    def model_label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def object_label(self) -> str:
        record = self.record
        if self.model is Membership:
            return f"{record.user} – {record.organisation}"
        title = getattr(record, "title", None) or getattr(record, "name", "")
        code = getattr(record, "reference_code", "")
        return f"{code} {title}".strip()

    @property
    def admin_url(self) -> str | None:
        if self.record.history_type == "-":
            return None
        opts = self.model._meta
        try:
            return reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[getattr(self.record, opts.pk.attname)],
            )
        except NoReverseMatch:
            return None


def recent_changes(
    *,
    user=None,
    organisation: Organisation | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    limit: int = PAGE_SIZE,
) -> list[AuditRow]:
    """The newest `limit` changes matching the filters, a fixed number of queries per model."""
    filters = models.Q()
    if user is not None:
        filters &= models.Q(history_user=user)
    if organisation is not None:
        filters &= models.Q(history_user__membership__organisation=organisation)
    # The calendar's first and last days bound nothing (and their local midnights fall outside
    # the dates a datetime can hold once converted to UTC).
    if since is not None and since > datetime.date.min:
        filters &= models.Q(history_date__gte=_start_of(since))
    if until is not None and until < datetime.date.max:
        filters &= models.Q(history_date__lt=_start_of(until + datetime.timedelta(days=1)))

    newest: list[tuple[models.Model, type[models.Model]]] = []
    for model in AUDITED_MODELS:
        records = (
            model.history.filter(filters)
            .select_related("history_user", *LABEL_RELATIONS.get(model, []))
            .order_by("-history_date")[:limit]
        )
        newest += [(record, model) for record in records]
    newest.sort(key=lambda pair: pair[0].history_date, reverse=True)
    newest = newest[:limit]

    rows = []
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for record, model in newest:
        by_model.setdefault(model, []).append(record)
    changes: dict[tuple[type[models.Model], int], list[FieldChange]] = {}
    for model, records in by_model.items():
        for history_id, field_changes in changes_since_previous(records).items():
            changes[(model, history_id)] = field_changes
    for record, model in newest:
        rows.append(AuditRow(record, model, changes.get((model, record.history_id), [])))
    return rows


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
