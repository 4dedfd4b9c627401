"""How much of an uploaded workbook the portal unpacks and parses: every limit in one place.

Reading any file the upload limit accepts must stay within about 150 MB above the process's
size (issue 12, case 14; `benchmarks/upload_limits.py` measures it). The worksheet is streamed
cell by cell, so it is bounded only by the whole archive's unpacked size; the other parts the
reader parses are read whole (openpyxl builds a tree or a list of them), so each has its own,
smaller limit. A part's unpacked size is read from the archive's directory, before the part is
opened: Python's `zipfile` never unpacks more than a member's stated size (it stops there and
reports the file as damaged), so the stated sizes bound what is unpacked.

Each refusal is a `ValidationError` naming the file, raised before the part is parsed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MEGABYTE = 1024 * 1024
DEFAULT_UPLOAD_MAX_BYTES = 5 * MEGABYTE
# Real workbooks compress 5–10 times; a worksheet of repeated rows compresses far more, and it
# is only streamed, so 16 times the upload limit (80 MB) leaves room for any real sheet.
UNPACKED_PER_UPLOADED_BYTE = 16
# Members of one archive: a workbook has a dozen or two, a few hundred with many images.
MAX_MEMBERS = 2_000
# The shared strings (every distinct text of the workbook) are held as a list of strings: the
# part's size bounds their text, the count bounds the objects around it (~100 bytes a string).
# Measured: 32 MB of strings, 160,000 of them, need about 80 MB (benchmarks/upload_limits.py).
SHARED_STRINGS_MAX_BYTES = 32 * MEGABYTE
SHARED_STRINGS_MAX_COUNT = 160_000
# Any other part read whole: the styles, the workbook, the content types, relationships,
# document properties, the theme. Excel writes them in kilobytes; a styles part bloated by
# copied formats reaches a megabyte or two. Measured: a 4 MB styles part needs about 70 MB.
OTHER_PART_MAX_BYTES = 4 * MEGABYTE
# Streamed parts (the worksheet, the shared strings) drop each element once read, but for the
# elements of the cell or string being read and its ancestors: a text split into millions of
# runs, or elements nested millions deep, would otherwise be held whole. Excel nests about six
# deep and splits a cell's text into at most a few hundred runs.
MAX_XML_DEPTH = 32
MAX_ELEMENTS_PER_TEXT = 10_000


def max_upload_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES)


def max_unpacked_bytes() -> int:
    return getattr(
        settings, "UPLOAD_MAX_UNPACKED_BYTES", UNPACKED_PER_UPLOADED_BYTE * max_upload_bytes()
    )


def check_archive(infolist, name: str) -> None:
    """Refuse an archive with too many members or unpacking to more than the limit."""
    if len(infolist) > MAX_MEMBERS:
        raise ValidationError(
            _(
                "The file “%(name)s” holds %(count)s parts, far more than an Excel workbook "
                "has, so the portal does not open it. Save the sheet from Excel as an Excel "
                "workbook (.xlsx) and try again."
            ),
            code="too_many_parts",
            params={"name": name, "count": number_format(len(infolist), force_grouping=True)},
        )
    if sum(member.file_size for member in infolist) > max_unpacked_bytes():
        # A few megabytes of zip can unpack to gigabytes (a zip bomb).
        raise ValidationError(
            _(
                "The file “%(name)s” unpacks to far more data than a spreadsheet of its size "
                "holds, so the portal does not open it. Save the sheet from Excel as an Excel "
                "workbook (.xlsx) and try again."
            ),
            code="unpacks_too_large",
            params={"name": name},
        )


def check_shared_strings_size(size: int, name: str) -> None:
    if size > SHARED_STRINGS_MAX_BYTES:
        raise _too_much_text(name)


def check_shared_strings_count(count: int, name: str) -> None:
    if count > SHARED_STRINGS_MAX_COUNT:
        raise _too_much_text(name)


def check_part_size(part: str, size: int, name: str) -> None:
    """Refuse a part other than a worksheet or the shared strings that is larger than the
    reader parses whole."""
    if size > OTHER_PART_MAX_BYTES:
        raise ValidationError(
            _(
                "The file “%(name)s” holds a part (%(part)s) of %(size)s MB, far larger than "
                "Excel writes it, so the portal does not open the file. Copy the sheet's cells "
                "into a new workbook in Excel, save it as an Excel workbook (.xlsx) and try "
                "again."
            ),
            code="part_too_large",
            params={"name": name, "part": part, "size": _megabytes(size)},
        )


def too_complex(name: str) -> ValidationError:
    return ValidationError(
        _(
            "The file “%(name)s” holds a cell or text built in a way Excel never writes "
            "(nested or split into far too many parts), so the portal does not open it. Copy "
            "the sheet's cells into a new workbook in Excel, save it as an Excel workbook "
            "(.xlsx) and try again."
        ),
        code="too_complex",
        params={"name": name},
    )


def _too_much_text(name: str) -> ValidationError:
    return ValidationError(
        _(
            "The file “%(name)s” holds more distinct texts (more than %(count)s, or more than "
            "%(size)s MB of them) than the portal reads from one workbook. Import the rows in "
            "several smaller files, or save the sheet as CSV and try again."
        ),
        code="too_many_strings",
        params={
            "name": name,
            "count": number_format(SHARED_STRINGS_MAX_COUNT, force_grouping=True),
            "size": _megabytes(SHARED_STRINGS_MAX_BYTES),
        },
    )


def _megabytes(size: int) -> str:
    return number_format(round(size / MEGABYTE, 1), decimal_pos=1)
