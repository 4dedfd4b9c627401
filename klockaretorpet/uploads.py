"""The one check every uploaded spreadsheet passes before anything parses it.

Every upload form (the Excel import first) uses this module, so the size limit, the way a file's
kind is recognised and the messages a user reads are the same everywhere. The kind is read from
the file's first and last bytes: the file name and the browser's content type are whatever the
user's computer says, and a PDF renamed to `.xlsx` must be refused here, not by a parser's
stack trace.
"""

import codecs
import math
import os
import re
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MEGABYTE = 1024 * 1024

# An OLE2 compound file: an Excel 97–2003 workbook, or an .xlsx that Excel has encrypted with a
# password (Excel wraps those in OLE2, so they are no longer ZIP archives).
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_REQUIRED_MEMBERS = frozenset({"[Content_Types].xml", "xl/workbook.xml"})
# Enough text to tell a CSV file from anything else without holding a large file in memory.
TEXT_SNIFF_BYTES = 64 * 1024
# Text formats that decode as cleanly as a CSV file but are not one: a PDF export, a page or an
# "XML spreadsheet" saved from Excel, a document saved as RTF.
NOT_CSV_PREFIXES = ("%pdf-", "{\\rtf", "<?xml", "<!doctype", "<html")
# A CSV file holds text, tabs and line breaks; any other control character means binary data.
BINARY_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SpreadsheetKind(models.TextChoices):
    XLSX = "xlsx", gettext_lazy("Excel workbook (.xlsx)")
    CSV = "csv", gettext_lazy("CSV file")


SPREADSHEET_KINDS = tuple(SpreadsheetKind.values)


def validate_spreadsheet_upload(uploaded_file) -> str:
    """Return the kind of the uploaded spreadsheet, `"xlsx"` or `"csv"`.

    Raises `ValidationError` (naming the file) when it is empty, larger than the
    `UPLOAD_MAX_BYTES` setting, or neither kind. Reads at most a few hundred kilobytes
    whatever the file's size, and leaves the file at position 0 in every case, so the caller
    can hand it straight to a parser.
    """
    name = os.path.basename(uploaded_file.name or "")
    size = uploaded_file.size
    if not size:
        raise ValidationError(
            _("The file “%(name)s” is empty. Check that you chose the right file."),
            code="empty",
            params={"name": name},
        )
    max_bytes = getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
    if size > max_bytes:
        raise ValidationError(
            _("The file “%(name)s” is %(size)s MB; the limit is %(limit)s MB."),
            code="too_large",
            params={
                "name": name,
                "size": _megabytes(size, round_up=True),
                "limit": _megabytes(max_bytes),
            },
        )
    try:
        return _sniff_kind(uploaded_file, name)
    finally:
        uploaded_file.seek(0)


@deconstructible
class SpreadsheetUploadValidator:
    """`validate_spreadsheet_upload` for a form's or model's `FileField(validators=[...])`.

    A class rather than the function itself so that a model field using it can be serialised
    into a migration, like Django's own `FileExtensionValidator`.
    """

    def __call__(self, uploaded_file) -> None:
        validate_spreadsheet_upload(uploaded_file)

    def __eq__(self, other):
        return isinstance(other, SpreadsheetUploadValidator)

    def __hash__(self):
        return hash(SpreadsheetUploadValidator)


def _sniff_kind(uploaded_file, name: str) -> str:
    uploaded_file.seek(0)
    if uploaded_file.read(len(OLE2_MAGIC)) == OLE2_MAGIC:
        raise ValidationError(
            _(
                "The file “%(name)s” is an old Excel file (.xls) or a password-protected "
                "workbook, which the portal cannot read. Open it in Excel, remove any password "
                "and save it as an Excel workbook (.xlsx) without protection."
            ),
            code="old_or_protected_workbook",
            params={"name": name},
        )

    uploaded_file.seek(0)
    if zipfile.is_zipfile(uploaded_file):
        if _is_xlsx_archive(uploaded_file):
            if _unpacked_size(uploaded_file) > _max_unpacked_bytes():
                # A few megabytes of zip can unpack to gigabytes (a zip bomb); openpyxl would
                # try to hold it all in memory.
                raise ValidationError(
                    _(
                        "The file “%(name)s” unpacks to far more data than a spreadsheet of "
                        "its size holds, so the portal does not open it. Save the sheet from "
                        "Excel as an Excel workbook (.xlsx) and try again."
                    ),
                    code="unpacks_too_large",
                    params={"name": name},
                )
            return SpreadsheetKind.XLSX
        # Word, PowerPoint and OpenDocument files are ZIP archives too; renamed, they look like
        # a workbook to everything but this check.
        raise ValidationError(
            _(
                "The file “%(name)s” is not an Excel workbook. It may be another kind of "
                "document, such as a Word file, that has been renamed. Save the sheet from Excel "
                "as an Excel workbook (.xlsx) and try again."
            ),
            code="not_a_workbook",
            params={"name": name},
        )

    uploaded_file.seek(0)
    head = uploaded_file.read(TEXT_SNIFF_BYTES)
    if _is_csv_text(head, complete=len(head) >= uploaded_file.size):
        return SpreadsheetKind.CSV
    raise ValidationError(
        _(
            "The file “%(name)s” is neither an Excel workbook (.xlsx) nor a CSV file. Save the "
            "sheet from Excel as an Excel workbook (.xlsx) or as CSV and try again."
        ),
        code="not_a_spreadsheet",
        params={"name": name},
    )


def _is_xlsx_archive(uploaded_file) -> bool:
    uploaded_file.seek(0)
    try:
        # Reads only the archive's directory, never the members themselves.
        with zipfile.ZipFile(uploaded_file) as archive:
            members = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return members >= XLSX_REQUIRED_MEMBERS


def _unpacked_size(uploaded_file) -> int:
    uploaded_file.seek(0)
    with zipfile.ZipFile(uploaded_file) as archive:
        return sum(member.file_size for member in archive.infolist())


def _max_unpacked_bytes() -> int:
    # Real workbooks compress about 5–10 times; 40 times the upload limit leaves ample room.
    return getattr(
        settings,
        "UPLOAD_MAX_UNPACKED_BYTES",
        40 * getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES),
    )


def _is_csv_text(head: bytes, *, complete: bool) -> bool:
    if b"\x00" in head:
        return False
    text = _decode(head, final=complete)
    if text is None or BINARY_CONTROL_CHARACTERS.search(text):
        return False
    return not text.lstrip().lower().startswith(NOT_CSV_PREFIXES)


def _decode(head: bytes, *, final: bool) -> str | None:
    # Excel saves "CSV UTF-8" with a byte order mark and plain "CSV" as Windows-1252.
    head = head.removeprefix(codecs.BOM_UTF8)
    for encoding in ("utf-8", "cp1252"):
        # Incremental, because the sniffed bytes may end in the middle of a UTF-8 character.
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            return decoder.decode(head, final=final)
        except UnicodeDecodeError:
            continue
    return None


def _megabytes(size: int, *, round_up: bool = False) -> str:
    # A file's size is rounded up so that a file just over the limit never reads as the limit
    # itself ("5 MB; the limit is 5 MB").
    tenths = math.ceil(size * 10 / MEGABYTE) if round_up else round(size * 10 / MEGABYTE)
    # "5 MB" reads better than "5,0 MB"; anything else keeps its one decimal.
    if tenths % 10 == 0:
        return number_format(tenths // 10, decimal_pos=0)
    return number_format(tenths / 10, decimal_pos=1)
