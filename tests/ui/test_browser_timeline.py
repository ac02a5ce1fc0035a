"""The page in a real browser: the interactive timeline, the entry card, the conversation, the picker."""

from __future__ import annotations

import pytest
from test_browser import PATIENT, ask, pick_patient

pytestmark = [
    pytest.mark.slow,  # a real browser against a served page
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

OTHER = "Jacob Larson"


@pytest.fixture
def context(browser):  # noqa: ANN001, ANN201 - playwright types
    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    yield context
    context.close()


def open_page(context, url: str):  # noqa: ANN001, ANN201
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector("#status:has-text('patients in the memory')")
    return page


def answered(page, patient_id: str, question: str) -> None:  # noqa: ANN001
    """Ask and wait for the answer and the panels that follow it."""
    before = page.locator("#conversation .cm-turn").count()
    ask(page, question)
    page.locator("#answer").locator(f"text={patient_id}").wait_for()
    page.wait_for_function(f"() => document.querySelectorAll('#conversation .cm-turn').length > {before}")


def test_a_click_on_a_timeline_point_opens_its_card(
    context, ui_server, ui_engine, patients: dict[str, str], answered_question: str
) -> None:  # noqa: ANN001
    page = open_page(context, ui_server.url)
    patient_id = patients[PATIENT]
    pick_patient(page, "schimm", PATIENT)
    page.locator("#patient-header").locator("text=Active problems").wait_for()
    entries = {e.entry_id: e for e in ui_engine.engine.memory(patient_id).entries}
    points = page.locator("#timeline .cm-tl-point")
    points.first.wait_for()
    # Every dated entry of the patient is a point, and each is one of the patient's entries.
    ids = points.evaluate_all("ps => ps.map(p => p.dataset.entry)")
    assert ids and set(ids) <= set(entries)

    answered(page, patient_id, answered_question)
    cited = page.locator("#timeline .cm-tl-cited")
    cited.first.wait_for()
    # Hover shows the entry; a click opens its card (drawn on top, the last cited point is clickable).
    point = cited.last
    entry = entries[point.get_attribute("data-entry")]
    point.hover()
    tip = page.locator("#timeline .cm-tl-tip")
    tip.wait_for()
    assert entry.text[:30] in tip.inner_text() and (entry.date or "") in tip.inner_text()
    # Open another entry first, so that the card is seen to change to the clicked one.
    page.locator("#citations [role=gridcell]").nth(3).click()
    page.locator("#card .cm-card-title").wait_for()
    point = page.locator(f'#timeline .cm-tl-point[data-entry="{entry.entry_id}"]')
    point.click()
    card = page.locator("#card")
    page.wait_for_function(
        "source => document.querySelector('#card')?.innerText.includes(source)",
        arg=f"{entry.resource} · {entry.path}",
    )
    text = card.inner_text()
    assert (entry.display or entry.text) in text
    assert (entry.date or "") in text and "how strongly the answer leans on this entry" in text
    # The raw JSON behind the toggle is the clicked entry's resource.
    page.locator("#source-toggle").get_by_text("Source FHIR resource").click()
    page.locator("#source").locator(f"text={entry.resource.split('/')[-1]}").first.wait_for()

    # An entry that was not cited opens too, from the timeline alone.
    plain = page.locator("#timeline .cm-tl-point:not(.cm-tl-cited)")
    uncited = [i for i in plain.evaluate_all("ps => ps.map(p => p.dataset.entry)") if i in entries]
    target = next(i for i in reversed(uncited) if entries[i].kind in ("condition", "medication", "encounter"))
    page.locator(f'#timeline .cm-tl-point[data-entry="{target}"]').dispatch_event("click")
    page.wait_for_function(
        "source => document.querySelector('#card')?.innerText.includes(source)",
        arg=f"{entries[target].resource} · {entries[target].path}",
    )
    assert "Weight" not in page.locator("#card dl").inner_text()  # not cited: no weight to explain

    # Drag over the chart to zoom to a period; "All" zooms back out.
    shown = points.count()
    box = page.locator("#timeline svg").bounding_box()
    y = box["y"] + 12
    page.mouse.move(box["x"] + box["width"] * 0.75, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.98, y, steps=5)
    page.mouse.up()
    page.locator("#timeline .cm-tl-bar").locator("text=showing").wait_for()
    assert points.count() < shown
    page.locator("#timeline").get_by_role("button", name="All").click()
    page.wait_for_function(f"() => document.querySelectorAll('#timeline .cm-tl-point').length === {shown}")


def test_a_follow_up_conversation_is_kept_per_patient(
    context, ui_server, patients: dict[str, str], answered_question: str
) -> None:  # noqa: ANN001
    page = open_page(context, ui_server.url)
    first, second = patients[PATIENT], patients[OTHER]
    pick_patient(page, "schimm", PATIENT)
    page.locator("#patient-header").locator("text=Active problems").wait_for()
    answered(page, first, answered_question)
    answered(page, first, "When was the last visit?")
    turns = page.locator("#conversation .cm-turn")
    assert turns.count() == 2
    assert answered_question in turns.nth(0).inner_text()
    assert "When was the last visit?" in turns.nth(1).inner_text()
    assert PATIENT in page.locator("#conversation").inner_text()

    # Another patient: nothing of the first one's answers or conversation is carried over.
    pick_patient(page, "larson", OTHER)
    page.locator("#patient-header").locator(f"text={second}").wait_for()
    page.wait_for_function("() => document.querySelectorAll('#conversation .cm-turn').length === 0")
    assert first not in page.locator("#answer").inner_text()
    assert "No questions asked about this patient yet" in page.locator("#conversation").inner_text()
    answered(page, second, "What medications is the patient taking?")
    assert turns.count() == 1 and OTHER in page.locator("#conversation").inner_text()

    # Back to the first patient: their own two questions, and only those.
    pick_patient(page, "schimm", PATIENT)
    page.locator("#patient-header").locator(f"text={first}").wait_for()
    page.wait_for_function("() => document.querySelectorAll('#conversation .cm-turn').length === 2")
    assert "What medications" not in page.locator("#conversation").inner_text()

    # Another browser session sees none of this conversation.
    other = open_page(context.browser.new_context(), ui_server.url)
    pick_patient(other, "schimm", PATIENT)
    other.locator("#patient-header").locator(f"text={first}").wait_for()
    assert other.locator("#conversation .cm-turn").count() == 0
    other.context.close()


def test_the_picker_searches_the_roster_as_you_type(
    context, serve_app, ui_engine, patients: dict[str, str]
) -> None:  # noqa: ANN001
    # A picker that lists 2 patients at most: the others are found only by searching the server.
    served = serve_app(ui_engine.engine, picker_limit=2)
    page = open_page(context, served.url)
    box = page.locator("#patient input")
    box.click()
    listed = page.get_by_role("option")
    listed.first.wait_for()
    assert listed.count() == 2
    assert not any(OTHER in t for t in listed.all_inner_texts())
    # Typed key by key: the server answers each key with the matches.
    box.press_sequentially("larso", delay=80)
    page.get_by_role("option", name=OTHER).first.wait_for()
    page.get_by_role("option", name=OTHER).first.click()
    page.locator("#patient-header").locator(f"text={patients[OTHER]}").wait_for()
    # By birth date too.
    born = next(p for p in ui_engine.engine.patients() if p.name == PATIENT).birth_date
    box.click()
    box.fill("")
    box.press_sequentially(born[:7], delay=80)
    page.get_by_role("option", name=PATIENT).first.wait_for()
    assert all(born[:7] in t for t in page.get_by_role("option").all_inner_texts())
