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
import zlib

import olefile
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klockaretorpet import workbook_limits

DEFAULT_MAX_BYTES = workbook_limits.DEFAULT_UPLOAD_MAX_BYTES
MEGABYTE = 1024 * 1024

# An OLE2 compound file: an Excel 97–2003 workbook, an .xlsx that Excel has encrypted with a
# password (Excel wraps those in OLE2, so they are no longer ZIP archives), a Word 97–2003
# document, … Its directory of streams tells them apart.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_REQUIRED_MEMBERS = frozenset({"[Content_Types].xml", "xl/workbook.xml"})
PDF_MAGIC = b"%PDF-"
# OpenDocument files name their kind in a first, uncompressed member called `mimetype`.
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
OPENDOCUMENT_NAMES = {
    "application/vnd.oasis.opendocument.text": lambda: _("an OpenDocument text (.odt)"),
    "application/vnd.oasis.opendocument.presentation": lambda: _(
        "an OpenDocument presentation (.odp)"
    ),
}
# Enough text to tell a CSV file from anything else without holding a large file in memory.
TEXT_SNIFF_BYTES = 64 * 1024
# Text formats that decode as cleanly as a CSV file but are not one: a PDF export, a page or an
# "XML spreadsheet" saved from Excel, a document saved as RTF.
NOT_CSV_PREFIXES = ("%pdf-", "{\\rtf", "<?xml", "<!doctype", "<html")
# A CSV file holds text, tabs and line breaks; other control characters in numbers mean binary
# data. A few may come with text pasted into a cell: the import then names them by cell.
BINARY_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PASTED_CONTROL_CHARACTERS = 8


class SpreadsheetKind(models.TextChoices):
    XLSX = "xlsx", gettext_lazy("Excel workbook (.xlsx)")
    CSV = "csv", gettext_lazy("CSV file")
    # Recognised so that the reader can say how to save it as .xlsx; never read.
    ODS = "ods", gettext_lazy("OpenDocument spreadsheet (.ods)")


SPREADSHEET_KINDS = tuple(SpreadsheetKind.values)


def validate_spreadsheet_upload(uploaded_file) -> str:
    """Return the kind of the uploaded spreadsheet, `"xlsx"`, `"csv"` or `"ods"` (which the
    reader refuses with its own message).

    Raises `ValidationError` (naming the file and saying what to do) when it is empty, larger
    than the `UPLOAD_MAX_BYTES` setting, or not a spreadsheet: a password-protected or old
    (.xls) workbook, a Word, PowerPoint, OpenDocument or PDF document, anything else. Reads
    at most a few hundred kilobytes whatever the file's size (of an OLE2 file, its directory),
    and leaves the file at position 0 in every case, so the caller
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
    max_bytes = workbook_limits.max_upload_bytes()
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
        raise _compound_file_error(uploaded_file, name)

    uploaded_file.seek(0)
    if zipfile.is_zipfile(uploaded_file):
        return _archive_kind(uploaded_file, name)

    uploaded_file.seek(0)
    head = uploaded_file.read(TEXT_SNIFF_BYTES)
    if head.lstrip().startswith(PDF_MAGIC):
        raise ValidationError(
            _(
                "The file “%(name)s” is a PDF document, which holds no sheet the portal can "
                "read. Export the sheet from Excel as an Excel workbook (.xlsx) or as CSV and "
                "try again."
            ),
            code="pdf",
            params={"name": name},
        )
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


def _compound_file_error(uploaded_file, name: str) -> ValidationError:
    """What an OLE2 compound file is, from its directory of streams (never their content)."""
    uploaded_file.seek(0)
    try:
        with olefile.OleFileIO(uploaded_file) as compound:
            streams = {"/".join(path) for path in compound.listdir(streams=True, storages=False)}
    except Exception:  # a damaged directory gets the message of any other OLE2 file
        streams = set()
    params = {"name": name}
    if streams & {"EncryptionInfo", "EncryptedPackage"}:
        # Excel wraps a workbook it encrypts with a password in OLE2: no longer a ZIP archive.
        return ValidationError(
            _(
                "The file “%(name)s” is a password-protected Excel workbook, which the portal "
                "cannot read. Open it in Excel, remove the password (File → Info → Protect "
                "Workbook → Encrypt with Password, then clear the password), save it as an "
                "Excel workbook (.xlsx) and try again."
            ),
            code="protected_workbook",
            params=params,
        )
    if streams & {"Workbook", "Book"}:
        return ValidationError(
            _(
                "The file “%(name)s” is an old Excel workbook (.xls, Excel 97–2003), which the "
                "portal does not read. Open it in Excel, choose File → Save As, pick the file "
                "type “Excel Workbook (.xlsx)” and upload that file."
            ),
            code="old_workbook",
            params=params,
        )
    if "WordDocument" in streams:
        return _document_error(name, _("a Word document"), code="word_document")
    if "PowerPoint Document" in streams:
        return _document_error(name, _("a PowerPoint presentation"), code="powerpoint_document")
    return ValidationError(
        _(
            "The file “%(name)s” is an Office file of the old kind (97–2003) but not an Excel "
            "workbook, so the portal cannot read it. Save the sheet from Excel as an Excel "
            "workbook (.xlsx) and try again."
        ),
        code="old_office_file",
        params=params,
    )


def _archive_kind(uploaded_file, name: str) -> str:
    """The kind of a ZIP archive: an Excel workbook, or an OpenDocument spreadsheet (for the
    reader to explain); else an error naming the document it is. Reads the archive's directory
    and at most its few-byte `mimetype` member."""
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            mimetype = ""
            if "mimetype" in names and archive.getinfo("mimetype").file_size <= 100:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        names, members, mimetype = set(), [], ""
    if names >= XLSX_REQUIRED_MEMBERS:
        workbook_limits.check_archive(members, name)
        return SpreadsheetKind.XLSX
    if mimetype == ODS_MIMETYPE:
        return SpreadsheetKind.ODS
    if mimetype in OPENDOCUMENT_NAMES:
        raise _document_error(name, OPENDOCUMENT_NAMES[mimetype](), code="opendocument")
    if "word/document.xml" in names:
        raise _document_error(name, _("a Word document"), code="word_document")
    if "ppt/presentation.xml" in names:
        raise _document_error(name, _("a PowerPoint presentation"), code="powerpoint_document")
    # Any other archive, renamed: it looks like a workbook to everything but this check.
    raise ValidationError(
        _(
            "The file “%(name)s” is not an Excel workbook. It may be another kind of "
            "document, such as a Word file, that has been renamed. Save the sheet from Excel "
            "as an Excel workbook (.xlsx) and try again."
        ),
        code="not_a_workbook",
        params={"name": name},
    )


def _document_error(name: str, document: str, *, code: str) -> ValidationError:
    return ValidationError(
        _(
            "The file “%(name)s” is %(document)s, not a spreadsheet, so the portal cannot "
            "read it. Copy the table into a sheet in Excel, save it as an Excel workbook "
            "(.xlsx) and try again."
        ),
        code=code,
        params={"name": name, "document": document},
    )


def _is_csv_text(head: bytes, *, complete: bool) -> bool:
    if b"\x00" in head:
        return False
    text = _decode(head, final=complete)
    if text is None:
        return False
    if len(BINARY_CONTROL_CHARACTERS.findall(text)) > max(
        PASTED_CONTROL_CHARACTERS, len(text) // 1000
    ):
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
