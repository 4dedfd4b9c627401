"""Sheets as other programs write them, for the import's tests: Swedish Excel's CSV (semicolons,
UTF-8 with a byte order mark or Windows-1252, cells as they are shown), XlsxWriter's workbooks,
LibreOffice's (through `soffice`, where it is installed) and raw worksheet XML for files no
program would write."""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

SOFFICE = shutil.which("soffice")
SHEET = "xl/worksheets/sheet1.xml"

# Excel shows a cell by its number format; a CSV keeps what it shows.
SHOWN_AS = {
    "yyyy-mm-dd hh:mm:ss": "%Y-%m-%d %H:%M:%S",
    "yyyy-mm-dd hh:mm": "%Y-%m-%d %H:%M",
    "yyyy-mm-dd": "%Y-%m-%d",
    "yyyy-mm": "%Y-%m",
}


def upload(content: bytes, name: str = "aktiviteter.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_excel_csv(workbook, *, encoding: str = "utf-8-sig") -> bytes:
    """The active sheet saved by Swedish Excel as CSV: “CSV UTF-8” (`utf-8-sig`) or plain
    “CSV (semikolonavgränsad)” (`cp1252`, characters it lacks become "?")."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in workbook.active.iter_rows():
        writer.writerow([_shown(cell) for cell in row])
    return buffer.getvalue().encode(encoding, errors="replace")


def _shown(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime(SHOWN_AS.get(cell.number_format, "%Y-%m-%d %H:%M:%S"))
    return str(value)


def without_column(workbook, header: str):
    sheet = workbook.active
    for cell in sheet[1]:
        if cell.value == header:
            sheet.delete_cols(cell.column)
            return workbook
    raise AssertionError(header)


def rewritten(content: bytes, replace: dict[str, bytes]) -> bytes:
    """The same xlsx archive with some members replaced."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename) or source.read(info))
    return buffer.getvalue()


def raw_workbook(rows_xml: str, *, after_rows: str = "") -> bytes:
    """A workbook whose only worksheet is the given `<row>` elements (and what follows
    `sheetData`, e.g. `<mergeCells>`), with no `<dimension>`."""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows_xml}</sheetData>{after_rows}</worksheet>"
    )
    return rewritten(workbook_bytes(openpyxl.Workbook()), {SHEET: sheet.encode()})


def text_cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def xlsxwriter_workbook(rows: list[list], *, formulas: dict[str, str] | None = None) -> bytes:
    """Rows written by XlsxWriter (as pandas' default engine does), with formulas by cell;
    XlsxWriter stores 0 as every formula's result and asks Excel to calculate on opening."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Aktiviteter")
    for row_index, row in enumerate(rows):
        for column_index, value in enumerate(row):
            if value is not None:
                sheet.write(row_index, column_index, value)
    for reference, formula in (formulas or {}).items():
        sheet.write_formula(reference, formula)
    book.close()
    return buffer.getvalue()


def saved_by_libreoffice(content: bytes, tmp_path: Path, *, to: str = "xlsx", name="in.xlsx"):
    """`content` opened and saved by LibreOffice as `to` (xlsx, or csv as UTF-8 with
    semicolons)."""
    source = tmp_path / name
    source.write_bytes(content)
    out = tmp_path / "libreoffice"
    target = {"xlsx": "xlsx", "csv": "csv:Text - txt - csv (StarCalc):59,34,76,1"}[to]
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", target, "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    return (out / f"{source.stem}.{to}").read_bytes()


def encrypted(content: bytes, password: str = "hemligt") -> bytes:  # noqa: S107
    """The workbook encrypted with a password, as Excel does (OLE2 with EncryptedPackage)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(content)).encrypt(password, out)
    return out.getvalue()


def converted_by_libreoffice(content: bytes, tmp_path: Path, to: str) -> bytes:
    """The workbook converted by LibreOffice Calc to `to` (xls, ods, pdf)."""
    source = tmp_path / "in.xlsx"
    source.write_bytes(content)
    out = tmp_path / "libreoffice"
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", to, "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    return (out / f"in.{to}").read_bytes()


def renamed_stream(compound: bytes, old: str, new: str) -> bytes:
    """An OLE2 file with one stream renamed in its directory (Writer and Impress are not
    installed with LibreOffice Calc: a .doc or .ppt is the directory of a real compound file
    naming Word's or PowerPoint's main stream)."""
    entry = old.encode("utf-16-le") + b"\0\0"
    at = compound.index(entry)
    assert at % 128 == 0
    name = new.encode("utf-16-le") + b"\0\0"
    record = name.ljust(64, b"\0") + len(name).to_bytes(2, "little")
    return compound[:at] + record + compound[at + 66 :]
