"""Screenshots of the portal for the README, taken from headless Debian Chromium.

Needs a running portal (`make run`) with the demo data. Usage:
    .venv/bin/python docs/screenshots.py [--base http://127.0.0.1:8000] [--out docs]
"""

import argparse
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
PAGES = {
    "declaration-page": "/avsiktsforklaringar/klockaretorpet/",
    "dashboard-page": "/avsiktsforklaringar/klockaretorpet/oversikt/",
    "timeline-page": "/avsiktsforklaringar/klockaretorpet/tidplan/",
    "coverage-page": "/avsiktsforklaringar/klockaretorpet/tackning/",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    parser.add_argument("--user", default="planadmin")
    parser.add_argument("--password", default="demo-klockaretorpet")
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
        page.goto(f"{args.base}/konto/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("button[type=submit]")
        for name, path in PAGES.items():
            page.goto(args.base + path)
            page.screenshot(path=out / f"{name}.png", full_page=args.full_page)
        page.goto(args.base + PAGES["declaration-page"])
        page.click("table.activities tbody tr:nth-child(2) a")
        page.screenshot(path=out / "activity-page.png", full_page=args.full_page)
        browser.close()


if __name__ == "__main__":
    main()
