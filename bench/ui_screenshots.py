"""Screenshots of the clinician page for the docs: main screen, citation card, trend, timeline, conversation.

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
FOLLOW_UP = "What medications is the patient taking?"


def open_patient(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#status:has-text('patients in the memory')")
    box = page.locator("#patient input")
    box.click()
    box.press_sequentially(PATIENT[0], delay=60)  # the picker searches as one types
    page.get_by_role("option", name=PATIENT[1]).first.click()
    page.locator("#patient-header").locator("text=Active problems").wait_for()
    page.wait_for_selector("#timeline .cm-tl-point")


def ask(page: Page, question: str) -> None:
    """Ask, then wait for the answer and for the panels that follow it (the conversation grows by one)."""
    before = page.locator("#conversation .cm-turn").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.locator("#answer").locator("text=cited").wait_for()
    page.wait_for_function(f"() => document.querySelectorAll('#conversation .cm-turn').length > {before}")
    page.wait_for_selector("#card .cm-card")


def union(page: Page, *selectors: str, margin: int = 8) -> dict[str, float]:
    """The page area that holds every element named (for a screenshot of part of the page)."""
    # Boxes are relative to the viewport; the screenshots are of the full page (clip in page pixels).
    dx, dy = page.evaluate("() => [window.scrollX, window.scrollY]")
    boxes = [page.locator(s).first.bounding_box() for s in selectors]
    boxes = [{**b, "x": b["x"] + dx, "y": b["y"] + dy} for b in boxes]
    left, top = min(b["x"] for b in boxes) - margin, min(b["y"] for b in boxes) - margin
    right = max(b["x"] + b["width"] for b in boxes) + margin
    bottom = max(b["y"] + b["height"] for b in boxes) + margin
    return {"x": max(left, 0), "y": max(top, 0), "width": right - left, "height": bottom - top}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running page (default: start `clinimem demo` on a free port)")
    parser.add_argument("--store", help="with no --url: the demo store folder")
    parser.add_argument("--out", default="docs/img", help="folder for the screenshots")
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
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / "main.png"), full_page=True)

        # The citation card, its raw JSON opened behind the toggle.
        page.locator("#citations [role=gridcell]").nth(3).click()
        page.locator("#card .cm-card-title").wait_for()
        page.locator("#source-toggle").get_by_text("Source FHIR resource").click()
        page.locator("#source").locator("text=resourceType").wait_for()
        page.wait_for_timeout(500)
        page.screenshot(
            path=str(out / "card.png"), clip=union(page, "#card", "#source-toggle"), full_page=True
        )
        page.locator("#source-toggle").get_by_text("Source FHIR resource").click()

        ask(page, TREND_QUESTION)
        page.locator("#trend canvas, #trend svg").first.wait_for()
        page.wait_for_timeout(800)
        page.screenshot(path=str(out / "trend.png"), full_page=True)

        # The timeline zoomed to the cited period, one point hovered.
        page.get_by_role("tab", name="Timeline").click()
        page.locator("#timeline").get_by_role("button", name="Cited").click()
        page.locator("#timeline .cm-tl-cited").last.hover()
        page.locator("#timeline .cm-tl-tip").wait_for()
        page.screenshot(path=str(out / "timeline.png"), clip=union(page, "#timeline"), full_page=True)

        # A follow-up question: the conversation about this patient so far.
        ask(page, FOLLOW_UP)
        page.wait_for_timeout(300)
        page.screenshot(path=str(out / "conversation.png"), clip=union(page, "#conversation"), full_page=True)
        browser.close()
    names = ("main", "card", "trend", "timeline", "conversation")
    print("wrote " + ", ".join(str(out / f"{n}.png") for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
