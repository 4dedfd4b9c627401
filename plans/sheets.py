"""Reading an uploaded activity sheet (.xlsx or .csv) into rows, safely.

The upload validator decides what the file is; this module turns it into a `tablib.Dataset` for
`plans.resources.import_activities`, and refuses what cannot be read with a Swedish message.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import zipfile
import zlib
from contextlib import contextmanager
from xml.etree.ElementTree import ParseError

import openpyxl
import tablib
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from klockaretorpet.uploads import SpreadsheetKind, validate_spreadsheet_upload

logger = logging.getLogger(__name__)

# Enough to find the cells; a sheet of formulas would otherwise fill the page.
MAX_CELLS_LISTED = 10
# What a damaged archive or sheet raises inside openpyxl, directly or as the cause of the
# ValueError openpyxl wraps around it while loading.
WORKBOOK_DAMAGE = (ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError)


def read_activity_sheet(uploaded_file) -> tablib.Dataset:
    """A `tablib.Dataset` from an uploaded .xlsx or .csv, after the upload validator.

    Raises `django.core.exceptions.ValidationError` with a Swedish message naming the file.
    """
    kind = validate_spreadsheet_upload(uploaded_file)
    name = os.path.basename(uploaded_file.name or "")
    content = uploaded_file.read()
    try:
        if kind == SpreadsheetKind.XLSX:
            return _read_workbook(content, name)
        return _read_csv(content, name)
    except ValidationError:
        raise
    except Exception as error:
        # Last resort, for failures no check above foresaw: the user still gets a message, and
        # the log keeps the traceback so the case can be given a message of its own.
        logger.warning("Could not read the uploaded sheet %r", name, exc_info=True)
        raise ValidationError(
            _("The file “%(name)s” could not be read as a spreadsheet (%(error)s)."),
            code="unreadable",
            params={"name": name, "error": type(error).__name__},
        ) from error


def _read_workbook(content: bytes, name: str) -> tablib.Dataset:
    with _workbook_errors(name):
        formulas = _formula_cells(content)
        headers, rows, uncalculated = _cell_values(content, formulas)
    if uncalculated:
        coordinates = [f"{get_column_letter(column)}{row}" for row, column in uncalculated]
        cells = ", ".join(coordinates[:MAX_CELLS_LISTED])
        if len(coordinates) > MAX_CELLS_LISTED:
            cells += ", …"
        raise ValidationError(
            _(
                "The file “%(name)s” has formulas that have never been calculated, so their "
                "cells would be imported empty: %(cells)s. Open the file in Excel or "
                "LibreOffice, let it calculate, save it and try again."
            ),
            code="uncalculated_formulas",
            params={"name": name, "cells": cells},
        )
    if not any(_filled(value) for value in headers):
        raise _no_headings(name)
    dataset = tablib.Dataset(headers=list(headers))
    width = len(headers)
    for row in rows:
        # Cells right of the last heading belong to no column; short rows end in empty cells.
        dataset.append((list(row) + [None] * width)[:width])
    return dataset


@contextmanager
def _workbook_errors(name: str):
    try:
        yield
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


def _sheet_rows(content: bytes, *, data_only: bool, values_only: bool = True):
    """(row number, cells or their values) of the sheet the import reads, from row 1, empty
    rows included."""
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    try:
        sheet = workbook.active
        # The size a workbook declares is optional and some programs write it wrong; openpyxl
        # would cut the rows to it (or fail on rows of different lengths without it).
        sheet.reset_dimensions()
        yield from enumerate(sheet.iter_rows(values_only=values_only), start=1)
    finally:
        workbook.close()


def _formula_cells(content: bytes) -> set[tuple[int, int]]:
    """(row, column) of every formula. Read without `data_only`: with it, as the import reads,
    a formula never calculated and an empty cell look the same."""
    if not _has_formula_elements(content):
        # Most sheets (every export of the portal) have none: no second reading of the sheet.
        return set()
    return {
        (number, column)
        for number, row in _sheet_rows(content, data_only=False)
        for column, value in enumerate(row, start=1)
        if _is_formula(value)
    }


# A formula element (`<f>`, `<f t="shared" …/>`, with or without a namespace prefix); text
# that looks like one is stored escaped (`&lt;f&gt;`).
FORMULA_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _has_formula_elements(content: bytes) -> bool:
    """Whether any worksheet of the archive may hold a formula. A damaged archive answers yes:
    the full reading then reports the damage."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return any(
                FORMULA_ELEMENT.search(archive.read(member))
                for member in archive.namelist()
                if member.startswith("xl/worksheets/") and member.endswith(".xml")
            )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        return True


def _cell_values(content: bytes, formulas: set[tuple[int, int]]):
    """The heading row, the rows below it, and (row, column) of the formulas never calculated."""
    skip_blank = getattr(settings, "IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES", False)
    formula_columns: dict[int, list[int]] = {}
    for number, column in formulas:
        formula_columns.setdefault(number, []).append(column)
    headers, rows, uncalculated = (), [], []
    # Cells rather than values: only a cell's type tells an empty result from no result.
    for number, cells in _sheet_rows(content, data_only=True, values_only=False):
        for column in formula_columns.get(number, ()):
            if column > len(cells) or _never_calculated(cells[column - 1]):
                uncalculated.append((number, column))
        row = [cell.value for cell in cells]
        if number == 1:
            headers = row
        elif not skip_blank or any(_filled(value) for value in row):
            # Excel keeps rows it once formatted: cells with a style and no value.
            rows.append(row)
    return headers, rows, sorted(uncalculated)


def _never_calculated(cell) -> bool:
    # Excel and LibreOffice store a formula's last result beside it; an empty text result
    # (=IF(…;"";…)) is stored empty but typed "str". Scripts store no result and no type.
    return cell.value is None and cell.data_type != "str"


def _is_formula(value) -> bool:
    # Array and data-table formulas are objects; every other formula is text starting with "=".
    # Text cells starting with "=" (an escaped export) come here too, but have a value when
    # read with `data_only`, so they are not taken for uncalculated formulas.
    if isinstance(value, ArrayFormula | DataTableFormula):
        return True
    return isinstance(value, str) and value.startswith("=")


def _filled(value) -> bool:
    return value is not None and str(value).strip() != ""


def _no_headings(name: str) -> ValidationError:
    return ValidationError(
        _(
            "The first row of the file “%(name)s” is empty. The first row must hold the column "
            "headings, as in a file exported from the portal."
        ),
        code="no_headings",
        params={"name": name},
    )


def _read_csv(content: bytes, name: str) -> tablib.Dataset:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252")
    lines = text.splitlines()
    first_line = lines[0] if lines else ""
    if not first_line.strip(" \t;,"):
        raise _no_headings(name)
    try:
        # Swedish Excel saves CSV with semicolons; others use commas.
        delimiter = csv.Sniffer().sniff(first_line, delimiters=";,\t").delimiter
    except csv.Error:
        # A single heading has no separator to find; the column check names what is missing.
        delimiter = ","
    dataset = tablib.Dataset().load(text, format="csv", delimiter=delimiter)
    if getattr(settings, "IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES", False):
        # Excel saves rows it once formatted as ";;;;": like the xlsx reader, leave them out.
        blank = [
            index for index, row in enumerate(dataset) if not any(_filled(value) for value in row)
        ]
        for index in reversed(blank):
            del dataset[index]
    return dataset
