"""The one place spreadsheets are written: formula-safe, with native dates and numbers.

Every export (admin, portal, management command) goes through `FormulaSafeXLSX`, so no text a
user typed can become a live formula in Excel or LibreOffice ("=HYPERLINK(…)", "+cmd|…",
"@SUM(…)"), while dates stay dates and numbers stay numbers. django-import-export's own
`IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT` turns every cell into text, so it is not used.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from import_export.formats.base_formats import XLSX
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from klockaretorpet.plain_text import strip_control_characters

# What spreadsheet programs treat as the start of a formula (or a DDE command).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
MAX_COLUMN_WIDTH = 60
DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "yyyy-mm"
# Seconds included: a CSV saved from the sheet keeps what the cell shows, and the import's
# stale-row check can be no more precise than that.
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def write_workbook(
    headers: list[str],
    rows: list[list],
    *,
    sheet_title: str = "Blad1",
    month_columns: frozenset[str] = frozenset(),
) -> bytes:
    """An .xlsx with a bold, frozen header row, sensible widths and every text cell inert."""
    # Write-only mode streams rows to the file instead of keeping a cell object per value;
    # column widths must then be known first, so they are measured in a pass of their own.
    widths = [len(str(header)) for header in headers]
    for values in rows:
        for index, value in enumerate(values):
            widths[index] = max(widths[index], _display_width(value))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_COLUMN_WIDTH)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    month = [header in month_columns for header in headers]
    for values in rows:
        sheet.append(
            [_cell(sheet, value, month=month[index]) for index, value in enumerate(values)]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def inert_text(value) -> tuple[str, bool]:
    """The text a cell may hold, and whether it must be marked as text to stay inert.

    Control characters go first and the formula check comes after: checked the other way
    round, `"\x01=HYPERLINK(…)"` passes the check and then loses the `\x01` on its way into
    the file, arriving as a live formula.
    """
    text = strip_control_characters(str(value))
    return text, text.startswith(FORMULA_TRIGGERS)


def _cell(sheet, value, *, month: bool):
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text, looks_like_formula = inert_text(value)
        if not looks_like_formula and "\n" not in text:
            # The common case, plain text: no cell object needed.
            return text
    cell = WriteOnlyCell(sheet)
    _write_cell(cell, value, month=month)
    return cell


def _write_cell(cell, value, *, month: bool) -> None:
    if isinstance(value, datetime.datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell.value = value
        cell.number_format = MONTH_FORMAT if month else DATE_FORMAT
    elif isinstance(value, bool | int | float | Decimal):
        cell.value = value
    else:
        text, looks_like_formula = inert_text(value)
        cell.value = text
        if looks_like_formula:
            # Stored as a string, marked as text: shown as typed, never evaluated.
            cell.data_type = "s"
            cell.quotePrefix = True
        if "\n" in text:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _display_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _sheet_title(title: str) -> str:
    # Excel's limits: 31 characters, none of []:*?/\
    cleaned = "".join(character for character in title if character not in "[]:*?/\\")
    return cleaned[:31] or "Blad1"


class FormulaSafeXLSX(XLSX):
    """django-import-export's xlsx format, written by `write_workbook`."""

    def export_data(self, dataset, **kwargs):
        return write_workbook(
            list(dataset.headers or []),
            [list(row) for row in dataset],
            sheet_title=dataset.title or "Blad1",
            month_columns=frozenset(getattr(dataset, "month_columns", ())),
        )
