"""“Senaste ändringar”: every recorded change across the audited models, newest first."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from klockaretorpet.change_history import FieldChange, HistoryKind, changes_since_previous

PAGE_SIZE = 100


@dataclass(frozen=True)
class Audited:
    """How the audit page shows one app's model: the relations its history records' labels
    read (fetched with the records) and, where the title, name or reference code does not say
    what the object is, a function that labels a record."""

    label_relations: tuple[str, ...] = ()
    label: Callable[[models.Model], str] | None = None


# Every history-tracked model, declared by its app when it is ready (`declare_audited`).
AUDITED: dict[type[models.Model], Audited] = {}


@dataclass(frozen=True)
class OrganisationFilter:
    organisations: Callable[[], models.QuerySet]
    user_lookup: str


_organisation_filter: OrganisationFilter | None = None


def declare_audited(
    model: type[models.Model],
    *,
    label_relations: Iterable[str] = (),
    label: Callable[[models.Model], str] | None = None,
) -> None:
    """Called by an app when it is ready: `model`'s history shows on the audit page."""
    AUDITED[model] = Audited(tuple(label_relations), label)


def declare_organisation_filter(
    *, organisations: Callable[[], models.QuerySet], user_lookup: str
) -> None:
    """Called by the app that keeps memberships: the organisations the page filters by, and the
    lookup from a user to their organisation."""
    global _organisation_filter
    _organisation_filter = OrganisationFilter(organisations, user_lookup)


def organisation_choices() -> models.QuerySet | None:
    """The organisations to filter by, or None when no app keeps memberships."""
    return None if _organisation_filter is None else _organisation_filter.organisations()


@dataclass
class AuditRow:
    record: models.Model
    model: type[models.Model]
    changes: list[FieldChange]

    @property
    def kind_label(self) -> str:
        return str(HistoryKind(self.record.history_type).label)

    @property
    def model_label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def object_label(self) -> str:
        record = self.record
        label = AUDITED[self.model].label
        if label is not None:
            return label(record)
        title = getattr(record, "title", None) or getattr(record, "name", "")
        code = getattr(record, "reference_code", "")
        return f"{code} {title}".strip()

    @property
    def admin_url(self) -> str | None:
        if self.record.history_type == HistoryKind.DELETED:
            return None
        opts = self.model._meta
        try:
            return reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[getattr(self.record, opts.pk.attname)],
            )
        except NoReverseMatch:
            return None


@dataclass(frozen=True)
class Cursor:
    """Where a page of changes ended: the last row's place in the page's order (newest first by
    history_date, then model label, then history_id, each descending). The next page starts
    after it, so changes made meanwhile cannot shift rows from one page to the next, and rows
    sharing one history_date (a bulk import gives thousands the same) are neither lost nor
    repeated."""

    history_date: datetime.datetime
    model_label: str
    history_id: int

    SEPARATOR = "~"

    def __str__(self) -> str:
        when = self.history_date.astimezone(datetime.UTC).isoformat()
        return self.SEPARATOR.join((when, self.model_label, str(self.history_id)))

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor `text` names; ValueError when it is not one this page wrote."""
        parts = text.split(cls.SEPARATOR)
        if len(parts) != 3:
            raise ValueError("a cursor has three parts")
        when, label, history_id = parts
        history_date = datetime.datetime.fromisoformat(when)
        if history_date.tzinfo is None:
            raise ValueError("a cursor's time carries its offset")
        try:
            history_date = history_date.astimezone(datetime.UTC)
        except OverflowError as error:
            raise ValueError("a cursor's time lies within the calendar") from error
        if label not in {model._meta.label_lower for model in AUDITED}:
            raise ValueError("a cursor names an audited model")
        if not history_id.isascii() or not history_id.isdigit() or len(history_id) > 18:
            raise ValueError("a cursor's history id is a number a database column holds")
        return cls(history_date, label, int(history_id))

    @classmethod
    def after(cls, row: AuditRow) -> Cursor:
        return cls(row.record.history_date, row.model._meta.label_lower, row.record.history_id)

    def older_of(self, model: type[models.Model]) -> models.Q:
        """`model`'s history records that come after the cursor in the page's order."""
        label = model._meta.label_lower
        if label > self.model_label:
            return models.Q(history_date__lt=self.history_date)
        if label < self.model_label:
            return models.Q(history_date__lte=self.history_date)
        return models.Q(history_date__lt=self.history_date) | models.Q(
            history_date=self.history_date, history_id__lt=self.history_id
        )


@dataclass
class Page:
    rows: list[AuditRow]
    # Where the next, older page starts; None on the last page.
    older: Cursor | None


def _order_key(record: models.Model, model: type[models.Model]) -> tuple:
    return (record.history_date, model._meta.label_lower, record.history_id)


def recent_changes(
    *,
    user=None,
    organisation: models.Model | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """The newest `limit` changes matching the filters (older than `after` when given), a fixed
    number of queries per model."""
    filters = models.Q()
    if user is not None:
        filters &= models.Q(history_user=user)
    if organisation is not None and _organisation_filter is not None:
        lookup = f"history_user__{_organisation_filter.user_lookup}"
        filters &= models.Q(**{lookup: organisation})
    # The calendar's first and last days bound nothing (and their local midnights fall outside
    # the dates a datetime can hold once converted to UTC).
    if since is not None and since > datetime.date.min:
        filters &= models.Q(history_date__gte=_start_of(since))
    if until is not None and until < datetime.date.max:
        filters &= models.Q(history_date__lt=_start_of(until + datetime.timedelta(days=1)))

    # One more than a page tells whether an older page exists.
    newest: list[tuple[models.Model, type[models.Model]]] = []
    for model, audited in AUDITED.items():
        model_filters = filters if after is None else filters & after.older_of(model)
        records = (
            model.history.filter(model_filters)
            .select_related("history_user", *audited.label_relations)
            .order_by("-history_date", "-history_id")[: limit + 1]
        )
        newest += [(record, model) for record in records]
    newest.sort(key=lambda pair: _order_key(*pair), reverse=True)
    has_older = len(newest) > limit
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
    return Page(rows, Cursor.after(rows[-1]) if has_older else None)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
