"""Screenshots of the portal for the README, taken from headless Debian Chromium.

Needs a running portal (`make run`) with the demo data. Usage:
    .venv/bin/python docs/screenshots.py [--base http://127.0.0.1:8000] [--out docs]

The start page, the activity page and the round page are an editor's (Hyresbostäder): their
tasks, the reports they wrote and the round page's own unreported activities show as they
would to the people who do the reporting.
"""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DECLARATION = "/avsiktsforklaringar/klockaretorpet/"
PAGES = {
    "start-page": "/",
    "declaration-page": DECLARATION,
    "dashboard-page": DECLARATION + "oversikt/",
    "timeline-page": DECLARATION + "tidplan/",
    "coverage-page": DECLARATION + "tackning/",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    parser.add_argument("--user", default="redaktor.hyresbostader")
    parser.add_argument("--password", default="demo-klockaretorpet")
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="sv-SE")
        page.goto(f"{args.base}/konto/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/konto/login/" not in url)
        for name, path in PAGES.items():
            page.goto(args.base + path)
            page.screenshot(path=out / f"{name}.png", full_page=args.full_page)
        # An activity reported in earlier rounds: its page tells the whole story.
        page.goto(args.base + DECLARATION)
        page.get_by_role("link", name=re.compile("^Exempel: Ny gång")).first.click()
        page.screenshot(path=out / "activity-page.png", full_page=True)
        # The open round, as the editor's start page links it.
        page.goto(args.base + "/")
        page.get_by_role("link", name=re.compile("rapporterade, sista dag")).first.click()
        page.screenshot(path=out / "round-page.png", full_page=args.full_page)
        browser.close()


if __name__ == "__main__":
    main()
