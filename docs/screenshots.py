"""Screenshots of the portal for the README, taken from headless Debian Chromium.

Needs a running portal (`make run`) with the demo data. Usage:
    .venv/bin/python docs/screenshots.py [--base http://127.0.0.1:8000] [--out docs]

The start page, the activity page and the round page are an editor's (Hyresbostäder): their
tasks, the reports they wrote and the round page's own unreported activities show as they
would to the people who do the reporting. The editing desk (the admin's activity list and
change form) is the same editor's; the import preview is a plan administrator's, of the plan's
own export with two rows changed and one added.
"""

import argparse
import io
import re
import tempfile
from pathlib import Path

import openpyxl
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
        # The editing desk at 1366 × 768: the activity list with Mina aktiviteter, and the form
        # of an activity the editor's organisation leads, reached by its Redigera link.
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(args.base + "/admin/plans/activity/?mine=all")
        page.screenshot(path=out / "admin-activity-list.png")
        page.goto(args.base + DECLARATION)
        page.get_by_role("link", name=re.compile("^Exempel: Trygghetsvandringar")).first.click()
        page.get_by_role("link", name="Redigera", exact=True).click()
        page.screenshot(path=out / "admin-activity-form.png", full_page=True)
        log_out_and_in(page, args.base, "planadmin", args.password)
        preview_import(page, args.base)
        page.screenshot(path=out / "import-preview.png", full_page=True)
        browser.close()


def log_out_and_in(page, base: str, user: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/konto/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/konto/login/" not in url)


def preview_import(page, base: str) -> None:
    """The plan's own export, two rows changed and one added, as far as the preview."""
    exported = page.request.get(base + DECLARATION + "aktiviteter.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(exported.body()))
    sheet = workbook.active
    headings = {cell.value: cell.column for cell in sheet[1]}
    sheet.cell(2, headings["Status"]).value = "pågående"
    sheet.cell(3, headings["Ansvarig enhet eller kontakt"]).value = "Kultur- och fritidskontoret"
    new_row = sheet.max_row + 1
    for column in range(1, sheet.max_column + 1):
        sheet.cell(new_row, column).value = sheet.cell(4, column).value
    sheet.cell(new_row, headings["Referenskod"]).value = None
    sheet.cell(new_row, headings["Aktivitet"]).value = "Läxhjälp i biblioteket"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "aktivitetsplan.xlsx"
        workbook.save(path)
        page.goto(base + "/admin/plans/activity/import/")
        page.set_input_files("#id_import_file", str(path))
        page.get_by_role("button", name="Skicka").click()
        page.locator(".import-summary__counts").wait_for()


if __name__ == "__main__":
    main()
