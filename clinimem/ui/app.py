"""The clinician's page: find a patient, ask, read the answer, the entries it cited and the record.

>>> from clinimem.api import Clinimem
>>> from clinimem.ui.app import serve
>>> serve(Clinimem.open(store=".clinimem/store"))   # doctest: +SKIP

Sessions never share the current patient: it lives in a per-session
``gr.State``; the engine behind them is shared and thread-safe.

Events of one session run concurrently (a question may still be answered
while the clinician picks another patient), and gradio stores each event's
``gr.State`` output when that event ends, in whatever order they end. So the
state is never the authority on which patient is on the screen: the server
keeps that per session (:class:`Screens`, keyed by ``gr.Request.session_hash``),
every question carries the patient picked on the screen, and a handler whose
result is no longer about the patient and view on the screen discards it
(``gr.skip()`` for every output, the state included).

The answer's text comes first (one event: the answer, its cited entries and the
conversation); the panels (timeline, trend, hops, the strongest citation's card)
follow in a second event. Charts are drawn in the browser from data, so no
figure is rendered on the server.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Gradio reads this when it is imported: no usage reports leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from clinimem.answer import Answer  # noqa: E402
from clinimem.api import Clinimem, PatientMemory  # noqa: E402
from clinimem.memory.entry import MemoryEntry  # noqa: E402
from clinimem.ui import card, charts, conversation, note_view, summary, views  # noqa: E402
from clinimem.ui.backend import Backend, UserMessage  # noqa: E402
from clinimem.ui.login import Login, login_app_kwargs, parse_auth  # noqa: E402
from clinimem.ui.roster import SEARCH_LIMIT  # noqa: E402

log = logging.getLogger("clinimem.ui")

NO_SUCH_PATIENT = "No patient with that name or id is in the memory. Search for one above."
PICK_HINT = "Pick a patient to see their record."
# Keys that move through or pick from the picker's list; only typing searches again.
NAVIGATION_KEYS = frozenset({"Enter", "ArrowUp", "ArrowDown", "Escape", "Tab", "Shift", "Home", "End"})
CARD_HINT = "Select a cited row, or click a point on the timeline, to read that entry here."

EXAMPLE_QUESTIONS = (
    "What was her most recent BMI?",
    "How has her body weight trended over the last 3 results?",
    "What medications is the patient taking?",
    "Does the patient have hypertension?",
    "When was the last visit?",
    "How many times was blood pressure measured?",
)
# The note panel scrolls its text to the highlighted sentence whenever it shows a note.
SCROLL_TO_MARK = """
const scroll = () => {
  const box = element.querySelector('.cm-note-text');
  const mark = box && box.querySelector('mark');
  if (mark) box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3);
};
scroll();
watch('value', scroll);
"""
# Questions are CPU-bound (encoder + controller); more parallel runs than cores only add waiting.
DEFAULT_CONCURRENCY = 4
# Sessions whose screen record is kept (as gradio keeps their state); the oldest go first.
SCREEN_CAPACITY = 10_000
# How long an answer waits for a pick in progress in its session to settle before it is discarded.
PICK_WAIT_S = 15.0
CSS = (
    """
#answer h3 { margin-top: 0.2em; }
.cm-note { font-size: 0.9em; color: var(--body-text-color-subdued); }
.cm-empty { color: var(--body-text-color-subdued); }
#note .cm-note-head { font-size: 0.9em; margin-bottom: 0.3em; }
#note .cm-note-text {
  position: relative; white-space: pre-wrap; max-height: 18em; overflow-y: auto;
  padding: 0.5em; border: 1px solid var(--border-color-primary); border-radius: 4px;
  font-family: var(--font-mono); font-size: 0.85em;
}
#note mark.cm-sentence { background: #fff1a8; color: #1f2328; }
#note mark.cm-mention { background: #ffc24b; color: #1f2328; font-weight: bold; }
#answer.cm-stale [data-testid="markdown"] { display: none; }
#answer.cm-stale::after {
  content: "⚠️ This answer is about another patient than the one picked above, so it is not shown. Ask again.";
  font-weight: bold;
}
"""
    + charts.TIMELINE_CSS
    + charts.HOPS_CSS
    + card.CARD_CSS
    + conversation.CONVERSATION_CSS
)
# The last guard, in the browser: an answer is shown only under the header of the patient it names.
# The server already discards answers about a patient no longer picked, and a pick cancels the
# question still running; should results of concurrent events still land in another order, the
# answer is hidden (and says so) before it is painted, until header and answer agree again.
GUARD_ANSWER = """
() => {
  const check = () => {
    const answer = document.querySelector('#answer');
    if (!answer) return;
    const about = answer.querySelector('small code');  // the footer: About NAME (`ID`)
    const picked = document.querySelector('#patient-header code');  // the header: id `ID`
    const stale = !!about && (!picked || about.textContent.trim() !== picked.textContent.trim());
    if (answer.classList.contains('cm-stale') !== stale) answer.classList.toggle('cm-stale', stale);
  };
  new MutationObserver(check).observe(document.body, {childList: true, subtree: true, characterData: true});
  check();
}
"""


@dataclass
class Session:
    """One browser session's view: which patient, and the answer on the page."""

    patient_id: str | None = None
    patient_name: str = ""
    rows: list[views.CitedRow] = field(default_factory=list)
    answer: Answer | None = None  # the answer on the page, for the panels drawn after it
    view: int = 0  # the number :class:`Screens` gave this view; 0: none was ever shown


@dataclass(frozen=True)
class Screen:
    """What the server knows one session's page shows."""

    patient_id: str | None  # the patient picked (None: none, or the pick named no patient)
    selection: int  # counts the picks; a pick in progress is stale once a later one starts
    view: int  # the view on the page: the last pick's or answer's; any other is stale
    settled: bool = True  # False while a pick is in progress (its patient is not known yet)


NO_SCREEN = Screen(None, 0, 0)


class Screens:
    """Per session (``gr.Request.session_hash``), the patient and view on its page; thread-safe.

    ``select`` is called when a pick starts: from then on nothing about the
    earlier patient is shown. ``settle`` and ``show`` number the view a pick
    or an answer is about to put on the page, or return None when it is stale
    by then (it must be discarded). ``current`` says whether a state read
    earlier is still the view on the page.
    """

    def __init__(self, capacity: int = SCREEN_CAPACITY) -> None:
        self._capacity = capacity
        self._changed = threading.Condition(threading.Lock())
        self._screens: OrderedDict[str, Screen] = OrderedDict()
        self._numbers = itertools.count(1)

    def _put(self, key: str, screen: Screen) -> None:
        self._screens[key] = screen
        self._screens.move_to_end(key)
        while len(self._screens) > self._capacity:
            self._screens.popitem(last=False)
        self._changed.notify_all()

    def get(self, key: str) -> Screen:
        with self._changed:
            return self._screens.get(key, NO_SCREEN)

    def select(self, key: str) -> int:
        """A pick starts; whatever was picked before is stale from now on. Returns the pick's number."""
        with self._changed:
            selection = self._screens.get(key, NO_SCREEN).selection + 1
            self._put(key, Screen(None, selection, next(self._numbers), settled=False))
            return selection

    def settle(self, key: str, selection: int, patient_id: str | None) -> int | None:
        """Pick ``selection`` shows ``patient_id`` (None: no patient): its view, or None if a later pick started."""
        with self._changed:
            if self._screens.get(key, NO_SCREEN).selection != selection:
                return None
            view = next(self._numbers)
            self._put(key, Screen(patient_id, selection, view))
            return view

    def show(self, key: str, patient_id: str | None, wait: float = PICK_WAIT_S) -> int | None:
        """The view an answer about ``patient_id`` shows, or None if that patient is not the one picked.

        While a pick is in progress its patient is not known yet: this waits up to
        ``wait`` seconds for it to settle (an answer to a question asked right after
        a pick is then shown, after the pick's header).
        """
        with self._changed:
            self._changed.wait_for(lambda: self._screens.get(key, NO_SCREEN).settled, timeout=wait)
            screen = self._screens.get(key, NO_SCREEN)
            if not screen.settled or screen.patient_id != patient_id:
                return None
            view = next(self._numbers)
            self._put(key, Screen(patient_id, screen.selection, view))
            return view

    def current(self, key: str, session: Session | None) -> bool:
        """Whether ``session`` (a state read earlier) is the view on the page, about the patient picked there."""
        if session is None or session.patient_id is None or not session.view:
            return False
        screen = self.get(key)
        return screen.settled and screen.view == session.view and screen.patient_id == session.patient_id

    def forget(self, key: str) -> None:
        with self._changed:
            self._screens.pop(key, None)

    def __len__(self) -> int:
        with self._changed:
            return len(self._screens)


def _key(request: gr.Request | None) -> str:
    """The session a request belongs to ("" when gradio gives none: those share one record)."""
    return (getattr(request, "session_hash", None) or "") if request is not None else ""


def _message(err: UserMessage) -> str:
    mark = {"error": "❌", "warning": "⚠️"}.get(err.level, "ℹ️")
    return f"{mark} **{err.text}**"


def _unexpected(where: str, err: Exception) -> str:
    # Logged by type only: an exception's text may quote patient data.
    log.error("%s failed: %s", where, type(err).__name__)
    log.debug("%s failed", where, exc_info=True)
    return "❌ **Something went wrong; the error was logged. Reload the page and try again.**"


def _table(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=list(columns))


EMPTY_CITATIONS = _table([], views.CITATION_COLUMNS)
EMPTY_TREND = pd.DataFrame(columns=list(charts.TREND_COLUMNS))


def _no_note() -> dict[str, Any]:
    """The note panel hidden (a fresh update each time: gradio may consume it)."""
    return gr.update(value="", visible=False)


def _card_hint() -> str:
    return f'<p class="cm-empty">{CARD_HINT}</p>'


def _skip_all(outputs: list[gr.components.Component]) -> dict:
    """Every output left as it is (a fresh update each: gradio may consume them)."""
    return {component: gr.skip() for component in outputs}


def source_json(resource: Mapping[str, Any]) -> str:
    """The stored (key-sorted) JSON with what and whose on top, as a reader expects."""
    head = {
        key: resource[key]
        for key in ("resourceType", "id", "subject", "patient", "encounter")
        if key in resource
    }
    return json.dumps({**head, **resource}, indent=2, ensure_ascii=False)


def trend_plot(series: list[views.Series]) -> Any:
    """The trend's points with their axis limits (gradio's own limits leave the first and last in the axes)."""
    frame = charts.trend_frame(series)
    x_lim, y_lim = charts.trend_limits(frame)
    return gr.ScatterPlot(value=frame, x_lim=x_lim, y_lim=y_lim)


def cited_lines(rows: list[views.CitedRow]) -> tuple[str, ...]:
    """Each cited row in one line for the conversation: date, kind, text, value."""
    return tuple(
        " · ".join(str(c) for c in (date, kind, text, value) if c)
        for date, _visit, kind, text, value, _weight in (r.cells for r in rows)
    )


def build_app(
    engine: Clinimem | None,
    *,
    problem: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    picker_limit: int = SEARCH_LIMIT,
) -> gr.Blocks:
    """The Blocks app over ``engine`` (None: no store; ``problem`` says why, in the page).

    ``picker_limit``: how many matches the patient picker lists at most.
    """
    backend = Backend(engine, problem=problem, picker_limit=picker_limit)
    screens = Screens()
    talks = conversation.Conversations()

    # -- layout ---------------------------------------------------------------------------------

    with gr.Blocks(title="clinimem") as demo:
        state = gr.State(Session())
        gr.Markdown(
            "## clinimem: ask about one patient's record\n"
            "Every answer comes from the patient's own record and cites the entries it read."
        )
        status = gr.Markdown("Loading…", elem_id="status", elem_classes=["cm-note"])
        patient = gr.Dropdown(
            label="Patient",
            info="Type a name, id or birth date: the list shows the patients that match",
            choices=[],
            value=None,
            filterable=True,
            allow_custom_value=True,
            elem_id="patient",
        )
        header = gr.Markdown(PICK_HINT, elem_id="patient-header")
        with gr.Row(equal_height=True):
            question = gr.Textbox(
                label="Question",
                placeholder="e.g. What was the most recent HbA1c?",
                lines=1,
                scale=5,
                elem_id="question",
            )
            ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        gr.Examples(examples=[[q] for q in EXAMPLE_QUESTIONS], inputs=[question], label="Examples")
        answer = gr.Markdown("", elem_id="answer")
        citations = gr.Dataframe(
            value=EMPTY_CITATIONS,
            headers=list(views.CITATION_COLUMNS),
            label="Cited entries: select a row to read the entry",
            interactive=False,
            wrap=True,
            max_height=360,
            column_widths=["10%", "6%", "10%", "52%", "14%", "8%"],
            elem_id="citations",
        )
        gr.Markdown(charts.WEIGHT_NOTE, elem_id="weight-note", elem_classes=["cm-note"])
        with gr.Row():
            with gr.Column(scale=3), gr.Tabs(selected="timeline") as tabs:
                with gr.Tab("Timeline", id="timeline"):
                    timeline = gr.HTML("", js_on_load=charts.TIMELINE_JS, elem_id="timeline", padding=False)
                with gr.Tab("Trend", id="trend"):
                    trend_title = gr.Markdown("", elem_id="trend-title")
                    trend = gr.ScatterPlot(
                        EMPTY_TREND,
                        x="date",
                        y="value",
                        color="point",
                        color_map={charts.CITED_POINT: "#d1495b", charts.OTHER_POINT: "#9aa5b1"},
                        tooltip=["date", "value", "what", "point"],
                        show_label=False,
                        x_axis_format="%Y-%m",
                        height=320,
                        elem_id="trend",
                    )
                with gr.Tab("Attention by hop", id="hops"):
                    hops = gr.HTML(
                        '<p class="cm-empty">Ask a question to see what each hop read.</p>', elem_id="hops"
                    )
            with gr.Column(scale=2):
                entry_card = gr.HTML(_card_hint(), elem_id="card", label="The entry", show_label=False)
                note = gr.HTML(
                    value="",
                    label="The note this entry was read from, the cited sentence highlighted",
                    show_label=True,
                    visible=False,
                    container=True,
                    padding=True,
                    js_on_load=SCROLL_TO_MARK,
                    elem_id="note",
                )
                with gr.Accordion("Source FHIR resource (raw JSON)", open=False, elem_id="source-toggle"):
                    source = gr.Code(
                        value="",
                        language="json",
                        interactive=False,
                        max_lines=40,
                        show_label=False,
                        elem_id="source",
                    )
        # Below the panels, always in view: the clinician scrolls back through this patient's questions.
        talk = gr.HTML(
            conversation.conversation_html(()),
            label="This session's questions about this patient",
            show_label=True,
            container=True,
            padding=True,
            js_on_load=conversation.SCROLL_TO_LATEST,
            elem_id="conversation",
        )
        with gr.Accordion("Answer as JSON (the answer contract)", open=False):
            # Code, not gr.JSON: gradio_client takes any dict with a "path" key (citations have one) for a file.
            answer_json = gr.Code(value="", language="json", interactive=False, elem_id="answer-json")

        entry_outputs = [entry_card, note, source]
        pick_outputs = [
            state,
            header,
            timeline,
            answer,
            citations,
            trend_title,
            trend,
            hops,
            talk,
            *entry_outputs,
            answer_json,
        ]
        ask_outputs = [state, answer, citations, talk, answer_json]
        panel_outputs = [timeline, trend_title, trend, hops, tabs, *entry_outputs]

        # -- handlers (each returns what the page shows, by component; none raises) ----------

        def on_load() -> dict:
            choice = backend.choose_system()
            try:
                count = len(backend.roster)
                first = backend.find_patients("")
            except UserMessage as err:
                return {status: _message(err), patient: gr.Dropdown(choices=[], value=None)}
            except Exception as err:
                return {
                    status: _unexpected("loading the patient list", err),
                    patient: gr.Dropdown(choices=[], value=None),
                }
            note_text = choice.note if choice.name else f"❌ **{choice.note}**"
            return {
                status: f"{count} patients in the memory: type a name, id or birth date to find one. {note_text}",
                patient: gr.Dropdown(choices=summary.patient_choices(first), value=None),
            }

        def search(typed: gr.KeyUpData) -> Any:
            """The picker's choices for what is typed so far (a few matches, never the whole roster)."""
            if typed.key in NAVIGATION_KEYS:  # choosing among the matches, not typing
                return gr.skip()
            text = typed.input_value or ""
            if summary.LABEL_SEPARATOR in text:  # a chosen label: its last part is the id
                text = text.rsplit(summary.LABEL_SEPARATOR, 1)[-1]
            try:
                return gr.Dropdown(choices=summary.patient_choices(backend.find_patients(text)))
            except Exception as err:  # the list stays as it was; the pick itself reports the problem
                _unexpected("searching patients", err)
                return gr.skip()

        def forget_session(request: gr.Request) -> None:
            screens.forget(_key(request))
            talks.forget(_key(request))

        def resolve(choice: str) -> str:
            """The id of the patient ``choice`` names (the picker's value: an id, a label or typed text)."""
            if summary.LABEL_SEPARATOR in choice:  # a label from an earlier list: its last part is the id
                choice = choice.rsplit(summary.LABEL_SEPARATOR, 1)[-1].strip()
            if backend.summary(choice) is not None:
                return choice
            patient_id = summary.resolve_patient(choice, backend.find_patients(choice))
            if patient_id is None:
                raise UserMessage(NO_SUCH_PATIENT, "warning")
            return patient_id

        def select_patient(choice: str | None, request: gr.Request) -> dict:
            key = _key(request)
            selection = screens.select(key)  # from here on, nothing about the previous patient is shown

            def shown(patient_id: str | None, name: str, header_text: str, chart: str) -> dict:
                # A new patient: nothing of the previous one survives; their own conversation is shown.
                view = screens.settle(key, selection, patient_id)
                if view is None:  # a later pick started meanwhile: it draws the page
                    return _skip_all(pick_outputs)
                turns = talks.turns(key, patient_id) if patient_id else ()
                return {
                    state: Session(patient_id, name, view=view),
                    header: header_text,
                    timeline: chart,
                    answer: "",
                    citations: EMPTY_CITATIONS,
                    trend_title: "",
                    trend: EMPTY_TREND,
                    hops: "",
                    talk: conversation.conversation_html(turns, name),
                    entry_card: _card_hint(),
                    note: _no_note(),
                    source: "",
                    answer_json: "",
                }

            if not choice:
                return shown(None, "", PICK_HINT, "")
            try:
                patient_id = resolve(choice)
                memory = backend.memory(patient_id)
                found = backend.summary(patient_id)
                top = summary.patient_header(patient_id, memory.entries, found)
                chart = charts.timeline_html(memory.entries)
            except UserMessage as err:
                return shown(None, "", _message(err), "")
            except Exception as err:
                return shown(None, "", _unexpected("opening a patient", err), "")
            return shown(patient_id, top.name, summary.header_markdown(top), chart)

        def ask_question(asked: str | None, picked: str | None, request: gr.Request) -> dict:
            """Answer about the patient picked on the screen (``picked``, the picker's value), never the state's."""
            key = _key(request)
            patient_id: str | None = None

            def shown(session: Session, outputs: dict) -> dict | None:
                # Shown only if its patient is still the one picked on the page; else None (discarded).
                view = screens.show(key, session.patient_id)
                if view is None:
                    log.info("an answer was not shown: the page's patient changed while it was computed")
                    return None
                session.view = view
                return {state: session, **outputs}

            def message(text: str) -> dict:
                outputs = shown(
                    Session(patient_id), {answer: text, citations: EMPTY_CITATIONS, answer_json: ""}
                )
                return outputs if outputs is not None else _skip_all(ask_outputs)

            try:
                if picked:
                    patient_id = resolve(picked)
                reply, system_name = backend.ask(patient_id, asked)
                memory = backend.memory(reply.patient_id)
            except UserMessage as err:
                return message(_message(err))
            except Exception as err:
                return message(_unexpected("answering", err))
            name = summary.patient_header(patient_id, memory.entries, backend.summary(patient_id)).name
            by_id = {e.entry_id: e for e in memory.entries}
            rows = views.citation_rows(reply, by_id)
            outputs = shown(
                Session(patient_id, name, rows, reply),
                {
                    answer: views.answer_markdown(reply, name, system_name, by_id),
                    citations: _table([r.cells for r in rows], views.CITATION_COLUMNS),
                    answer_json: json.dumps(reply.to_dict(), indent=2, ensure_ascii=False),
                },
            )
            if outputs is None:
                return _skip_all(ask_outputs)
            # Shown: it joins this patient's conversation in this session.
            said = "Not in the record" if reply.abstained else views.plain_words(reply, by_id)
            turn = conversation.Turn(reply.question, said, cited_lines(rows), reply.abstained)
            outputs[talk] = conversation.conversation_html(talks.add(key, patient_id, turn), name)
            return outputs

        def open_entry(session: Session, memory: PatientMemory, entry: MemoryEntry) -> dict:
            """The entry's card, its note (note entries) and its source JSON."""
            try:
                resource = backend.source(entry.resource)
            except UserMessage as err:
                resource, problem = None, err.text
            else:
                problem = None if resource is not None else "The source JSON of this entry is not stored."
            weight = (
                next((c.weight for c in session.answer.citations if c.entry_id == entry.entry_id), None)
                if session.answer
                else None
            )
            body = card.card_html(
                card.entry_card(entry, resource, card.visits_by_resource(memory.entries), weight)
            )
            panel = note_view.note_panel(entry, resource) if resource is not None else ""
            return {
                entry_card: body,
                note: gr.update(value=panel, visible=bool(panel)),
                source: source_json(resource) if resource is not None else f"// {problem}",
            }

        def show_entry(session: Session | None, entry_id: str | None, request: gr.Request) -> dict:
            """Open ``entry_id`` of the patient on the page, if that view is still the page's."""
            key = _key(request)
            if not entry_id or not screens.current(key, session):
                return _skip_all(entry_outputs)
            try:
                memory = backend.memory(session.patient_id)
                entry = next((e for e in memory.entries if e.entry_id == entry_id), None)
                outputs = open_entry(session, memory, entry) if entry else _skip_all(entry_outputs)
            except UserMessage as err:
                outputs = {entry_card: _message(err)}
            except Exception as err:
                outputs = {entry_card: _unexpected("opening an entry", err)}
            if not screens.current(key, session):  # the page moved on meanwhile
                return _skip_all(entry_outputs)
            return outputs

        def show_row(session: Session | None, evt: gr.SelectData, request: gr.Request) -> dict:
            index = evt.index[0] if isinstance(evt.index, list | tuple) and evt.index else None
            row = views.match_row(session.rows if session else [], index, evt.row_value)
            return show_entry(session, row.entry_id if row else None, request)

        def show_point(session: Session | None, evt: gr.EventData, request: gr.Request) -> dict:
            return show_entry(session, getattr(evt, "_data", {}).get("entry_id"), request)

        def draw_panels(session: Session | None, request: gr.Request) -> dict:
            """After the answer: the timeline with the cited entries marked, trend, hops, the strongest citation."""
            key = _key(request)
            if not screens.current(key, session) or session.answer is None:
                return _skip_all(panel_outputs)
            try:
                memory = backend.memory(session.patient_id)
                reply = session.answer
                by_id = {e.entry_id: e for e in memory.entries}
                trend_shown = views.is_trend(reply)
                series = views.trend_series(reply, memory.entries) if trend_shown else []
                outputs = {
                    timeline: charts.timeline_html(memory.entries, [c.entry_id for c in reply.citations]),
                    trend_title: charts.trend_title(series) if trend_shown else "",
                    trend: trend_plot(series) if trend_shown else EMPTY_TREND,
                    hops: charts.hops_html(reply, by_id),
                    tabs: gr.Tabs(selected="trend" if trend_shown else "timeline"),
                }
                strongest = by_id.get(session.rows[0].entry_id) if session.rows else None
                outputs.update(
                    open_entry(session, memory, strongest)
                    if strongest
                    else {entry_card: _card_hint(), note: _no_note(), source: ""}
                )
            except UserMessage:
                return _skip_all(panel_outputs)
            except Exception as err:
                _unexpected("drawing the panels", err)
                return _skip_all(panel_outputs)
            if not screens.current(key, session):  # the page moved on while drawing
                return _skip_all(panel_outputs)
            return outputs

        # -- events ---------------------------------------------------------------------------------

        demo.load(on_load, outputs=[status, patient], api_name="patients")
        patient.key_up(
            search, outputs=[patient], api_visibility="private", trigger_mode="always_last", queue=False
        )
        # What the page opens of the view on it (checked on the server: Screens.current).
        view_events = [
            citations.select(show_row, inputs=[state], outputs=entry_outputs, api_visibility="private"),
            timeline.select(show_point, inputs=[state], outputs=entry_outputs, api_visibility="private"),
        ]
        # The question's patient is the picker's value, checked on the server when the answer is
        # ready (Screens.show); never the session state's.
        asking = gr.on(
            triggers=[ask.click, question.submit],
            fn=ask_question,
            inputs=[question, patient],
            outputs=ask_outputs,
            api_name="ask",
            concurrency_limit=concurrency,
            # A question asked while the previous one runs is answered after it (not dropped).
            trigger_mode="always_last",
            cancels=view_events,
        )
        panels = asking.then(draw_panels, inputs=[state], outputs=panel_outputs, api_visibility="private")
        # A pick cancels, in the browser, whatever still runs for the view it replaces: gradio may
        # deliver the results of concurrent events in another order than they were decided in, and
        # a cancelled event's result is never shown. The server discards them too (Screens).
        patient.change(
            select_patient,
            inputs=[patient],
            outputs=pick_outputs,
            api_name="select_patient",
            cancels=[asking, panels, *view_events],
        )
        demo.unload(forget_session)
    demo.queue(default_concurrency_limit=concurrency)
    return demo


def serve(
    engine: Clinimem | None,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | str | None = None,
    *,
    problem: str | None = None,
    block: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
    picker_limit: int = SEARCH_LIMIT,
) -> gr.Blocks:
    """Start the page on ``host:port`` (loopback by default). ``block=False`` returns once it serves."""
    credentials = parse_auth(auth) if isinstance(auth, str) else auth
    demo = build_app(engine, problem=problem, concurrency=concurrency, picker_limit=picker_limit)
    demo.launch(
        server_name=host,
        server_port=port,
        # The check is rate-limited per client address, which the middleware makes known to it.
        auth=Login(*credentials) if credentials else None,
        app_kwargs=login_app_kwargs() if credentials else None,
        auth_message="clinimem: sign in to see patient records" if credentials else None,
        prevent_thread_lock=not block,
        show_error=False,  # a handler's failure must never show a stack trace in the page
        ssr_mode=False,
        quiet=True,
        css=CSS,
        js=GUARD_ANSWER,
        footer_links=["api"],
    )
    return demo
