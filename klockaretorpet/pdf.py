"""The portal's one way from HTML to PDF: WeasyPrint behind a fetcher that serves static files only.

Reports are built from text that users typed, so the HTML must be treated as hostile: WeasyPrint's
own fetcher would happily read `file:///etc/passwd` or call any host on the network (SSRF) for an
`<img>`, a stylesheet, a font or an SVG `<image>`. Every one of those goes through the fetcher, so
that is where the line is drawn.
"""

import base64
import binascii
import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

logger = logging.getLogger(__name__)

# Never resolvable (RFC 2606), so a URL on it can only ever be answered by the fetcher below, and a
# relative `/static/...` in the HTML has an origin to resolve against without a real host.
BASE_URL = "https://klockaretorpet.invalid/"

DATA_URL_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml"})
# Large enough for a logo or a small chart; small enough that a pasted blob cannot bloat memory.
MAX_DATA_URL_BYTES = 100 * 1024
# Percent-encoding can triple the size, so anything longer cannot decode to an allowed size and is
# refused before any decoding work is done.
MAX_DATA_URL_LENGTH = 3 * MAX_DATA_URL_BYTES + 256
# Tagged for assistive technology, as PDF/UA-1 (PDF 1.7: every reader opens it; UA-2 needs 2.0).
PDF_VARIANT = "pdf/ua-1"
# Logs must stay readable even when the refused URL is a megabyte of base64.
MAX_LOGGED_URL_LENGTH = 200


class RefusedURLError(URLFetchingError):
    """A URL the PDF renderer may not fetch.

    WeasyPrint catches any non-fatal exception from a fetcher, logs it and renders without the
    resource, so a refusal never breaks the PDF.
    """


def _static_roots() -> list[Path]:
    # The finders' storages are exactly the folders `find` may answer from: STATICFILES_DIRS and
    # each app's static/. Resolving them lets a symlink inside one be checked against all of them.
    roots = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location).resolve())
    return roots


class StaticOnlyURLFetcher(URLFetcher):
    """Serves the project's static files and small data: images; refuses everything else.

    `requested` lists every URL WeasyPrint asked for, `refused` those it did not get, so tests
    (and a curious caller) can see exactly what a render touched.
    """

    def __init__(self, base_url: str = BASE_URL) -> None:
        # No protocol allowed and no fatal errors: should WeasyPrint's own fetch ever be reached,
        # it refuses, and a refused resource leaves a gap in the PDF instead of failing it.
        super().__init__(allowed_protocols=frozenset(), fail_on_errors=False)
        static = urlsplit(urljoin(base_url, settings.STATIC_URL))
        self._static_origin = (static.scheme.lower(), static.netloc.lower())
        self._static_path = static.path if static.path.endswith("/") else static.path + "/"
        self.requested: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        self.requested.append(url)
        try:
            if url[:5].lower() == "data:":
                return self._fetch_data_url(url)
            return self._fetch_static(url)
        except RefusedURLError as error:
            self.refused.append(url)
            shown = url if len(url) <= MAX_LOGGED_URL_LENGTH else url[:MAX_LOGGED_URL_LENGTH] + "…"
            # %r so that a URL cannot forge extra log lines.
            logger.warning("PDF: refused to fetch %r: %s", shown, error)
            raise

    def _fetch_static(self, url: str) -> URLFetcherResponse:
        try:
            parts = urlsplit(url)
        except ValueError as error:
            raise RefusedURLError("malformed URL") from error
        if (parts.scheme.lower(), parts.netloc.lower()) != self._static_origin:
            raise RefusedURLError("not a static file of the portal")
        if not parts.path.startswith(self._static_path):
            raise RefusedURLError("not a static file of the portal")

        relative = unquote(parts.path[len(self._static_path) :])
        segments = relative.split("/")
        # Checked after unquoting, since `%2e%2e` or `%2f` survive URL normalisation; `find` would
        # refuse most of these too, but a refusal here never touches the file system.
        if (
            not relative
            or "\\" in relative
            or "\x00" in relative
            or any(segment in {"", ".", ".."} for segment in segments)
        ):
            raise RefusedURLError("not a plain path below STATIC_URL")

        found = finders.find(relative)
        if not found:
            raise RefusedURLError("no such static file")
        path = Path(found).resolve()
        if not path.is_file() or not any(path.is_relative_to(root) for root in _static_roots()):
            raise RefusedURLError("resolves outside the static folders")

        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            # The project's static text files are UTF-8; saying so keeps å, ä, ö in CSS content.
            content_type += "; charset=utf-8"
        # The response keeps the http-like URL, never a file: one: WeasyPrint re-reads images
        # from disk by a file: response's path, and relative URLs inside the CSS must resolve
        # against STATIC_URL again.
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def _fetch_data_url(self, url: str) -> URLFetcherResponse:
        if len(url) > MAX_DATA_URL_LENGTH:
            raise RefusedURLError("data: URL too large")
        header, comma, payload = url[5:].partition(",")
        if not comma:
            raise RefusedURLError("malformed data: URL")
        params = [param.strip().lower() for param in header.split(";")]
        media_type = params[0]
        if media_type not in DATA_URL_IMAGE_TYPES:
            raise RefusedURLError(f"data: URL of type {media_type or 'text/plain'!r}")
        raw = unquote_to_bytes(payload)
        if len(params) > 1 and params[-1] == "base64":
            try:
                body = base64.b64decode(raw)
            except (binascii.Error, ValueError) as error:
                raise RefusedURLError("invalid base64 in data: URL") from error
        else:
            body = raw
        if len(body) > MAX_DATA_URL_BYTES:
            raise RefusedURLError("data: URL too large")
        return URLFetcherResponse(url, body, {"Content-Type": media_type})


def render_pdf(html: str, *, title: str | None = None) -> bytes:
    """Render an HTML string to PDF bytes, fetching nothing but static files and small data: images.

    The HTML carries user text, so it may contain `<img src="file:///etc/passwd">`, a stylesheet
    on an attacker's host or an SVG that points elsewhere. All of those are refused (and logged)
    by `StaticOnlyURLFetcher`, and the PDF is rendered without them. `/static/...` URLs resolve
    against a host that does not exist, so they are read from the static folders and never
    requested over HTTP, not even from the portal itself.

    The document language comes from `<html lang>`; `title` overrides the `<title>` element for
    the PDF's metadata.

    The PDF is tagged as PDF/UA-1 asks (a structure tree of headings, lists, tables with their
    header cells and figures with the text of an SVG's `<title>`; `/MarkInfo`, `/Lang`, the
    title shown by the viewer), so that a screen reader can read it: DOS-lagen requires
    accessible documents on the public sector's web.
    """
    document = weasyprint.HTML(
        string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher()
    ).render()
    if title is not None:
        document.metadata.title = title
    return document.write_pdf(pdf_variant=PDF_VARIANT)
