import contextlib
import io
import zipfile

import openpyxl
import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import translation

from klockaretorpet import workbook_limits
from klockaretorpet.sheet_reading import SheetLayout, read_sheet
from klockaretorpet.uploads import (
    SPREADSHEET_KINDS,
    SpreadsheetUploadValidator,
    validate_spreadsheet_upload,
)
from tests.sheet_files import (
    converted_by_libreoffice,
    encrypted,
    raw_workbook,
    renamed_stream,
    rewritten,
    workbook_bytes,
    xlsxwriter_workbook,
)

MEGABYTE = 1024 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def zip_archive(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    # The parts an Excel workbook always has; openpyxl is not a dependency yet.
    return zip_archive(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
            ),
            "_rels/.rels": "<Relationships/>",
            "xl/workbook.xml": '<workbook><sheets><sheet name="Aktiviteter"/></sheets></workbook>',
            "xl/worksheets/sheet1.xml": "<worksheet><sheetData/></worksheet>",
        }
    )


def docx_bytes() -> bytes:
    return zip_archive(
        {
            "[Content_Types].xml": "<Types/>",
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": "<w:document><w:body>Avsiktsförklaring</w:body></w:document>",
        }
    )


SEMICOLON_CSV_UTF8_BOM = (
    "\ufeffKod;Aktivitet;Ansvar\r\n1.1.1;Läxhjälp på fritidsgården;Kommunen\r\n"
)
CP1252_CSV = "Kod;Aktivitet\r\n2.1.3;Språkcafé för föräldrar – vår och höst\r\n".encode("cp1252")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def upload(name: str, content: bytes, content_type: str = XLSX_CONTENT_TYPE):
    return SimpleUploadedFile(name, content, content_type=content_type)


def rejection(uploaded_file) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_spreadsheet_upload(uploaded_file)
    return caught.value


class CountingBytesIO(io.BytesIO):
    """Remembers how many bytes were read, to prove a large file is not read whole."""

    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_kinds_are_xlsx_and_csv_and_ods_for_the_reader_to_explain():
    assert set(SPREADSHEET_KINDS) == {"xlsx", "csv", "ods"}


def test_xlsx_workbook_is_recognised_as_xlsx():
    assert validate_spreadsheet_upload(upload("aktivitetsplan.xlsx", xlsx_bytes())) == "xlsx"


def test_workbook_is_recognised_whatever_its_name():
    assert validate_spreadsheet_upload(upload("export", xlsx_bytes(), "text/plain")) == "xlsx"


def test_semicolon_csv_in_utf8_with_byte_order_mark_is_recognised_as_csv():
    content = SEMICOLON_CSV_UTF8_BOM.encode("utf-8")
    assert content.startswith(b"\xef\xbb\xbf")
    assert validate_spreadsheet_upload(upload("aktiviteter.csv", content, "text/csv")) == "csv"


def test_csv_saved_as_windows_1252_with_swedish_letters_is_recognised_as_csv():
    with pytest.raises(UnicodeDecodeError):
        CP1252_CSV.decode("utf-8")
    assert validate_spreadsheet_upload(upload("åäö.csv", CP1252_CSV, "text/csv")) == "csv"


def test_csv_longer_than_the_sniffed_part_is_recognised_even_if_a_letter_is_cut_in_two():
    # "å" is two bytes in UTF-8; 65,535 bytes of "a" put its first byte last in the sniffed part.
    content = b"a" * (64 * 1024 - 1) + "å;ö\n".encode() * 10
    assert validate_spreadsheet_upload(upload("lång.csv", content, "text/csv")) == "csv"


def test_pdf_renamed_to_xlsx_is_named_a_pdf_document():
    error = rejection(upload("Avsiktsförklaring.xlsx", PDF))
    assert error.code == "pdf"
    assert "”Avsiktsförklaring.xlsx”" in error.messages[0]


def test_image_is_neither_workbook_nor_csv():
    error = rejection(upload("skärmbild.csv", PNG, "text/csv"))
    assert error.code == "not_a_spreadsheet"
    assert "skärmbild.csv" in error.messages[0]


def test_word_document_renamed_to_xlsx_is_named_a_word_document():
    error = rejection(upload("plan.xlsx", docx_bytes()))
    assert error.code == "word_document"
    assert "plan.xlsx" in error.messages[0]


def test_other_archive_renamed_to_xlsx_is_not_a_workbook():
    error = rejection(upload("plan.xlsx", zip_archive({"bild.png": "x"})))
    assert error.code == "not_a_workbook"
    assert "plan.xlsx" in error.messages[0]


def test_damaged_ole2_file_gets_the_generic_old_office_message():
    error = rejection(upload("skyddad.xlsx", OLE2_MAGIC + b"\x00" * 504))
    assert error.code == "old_office_file"
    assert "skyddad.xlsx" in error.messages[0]
    assert ".xlsx" in error.messages[0].replace("skyddad.xlsx", "")


def test_empty_file_gets_its_own_message():
    error = rejection(upload("tom.csv", b"", "text/csv"))
    assert error.code == "empty"
    assert "tom.csv" in error.messages[0]


def test_file_over_the_limit_states_both_sizes_in_megabytes_with_a_decimal_comma(settings):
    settings.UPLOAD_MAX_BYTES = 1 * MEGABYTE
    with translation.override("sv"):
        error = rejection(upload("stor.xlsx", xlsx_bytes() + b"\x00" * int(1.5 * MEGABYTE)))
    assert error.code == "too_large"
    message = error.messages[0]
    assert "stor.xlsx" in message
    assert "1,6 MB" in message  # 1.5 MB of padding plus the workbook, rounded up
    assert "1 MB" in message


def test_file_just_over_the_limit_never_reads_as_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 2 * MEGABYTE
    with translation.override("sv"):
        error = rejection(upload("precis.csv", b"a" * (2 * MEGABYTE + 1), "text/csv"))
    assert "2,1 MB" in error.messages[0]


def test_limit_is_five_megabytes_without_the_setting(settings):
    del settings.UPLOAD_MAX_BYTES
    assert validate_spreadsheet_upload(upload("ok.csv", b"a;b\n" * (5 * MEGABYTE // 4))) == "csv"
    error = rejection(upload("stor.csv", b"a" * (5 * MEGABYTE + 1), "text/csv"))
    assert error.code == "too_large"


def test_file_over_the_limit_is_refused_without_being_read(settings):
    settings.UPLOAD_MAX_BYTES = 1 * MEGABYTE
    content = CountingBytesIO(b"a;b\n" * MEGABYTE)
    with pytest.raises(ValidationError):
        validate_spreadsheet_upload(UploadedFile(content, "stor.csv", "text/csv", 4 * MEGABYTE))
    assert content.bytes_read == 0


def test_large_text_file_is_recognised_from_a_small_part(settings):
    settings.UPLOAD_MAX_BYTES = 10 * MEGABYTE
    content = CountingBytesIO(b"1.1.1;Aktivitet;Kommunen\n" * (8 * MEGABYTE // 25))
    uploaded = UploadedFile(content, "stor.csv", "text/csv", len(content.getvalue()))
    assert validate_spreadsheet_upload(uploaded) == "csv"
    assert content.bytes_read < 256 * 1024


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("aktivitetsplan.xlsx", xlsx_bytes()),
        ("aktiviteter.csv", SEMICOLON_CSV_UTF8_BOM.encode()),
        ("åäö.csv", CP1252_CSV),
        ("Avsiktsförklaring.xlsx", PDF),
        ("plan.xlsx", docx_bytes()),
        ("skyddad.xlsx", OLE2_MAGIC + b"\x00" * 504),
        ("tom.csv", b""),
    ],
)
def test_file_is_left_at_its_start_whatever_the_outcome(name, content):
    uploaded = upload(name, content)
    if content:
        uploaded.read(3)
    with contextlib.suppress(ValidationError):
        validate_spreadsheet_upload(uploaded)
    assert uploaded.tell() == 0


def test_file_read_before_validation_is_still_sniffed_from_its_start():
    uploaded = upload("aktivitetsplan.xlsx", xlsx_bytes())
    uploaded.read(100)
    assert validate_spreadsheet_upload(uploaded) == "xlsx"


class ImportForm(forms.Form):
    file = forms.FileField(validators=[SpreadsheetUploadValidator()])


def test_form_file_field_refuses_a_renamed_pdf_and_names_it():
    form = ImportForm(files={"file": upload("Avsiktsförklaring.xlsx", PDF)})
    assert not form.is_valid()
    assert "Avsiktsförklaring.xlsx" in form.errors["file"][0]


def test_form_file_field_accepts_a_workbook_ready_to_be_read():
    form = ImportForm(files={"file": upload("aktivitetsplan.xlsx", xlsx_bytes())})
    assert form.is_valid()
    assert form.cleaned_data["file"].tell() == 0


def test_validator_can_be_serialised_into_a_migration():
    assert SpreadsheetUploadValidator().deconstruct() == (
        "klockaretorpet.uploads.SpreadsheetUploadValidator",
        (),
        {},
    )
    assert SpreadsheetUploadValidator() == SpreadsheetUploadValidator()


def test_zip_bomb_dressed_as_a_workbook_is_refused_before_unpacking(settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    settings.UPLOAD_MAX_UNPACKED_BYTES = 16 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        # 60 MB of zeros compress to about 60 kB.
        archive.writestr("xl/sharedStrings.xml", b"\0" * (60 * 1024 * 1024))
    bomb = upload("bomb.xlsx", buffer.getvalue())

    error = rejection(bomb)

    assert error.code == "unpacks_too_large"
    assert "bomb.xlsx" in error.messages[0]


# --- what a file that is no spreadsheet is (issue 12, case 10) ---------------------------------

needs_soffice = pytest.mark.needs("libreoffice-calc-nogui")


def openpyxl_workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["Kod", "Aktivitet"])
    book.active.append(["1.1.1", "Läxhjälp"])
    return workbook_bytes(book)


def swedish_rejection(uploaded_file) -> ValidationError:
    with translation.override("sv"):
        return rejection(uploaded_file)


def test_password_protected_workbook_asks_to_remove_the_password():
    error = swedish_rejection(upload("skyddad.xlsx", encrypted(openpyxl_workbook())))
    assert error.code == "protected_workbook"
    assert error.messages[0].startswith(
        "Filen ”skyddad.xlsx” är en lösenordsskyddad Excelarbetsbok"
    )
    assert "Arkiv → Info → Skydda arbetsbok" in error.messages[0]


@needs_soffice
def test_old_xls_workbook_asks_for_xlsx(tmp_path):
    xls = converted_by_libreoffice(openpyxl_workbook(), tmp_path, "xls")
    error = swedish_rejection(upload("gammal.xls", xls))
    assert error.code == "old_workbook"
    assert "Filen ”gammal.xls” är en Excelarbetsbok av det äldre slaget (.xls" in error.messages[0]


@needs_soffice
@pytest.mark.parametrize(
    ("stream", "code", "named"),
    [
        ("WordDocument", "word_document", "ett Worddokument"),
        ("PowerPoint Document", "powerpoint_document", "en PowerPoint-presentation"),
        ("Annat", "old_office_file", "en Officefil av det äldre slaget"),
    ],
)
def test_old_word_and_powerpoint_files_are_named(tmp_path, stream, code, named):
    xls = converted_by_libreoffice(openpyxl_workbook(), tmp_path, "xls")
    error = swedish_rejection(upload("plan.xls", renamed_stream(xls, "Workbook", stream)))
    assert error.code == code
    assert f"Filen ”plan.xls” är {named}" in error.messages[0]


def test_docx_and_pptx_are_named():
    pptx = zip_archive({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"})
    assert swedish_rejection(upload("a.xlsx", docx_bytes())).code == "word_document"
    error = swedish_rejection(upload("b.xlsx", pptx))
    assert error.code == "powerpoint_document"
    assert "en PowerPoint-presentation" in error.messages[0]


def test_opendocument_text_is_named():
    odt = zip_archive({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": ""})
    error = swedish_rejection(upload("plan.odt", odt))
    assert error.code == "opendocument"
    assert "Filen ”plan.odt” är ett OpenDocument-textdokument (.odt)" in error.messages[0]


@needs_soffice
def test_ods_passes_the_check_and_the_reader_explains_how_to_save_it_as_xlsx(tmp_path):
    ods = converted_by_libreoffice(openpyxl_workbook(), tmp_path, "ods")
    assert validate_spreadsheet_upload(upload("blad.ods", ods)) == "ods"
    assert ImportForm(files={"file": upload("blad.ods", ods)}).is_valid()
    layout = SheetLayout(headers=("Kod", "Aktivitet"), required=("Kod",), max_rows=10)
    with translation.override("sv"), pytest.raises(ValidationError) as caught:
        read_sheet(upload("blad.ods", ods), layout)
    assert caught.value.code == "ods"
    assert "Filen ”blad.ods” är ett LibreOffice-kalkylblad (.ods)" in caught.value.messages[0]


@needs_soffice
def test_pdf_printed_from_a_workbook_is_named_a_pdf_document(tmp_path):
    pdf = converted_by_libreoffice(openpyxl_workbook(), tmp_path, "pdf")
    error = swedish_rejection(upload("plan.xlsx", pdf))
    assert error.code == "pdf"
    assert error.messages[0].startswith("Filen ”plan.xlsx” är ett PDF-dokument")


# --- limits of what a workbook unpacks to (issue 12, case 14) ---------------------------------

LAYOUT = SheetLayout(headers=("Kod", "Aktivitet"), required=("Kod",), max_rows=100)


def read_refusal(content: bytes) -> ValidationError:
    with translation.override("sv"), pytest.raises(ValidationError) as caught:
        read_sheet(upload("fientlig.xlsx", content), LAYOUT)
    assert "”fientlig.xlsx”" in caught.value.messages[0]
    return caught.value


def test_unpacked_limit_is_sixteen_times_the_upload_limit_by_default(settings):
    del settings.UPLOAD_MAX_UNPACKED_BYTES
    settings.UPLOAD_MAX_BYTES = 1 * MEGABYTE
    assert workbook_limits.max_unpacked_bytes() == 16 * MEGABYTE


def test_shared_strings_over_the_count_are_refused(monkeypatch):
    monkeypatch.setattr(workbook_limits, "SHARED_STRINGS_MAX_COUNT", 3)
    content = xlsxwriter_workbook([["Kod"], *([f"text {n}"] for n in range(5))])
    assert read_refusal(content).code == "too_many_strings"


def test_shared_strings_over_the_size_are_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(workbook_limits, "SHARED_STRINGS_MAX_BYTES", 100)
    content = xlsxwriter_workbook([["Kod", "x" * 200]])
    assert read_refusal(content).code == "too_many_strings"


def test_large_styles_part_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(workbook_limits, "OTHER_PART_MAX_BYTES", 16 * 1024)
    styles = b"<styleSheet/>" + b" " * 20_000
    content = rewritten(openpyxl_workbook(), {"xl/styles.xml": styles})
    error = read_refusal(content)
    assert error.code == "part_too_large"
    assert "xl/styles.xml" in error.messages[0]


def test_text_split_into_too_many_runs_is_refused():
    runs = "<r><t>a</t></r>" * (workbook_limits.MAX_ELEMENTS_PER_TEXT // 2 + 1)
    content = raw_workbook(f'<row r="1"><c r="A1" t="inlineStr"><is>{runs}</is></c></row>')
    assert read_refusal(content).code == "too_complex"


def test_deeply_nested_elements_are_refused():
    depth = workbook_limits.MAX_XML_DEPTH
    content = raw_workbook('<row r="1">' + "<x>" * depth + "</x>" * depth + "</row>")
    assert read_refusal(content).code == "too_complex"


def test_archive_of_too_many_parts_is_refused(monkeypatch):
    monkeypatch.setattr(workbook_limits, "MAX_MEMBERS", 5)
    content = rewritten(openpyxl_workbook(), {})
    error = swedish_rejection(upload("fientlig.xlsx", content))
    assert error.code == "too_many_parts"
