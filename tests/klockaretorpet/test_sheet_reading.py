"""Reading sheets the world writes (`klockaretorpet.sheet_reading`): what each tool leaves in a
file, refused or read with a message naming the file, the sheet, the row or the cell."""

import datetime

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from plans.resources import ActivityResource, read_activity_sheet
from tests.sheet_files import (
    as_excel_csv,
    raw_workbook,
    saved_by_libreoffice,
    text_cell,
    upload,
    workbook_bytes,
    xlsxwriter_workbook,
)

HEADINGS = ["Referenskod", "Strategi", "Aktivitet", "Status"]


def refusal(content: bytes, name="aktiviteter.xlsx") -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        read_activity_sheet(upload(content, name))
    return refused.value


def heading_xml(headings=HEADINGS) -> str:
    cells = "".join(text_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(headings))
    return f'<row r="1">{cells}</row>'


# --- formulas ------------------------------------------------------------------------------


def test_xlsxwriter_formula_with_its_placeholder_result_is_refused_naming_the_cell():
    # XlsxWriter stores 0 as the result of every formula: imported, the title would be "0".
    content = xlsxwriter_workbook(
        [HEADINGS, ["", "3.3", "Skyltning", "planerad"]],
        formulas={"C3": '=C2&" skyltning"'},
    )

    error = refusal(content)

    assert error.code == "untrusted_formulas"
    assert error.messages == [
        "Cellerna C3 i filen ”aktiviteter.xlsx” innehåller formler vars värden inget "
        "kalkylprogram har räknat ut (programmet som skrev filen sparar platshållare, som 0, i "
        "stället), så importen kan inte veta vad de visar. Skriv in själva värdena i cellerna, "
        "eller öppna filen i Excel eller LibreOffice, låt den räkna om, spara och försök igen."
    ]


def test_text_starting_with_an_equals_sign_written_by_pandas_or_openpyxl_is_refused():
    # pandas writes a string starting with "=" as a formula, without a result.
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADINGS)
    workbook.active.append(["", "3.3", '=A14&" skyltning"', "planerad"])

    error = refusal(workbook_bytes(workbook))

    assert error.code == "uncalculated_formulas"
    assert "C2" in error.messages[0]


@pytest.mark.needs("libreoffice-calc-nogui")
def test_a_formula_libreoffice_calculated_is_read_as_its_value(tmp_path):
    # Written without a result (as pandas does); LibreOffice calculates it when it opens the
    # file and stores the result when it saves.
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADINGS)
    workbook.active.append(["", "3.3", '="Skyltning"&" vid spåret"', "planerad"])

    sheet = read_activity_sheet(upload(saved_by_libreoffice(workbook_bytes(workbook), tmp_path)))

    assert sheet[0][2] == "Skyltning vid spåret"


def test_cells_showing_an_error_value_are_refused():
    content = raw_workbook(
        heading_xml()
        + '<row r="2"><c r="B2" t="str"><v>3.3</v></c><c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v>'
        "</c></row>"
    )

    error = refusal(content)

    assert error.code == "error_values"
    assert "C2" in error.messages[0]


# --- hostile and wide sheets ---------------------------------------------------------------


def test_a_value_far_right_of_the_table_is_refused_naming_the_cell_and_the_limit():
    # One "x" per row in column XFD: openpyxl's reader pads each such row to 16,384 cells.
    rows = "".join(f'<row r="{n}">{text_cell(f"XFD{n}", "x")}</row>' for n in range(2, 20_002))

    error = refusal(raw_workbook(heading_xml() + rows))

    layout = ActivityResource.sheet_layout()
    assert error.code == "too_wide"
    assert error.messages == [
        f"Cell XFD2 i filen ”aktiviteter.xlsx” ligger till höger om tabellen: ett blad för den "
        f"här importen har högst {layout.max_columns} kolumner (A–AC). Ta bort cellerna till "
        f"höger om kolumn AC och försök igen."
    ]


def test_rows_are_never_padded_beyond_the_headings():
    last = openpyxl.utils.get_column_letter(ActivityResource.sheet_layout().max_columns)
    rows = "".join(
        f'<row r="{n}">{text_cell(f"B{n}", "3.3")}{text_cell(f"C{n}", "Titel")}'
        f"{text_cell(f'{last}{n}', 'anteckning')}</row>"
        for n in range(2, 500)
    )

    sheet = read_activity_sheet(upload(raw_workbook(heading_xml() + rows)))

    assert len(sheet) == 498
    assert {len(row) for row in sheet} == {len(HEADINGS)}


def test_formatted_cells_right_of_the_table_hold_nothing_and_are_ignored():
    # Excel keeps a style on cells someone once formatted; they have no value.
    row = f'<row r="2">{text_cell("B2", "3.3")}{text_cell("C2", "Titel")}<c r="XFD2" s="1"/></row>'

    sheet = read_activity_sheet(upload(raw_workbook(heading_xml() + row)))

    assert list(sheet[0]) == [None, "3.3", "Titel", None]


def test_a_cell_longer_than_excel_allows_is_refused():
    long_text = "a" * 32_768
    content = raw_workbook(
        heading_xml() + f'<row r="2">{text_cell("B2", "3.3")}{text_cell("C2", long_text)}</row>'
    )

    error = refusal(content)

    assert error.code == "cell_too_long"
    assert "C2" in error.messages[0]


# --- where the rows are ----------------------------------------------------------------------


def test_rows_keep_the_numbers_the_spreadsheet_program_shows_below_blank_rows():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADINGS)
    sheet["B2"], sheet["C2"] = "3.3", "Första"
    # Rows 3–11 are empty, one of them formatted.
    sheet["D7"].number_format = "0.00"
    sheet["B12"], sheet["C12"] = "3.3", "Tolfte"

    read = read_activity_sheet(upload(workbook_bytes(workbook)))

    assert read.row_numbers == [2, 12]


def test_cells_are_read_as_the_spreadsheet_program_shows_them_escapes_decoded():
    # Excel keeps a carriage return, and any control character, as "_xHHHH_"; a typed
    # "_x0041_" it writes with its underscore escaped ("_x005F_").
    cells = [
        text_cell("B2", "3.3"),
        text_cell("C2", "Rad ett_x000D_\nrad två"),
        text_cell("D2", "Dold_x0001_ text, skrivet _x005F_x0041_"),
    ]
    rows = heading_xml() + f'<row r="2">{"".join(cells)}</row>'

    read = read_activity_sheet(upload(raw_workbook(rows)))

    assert read[0][2:] == ("Rad ett\r\nrad två", "Dold\x01 text, skrivet _x0041_")


def test_a_csv_row_with_line_breaks_in_a_cell_counts_as_one_row():
    text = 'Referenskod;Strategi;Aktivitet\r\n;3.3;"Rad ett\nrad två"\r\n;3.3;Tredje\r\n'

    read = read_activity_sheet(upload(text.encode(), "aktiviteter.csv"))

    assert read.row_numbers == [2, 3]


def test_the_sheet_with_the_columns_is_read_when_an_instruction_sheet_comes_first():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Instruktioner"
    workbook.active["A1"] = "Fyll i bladet Aktiviteter och ladda upp filen."
    data = workbook.create_sheet("Aktiviteter")
    data.append(HEADINGS)
    data.append(["", "3.3", "Skyltning", "planerad"])
    workbook.active = 0

    read = read_activity_sheet(upload(workbook_bytes(workbook)))

    assert read.sheet_name == "Aktiviteter"
    assert read[0][2] == "Skyltning"


def test_no_sheet_with_the_columns_names_the_sheets_read():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Instruktioner"
    workbook.active["A1"] = "Läs mig"
    workbook.create_sheet("Data")["A1"] = "Referenskod"

    error = refusal(workbook_bytes(workbook))

    assert error.code == "missing_columns"
    assert "lästa blad: ”Instruktioner”, ”Data”" in error.messages[0]


def test_merged_cells_in_a_column_of_the_table_are_refused_as_merged():
    rows = (
        heading_xml()
        + f'<row r="2">{text_cell("B2", "3.3")}{text_cell("C2", "Första")}</row>'
        + f'<row r="3">{text_cell("C3", "Andra")}</row>'
    )

    error = refusal(
        raw_workbook(rows, after_rows='<mergeCells><mergeCell ref="B2:B3"/></mergeCells>')
    )

    assert error.code == "merged_cells"
    assert error.messages[0].startswith(
        "Cellerna B2:B3 i filen ”aktiviteter.xlsx” är sammanfogade, i kolumnen ”Strategi”."
    )


def test_a_column_heading_given_twice_is_refused_naming_both_columns():
    workbook = openpyxl.Workbook()
    workbook.active.append([*HEADINGS, "Aktivitet"])
    workbook.active.append(["", "3.3", "Ett", "planerad", "Två"])

    error = refusal(workbook_bytes(workbook))

    assert error.messages == [
        "Kolumnen ”Aktivitet” finns två gånger i filen ”aktiviteter.xlsx” (kolumnerna C och E). "
        "Behåll en av dem."
    ]


# --- limits, checked while reading ---------------------------------------------------------


def test_the_row_limit_stops_reading_at_the_first_row_over_it(settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = "".join(
        f'<row r="{n}">{text_cell(f"B{n}", "3.3")}{text_cell(f"C{n}", f"Rad {n}")}</row>'
        for n in range(2, 6)
    )
    # A row the reader would refuse, after the limit: reading never gets that far.
    beyond = f'<row r="6">{text_cell("XFD6", "x")}</row>'

    error = refusal(raw_workbook(heading_xml() + rows + beyond))

    assert error.code == "too_many_rows"
    assert error.messages == [
        "Filen ”aktiviteter.xlsx” har fler än 3 rader; högst 3 kan importeras på en gång. "
        "Dela upp den i flera filer."
    ]


# --- CSV -----------------------------------------------------------------------------------


def test_a_windows_1252_csv_from_excel_is_read_and_known_to_have_lost_characters():
    workbook = openpyxl.Workbook()
    workbook.active.append([*HEADINGS, "Indikatorer"])
    workbook.active.append(["", "3.3", "Skyltning för gående", "planerad", "Besök: 1 → 2"])

    read = read_activity_sheet(upload(as_excel_csv(workbook, encoding="cp1252"), "a.csv"))

    assert read.lossy_encoding == "cp1252"
    assert read[0][2] == "Skyltning för gående"
    assert read[0][4] == "Besök: 1 ? 2"


def test_dates_in_a_csv_are_read_as_the_text_excel_shows():
    workbook = openpyxl.Workbook()
    workbook.active.append([*HEADINGS, "Senast ändrad"])
    workbook.active.append(
        # A cell's time has no zone: Excel shows it as typed.
        ["1.1.1", "1.1", "T", "planerad", datetime.datetime(2026, 3, 2, 10, 6, 17)],  # noqa: DTZ001
    )
    workbook.active["E2"].number_format = "yyyy-mm-dd hh:mm:ss"

    read = read_activity_sheet(upload(as_excel_csv(workbook), "a.csv"))

    assert read[0][4] == "2026-03-02 10:06:17"
    assert read.created is None
