"""The one import engine for sheets: activities (`plans.resources.ActivityResource`) and a
follow-up round's reports (`followup.resources.ReviewResource`) are both `SheetResource`s.

What makes an import trustworthy lives here once, whatever tool saved the file:

- **the file first**: the required columns, the row limit and rows that name the same object
  twice are checked before any row is processed, and a refused file processes no row;
- **row numbers** are the sheet's own (`klockaretorpet.sheet_reading.Sheet`), blank rows and all;
- **the stale-row rule**: a row that would change an object is refused when the object changed
  after the file was exported. The export writes each object's last change into the row
  (*Senast ändrad*): a date cell in Excel, text in CSV. A row without it (the column deleted,
  or the cell emptied) falls back on the workbook's creation time from its document properties;
  a file with neither (a CSV without the column) may add objects but change none;
- **the cell diff**: each row's cells as the export would write the object, before and after,
  compared as text normalised the same way on every write path (`klockaretorpet.plain_text`);
  a CSV saved as Windows-1252 that lost characters the encoding lacks (→ became ?) still
  compares as unchanged, and a changed cell that would lose them is refused.

The engine builds on django-import-export's `ModelResource` (so the admin's import works as the
library intends) and knows no app: each resource declares its key column, required columns and
how an object shows in a row.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from import_export import resources
from import_export.results import Result, RowResult

from klockaretorpet.concurrency import last_change
from klockaretorpet.plain_text import normalise_text
from klockaretorpet.sheet_reading import Sheet, SheetLayout, sheet_row_number

# How precisely a "last changed" cell keeps the moment: Excel keeps milliseconds at best; text
# (a CSV, or a cell typed as text) keeps what its format shows.
DATE_CELL_PRECISION = datetime.timedelta(seconds=1)
EXPORTED_TIME_FORMATS = (
    ("%Y-%m-%d %H:%M:%S", datetime.timedelta(seconds=1)),
    ("%Y-%m-%dT%H:%M:%S", datetime.timedelta(seconds=1)),
    ("%Y-%m-%d %H:%M", datetime.timedelta(minutes=1)),
)
# Objects listed by name in a preview before "and N more".
MAX_ABSENT_LISTED = 30


@dataclass(frozen=True)
class CellChange:
    column: str
    before: str
    after: str


class RowKind(models.TextChoices):
    """What one row of an imported sheet does."""

    NEW = "new", gettext_lazy("new")
    CHANGED = "changed", gettext_lazy("changed")
    UNCHANGED = "unchanged", gettext_lazy("unchanged")
    # A round's row left empty: its activity stays unreported.
    UNREPORTED = "unreported", gettext_lazy("not reported")
    INVALID = "invalid", gettext_lazy("invalid")


@dataclass(frozen=True)
class RowPreview:
    """One sheet row of an import: what it does, and for a new or changed object each changed
    cell from old to new."""

    number: int
    key: str
    title: str
    kind: RowKind
    changes: list[CellChange] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.key


@dataclass(frozen=True)
class RowProblem:
    """One problem of a file: the sheet row and column it is in (none for the file as a
    whole), and what is wrong, in the words of the user's language."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return _("The file: %(error)s") % {"error": self.message}
        if self.column:
            return _("Row %(row)d, column “%(column)s”: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


# How each kind of row is counted in a preview's summary line: "3 nya, 12 ändrade, …".
KIND_COUNTS = {
    RowKind.NEW: lambda count: ngettext("%(count)d new", "%(count)d new", count),
    RowKind.CHANGED: lambda count: ngettext("%(count)d changed", "%(count)d changed", count),
    RowKind.UNCHANGED: lambda count: ngettext("%(count)d unchanged", "%(count)d unchanged", count),
    RowKind.UNREPORTED: lambda count: ngettext(
        "%(count)d not reported", "%(count)d not reported", count
    ),
    RowKind.INVALID: lambda count: ngettext(
        "%(count)d with errors", "%(count)d with errors", count
    ),
}


@dataclass
class ImportOutcome:
    result: Any
    problems: list[str]
    counts: dict[str, int]
    changes: list[str]
    rows: list[RowPreview] = field(default_factory=list)
    row_problems: list[RowProblem] = field(default_factory=list)
    # "1.2.2 Title" of the objects the import could expect in the file that it does not hold.
    absent: list[str] = field(default_factory=list)
    # The worksheet read, when the workbook had several.
    sheet_name: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def refused(self) -> bool:
        """Whether the file as a whole was refused, before any row was read."""
        return bool(self.result.base_errors)

    # --- the preview, as a summary: counts, problems, changes, new rows, unchanged rows ---

    @property
    def counts_line(self) -> str:
        """“103 rader: 3 nya, 12 ändrade, 85 oförändrade, 3 med fel”; the kinds no row has are
        left out, so the line says only what the file does."""
        if self.refused:
            return ""
        # A row with several problems is one row with errors.
        invalid_rows = len({problem.row for problem in self.row_problems if problem.row})
        counts = {**self.counts, RowKind.INVALID: invalid_rows}
        parts = [
            KIND_COUNTS[kind](count) % {"count": count}
            for kind, count in counts.items()
            if count and kind in KIND_COUNTS
        ]
        total = sum(counts.values())
        return ngettext("%(total)d row: %(counts)s.", "%(total)d rows: %(counts)s.", total) % {
            "total": total,
            "counts": ", ".join(parts) or _("nothing to import"),
        }

    def rows_of(self, kind: RowKind) -> list[RowPreview]:
        return [row for row in self.rows if row.kind == kind]

    # The preview template's sections, by name.
    changed_rows = property(lambda self: self.rows_of(RowKind.CHANGED))
    new_rows = property(lambda self: self.rows_of(RowKind.NEW))
    unchanged_rows = property(lambda self: self.rows_of(RowKind.UNCHANGED))
    unreported_rows = property(lambda self: self.rows_of(RowKind.UNREPORTED))


class SheetResult(Result):
    """django-import-export's result, numbering rows as the spreadsheet program shows them."""

    def __init__(self, *, sheet=None):
        super().__init__()
        self.sheet = sheet

    def append_error_row(self, number, row, errors):
        number = sheet_row_number(self.sheet, number)
        for error in errors:
            error.number = number
        super().append_error_row(number, row, errors)

    def append_invalid_row(self, number, row, validation_error):
        super().append_invalid_row(sheet_row_number(self.sheet, number), row, validation_error)


class SheetResource(resources.ModelResource):
    """A resource whose rows each show one object by a key column (a reference code)."""

    # Names in `fields` of: the column naming a row's object, the columns without which a file
    # cannot be this sheet, and the column the export writes each object's last change into.
    KEY_COLUMN = "reference_code"
    REQUIRED_COLUMNS: tuple[str, ...] = ()
    CHANGED_AT_COLUMN = "last_changed"
    # Whether a row that shows when its object last changed is refused when the object changed
    # since, even if the row itself changes nothing: where new rows have no key of their own, a
    # second import of the same file would add them again, so a file older than the plan is
    # refused row by row.
    REFUSE_EVERY_STALE_ROW = False
    # What a row can do, as the outcome counts it.
    ROW_KINDS: tuple[RowKind, ...] = (
        RowKind.NEW,
        RowKind.CHANGED,
        RowKind.UNCHANGED,
        RowKind.INVALID,
    )

    class Meta:
        # The library's diff deep-copies every object (dropping prefetched relations, so each
        # copy queries them again) and renders every cell twice; the engine compares the cells
        # itself (`row_cells`).
        skip_diff = True
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Headers in the language of this request, translated once: a lazy column name would
        # be translated again at every comparison with a row's keys.
        for item in self.fields.values():
            item.column_name = str(item.column_name)
        self.sheet = None
        self._row = None
        self._repeated: dict[int, int] = {}
        self._row_cells: tuple[dict, dict] | None = None

    @classmethod
    def sheet_layout(cls) -> SheetLayout:
        """What `klockaretorpet.sheet_reading.read_sheet` checks for this resource's files."""
        resource = cls()
        return SheetLayout(
            headers=tuple(resource.headers()),
            required=tuple(resource.column_name(name) for name in cls.REQUIRED_COLUMNS),
            max_rows=max_rows(),
        )

    def column_name(self, name: str) -> str:
        return self.fields[name].column_name

    def headers(self) -> list[str]:
        return [self.column_name(name) for name in self._meta.export_order]

    # --- hooks a resource fills in ---------------------------------------------------------

    def check_target(self) -> None:
        """Raise ValueError when there is nothing to import into (no plan, a closed round)."""

    def prepare(self, *, dry_run: bool, using_transactions: bool) -> None:
        """Called inside the import's transaction, after the file checks, before any row."""

    def counts_as_row(self, row) -> bool:
        """Whether the row speaks for its object (rows left empty on purpose do not)."""
        return True

    def uncounted_row(self, row) -> RowResult:
        """The result of a row that does not count (`counts_as_row`)."""
        raise NotImplementedError

    def repeated_message(self, key: str, earlier_row: int) -> str:
        raise NotImplementedError

    def key_of(self, instance) -> str:
        """The key the row of `instance` has (for a new object: the one it was given)."""
        return str(getattr(instance, self.fields[self.KEY_COLUMN].attribute, "") or "")

    def row_cells(self, instance) -> dict[str, str]:
        """The object's import columns as the export writes them, as text."""
        raise NotImplementedError

    def changed_at(self, instance) -> datetime.datetime:
        """When the object last changed, as the export writes it into the sheet."""
        raise NotImplementedError

    # What the stale-row rule says, with %(code)s (the row's key), %(who)s and %(time)s on
    # %(date)s (the object's last change) and %(column)s (the “last changed” column): when the
    # object changed after the file was exported, and when the file does not show when that was.
    STALE_MESSAGE: str
    UNDATED_MESSAGE: str

    def expected_keys(self) -> dict[str, str]:
        """{key: title} of the objects a file of this import would normally hold."""
        return {}

    def title_of(self, instance) -> str:
        return str(instance)

    # --- the file ----------------------------------------------------------------------------

    def get_result_class(self):
        return functools.partial(SheetResult, sheet=self.sheet)

    def import_data_inner(
        self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
    ):
        self.sheet = dataset
        try:
            self.check_target()
            self.check_file(dataset)
        except (ValueError, ValidationError) as refusal:
            # The file as a whole is refused: no row is processed, none is counted.
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            self.handle_import_error(result, _refusal_error(refusal), raise_errors)
            return result
        self.prepare(dry_run=dry_run, using_transactions=using_transactions)
        return super().import_data_inner(
            dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
        )

    def check_file(self, dataset) -> None:
        """The checks of `read_sheet`, for a dataset that did not come through it, and rows that
        name one object twice."""
        headers = [
            str(header).strip() if header is not None else "" for header in dataset.headers or []
        ]
        dataset.headers = headers
        missing = [
            self.column_name(name)
            for name in self.REQUIRED_COLUMNS
            if self.column_name(name) not in headers
        ]
        if missing:
            raise ValueError(
                _(
                    "The file lacks the column(s) %(missing)s. The expected columns are: "
                    "%(expected)s."
                )
                % {
                    "missing": ", ".join(f"”{name}”" for name in missing),
                    "expected": "; ".join(self.headers()),
                }
            )
        if len(dataset) > max_rows():
            raise ValueError(
                _(
                    "The file has more than %(limit)d rows; at most %(limit)d can be imported "
                    "at once."
                )
                % {"limit": max_rows()}
            )
        if not len(dataset):
            raise ValueError(_("The sheet has no rows below the header row."))
        self._repeated = self._repeated_keys(dataset)

    def _repeated_keys(self, dataset) -> dict[int, int]:
        """{position: the sheet row that named the same object first}. Two rows for one object
        would both change it, the second silently undoing the first; checked for the file at
        once, so that no row needs a query of its own."""
        first_row: dict[str, int] = {}
        repeated = {}
        for position, values in enumerate(dataset.dict, start=1):
            key = self.row_key(values)
            if not key or not self.counts_as_row(values):
                continue
            if key in first_row:
                repeated[position] = first_row[key]
            else:
                first_row[key] = sheet_row_number(dataset, position)
        return repeated

    def row_key(self, row) -> str:
        value = row.get(self.column_name(self.KEY_COLUMN))
        return "" if value is None else str(value).strip()

    def sheet_row(self, position: int) -> int:
        return sheet_row_number(self.sheet, position)

    # --- each row ------------------------------------------------------------------------------

    def import_row(self, row, instance_loader, **kwargs):
        self._row = row
        self._row_cells = None
        if self.counts_as_row(row):
            row_result = super().import_row(row, instance_loader, **kwargs)
        else:
            row_result = self.uncounted_row(row)
        # What the preview names the row by, invalid rows included (they keep no object).
        row_result.sheet_row = self.sheet_row(kwargs.get("row_number", 0))
        instance = row_result.instance
        row_result.key = (self.key_of(instance) if instance is not None else "") or self.row_key(
            row
        )
        return row_result

    def after_init_instance(self, instance, new, row, **kwargs):
        earlier = self._repeated.get(kwargs.get("row_number"))
        if earlier is not None:
            raise ValidationError(
                {
                    self.fields[self.KEY_COLUMN].attribute: self.repeated_message(
                        self.row_key(row), earlier
                    )
                }
            )
        if not new and self.REFUSE_EVERY_STALE_ROW:
            exported = self.exported_time(row)
            if exported is not None:
                self._refuse_if_changed_after(instance, *exported)
        # The object's cells as stored, read before the row touches it.
        instance._cells_before = self.row_cells(instance)
        if not new:
            self._keep_what_the_encoding_lost(instance._cells_before, row)

    def _keep_what_the_encoding_lost(self, before: dict[str, str], row) -> None:
        """A CSV saved as Windows-1252 has "?" for every character the encoding lacks (→, ≥,
        emoji). A cell that differs from the stored text only so is the stored text; a changed
        cell whose stored text had such characters would lose them, and is refused."""
        encoding = getattr(self.sheet, "lossy_encoding", "")
        if not encoding:
            return
        errors = {}
        for item in self.get_import_fields():
            column = item.column_name
            if column not in row or column not in before:
                continue
            stored, given = before[column], normalise_text(row[column])
            if stored == given:
                continue
            degraded = stored.encode(encoding, errors="replace").decode(encoding)
            if degraded == stored:
                continue
            if degraded == given:
                row[column] = stored
                continue
            lost = sorted({c for c in stored if c.encode(encoding, errors="replace") == b"?"})
            errors[item.attribute] = _(
                "The file is a CSV file saved as Windows-1252, which cannot hold the characters "
                "%(characters)s that this cell has in the portal; saving the cell would turn them "
                "into “?”. Save the file as “CSV UTF-8” or as an Excel workbook (.xlsx) instead."
            ) % {"characters": " ".join(lost)}
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        before = getattr(instance, "_cells_before", None)
        after = self.row_cells(instance)
        self._row_cells = (before, after)
        return instance.pk is not None and before == after

    def after_import_row(self, row, row_result, **kwargs):
        """The preview's diff: what each changed cell was and becomes."""
        if self._row_cells is None:
            return
        before, after = self._row_cells
        self._row_cells = None
        changed = {column for column, value in after.items() if before.get(column) != value}
        row_result.cell_changes = [
            CellChange(column, before.get(column, ""), after[column])
            for column in after
            if column in changed
        ]
        # The admin's preview shows the row with each changed cell struck through.
        row_result.diff = [
            format_html("<del>{}</del> <ins>{}</ins>", before.get(column, ""), value)
            if column in changed
            else value
            for column, value in after.items()
        ]

    # --- the stale-row rule -------------------------------------------------------------------

    def refuse_stale(self, instance, row) -> None:
        """Resources call this for a row that would change `instance`: refused when the object
        changed after the file was exported, or when the file cannot tell when that was.

        The moment of export is the row's own “last changed” cell; without it (the column
        deleted, the cell emptied) the workbook's creation time; without that (a CSV file), the
        row may not change the object at all."""
        exported = self.exported_time(row)
        if exported is not None:
            if not self.REFUSE_EVERY_STALE_ROW:
                self._refuse_if_changed_after(instance, *exported)
            return
        created = getattr(self.sheet, "created", None)
        if created is not None:
            # Document properties keep whole seconds: a change in the second the file was made
            # counts as after it, so no change is ever taken for one the file already shows.
            moment = timezone.localtime(created).replace(tzinfo=None)
            self._refuse_if_changed_after(instance, moment, datetime.timedelta(0))
            return
        self._refuse(instance, self.UNDATED_MESSAGE)

    def _refuse_if_changed_after(
        self, instance, moment: datetime.datetime, precision: datetime.timedelta
    ) -> None:
        changed = timezone.localtime(self.changed_at(instance)).replace(tzinfo=None)
        if changed - moment >= precision:
            self._refuse(instance, self.STALE_MESSAGE)

    def _refuse(self, instance, message: str) -> None:
        who, when = last_change(instance) or (
            _("someone else"),
            timezone.localtime(self.changed_at(instance)),
        )
        params = {
            "code": self.key_of(instance),
            "who": who,
            "time": date_format(when, "H:i"),
            "date": date_format(when, "j F Y"),
            "column": self.column_name(self.CHANGED_AT_COLUMN),
        }
        raise ValidationError({self.fields[self.CHANGED_AT_COLUMN].attribute: message % params})

    def exported_time(self, row) -> tuple[datetime.datetime, datetime.timedelta] | None:
        """The row's “last changed” cell, and how precisely it keeps the moment. Raises
        ValidationError for a cell that holds something else."""
        column = self.column_name(self.CHANGED_AT_COLUMN)
        value = row.get(column)
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=None), DATE_CELL_PRECISION
        text = str(value or "").strip()
        if not text:
            return None
        for pattern, precision in EXPORTED_TIME_FORMATS:
            try:
                return datetime.datetime.strptime(text, pattern), precision  # noqa: DTZ007
            except ValueError:
                continue
        raise ValidationError(
            {
                self.fields[self.CHANGED_AT_COLUMN].attribute: _(
                    "“%(value)s” is not a time. Leave the column “%(column)s” as it was "
                    "exported (YYYY-MM-DD HH:MM)."
                )
                % {"value": text, "column": column}
            }
        )

    # --- the outcome ---------------------------------------------------------------------------

    def outcome(self, result) -> ImportOutcome:
        rows = self.preview_rows(result)
        row_problems = self.row_problems(result)
        return ImportOutcome(
            result=result,
            problems=[str(problem) for problem in row_problems],
            row_problems=row_problems,
            counts=count_kinds(rows, self.ROW_KINDS),
            changes=self.describe_changes(rows),
            rows=rows,
            absent=self.absent(rows) if not result.base_errors else [],
            sheet_name=getattr(self.sheet, "sheet_name", ""),
        )

    def preview_rows(self, result) -> list[RowPreview]:
        previews = []
        for row_result in result.rows:
            kind = ROW_KINDS.get(row_result.import_type, RowKind.INVALID)
            if getattr(row_result, "unreported", False):
                kind = RowKind.UNREPORTED
            instance = row_result.instance
            previews.append(
                RowPreview(
                    number=row_result.sheet_row,
                    key=row_result.key,
                    title=self.title_of(instance) if instance is not None else "",
                    kind=kind,
                    changes=list(getattr(row_result, "cell_changes", []))
                    if kind in (RowKind.NEW, RowKind.CHANGED)
                    else [],
                )
            )
        return previews

    def describe_problems(self, result) -> list[str]:
        """Every problem of the file, each naming the sheet row and the column, in Swedish."""
        return [str(problem) for problem in self.row_problems(result)]

    def row_problems(self, result) -> list[RowProblem]:
        """Every problem of the file, by sheet row and the sheet's own column heading."""
        problems = [RowProblem(None, "", str(error.error)) for error in result.base_errors]
        if problems:
            # A file with wrong columns makes every row wrong too; the file's problem is the news.
            return problems
        columns = {item.attribute: item.column_name for item in self.fields.values()}
        for number, errors in result.row_errors():
            problems.extend(RowProblem(number, "", str(error.error)) for error in errors)
        for invalid in result.invalid_rows:
            for attribute, messages in invalid.error_dict.items():
                column = columns.get(attribute, "")
                problems.extend(
                    RowProblem(invalid.number, str(column), str(message)) for message in messages
                )
        return sorted(problems, key=lambda problem: problem.row or 0)

    def describe_changes(self, rows: list[RowPreview]) -> list[str]:
        """“Rad 4 (1.1.1): Aktivitet: ”gammal” → ”ny”” for every new or changed row."""
        lines = []
        for row in rows:
            changes = "; ".join(
                f"{change.column}: ”{change.before}” → ”{change.after}”" for change in row.changes
            )
            if row.kind == RowKind.NEW:
                lines.append(self.describe_new_row(row, changes))
            elif row.kind == RowKind.CHANGED:
                lines.append(
                    _("Row %(row)d (%(code)s): %(changes)s")
                    % {"row": row.number, "code": row.key, "changes": changes}
                )
        return lines

    def describe_new_row(self, row: RowPreview, changes: str) -> str:
        return _("Row %(row)d (%(code)s), new: %(changes)s") % {
            "row": row.number,
            "code": row.key,
            "changes": changes,
        }

    def absent(self, rows: list[RowPreview]) -> list[str]:
        """The objects the file could be expected to hold and does not (nothing is deleted).

        Once a confirmed import has written, the objects its new rows created are in the plan
        too: they came from the file, so they are not absent from it."""
        present = {self.row_key(values) for values in self.sheet.dict} if self.sheet else set()
        present |= {row.key for row in rows if row.kind == RowKind.NEW}
        missing = [
            f"{key} {title}".strip()
            for key, title in self.expected_keys().items()
            if key not in present
        ]
        if len(missing) > MAX_ABSENT_LISTED:
            more = len(missing) - MAX_ABSENT_LISTED
            missing = [*missing[:MAX_ABSENT_LISTED], _("and %(count)d more") % {"count": more}]
        return missing


ROW_KINDS = {
    RowResult.IMPORT_TYPE_NEW: RowKind.NEW,
    RowResult.IMPORT_TYPE_UPDATE: RowKind.CHANGED,
    RowResult.IMPORT_TYPE_SKIP: RowKind.UNCHANGED,
    RowResult.IMPORT_TYPE_INVALID: RowKind.INVALID,
    RowResult.IMPORT_TYPE_ERROR: RowKind.INVALID,
}


def count_kinds(rows: list[RowPreview], kinds: tuple[RowKind, ...]) -> dict[str, int]:
    counts = dict.fromkeys(kinds, 0)
    for row in rows:
        counts[row.kind] += 1
    return counts


def run_import(resource: SheetResource, dataset, *, dry_run: bool) -> ImportOutcome:
    """Import `dataset` through `resource`: every row or none. With `dry_run` nothing is
    written (the preview); otherwise all rows are written in one transaction, and only if
    every row is valid."""
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
        retain_instance_in_row_result=True,
    )
    return resource.outcome(result)


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 20_000)


def _refusal_error(refusal: Exception) -> Exception:
    if isinstance(refusal, ValidationError):
        return ValueError(" ".join(refusal.messages))
    return refusal


__all__ = [
    "CellChange",
    "ImportOutcome",
    "RowPreview",
    "Sheet",
    "SheetResource",
    "count_kinds",
    "run_import",
]
