"""Images of the follow-up report's first pages for the README: the cover, *Läget i korthet*
and *Att ta upp*, rendered by the portal's own code and rasterised by pdftoppm (poppler-utils).

Reads the database DATABASE_URL selects, with the demo data (`make run` loads it). Usage:
    DJANGO_DEBUG=1 .venv/bin/python docs/report_pages.py [--year 2026] [--out docs]
The demo's open round (2026) is the default: it has a previous round to compare with, and it
shows how a draft is marked.
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klockaretorpet.settings")

import django

django.setup()

import pypdf  # noqa: E402
from django.utils import translation  # noqa: E402

from followup.models import FollowUp  # noqa: E402
from followup.reports import followup_report_pdf  # noqa: E402

# Image name → the words its page starts with (the cover: the first page).
PAGES = {"report-overview": "Läget i korthet", "report-discussion": "Att ta upp"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declaration", default="klockaretorpet")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    options = parser.parse_args()
    follow_up = FollowUp.objects.get(plan__declaration__slug=options.declaration, year=options.year)
    with translation.override("sv"):
        _name, pdf = followup_report_pdf(follow_up)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    numbers = {"report-cover": 1}
    for image, heading in PAGES.items():
        numbers[image] = next(
            number
            for number, page in enumerate(reader.pages, start=1)
            if page.extract_text().lstrip().startswith(heading)
        )
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "report.pdf"
        source.write_bytes(pdf)
        for image, number in numbers.items():
            target = options.out / image
            # The program was found by shutil.which; the arguments are this script's own.
            subprocess.run(  # noqa: S603
                [pdftoppm, "-png", "-r", "80", "-singlefile", "-f", str(number), "-l",
                 str(number), str(source), str(target)],
                check=True,
            )  # fmt: skip
            print(f"{target}.png: page {number}")


if __name__ == "__main__":
    main()
