"""Screenshots of the clinician page for the docs: the main screen and a trend answer.

    python bench/ui_screenshots.py                 # starts `clinimem demo` on a free port
    python bench/ui_screenshots.py --url http://127.0.0.1:7860/ --out docs/img

Drives Debian's /usr/bin/chromium with Playwright (never a downloaded browser).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ui_load import _given, demo_server  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PATIENT = ("schimmel", "Patria Schimmel")
MAIN_QUESTION = "What was her most recent BMI?"
TREND_QUESTION = "How has her body weight trended over the last 3 results?"


def open_patient(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#status:has-text('patients in the memory')")
    box = page.locator("#patient input")
    box.click()
    box.fill(PATIENT[0])
    page.get_by_role("option", name=PATIENT[1]).first.click()
    page.locator("#patient-header").locator("text=Active problems").wait_for()
    page.wait_for_selector("#timeline img")


def ask(page: Page, question: str) -> None:
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.locator("#answer").locator("text=cited").wait_for()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running page (default: start `clinimem demo` on a free port)")
    parser.add_argument("--store", help="with no --url: the demo store folder")
    parser.add_argument("--out", default="docs/img", help="folder for main.png and trend.png")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (
        demo_server(args.store) if not args.url else _given(args.url) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 1200}, device_scale_factor=1)
        page.set_default_timeout(120_000)

        open_patient(page, url)
        ask(page, MAIN_QUESTION)
        page.locator("#citations [role=gridcell]").nth(3).click()  # the first cited row's text
        page.locator("#source").locator("text=resourceType").wait_for()
        page.get_by_role("tab", name="Timeline").click()
        page.wait_for_selector("#timeline img")
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / "main.png"), full_page=True)

        ask(page, TREND_QUESTION)
        page.wait_for_selector("#trend img")
        page.locator("#citations [role=gridcell]").nth(3).click()
        page.locator("#source").locator("text=resourceType").wait_for()
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / "trend.png"), full_page=True)
        browser.close()
    print(f"wrote {out / 'main.png'} and {out / 'trend.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
