"""Reading an uploaded activity sheet (.xlsx or .csv) into rows, safely.

The upload validator decides what the file is; this module turns it into a `tablib.Dataset` for
`plans.resources.import_activities`, and refuses what cannot be read with a Swedish message.
"""

from __future__ import annotations

import csv

import tablib
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from klockaretorpet.uploads import SpreadsheetKind, validate_spreadsheet_upload
from klockaretorpet.xlsx import FormulaSafeXLSX


def read_activity_sheet(uploaded_file):
    """A `tablib.Dataset` from an uploaded .xlsx or .csv, after the upload validator.

    Raises `django.core.exceptions.ValidationError` with a Swedish message naming the file.
    """
    kind = validate_spreadsheet_upload(uploaded_file)
    name = getattr(uploaded_file, "name", "")
    content = uploaded_file.read()
    try:
        if kind == SpreadsheetKind.XLSX:
            return FormulaSafeXLSX().create_dataset(content)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252")
        # Swedish Excel saves CSV with semicolons; others use commas.
        delimiter = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,\t").delimiter
        return tablib.Dataset().load(text, format="csv", delimiter=delimiter)
    except Exception as error:
        # A damaged file can fail anywhere inside openpyxl or tablib.
        raise ValidationError(
            _("The file “%(name)s” could not be read as a spreadsheet (%(error)s).")
            % {"name": name, "error": type(error).__name__}
        ) from error
