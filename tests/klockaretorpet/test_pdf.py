import io
import logging
import os
import sys
from pathlib import Path
from urllib.parse import quote

import pypdf
import pytest
from django.conf import settings

from klockaretorpet import pdf
from klockaretorpet.pdf import BASE_URL, RefusedURLError, StaticOnlyURLFetcher, render_pdf

STATIC_DIR = (settings.BASE_DIR / "static").resolve()
VENV_DIR = Path(sys.prefix).resolve()
PRINT_CSS_URL = BASE_URL + "static/css/print.css"
# A 2×2 red PNG.
PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGM8ISfHwMDAxMDAwMDAAAANBAEI"
    "fXHKZgAAAABJRU5ErkJggg=="
)
PNG_DATA_URL = f"data:image/png;base64,{PNG_BASE64}"

# Audit hooks cannot be removed, so this one stays for the whole run and only records while a
# test's `spy` fixture has switched it on. It sees every open() and os.open() from Python and every
# socket connection, whatever module makes them.
_spy_events: list[tuple[str, object]] | None = None


def _audit(event, args):
    if _spy_events is not None and event in {"open", "socket.connect"}:
        _spy_events.append((event, args[0] if event == "open" else args[1]))


sys.addaudithook(_audit)


@pytest.fixture
def spy():
    global _spy_events  # the audit hook reads it
    _spy_events = events = []
    yield events
    _spy_events = None


def opened_paths(events) -> list[Path]:
    return [
        Path(os.fsdecode(target)).resolve()
        for event, target in events
        if event == "open" and isinstance(target, str | bytes | os.PathLike)
    ]


def assert_nothing_outside_static_opened(events):
    opened = opened_paths(events)
    assert Path("/etc/passwd") not in opened
    assert (settings.BASE_DIR / "klockaretorpet" / "settings.py").resolve() not in opened
    # Python opens its own modules lazily while rendering; anything else of the project's must be
    # a static file.
    project_files = [
        path
        for path in opened
        if path.is_relative_to(settings.BASE_DIR) and not path.is_relative_to(VENV_DIR)
    ]
    assert all(path.is_relative_to(STATIC_DIR) for path in project_files), project_files
    assert not [target for event, target in events if event == "socket.connect"]


@pytest.fixture
def fetchers(monkeypatch):
    """The fetchers `render_pdf` creates, to read what each one was asked for."""
    made = []

    class RecordingFetcher(StaticOnlyURLFetcher):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(pdf, "StaticOnlyURLFetcher", RecordingFetcher)
    return made


def page(body: str, *, head: str = "", lang: str = "sv") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{head}</head>'
        f"<body>{body}</body></html>"
    )


def read(pdf_bytes: bytes) -> pypdf.PdfReader:
    assert pdf_bytes.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(pdf_bytes))


def text_of(pdf_bytes: bytes) -> str:
    return "\n".join(p.extract_text() for p in read(pdf_bytes).pages)


def test_static_stylesheet_is_fetched_and_applied(fetchers, spy):
    assert (STATIC_DIR / "css" / "print.css").is_file()
    html = page(
        '<header class="site-header">Dold rubrik</header><p>Synlig text</p>',
        head='<link rel="stylesheet" href="/static/css/print.css">',
    )

    text = text_of(render_pdf(html))

    [fetcher] = fetchers
    assert fetcher.requested == [PRINT_CSS_URL]
    assert fetcher.refused == []
    # print.css hides the site header, so its absence shows the sheet was applied.
    assert "Synlig text" in text
    assert "Dold rubrik" not in text
    assert (STATIC_DIR / "css" / "print.css") in opened_paths(spy)
    assert_nothing_outside_static_opened(spy)


SVG_POINTING_AT_PASSWD = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    '<image href="file:///etc/passwd" width="10" height="10"/></svg>'
)


@pytest.mark.parametrize(
    ("head", "body", "refused_url"),
    [
        ("", '<img src="file:///etc/passwd">', "file:///etc/passwd"),
        ("", '<img src="http://example.com/x.png">', "http://example.com/x.png"),
        (
            '<link rel="stylesheet" href="https://example.com/a.css">',
            "",
            "https://example.com/a.css",
        ),
        (
            '<link rel="stylesheet" href="/static/../klockaretorpet/settings.py">',
            "",
            BASE_URL + "klockaretorpet/settings.py",
        ),
        (
            '<link rel="stylesheet" href="/static/%2e%2e/klockaretorpet/settings.py">',
            "",
            BASE_URL + "static/%2e%2e/klockaretorpet/settings.py",
        ),
        ("", '<img src="/static/css/..%2f..%2f..%2fetc/passwd">', None),
        ('<style>@import url("file:///etc/passwd");</style>', "", "file:///etc/passwd"),
        (
            '<style>@font-face { font-family: X; src: url("file:///etc/passwd"); }'
            " p { font-family: X; }</style>",
            "",
            "file:///etc/passwd",
        ),
        ('<base href="file:///etc/">', '<img src="passwd">', "file:///etc/passwd"),
        ("", '<img src="ftp://example.com/x.png">', "ftp://example.com/x.png"),
        ("", '<img src="data:text/html,<b>hej</b>">', "data:text/html,<b>hej</b>"),
        (
            "",
            f'<img src="data:image/svg+xml,{quote(SVG_POINTING_AT_PASSWD)}">',
            "file:///etc/passwd",
        ),
    ],
)
def test_anything_but_static_files_is_refused_and_the_pdf_still_renders(
    fetchers, spy, caplog, head, body, refused_url
):
    html = page(f"<p>Fortfarande här</p>{body}", head=head)

    with caplog.at_level(logging.WARNING, logger="klockaretorpet.pdf"):
        text = text_of(render_pdf(html))

    assert "Fortfarande här" in text
    [fetcher] = fetchers
    assert fetcher.refused, fetcher.requested
    if refused_url is not None:
        assert refused_url in fetcher.refused
    # Only the SVG wrapper itself may be served; what it points at may not.
    served = [url for url in fetcher.requested if url not in fetcher.refused]
    assert all(url.startswith("data:image/svg+xml,") for url in served), served
    for url in fetcher.refused:
        assert any(
            record.levelno == logging.WARNING and repr(url[:200]) in record.getMessage()
            for record in caplog.records
        ), url
    assert_nothing_outside_static_opened(spy)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/static/css/print.css",
        "http://klockaretorpet.invalid/static/css/print.css",
        "https://klockaretorpet.invalid.example.com/static/css/print.css",
        "ftp://example.com/static/css/print.css",
        BASE_URL + "klockaretorpet/settings.py",
        BASE_URL + "static/../klockaretorpet/settings.py",
        BASE_URL + "static/css/../../klockaretorpet/settings.py",
        BASE_URL + "static/%2E%2E/klockaretorpet/settings.py",
        BASE_URL + "static/css/..%2F..%2Fklockaretorpet%2Fsettings.py",
        BASE_URL + "static/css%5C..%5C..%5Cklockaretorpet%5Csettings.py",
        BASE_URL + "static//etc/passwd",
        BASE_URL + "static/%2Fetc/passwd",
        BASE_URL + "static/css/print.css%00.png",
        BASE_URL + "static/",
        BASE_URL + "static/css",
        BASE_URL + "static/css/does-not-exist.css",
        BASE_URL + "staticx/css/print.css",
        "data:text/html,<script>alert(1)</script>",
        "data:text/css,body{color:red}",
        "data:,plain text",
        "data:image/png;base64",
        "data:image/png;base64,!!!not base64",
        "data:image/png;base64," + "A" * 140_000,
        "data:image/svg+xml," + "%20" * (100 * 1024 + 1),
    ],
)
def test_fetcher_refuses(spy, url):
    fetcher = StaticOnlyURLFetcher()

    with pytest.raises(RefusedURLError):
        fetcher(url)

    assert fetcher.requested == [url]
    assert fetcher.refused == [url]
    assert_nothing_outside_static_opened(spy)


def test_fetcher_serves_static_files_from_disk_not_from_a_file_url():
    fetcher = StaticOnlyURLFetcher()

    response = fetcher(PRINT_CSS_URL + "?v=2#x")

    assert response.read() == (STATIC_DIR / "css" / "print.css").read_bytes()
    assert response.content_type == "text/css"
    assert response.charset == "utf-8"
    # A file: URL would make WeasyPrint re-read images from that path itself.
    assert response.url.startswith(BASE_URL)
    assert response.path is None
    assert fetcher.refused == []


def test_fetcher_serves_app_static_files():
    fetcher = StaticOnlyURLFetcher()

    response = fetcher(BASE_URL + "static/admin/css/base.css")

    assert response.content_type == "text/css"
    assert b"{" in response.read()


def test_small_data_png_is_allowed(fetchers):
    pdf_bytes = render_pdf(page(f'<p>Med bild</p><img src="{PNG_DATA_URL}" width="20">'))

    [fetcher] = fetchers
    assert fetcher.requested == [PNG_DATA_URL]
    assert fetcher.refused == []
    assert len(read(pdf_bytes).pages[0].images) == 1


def test_data_image_at_the_size_limit_is_allowed_and_one_byte_more_is_not():
    fetcher = StaticOnlyURLFetcher()
    limit = pdf.MAX_DATA_URL_BYTES

    assert len(fetcher(f"data:image/gif,{'a' * limit}").read()) == limit
    with pytest.raises(RefusedURLError):
        fetcher(f"data:image/gif,{'a' * (limit + 1)}")


def test_swedish_text_comes_out_intact():
    text = text_of(render_pdf(page("<p>Räksmörgås åt Åsa, Ärlig Östen – ÅÄÖ åäö</p>")))

    assert "Räksmörgås åt Åsa, Ärlig Östen – ÅÄÖ åäö" in text


def test_title_comes_from_the_title_element_and_lang_from_the_html():
    reader = read(render_pdf(page("<p>Innehåll</p>", head="<title>Årsplan för Öst</title>")))

    assert reader.metadata.title == "Årsplan för Öst"
    assert reader.trailer["/Root"]["/Lang"] == "sv"


def test_title_argument_wins_over_the_title_element():
    html = page("<p>Innehåll</p>", head="<title>Sidans titel</title>", lang="en")

    reader = read(render_pdf(html, title="Uppföljning av åtgärder"))

    assert reader.metadata.title == "Uppföljning av åtgärder"
    assert reader.trailer["/Root"]["/Lang"] == "en"
