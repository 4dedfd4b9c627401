"""Peak memory of reading hostile workbooks just under the upload limits (issue 12, case 14).

Builds files the upload limit (`UPLOAD_MAX_BYTES`) accepts and that stay just under each limit of
`klockaretorpet/workbook_limits.py` — a zip bomb whose worksheet is repeated rows up to the
unpacked limit, a shared-strings part at its size and count limits, a styles part at the limit
of the other parts — and reads each with `read_sheet`, printing the time and the process's peak
resident size above its size at the start (target: ≤ 150 MB). Asserts nothing.
Run: `.venv/bin/python -m benchmarks.upload_limits`.
"""

import os
import tempfile

scratch = tempfile.mkdtemp(prefix="bench-upload-limits-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klockaretorpet.settings")

import django  # noqa: E402

django.setup()

import io  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402

import openpyxl  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.utils import translation  # noqa: E402

from klockaretorpet import workbook_limits  # noqa: E402
from klockaretorpet.sheet_reading import SheetLayout, read_sheet  # noqa: E402

TARGET_MB = 150
HEADERS = tuple(f"Kolumn {n}" for n in range(1, 21))
LAYOUT = SheetLayout(headers=HEADERS, required=HEADERS[:1], max_rows=20_000)
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def reset_peak() -> float:
    import ctypes
    import gc

    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return rss_mb("VmRSS")


def replaced(members: dict[str, bytes]) -> bytes:
    """openpyxl's empty workbook with some parts replaced or added (deflated at level 9)."""
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, members.pop(info.filename, None) or source.read(info))
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def worksheet(rows: str) -> bytes:
    return f'<worksheet xmlns="{NS}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def heading() -> str:
    return '<row r="1">' + "".join(
        f'<c r="{openpyxl.utils.get_column_letter(i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
        for i, h in enumerate(HEADERS, start=1)
    )


def fill(unit: bytes, size: int) -> bytes:
    return unit * (size // len(unit))


def zip_bomb(budget: int) -> bytes:
    """A worksheet of the same full row, repeated to just under the unpacked limit: 20,000
    rows kept, the rest refused as too many rows (read all the same, up to that row)."""
    row = "".join(
        f'<c r="{openpyxl.utils.get_column_letter(i)}{{n}}" t="inlineStr"><is><t>'
        f"{'x' * 200}</t></is></c>"
        for i in range(1, len(HEADERS) + 1)
    )
    head = heading() + "</row>"
    body, n = [], 2
    size = len(head)
    while size < budget:
        text = f'<row r="{n}">' + row.replace("{n}", str(n)) + "</row>"
        body.append(text)
        size += len(text)
        n += 1
    return replaced({"xl/worksheets/sheet1.xml": worksheet(head + "".join(body))})


def shared_strings_bomb(*, count: int, size: int) -> bytes:
    """`count` distinct strings filling `size` bytes, and a sheet using them."""
    each = max(1, (size - 200) // count - len("<si><t></t></si>") - 8)
    strings = "".join(f"<si><t>{n:08d}{'y' * each}</t></si>" for n in range(count))
    sst = f'<sst xmlns="{NS}" count="{count}" uniqueCount="{count}">{strings}</sst>'.encode()
    rows = (
        heading()
        + "</row>"
        + "".join(
            f'<row r="{n}"><c r="A{n}" t="s"><v>{n % count}</v></c></row>' for n in range(2, 20_002)
        )
    )
    content_types = (
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        b'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    return replaced(
        {
            "[Content_Types].xml": content_types,
            "xl/sharedStrings.xml": sst,
            "xl/worksheets/sheet1.xml": worksheet(rows),
        }
    )


def styles_bomb(size: int) -> bytes:
    """A styles part of many cell formats (as a workbook with bloated styles has)."""
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    body = fill(xf, size - 400)
    styles = (
        f'<styleSheet xmlns="{NS}"><fonts count="1"><font><sz val="11"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs>'
    ).encode()
    return replaced({"xl/styles.xml": styles + body + b"</cellXfs></styleSheet>"})


def measure(name: str, content: bytes) -> None:
    before = reset_peak()
    start = time.perf_counter()
    try:
        read_sheet(SimpleUploadedFile("fientlig.xlsx", content), LAYOUT)
        outcome = "read"
    except ValidationError as error:
        outcome = f"refused ({error.code})"
    seconds = time.perf_counter() - start
    growth = rss_mb("VmHWM") - before
    verdict = "met" if growth <= TARGET_MB else "MISSED"
    print(
        f"| {name:<52} | {len(content) / 1024:>7.0f} | {seconds:>7.2f} | {growth:>6.1f} | "
        f"{outcome:<28} | {verdict:<6} |"
    )


def main() -> None:
    translation.activate("sv")
    unpacked = workbook_limits.max_unpacked_bytes()
    strings_size = workbook_limits.SHARED_STRINGS_MAX_BYTES
    strings_count = workbook_limits.SHARED_STRINGS_MAX_COUNT
    part = workbook_limits.OTHER_PART_MAX_BYTES
    mb = workbook_limits.MEGABYTE
    files = [
        (f"zip bomb: worksheet of repeated rows, {unpacked // mb - 1} MB", zip_bomb(unpacked - mb)),
        (
            f"shared strings: {strings_count:,} in {strings_size // mb - 1} MB",
            shared_strings_bomb(count=strings_count, size=strings_size - mb),
        ),
        (
            f"shared strings: {strings_count:,} short ones",
            shared_strings_bomb(count=strings_count, size=strings_count * 30),
        ),
        (
            f"shared strings: one over the count ({strings_count + 1:,})",
            shared_strings_bomb(count=strings_count + 1, size=strings_count * 30),
        ),
        (f"styles part of {part / mb - 0.1:.1f} MB", styles_bomb(part - mb // 10)),
    ]
    limit = workbook_limits.max_upload_bytes()
    print(f"\n## Reading hostile workbooks (target: ≤ {TARGET_MB} MB above the start)\n")
    print(
        f"| {'file':<52} | {'kB':>7} | {'seconds':>7} | {'+MB':>6} | {'outcome':<28} | "
        f"{'target':<6} |"
    )
    print(f"|{'-' * 54}|{'-' * 9}|{'-' * 9}|{'-' * 8}|{'-' * 30}|{'-' * 8}|")
    for name, content in files:
        if len(content) > limit:
            print(f"| {name:<52} | {len(content) / 1024:>7.0f} | over the upload limit: not built")
            continue
        measure(name, content)


if __name__ == "__main__":
    main()
