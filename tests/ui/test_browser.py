"""The page in a real browser: Debian chromium driven by Playwright against the real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PATIENT = "Patria Schimmel"  # a sample patient with diabetes on metformin

pytestmark = [
    pytest.mark.slow,  # a real browser against a served page
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture
def page(browser, ui_server):  # noqa: ANN001, ANN201 - playwright types
    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(ui_server.url)
    page.wait_for_selector("#status:has-text('patients in the memory')")
    yield page
    context.close()


def pick_patient(page, text: str, option: str) -> None:  # noqa: ANN001
    """Type into the picker's search box and choose the matching option."""
    box = page.locator("#patient input")
    box.click()
    box.fill(text)
    page.get_by_role("option", name=option).first.click()


def ask(page, question: str) -> None:  # noqa: ANN001
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()


def test_pick_patient_ask_and_read_citations(
    page, ui_engine, patients: dict[str, str], answered_question: str, tmp_path: Path
) -> None:  # noqa: ANN001
    patient_id = patients[PATIENT]
    # Search by part of the name; the header is computed from the patient's entries.
    pick_patient(page, "schimm", PATIENT)
    header = page.locator("#patient-header")
    header.locator("text=Active problems").wait_for()
    assert PATIENT in header.inner_text()
    assert "Diabetes" in header.inner_text()
    assert "Metformin" in header.inner_text()
    page.wait_for_selector("#timeline .cm-tl-point")  # the timeline, drawn in the browser

    ask(page, answered_question)
    answer = page.locator("#answer")
    answer.locator(f"text={patient_id}").wait_for()
    assert "cited" in answer.inner_text()
    assert "Traceback" not in page.content()

    # The cited entries: at least one data row below the header row.
    rows = page.locator("#citations [role=row]")
    rows.nth(1).wait_for()
    assert rows.count() >= 2
    # After the answer: the timeline marks the cited entries, the strongest citation's card opens.
    page.wait_for_selector("#timeline .cm-tl-cited")
    page.wait_for_selector("#card .cm-card")

    # Selecting a row opens its card; its source FHIR resource is behind the toggle.
    first_row_text = page.locator("#citations [role=gridcell]").nth(3)
    first_row_text.click()
    page.locator("#card .cm-card-title").wait_for()
    assert "When" in page.locator("#card").inner_text()
    page.locator("#source-toggle").get_by_text("Source FHIR resource").click()
    source = page.locator("#source")
    source.locator("text=resourceType").wait_for()
    assert patient_id in source.inner_text()

    # Each hop's attention, every label whole.
    page.get_by_role("tab", name="Attention by hop").click()
    page.wait_for_selector("#hops .cm-hop-row")

    shot = tmp_path / "answer.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"\n[ui tests] {ui_engine.system}: {answered_question!r} -> screenshot {shot}")


def test_messages_instead_of_errors(page, patients: dict[str, str]) -> None:  # noqa: ANN001
    # No patient picked yet.
    ask(page, "When was the last visit?")
    page.locator("#answer").locator("text=Pick a patient first").wait_for()

    # An id that is not in the memory, typed into the search box.
    box = page.locator("#patient input")
    box.click()
    box.fill("no-such-patient-0000")
    box.press("Enter")
    page.locator("#patient-header").locator("text=No patient with that name or id").wait_for()

    # An empty question about a real patient.
    pick_patient(page, "Larson", "Jacob Larson")
    page.locator("#patient-header").locator("text=Active problems").wait_for()
    ask(page, "   ")
    page.locator("#answer").locator("text=Type a question").wait_for()
    assert "Traceback" not in page.content()
    assert json.dumps(patients)  # the fixture ran: the store held the sample patients


TREND_QUESTIONS = (
    "How has her body weight trended over the last 3 results?",
    "Has the body weight been increasing?",
)


def test_trend_answer_plots_values_and_timeline_on_demand(page, ui_engine, patients: dict[str, str]) -> None:  # noqa: ANN001
    from clinimem.ui.views import is_trend

    patient_id = patients[PATIENT]
    question = next(
        (
            q
            for q in TREND_QUESTIONS
            if is_trend(ui_engine.engine.ask(patient_id, q, system=ui_engine.system))
        ),
        None,
    )
    if question is None:
        pytest.skip(f"the {ui_engine.system!r} system answers none of {TREND_QUESTIONS} as a trend")
    pick_patient(page, patient_id[:8], PATIENT)  # search by a fragment of the id
    page.locator("#patient-header").locator("text=Active problems").wait_for()
    ask(page, question)
    # A trend answer opens the Trend tab with the values over time, drawn in the browser ...
    page.locator("#trend-title").get_by_text("the cited ones in red").wait_for()
    page.locator("#trend canvas, #trend svg").first.wait_for()
    # ... and the timeline marks the cited entries.
    page.get_by_role("tab", name="Timeline").click()
    page.locator("#timeline .cm-tl-cited").first.wait_for()
