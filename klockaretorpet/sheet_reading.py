"""Reading an uploaded sheet (.xlsx or .csv) row by row, bounded by the file.

Both imports (activities and follow-up reports) read their files through `read_sheet`, which
checks what the import can check before any row is processed, while the rows stream past: the
kind of file (`klockaretorpet.uploads`), the heading row and its required columns, the width of
the table, the row limit, formulas whose values no spreadsheet program computed and merged
cells. Memory is bounded by what the import keeps (the cells of the expected columns), never by
what the file claims: openpyxl's read-only reader pads every row to its last cell, so one value
in column XFD per row would make each row 16,384 cells long; the worksheet is parsed here, cell
by cell, and each element is dropped as soon as it is read.

Every message is in Swedish and names the file, the sheet, the row or the cell as the
spreadsheet program shows them.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

import tablib
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.workbook.defined_name import DefinedNameList
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS

from klockaretorpet import workbook_limits
from klockaretorpet.plain_text import LINE_BREAK
from klockaretorpet.uploads import SpreadsheetKind, validate_spreadsheet_upload

logger = logging.getLogger(__name__)

# Enough to find the cells; a sheet of formulas would otherwise fill the page.
MAX_CELLS_LISTED = 10
# Excel's own limit for one cell; longer text was not typed in a spreadsheet program.
MAX_CELL_CHARACTERS = 32_767
# What a damaged archive or sheet raises inside openpyxl or the XML parser, directly or as the
# cause of the ValueError openpyxl wraps around it while loading.
WORKBOOK_DAMAGE = (ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError)

ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
CELL_TAG = f"{{{SHEET_MAIN_NS}}}c"
VALUE_TAG = f"{{{SHEET_MAIN_NS}}}v"
FORMULA_TAG = f"{{{SHEET_MAIN_NS}}}f"
INLINE_STRING_TAG = f"{{{SHEET_MAIN_NS}}}is"
MERGE_CELL_TAG = f"{{{SHEET_MAIN_NS}}}mergeCell"
DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"
STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"


@dataclass(frozen=True)
class SheetLayout:
    """What an import expects of a sheet: its columns by heading, and its limits."""

    headers: tuple[str, ...]
    required: tuple[str, ...]
    max_rows: int
    # Room beside the import's own columns for notes an editor adds; cells further right are
    # refused rather than read.
    spare_columns: int = 10

    @property
    def max_columns(self) -> int:
        return len(self.headers) + self.spare_columns


class Sheet(tablib.Dataset):
    """The rows of an uploaded sheet (blank rows left out) and where each came from."""

    def __init__(
        self,
        *,
        headers: list[str],
        file_name: str = "",
        sheet_name: str = "",
        created: datetime.datetime | None = None,
        lossy_encoding: str = "",
    ):
        super().__init__(headers=headers)
        self.file_name = file_name
        # The worksheet read, when the workbook has several; empty for CSV.
        self.sheet_name = sheet_name
        # When the workbook was created (its document properties): the moment the file's
        # content was taken from the portal, for rows that do not carry their own.
        self.created = created
        # "cp1252" when the file could only be read as Windows-1252: characters that encoding
        # lacks were replaced by "?" when it was saved.
        self.lossy_encoding = lossy_encoding
        self.row_numbers: list[int] = []

    def append_row(self, number: int, values: list) -> None:
        self.append(values)
        self.row_numbers.append(number)

    def row_number(self, position: int) -> int:
        """The sheet's own number of the row at `position` (1 = the first data row)."""
        if 0 < position <= len(self.row_numbers):
            return self.row_numbers[position - 1]
        return position + 1


def sheet_row_number(dataset, position: int) -> int:
    """The row number a spreadsheet program shows for the dataset's row at `position`
    (1-based): from the reader when it made the dataset, else counted below one heading row."""
    if isinstance(dataset, Sheet):
        return dataset.row_number(position)
    return position + 1


def read_sheet(uploaded_file, layout: SheetLayout) -> Sheet:
    """The sheet of an uploaded .xlsx or .csv file that has the layout's columns.

    Raises `ValidationError` with a Swedish message naming the file (and the sheet, row or
    cell) when the file cannot be read, lacks a required column, is wider or longer than the
    layout allows, or holds cells the import cannot trust.
    """
    kind = validate_spreadsheet_upload(uploaded_file)
    name = os.path.basename(uploaded_file.name or "")
    content = uploaded_file.read()
    try:
        if kind == SpreadsheetKind.XLSX:
            with _workbook_errors(name):
                workbook = _Workbook(content, name)
                try:
                    return _SheetBuilder(workbook, name, layout).build()
                finally:
                    workbook.close()
        if kind == SpreadsheetKind.CSV:
            return _SheetBuilder(_CsvFile(content), name, layout).build()
        raise ValidationError(
            _(
                "The file “%(name)s” is a LibreOffice spreadsheet (.ods), which the portal does "
                "not read. In LibreOffice, choose File → Save As, pick the file type “Excel "
                "2007-365 (.xlsx)” and upload that file."
            ),
            code="ods",
            params={"name": name},
        )
    except ValidationError:
        raise
    except Exception as error:
        # Last resort, for failures no check foresaw: the user still gets a message, and the
        # log keeps the traceback so the case can be given a message of its own.
        logger.warning("Could not read the uploaded sheet %r", name, exc_info=True)
        raise ValidationError(
            _("The file “%(name)s” could not be read as a spreadsheet (%(error)s)."),
            code="unreadable",
            params={"name": name, "error": type(error).__name__},
        ) from error


# --- one row as a source hands it over ---------------------------------------------------------


@dataclass
class RawRow:
    number: int
    # Cells of columns A, B, … up to the layout's width at most; None where empty.
    values: list = field(default_factory=list)
    # The first column right of the layout's width that holds a value.
    beyond: int | None = None
    # (column, what is wrong) of cells whose value the import cannot take.
    suspect: list[tuple[int, str]] = field(default_factory=list)

    def put(self, column: int, value) -> None:
        if len(self.values) < column:
            self.values.extend([None] * (column - len(self.values)))
        self.values[column - 1] = value

    @property
    def blank(self) -> bool:
        return not any(_filled(value) for value in self.values)


# A formula without a stored result (openpyxl and pandas write none).
UNCALCULATED = "uncalculated"
# A formula whose stored result was written by a program that computes nothing (XlsxWriter
# stores 0 for every formula) and asks whoever opens the file to calculate it all again.
PLACEHOLDER = "placeholder"
# A cell showing an error value (#REF!, #VALUE!, …).
ERROR_VALUE = "error"
TOO_LONG = "too_long"


class _BoundedArchive(zipfile.ZipFile):
    """A workbook's archive that opens no part larger than the reader may parse whole
    (`klockaretorpet.workbook_limits`), but for the parts streamed (`open_streamed`)."""

    def __init__(self, file, *, file_name: str):
        super().__init__(file)
        self.file_name = file_name
        workbook_limits.check_archive(self.infolist(), file_name)

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        if mode == "r":
            info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
            workbook_limits.check_part_size(info.filename, info.file_size, self.file_name)
        return super().open(name, mode, pwd, force_zip64=force_zip64)

    def open_streamed(self, name: str):
        return super().open(name)


class _WorkbookParts(ExcelReader):
    """openpyxl's reading of a workbook, but for its worksheets: openpyxl's read-only mode
    parses every worksheet in full when it opens the file, just to find its size when the
    file does not state it (a sheet without `<dimension>`), keeping an element per row. Every
    other part is opened through `_BoundedArchive`, which refuses a part larger than the limit
    before it is parsed; the shared strings are read here, counted as they are read."""

    def __init__(self, content: bytes, file_name: str):
        super().__init__(io.BytesIO(content), read_only=True, data_only=True)
        self.archive.close()
        self.archive = _BoundedArchive(io.BytesIO(content), file_name=file_name)
        self.file_name = file_name

    def read_strings(self):
        part = self.package.find(SHARED_STRINGS)
        if part is None:
            return
        path = part.PartName[1:]
        workbook_limits.check_shared_strings_size(
            self.archive.getinfo(path).file_size, self.file_name
        )
        with self.archive.open_streamed(path) as source:
            self.shared_strings = _shared_strings(source, self.file_name)

    def read_worksheets(self):
        self.worksheets = [
            (sheet.name, relation.target)
            for sheet, relation in self.parser.find_sheets()
            if relation.target in self.valid_files and "chartsheet" not in relation.Type
        ]
        # Index in the workbook's tab order, chart sheets included, of each worksheet.
        self.tab_of = [
            index
            for index, (sheet, relation) in enumerate(self.parser.find_sheets())
            if relation.target in self.valid_files and "chartsheet" not in relation.Type
        ]

        # Defined names (print areas, …) belong to worksheet objects this reading never makes.
        self.parser.defined_names = DefinedNameList()


class _Workbook:
    """An .xlsx archive: its worksheets, streamed one at a time."""

    def __init__(self, content: bytes, name: str):
        self.parts = _WorkbookParts(content, name)
        self.parts.read()
        book = self.parts.wb
        self.sheet_names = [name for name, _path in self.parts.worksheets]
        if not self.sheet_names:
            raise KeyError("no worksheet")
        active_tab = book._active_sheet_index
        self.active = self.parts.tab_of.index(active_tab) if active_tab in self.parts.tab_of else 0
        created = book.properties.created
        # openpyxl reads the W3C date of the document properties as naive UTC.
        self.created = created.replace(tzinfo=datetime.UTC) if created else None
        self.recalculation_requested = _asks_for_recalculation(
            self.parts.archive.read(self.parts.parser.workbook_part_name)
        )
        self.merged: list[str] = []

    def close(self) -> None:
        self.parts.archive.close()

    def rows(self, index: int, max_columns: int) -> Iterator[RawRow]:
        """The sheet's rows in order, each with its cells up to `max_columns`.

        The worksheet's XML is read element by element and every element is dropped as soon as
        it has been read, so a sheet's size in memory never grows with its number of rows,
        cells right of the limit or anything else it holds (formatting, hyperlinks, …).
        """
        _name, path = self.parts.worksheets[index]
        book = self.parts.wb
        self.merged = []
        # openpyxl's own reading of one cell: shared strings, dates by number format, booleans,
        # inline and rich text.
        cells = WorkSheetParser(
            None,
            self.parts.shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        with self.parts.archive.open_streamed(path) as source:
            elements, row, number = [], None, 0
            # The cell being read, and how many elements it holds so far.
            cell, held = None, 0
            for event, element in iterparse(source, events=("start", "end")):
                if event == "start":
                    elements.append(element)
                    if len(elements) > workbook_limits.MAX_XML_DEPTH:
                        raise workbook_limits.too_complex(self.parts.file_name)
                    if cell is not None:
                        held += 1
                        if held > workbook_limits.MAX_ELEMENTS_PER_TEXT:
                            raise workbook_limits.too_complex(self.parts.file_name)
                    elif element.tag == CELL_TAG and row is not None:
                        cell, held = element, 0
                    elif element.tag == ROW_TAG:
                        number = _row_number(element.get("r"), number)
                        row = RawRow(number)
                        cells.row_counter, cells.col_counter = number, 0
                    continue
                elements.pop()
                parent = elements[-1] if elements else None
                if element is cell:
                    self._read_cell(element, row, cells, max_columns)
                    cell = None
                elif cell is not None:
                    # Inside a cell: read with the cell.
                    continue
                elif element.tag == ROW_TAG:
                    yield row
                    row = None
                elif element.tag == MERGE_CELL_TAG:
                    self.merged.append(element.get("ref") or "")
                if parent is not None:
                    # Read: no longer needed. It is the last child its parent has so far.
                    del parent[-1]

    def _read_cell(self, element, row: RawRow, cells: WorkSheetParser, max_columns: int):
        reference = element.get("r")
        column = (
            column_index_from_string(coordinate_from_string(reference)[0])
            if reference
            else cells.col_counter + 1
        )
        cells.col_counter = column
        formula = element.find(FORMULA_TAG) is not None
        if column > max_columns:
            value = element.find(VALUE_TAG)
            holds_value = (
                formula
                or (value is not None and bool((value.text or "").strip()))
                or element.find(INLINE_STRING_TAG) is not None
            )
            if holds_value and row.beyond is None:
                row.beyond = column
            return
        parsed = cells.parse_cell(element)
        value = parsed["value"]
        if parsed["data_type"] == "e":
            row.suspect.append((column, ERROR_VALUE))
        elif formula and value is None and parsed["data_type"] != "str":
            # Spreadsheet programs store a formula's last result beside it; an empty text result
            # (=IF(…;"";…)) is stored empty but typed "str". Scripts store no result at all.
            row.suspect.append((column, UNCALCULATED))
        elif formula and self.recalculation_requested:
            row.suspect.append((column, PLACEHOLDER))
        if isinstance(value, str):
            if len(value) > MAX_CELL_CHARACTERS:
                row.suspect.append((column, TOO_LONG))
                value = value[:MAX_CELL_CHARACTERS]
            value = _unescape(value)
        row.put(column, value)


# Office Open XML's escape for characters XML cannot hold ("_x000D_" for the carriage return
# Excel keeps before a line break, "_x0001_" for a control character); "_x005F_" is the
# underscore, so that a typed "_x0001_" arrives as "_x005F_x0001_".
OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(value: str) -> str:
    """The text Excel and LibreOffice show for a cell: every escape decoded, none left literal,
    so that a control character hidden in one is seen (and refused) by the import."""
    if "_x" not in value:
        return value
    return OOXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)


def _shared_strings(source, file_name: str) -> list[str]:
    """openpyxl's reading of the shared strings, but counted while they are read and dropping
    every element once read, so that memory is bounded by the limits, not by the part."""
    strings, elements, held = [], [], 0
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            elements.append(element)
            if len(elements) > workbook_limits.MAX_XML_DEPTH:
                raise workbook_limits.too_complex(file_name)
            held += 1
            if held > workbook_limits.MAX_ELEMENTS_PER_TEXT:
                raise workbook_limits.too_complex(file_name)
            continue
        elements.pop()
        if element.tag == STRING_TAG:
            # Escapes ("_x0001_", "_x005F_") are decoded with the cell, as for inline text.
            strings.append(Text.from_tree(element).content)
            workbook_limits.check_shared_strings_count(len(strings), file_name)
        elif len(elements) > 1:
            # Inside a string: read with it.
            continue
        held = 0
        if elements:
            del elements[-1][-1]
    return strings


def _asks_for_recalculation(workbook_xml: bytes) -> bool:
    """Whether the workbook asks to be calculated again when opened (`fullCalcOnLoad`).

    Spreadsheet programs store what they computed and ask for nothing; writers that compute
    nothing (XlsxWriter, openpyxl, pandas) ask, because their stored results are placeholders.
    Read from the XML itself: openpyxl's reading reports the attribute as set when it is absent.
    """
    workbook = fromstring(workbook_xml)
    calculation = workbook.find(f"{{{SHEET_MAIN_NS}}}calcPr")
    if calculation is None:
        return False
    return any(
        calculation.get(name, "").strip().lower() in ("1", "true")
        for name in ("fullCalcOnLoad", "forceFullCalc")
    )


def _row_number(reference: str | None, previous: int) -> int:
    if reference:
        try:
            return int(float(reference))
        except ValueError:
            pass
    return previous + 1


class _CsvFile:
    """A CSV file as Excel, LibreOffice or a script saves it: UTF-8 (with or without a byte
    order mark) or Windows-1252, separated by semicolons, commas or tabs."""

    sheet_names = ("",)
    active = 0
    created = None
    merged = ()

    def __init__(self, content: bytes):
        try:
            self.text = content.decode("utf-8-sig")
            self.lossy_encoding = ""
        except UnicodeDecodeError:
            self.text = content.decode("cp1252", errors="replace")
            self.lossy_encoding = "cp1252"
        first_line = LINE_BREAK.split(self.text, maxsplit=1)[0]
        try:
            # Swedish Excel saves CSV with semicolons; others use commas.
            self.delimiter = csv.Sniffer().sniff(first_line, delimiters=";,\t").delimiter
        except csv.Error:
            # A single heading has no separator to find; the column check names what is missing.
            self.delimiter = ","

    def rows(self, index: int, max_columns: int) -> Iterator[RawRow]:
        # The record's number, not the line's: a cell with line breaks spans several lines of
        # the file but is one row in the spreadsheet program.
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        for number, record in enumerate(reader, start=1):
            row = RawRow(number)
            for column, text in enumerate(record, start=1):
                if column > max_columns:
                    if text.strip():
                        row.beyond = column
                        break
                    continue
                if len(text) > MAX_CELL_CHARACTERS:
                    row.suspect.append((column, TOO_LONG))
                    text = text[:MAX_CELL_CHARACTERS]
                row.put(column, text if text != "" else None)
            yield row


# --- from rows to the import's sheet -----------------------------------------------------------


class _SheetBuilder:
    def __init__(self, source, name: str, layout: SheetLayout):
        self.source = source
        self.name = name
        self.layout = layout

    def build(self) -> Sheet:
        index, rows, headers = self._choose_sheet()
        sheet = Sheet(
            headers=headers,
            file_name=self.name,
            sheet_name=self.source.sheet_names[index] if len(self.source.sheet_names) > 1 else "",
            created=self.source.created,
            lossy_encoding=getattr(self.source, "lossy_encoding", ""),
        )
        width = len(headers)
        suspect: list[tuple[int, int, str]] = []
        last_row = 1
        for row in rows:
            if row.beyond is not None:
                raise self._too_wide(row)
            suspect += [(row.number, column, what) for column, what in row.suspect]
            if len(suspect) > MAX_CELLS_LISTED:
                # Enough to name; the rest of the file would only add to the list.
                raise self._untrusted_cells(suspect)
            if row.blank:
                # Excel keeps rows it once formatted: cells with a style and no value.
                continue
            if len(sheet) >= self.layout.max_rows:
                raise ValidationError(
                    _(
                        "The file “%(name)s” has more than %(limit)s rows; at most %(limit)s can "
                        "be imported at once. Split it into several files."
                    ),
                    code="too_many_rows",
                    params={"name": self.name, "limit": number_format(self.layout.max_rows)},
                )
            sheet.append_row(row.number, (row.values + [None] * width)[:width])
            last_row = row.number
        if suspect:
            raise self._untrusted_cells(suspect)
        self._refuse_merged_cells(sheet, headers, last_row)
        if not len(sheet):
            raise ValidationError(
                _("The file “%(name)s” has no rows below the heading row."),
                code="no_rows",
                params={"name": self.name},
            )
        return sheet

    def _choose_sheet(self) -> tuple[int, Iterator[RawRow], list[str]]:
        """(index, the remaining rows, the headings) of the sheet with the required columns:
        the active one, or else the first that has them (an instruction sheet may come first)."""
        order = [self.source.active] + [
            index for index in range(len(self.source.sheet_names)) if index != self.source.active
        ]
        looked_at = []
        first_missing = None
        for index in order:
            rows = self.source.rows(index, self.layout.max_columns)
            first = next(rows, None)
            if first is not None and first.beyond is not None:
                raise self._too_wide(first)
            headers = _headers(first) if first is not None and first.number == 1 else []
            missing = [name for name in self.layout.required if name not in headers]
            if headers and not missing:
                self._refuse_repeated_headers(headers, index)
                return index, rows, headers
            rows.close()
            looked_at.append(self.source.sheet_names[index])
            if first_missing is None:
                first_missing = (headers, missing)
        headers, missing = first_missing
        if not any(headers):
            raise ValidationError(
                _(
                    "The first row of the file “%(name)s” is empty. The first row must hold the "
                    "column headings, as in a file exported from the portal."
                ),
                code="no_headings",
                params={"name": self.name},
            )
        params = {
            "name": self.name,
            "missing": ", ".join(f"”{header}”" for header in missing),
            "expected": "; ".join(self.layout.headers),
        }
        if len(looked_at) > 1:
            raise ValidationError(
                _(
                    "No sheet of the file “%(name)s” has the column(s) %(missing)s (sheets read: "
                    "%(sheets)s). The expected columns are: %(expected)s."
                ),
                code="missing_columns",
                params={**params, "sheets": ", ".join(f"”{sheet}”" for sheet in looked_at)},
            )
        raise ValidationError(
            _(
                "The file “%(name)s” lacks the column(s) %(missing)s. The expected columns are: "
                "%(expected)s."
            ),
            code="missing_columns",
            params=params,
        )

    def _refuse_repeated_headers(self, headers: list[str], index: int) -> None:
        seen: dict[str, int] = {}
        for column, header in enumerate(headers, start=1):
            if header in self.layout.headers and header in seen:
                raise ValidationError(
                    _(
                        "The column “%(header)s” appears twice in the file “%(name)s” (columns "
                        "%(first)s and %(second)s). Keep one of them."
                    ),
                    code="repeated_column",
                    params={
                        "header": header,
                        "name": self.name,
                        "first": get_column_letter(seen[header]),
                        "second": get_column_letter(column),
                    },
                )
            seen.setdefault(header, column)

    def _too_wide(self, row: RawRow) -> ValidationError:
        limit = self.layout.max_columns
        return ValidationError(
            _(
                "Cell %(cell)s of the file “%(name)s” lies right of the table: a sheet for this "
                "import has at most %(limit)s columns (A–%(last)s). Delete the cells right of "
                "column %(last)s and try again."
            ),
            code="too_wide",
            params={
                "cell": f"{get_column_letter(row.beyond)}{row.number}",
                "name": self.name,
                "limit": limit,
                "last": get_column_letter(limit),
            },
        )

    def _untrusted_cells(self, suspect) -> ValidationError:
        kinds = {what for _row, _column, what in suspect}
        cells = [f"{get_column_letter(column)}{row}" for row, column, _what in sorted(suspect)]
        listed = ", ".join(cells[:MAX_CELLS_LISTED]) + (
            ", …" if len(cells) > MAX_CELLS_LISTED else ""
        )
        params = {"name": self.name, "cells": listed}
        if kinds == {TOO_LONG}:
            return ValidationError(
                _(
                    "These cells of the file “%(name)s” hold more than %(limit)s characters, "
                    "more than a spreadsheet program lets one cell hold: %(cells)s."
                ),
                code="cell_too_long",
                params={**params, "limit": number_format(MAX_CELL_CHARACTERS)},
            )
        if kinds == {ERROR_VALUE}:
            return ValidationError(
                _(
                    "These cells of the file “%(name)s” show an error value (such as #REF! or "
                    "#VALUE!) instead of a value: %(cells)s. Correct them and save the file again."
                ),
                code="error_values",
                params=params,
            )
        if kinds == {UNCALCULATED}:
            return ValidationError(
                _(
                    "The file “%(name)s” has formulas that have never been calculated, so their "
                    "cells would be imported empty: %(cells)s. Open the file in Excel or "
                    "LibreOffice, let it calculate, save it and try again."
                ),
                code="uncalculated_formulas",
                params=params,
            )
        return ValidationError(
            _(
                "The cells %(cells)s of the file “%(name)s” contain formulas whose values no "
                "spreadsheet program has calculated (the program that wrote the file stores "
                "placeholders, such as 0, instead), so the import cannot know what they show. "
                "Write the values themselves in the cells, or open the file in Excel or "
                "LibreOffice, let it calculate, save it and try again."
            ),
            code="untrusted_formulas",
            params=params,
        )

    def _refuse_merged_cells(self, sheet: Sheet, headers: list[str], last_row: int) -> None:
        """Merged cells leave every cell but the first empty: in an import's rows that would
        empty fields, so the file is refused instead."""
        table_columns = {
            column
            for column, header in enumerate(headers, start=1)
            if header in self.layout.headers
        }
        for reference in self.source.merged:
            try:
                first_column, first_row, last_column, _last_row = range_boundaries(reference)
            except (TypeError, ValueError):
                continue
            spans = set(range(first_column, last_column + 1))
            if first_row <= last_row and spans & table_columns:
                column = min(spans & table_columns)
                raise ValidationError(
                    _(
                        "The cells %(range)s of the file “%(name)s” are merged, in the column "
                        "“%(column)s”. Every row of an import needs cells of its own: undo the "
                        "merge (in Excel: Home → Merge & Center → Unmerge Cells), fill in each "
                        "cell and try again."
                    ),
                    code="merged_cells",
                    params={"range": reference, "name": self.name, "column": headers[column - 1]},
                )


def _headers(row: RawRow) -> list[str]:
    headers = ["" if value is None else str(value).strip() for value in row.values]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _filled(value) -> bool:
    return value is not None and str(value).strip() != ""


@contextmanager
def _workbook_errors(name: str):
    try:
        yield
    except ValidationError:
        raise
    except Exception as error:
        causes = list(_causes(error))
        if any(isinstance(cause, DefusedXmlException) for cause in causes):
            # Entity declarations ("billion laughs") or external references: never written by
            # Excel or LibreOffice, so the file was made to attack or is broken beyond repair.
            raise ValidationError(
                _(
                    "The file “%(name)s” contains content that Excel does not write and that the "
                    "portal refuses for security reasons. Save the sheet from Excel as an Excel "
                    "workbook (.xlsx) and try again."
                ),
                code="unsafe_workbook",
                params={"name": name},
            ) from error
        if any(isinstance(cause, WORKBOOK_DAMAGE) for cause in causes):
            raise ValidationError(
                _(
                    "The file “%(name)s” is a damaged Excel workbook. Open it in Excel, save it "
                    "again as an Excel workbook (.xlsx) and try again."
                ),
                code="damaged_workbook",
                params={"name": name},
            ) from error
        raise


def _causes(error: BaseException):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__
