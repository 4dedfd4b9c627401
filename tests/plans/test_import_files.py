"""Files that are hard to read (damaged, hostile, uncalculated, empty, written by LibreOffice)
and the sample files in fixtures/excel/: each gives a clear message and writes nothing."""

import datetime
import io
import re
import shutil
import subprocess
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import openpyxl.xml
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl.styles import Font

from plans.models import Activity
from plans.resources import (
    ActivityResource,
    export_activities_workbook,
    import_activities,
    read_activity_sheet,
)
from strategies.models import IntentDeclaration

pytestmark = pytest.mark.django_db

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "excel"
SHEET = "xl/worksheets/sheet1.xml"
BOOK = "xl/workbook.xml"
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
SOFFICE = shutil.which("soffice")


@pytest.fixture
def declaration(db):
    # The plan exactly as in the fixture, so the sample files match it row for row.
    call_command("loaddata", "klockaretorpet", verbosity=0)
    return IntentDeclaration.objects.get(slug="klockaretorpet")


@pytest.fixture
def importer(django_user_model):
    return django_user_model.objects.create_user("importor", first_name="Ingrid")


def exported_bytes(declaration) -> bytes:
    plan = declaration.activity_plans.get()
    _name, content = export_activities_workbook(
        plan.activities.all(), declaration_slug=declaration.slug
    )
    return content


def exported_sheet(declaration):
    return openpyxl.load_workbook(io.BytesIO(exported_bytes(declaration)))


def workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="aktiviteter.xlsx"):
    return SimpleUploadedFile(name, content)


def columns(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1]}


def row_of(sheet, code) -> int:
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == code:
            return row[0].row
    raise AssertionError(code)


def refusal(content: bytes, name="aktiviteter.xlsx") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        read_activity_sheet(upload(content, name))
    return caught.value


def import_file(declaration, content, user, *, name="aktiviteter.xlsx", dry_run=True):
    dataset = read_activity_sheet(upload(content, name))
    return import_activities(declaration=declaration, dataset=dataset, user=user, dry_run=dry_run)


def rewritten(content: bytes, replace: dict[str, bytes]) -> bytes:
    """The same xlsx archive with some members replaced or added."""
    replace = dict(replace)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, replace.pop(info.filename, None) or source.read(info))
        for name, data in replace.items():
            target.writestr(name, data)
    return buffer.getvalue()


def member(content: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(name)


def with_flipped_bytes(content: bytes, name: str) -> bytes:
    """The archive with bytes in the middle of one member's compressed data overwritten, as a
    broken download or disk leaves it; the archive's directory is intact."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo(name)
    data = bytearray(content)
    # A local header is 30 bytes plus the name and extra field; openpyxl writes no extra field.
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle : middle + 16] = b"\xff" * 16
    return bytes(data)


def billion_laughs(root: str) -> bytes:
    entities = "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY lol0 "lol">{entities}]>'
        f'<{root} xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"&lol9;</{root}>"
    ).encode()


def history_total() -> int:
    return Activity.history.count()


# --- damaged and hostile workbooks ----------------------------------------------------------


def truncated_sheet(content: bytes) -> bytes:
    return rewritten(content, {SHEET: member(content, SHEET)[:900]})


def garbage_sheet(content: bytes) -> bytes:
    return rewritten(content, {SHEET: b"\x00\x93garbage\xff" * 40})


def corrupt_compressed_sheet(content: bytes) -> bytes:
    return with_flipped_bytes(content, SHEET)


@pytest.mark.parametrize(
    "damage",
    [truncated_sheet, garbage_sheet, corrupt_compressed_sheet],
    ids=lambda damage: damage.__name__,
)
def test_damaged_workbook_is_refused_as_damaged_naming_the_file(declaration, damage):
    error = refusal(damage(exported_bytes(declaration)), name="plan från Karin.xlsx")

    assert error.code == "damaged_workbook"
    assert "plan från Karin.xlsx" in error.messages[0]
    assert "Excel" in error.messages[0]


def test_openpyxl_parses_workbooks_through_defusedxml():
    # openpyxl switches to defusedxml only when it is importable and not turned off by the
    # OPENPYXL_DEFUSEDXML variable. Without it, expat's own amplification limit still stops a
    # bomb, but only after ~1 s and ~60 MB, and the user is told the file is damaged.
    assert openpyxl.xml.DEFUSEDXML is True


def bomb_in_shared_strings(content: bytes) -> bytes:
    # openpyxl finds the shared strings through the content types, so declare them there.
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
    types = member(content, "[Content_Types].xml").replace(
        b"</Types>", override.encode() + b"</Types>"
    )
    return rewritten(
        content,
        {"xl/sharedStrings.xml": billion_laughs("sst"), "[Content_Types].xml": types},
    )


def bomb_in_sheet(content: bytes) -> bytes:
    return rewritten(content, {SHEET: billion_laughs("worksheet")})


@pytest.mark.parametrize(
    "bomb", [bomb_in_shared_strings, bomb_in_sheet], ids=lambda bomb: bomb.__name__
)
def test_xml_bomb_is_refused_quickly_without_exhausting_memory(declaration, bomb):
    content = bomb(exported_bytes(declaration))

    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = refusal(content)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.code == "unsafe_workbook"
    assert "aktiviteter.xlsx" in error.messages[0]
    assert peak < 50 * 1024 * 1024
    assert elapsed < 5


# --- formulas -------------------------------------------------------------------------------


def test_formulas_never_calculated_are_refused_listing_their_cells():
    # openpyxl, like most scripts, writes formulas without the value Excel would cache.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Referenskod", "Strategi", "Aktivitet", "Planerad start"])
    sheet["B2"], sheet["C2"] = "1.1", "Städdag"
    sheet["C3"] = '=CONCATENATE("Städdag", " ", "höst")'
    sheet["D7"] = "=DATE(2025,4,1)"
    sheet["B7"], sheet["C7"] = "1.2", "Vårstädning"

    error = refusal(workbook_bytes(workbook), name="skript.xlsx")

    assert error.code == "uncalculated_formulas"
    assert error.params == {"name": "skript.xlsx", "cells": "C3, D7"}
    assert "LibreOffice" in error.messages[0]


def test_at_most_ten_uncalculated_cells_are_listed():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Referenskod", "Strategi", "Aktivitet"])
    for row in range(2, 17):
        sheet.cell(row, 3).value = f'=UPPER("aktivitet {row}")'

    error = refusal(workbook_bytes(workbook))

    assert error.params["cells"] == "C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, …"


def test_uncalculated_formulas_are_found_in_sheets_with_a_namespace_prefix():
    # The Open XML SDK (.NET) writes <x:c><x:f>…</x:f></x:c>; the quick "are there formulas at
    # all" scan must not take such a sheet for one without.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Referenskod", "Strategi", "Aktivitet"])
    sheet["B2"], sheet["C2"] = "1.1", '=UPPER("städdag")'
    content = workbook_bytes(workbook)
    plain = member(content, SHEET).decode()
    prefixed = re.sub(r"<(/?)(\w+)([\s/>])", r"<\1x:\2\3", plain).replace(
        'xmlns="http://schemas', 'xmlns:x="http://schemas'
    )
    assert "<x:f>" in prefixed

    error = refusal(rewritten(content, {SHEET: prefixed.encode()}))

    assert error.code == "uncalculated_formulas"
    assert error.params["cells"] == "C2"


def with_text_results(content: bytes, results: dict[str, str]) -> bytes:
    """The workbook as Excel saves it after calculating: each formula cell (by coordinate)
    holds its text result beside the formula, empty text included."""
    sheet_xml = member(content, SHEET).decode()
    for coordinate, result in results.items():
        sheet_xml, replaced = re.subn(
            rf'<c r="{coordinate}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
            rf'<c r="{coordinate}"\1 t="str"><f>\2</f><v>{result}</v>',
            sheet_xml,
        )
        assert replaced == 1, coordinate
    # Excel stores no request to calculate again on opening; openpyxl does, for its formulas
    # have no results.
    workbook_xml = re.sub(
        r"<calcPr [^>]*/>", '<calcPr calcId="191029"/>', member(content, BOOK).decode()
    )
    return rewritten(content, {SHEET: sheet_xml.encode(), BOOK: workbook_xml.encode()})


def test_formulas_with_cached_values_import_the_cached_value(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    row = row_of(sheet, "1.1.1")
    status = sheet.cell(row, columns(sheet)["Status"])
    status.value = '=LOWER("PLANERAD")'
    # An empty result is a result too, e.g. of a formula that leaves most rows blank.
    unit = sheet.cell(row, columns(sheet)["Ansvarig enhet eller kontakt"])
    unit.value = '=IF(ISBLANK(G2),"","Enheten för "&G2)'
    content = with_text_results(
        workbook_bytes(workbook), {status.coordinate: "planerad", unit.coordinate: ""}
    )

    outcome = import_file(declaration, content, importer)

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 0, "changed": 0, "unchanged": 4, "invalid": 0}


def test_text_that_merely_starts_with_an_equals_sign_is_not_a_formula(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    cell = sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Beskrivning"])
    cell.value = "=Samma som förra året"
    cell.data_type = "s"
    before = history_total()

    outcome = import_file(declaration, workbook_bytes(workbook), importer, dry_run=False)

    assert outcome.ok, outcome.problems
    assert Activity.objects.get(reference_code="1.1.1").description == "=Samma som förra året"
    assert history_total() == before + 1


# --- empty sheets and blank rows ------------------------------------------------------------


def test_sheet_with_only_the_heading_row_is_refused_as_having_no_rows(declaration, importer):
    workbook = exported_sheet(declaration)
    workbook.active.delete_rows(2, workbook.active.max_row)
    before = history_total()

    error = refusal(workbook_bytes(workbook))

    assert error.messages == ["Filen ”aktiviteter.xlsx” har inga rader under rubrikraden."]
    assert history_total() == before


def _empty_workbook():
    return workbook_bytes(openpyxl.Workbook())


def _headings_on_row_three():
    workbook = openpyxl.Workbook()
    workbook.active["A3"], workbook.active["B3"] = "Referenskod", "Strategi"
    workbook.active["A4"], workbook.active["B4"] = "", "1.1"
    return workbook_bytes(workbook)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        pytest.param(_empty_workbook(), "tom.xlsx", id="empty-workbook"),
        pytest.param(_headings_on_row_three(), "tom.xlsx", id="headings-below-blank-rows"),
        pytest.param(b"\xef\xbb\xbf\r\n", "tom.csv", id="csv-only-byte-order-mark"),
        pytest.param(b";;;;\r\n;3.3;Skyltning;;\r\n", "tom.csv", id="csv-blank-heading-row"),
    ],
)
def test_sheet_without_a_heading_row_is_refused_asking_for_headings(content, name):
    error = refusal(content, name)

    assert error.code == "no_headings"
    assert error.params == {"name": name}


def test_trailing_blank_rows_are_not_rows(declaration, importer):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    last = sheet.max_row
    # Excel keeps rows it once formatted: cells with a style and no value.
    for row in range(last + 1, last + 6):
        for column in range(1, sheet.max_column + 1):
            sheet.cell(row, column).font = Font(italic=True)
    content = workbook_bytes(workbook)
    assert openpyxl.load_workbook(io.BytesIO(content)).active.max_row == last + 5

    outcome = import_file(declaration, content, importer)

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 0, "changed": 0, "unchanged": 4, "invalid": 0}


def without_declared_size(content: bytes) -> bytes:
    sheet_xml = re.sub(rb"<dimension [^>]*/>", b"", member(content, SHEET))
    return rewritten(content, {SHEET: sheet_xml})


def with_declared_size_a1(content: bytes) -> bytes:
    sheet_xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', member(content, SHEET))
    return rewritten(content, {SHEET: sheet_xml})


@pytest.mark.parametrize(
    "declared_size", [without_declared_size, with_declared_size_a1], ids=lambda f: f.__name__
)
def test_every_cell_is_read_whatever_size_the_workbook_declares(
    declaration, importer, declared_size
):
    # The declared size is optional in the file format, and some programs write it wrong.
    content = declared_size(exported_bytes(declaration))

    outcome = import_file(declaration, content, importer)

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 0, "changed": 0, "unchanged": 4, "invalid": 0}


def test_csv_rows_of_bare_separators_are_not_rows(declaration, importer):
    text = (
        "Referenskod;Strategi;Aktivitet;Status\r\n"
        ";3.3;Skyltning till motionsspåret;planerad\r\n"
        ";;;\r\n"
        ";;;\r\n"
    )

    outcome = import_file(declaration, text.encode(), importer, name="aktiviteter.csv")

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 1, "changed": 0, "unchanged": 0, "invalid": 0}


def test_csv_with_a_single_column_is_refused_naming_the_missing_columns(declaration, importer):
    # One heading has no separator for the sniffer to find.
    text = "Aktivitet\r\nSkyltning till motionsspåret\r\n"

    error = refusal(text.encode(), name="aktiviteter.csv")

    assert "”Referenskod”, ”Strategi”" in error.messages[0]


# --- LibreOffice ----------------------------------------------------------------------------


def saved_by_libreoffice(source: Path, tmp_path: Path) -> Path:
    outdir = tmp_path / "libreoffice"
    # A profile of its own: a shared or read-only one makes soffice exit without converting.
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = outdir / source.name
    assert converted.is_file(), f"soffice wrote nothing to {outdir}"
    return converted


@pytest.mark.needs("libreoffice-calc-nogui")
def test_workbook_saved_by_libreoffice_imports_with_its_formulas_calculated(
    declaration, importer, tmp_path
):
    workbook = exported_sheet(declaration)
    sheet = workbook.active
    sheet.cell(row_of(sheet, "1.1.1"), columns(sheet)["Status"]).value = '=LOWER("PLANERAD")'
    source = tmp_path / "aktiviteter.xlsx"
    workbook.save(source)
    assert refusal(source.read_bytes()).code == "uncalculated_formulas"

    # What the refusal tells the user to do: open the file, let it calculate, save it.
    converted = saved_by_libreoffice(source, tmp_path)
    outcome = import_file(declaration, converted.read_bytes(), importer)

    assert b"xl/sharedStrings.xml" in converted.read_bytes()  # LibreOffice's own layout
    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 0, "changed": 0, "unchanged": 4, "invalid": 0}


# --- the sample files -----------------------------------------------------------------------


def test_sample_export_has_the_columns_of_todays_export():
    # When the export's columns change, regenerate the samples (see fixtures/excel/README.md).
    sample = openpyxl.load_workbook(SAMPLES / "klockaretorpet-aktiviteter.xlsx").active
    expected = [str(field.column_name) for field in ActivityResource().get_export_fields()]

    assert [cell.value for cell in sample[1]] == expected


def test_sample_export_imports_with_every_row_unchanged(declaration, importer):
    path = SAMPLES / "klockaretorpet-aktiviteter.xlsx"

    outcome = import_file(declaration, path.read_bytes(), importer, name=path.name)

    assert outcome.ok, outcome.problems
    assert outcome.counts == {"new": 0, "changed": 0, "unchanged": 4, "invalid": 0}


@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "import"])
def test_sample_with_typical_mistakes_reports_each_and_writes_nothing(
    declaration, importer, dry_run
):
    path = SAMPLES / "typiska-fel.xlsx"
    before = (history_total(), Activity.objects.count())

    outcome = import_file(declaration, path.read_bytes(), importer, name=path.name, dry_run=dry_run)

    expected = [
        "Rad 2, kolumn ”Strategi”: Okänd strategi ”1.4 Grönare gårdar”",
        "Rad 3, kolumn ”Planerat slut”: Planerat slut kan inte ligga före",
        "Rad 4, kolumn ”Ansvarig organisation”: Okänd organisation ”Polisen”",
        "Rad 5, kolumn ”Status”: Okänt värde ”klar”",
        "Rad 6, kolumn ”Planerad start”: ”våren 2025” är inte en månad",
    ]
    assert len(outcome.problems) == len(expected), outcome.problems
    for problem, start in zip(outcome.problems, expected, strict=True):
        assert problem.startswith(start), problem
    assert (history_total(), Activity.objects.count()) == before
    assert Activity.objects.get(reference_code="3.2.1").status == "planned"
    assert Activity.objects.get(reference_code="1.2.1").planned_start is None
    assert not Activity.objects.filter(planned_end=datetime.date(2025, 8, 1)).exists()
