"""The clinician's page: pick a patient, ask a question, read the answer and the entries it cited.

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
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Gradio reads this when it is imported: no usage reports leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from clinimem.answer import Answer  # noqa: E402
from clinimem.api import Clinimem  # noqa: E402
from clinimem.memory.entry import MemoryEntry  # noqa: E402
from clinimem.memory.store import PatientSummary  # noqa: E402
from clinimem.ui import note_view, plots, summary, views  # noqa: E402
from clinimem.ui.backend import Backend, UserMessage  # noqa: E402
from clinimem.ui.login import Login, login_app_kwargs, parse_auth  # noqa: E402

log = logging.getLogger("clinimem.ui")

NO_SUCH_PATIENT = "No patient with that name or id is in the memory. Pick one from the list."

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
CSS = """
#answer h3 { margin-top: 0.2em; }
.cm-note { font-size: 0.9em; color: var(--body-text-color-subdued); }
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
    """One browser session's view: which patient, and what the citation table holds.

    A handler that changes the view returns a new one; only the tab handlers
    add to ``drawn``, in place (they never write the state back).
    """

    patient_id: str | None = None
    patient_name: str = ""
    rows: list[views.CitedRow] = field(default_factory=list)
    answer: Answer | None = None  # the last answer, for the views drawn when their tab is opened
    drawn: set[str] = field(default_factory=set)  # tabs whose figure shows the current answer
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


def _skip(outputs: int) -> tuple:
    """Every output left as it is (a fresh update each: gradio may consume them)."""
    return tuple(gr.skip() for _ in range(outputs))


def _table(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=list(columns))


EMPTY_CITATIONS = _table([], views.CITATION_COLUMNS)
EMPTY_HOPS = _table([], views.HOP_COLUMNS)


def _no_note() -> dict[str, Any]:
    """The note panel hidden (a fresh update each time: gradio may consume it)."""
    return gr.update(value="", visible=False)


def build_app(
    engine: Clinimem | None, *, problem: str | None = None, concurrency: int = DEFAULT_CONCURRENCY
) -> gr.Blocks:
    """The Blocks app over ``engine`` (None: no store; ``problem`` says why, in the page)."""
    backend = Backend(engine, problem=problem)
    screens = Screens()
    # Figures are encoded in the handlers, before the check that decides whether their result is
    # shown: what gradio still does after a handler returns is then quick, so results reach the
    # page in the order they were decided in.
    png = gr.Plot(format="png", render=False)

    # -- handlers (each returns what the page shows; none raises) ----------------------------

    def on_load() -> tuple[str, Any]:
        choice = backend.choose_system()
        try:
            patients = backend.patients()
        except UserMessage as err:
            return _message(err), gr.Dropdown(choices=[], value=None)
        except Exception as err:
            return _unexpected("loading the patient list", err), gr.Dropdown(choices=[], value=None)
        note = choice.note if choice.name else f"❌ **{choice.note}**"
        status = f"{len(patients)} patients in the memory. {note}"
        return status, gr.Dropdown(choices=summary.patient_choices(patients), value=None)

    def forget_session(request: gr.Request) -> None:
        screens.forget(_key(request))

    def resolve(choice: str) -> tuple[str, list[PatientSummary]]:
        """The id of the patient ``choice`` names (the picker's value), and the patient list."""
        patients = backend.patients()
        patient_id = summary.resolve_patient(choice, patients)
        if patient_id is None:
            raise UserMessage(NO_SUCH_PATIENT, "warning")
        return patient_id, patients

    def select_patient(choice: str | None, request: gr.Request) -> tuple:
        key = _key(request)
        selection = screens.select(key)  # from here on, nothing about the previous patient is shown

        def shown(patient_id: str | None, name: str, header: str, timeline: Any) -> tuple:
            # A new patient: nothing of the previous one survives.
            view = screens.settle(key, selection, patient_id)
            if view is None:  # a later pick started meanwhile: it draws the page
                return _skip(11)
            session = Session(patient_id, name, view=view, drawn={"timeline"} if patient_id else set())
            blank = ("", EMPTY_CITATIONS, None, None, EMPTY_HOPS, _no_note(), "", "")
            return (session, header, timeline, *blank)

        if not choice:
            return shown(None, "", "Pick a patient to see their record.", None)
        try:
            patient_id, patients = resolve(choice)
            memory = backend.memory(patient_id)
            found = next((p for p in patients if p.patient_id == patient_id), None)
            header = summary.patient_header(patient_id, memory.entries, found)
            timeline = png.postprocess(plots.timeline_figure(memory.entries))
        except UserMessage as err:
            return shown(None, "", _message(err), None)
        except Exception as err:
            return shown(None, "", _unexpected("opening a patient", err), None)
        return shown(patient_id, header.name, summary.header_markdown(header), timeline)

    def ask_question(question: str | None, patient: str | None, request: gr.Request) -> tuple:
        """Answer about the patient picked on the screen (``patient``, the picker's value), never the state's."""
        key = _key(request)
        patient_id: str | None = None
        empty = (EMPTY_CITATIONS, gr.skip(), None, None, EMPTY_HOPS, _no_note(), "", "", gr.skip())

        def shown(session: Session, *outputs: Any) -> tuple:
            # Shown only if its patient is still the one picked on the page; else discarded.
            view = screens.show(key, session.patient_id)
            if view is None:
                log.info("an answer was not shown: the page's patient changed while it was computed")
                return _skip(11)
            session.view = view
            return (session, *outputs)

        try:
            patients: list[PatientSummary] = []
            if patient:
                patient_id, patients = resolve(patient)
            answer, system_name = backend.ask(patient_id, question)
            memory = backend.memory(answer.patient_id)
        except UserMessage as err:
            return shown(Session(patient_id), _message(err), *empty)
        except Exception as err:
            return shown(Session(patient_id), _unexpected("answering", err), *empty)
        found = next((p for p in patients if p.patient_id == patient_id), None)
        name = summary.patient_header(patient_id, memory.entries, found).name
        by_id = {e.entry_id: e for e in memory.entries}
        rows = views.citation_rows(answer, by_id)
        trend = views.is_trend(answer)
        # Only the tab that opens is drawn now; the others when they are opened (show_tab).
        session = Session(patient_id, name, rows, answer, {"trend" if trend else "timeline"})
        return shown(
            session,
            views.answer_markdown(answer, name, system_name, by_id),
            _table([r.cells for r in rows], views.CITATION_COLUMNS),
            None if trend else draw("timeline", answer, memory.entries),
            draw("trend", answer, memory.entries) if trend else None,
            None,
            _table(views.hop_rows(answer, by_id), views.HOP_COLUMNS),
            _no_note(),
            "",
            json.dumps(answer.to_dict(), indent=2, ensure_ascii=False),
            gr.Tabs(selected="trend" if trend else "timeline"),
        )

    def draw(view: str, answer: Answer | None, entries: Sequence[MemoryEntry]) -> Any:
        """The view's figure, encoded for the page (None: nothing to draw)."""
        if view == "timeline":
            cited = [c.entry_id for c in answer.citations] if answer else ()
            return png.postprocess(plots.timeline_figure(entries, cited))
        if answer is None:
            return None
        if view == "trend":
            return png.postprocess(plots.trend_figure(views.trend_series(answer, entries)))
        return png.postprocess(plots.hops_figure(answer, {e.entry_id: e for e in entries}))

    def show_tab(view: str) -> Callable[[Session | None, gr.Request], Any]:
        """A tab's select handler: draw its figure for the view on the page, once."""

        def handler(session: Session | None, request: gr.Request) -> Any:
            key = _key(request)
            if not screens.current(key, session) or view in session.drawn:
                return gr.skip()
            try:
                memory = backend.memory(session.patient_id)
                figure = draw(view, session.answer, memory.entries)
            except UserMessage:
                figure = None
            except Exception as err:
                _unexpected(f"drawing the {view} view", err)
                figure = None
            if not screens.current(key, session):  # the page moved on while drawing
                return gr.skip()
            if figure is not None:
                # In place: the state is never written back (a newer one may have replaced it).
                session.drawn.add(view)
            return figure

        return handler

    def show_source(session: Session | None, evt: gr.SelectData, request: gr.Request) -> tuple:
        """The selected row's source JSON, and its note with the cited sentence marked (note entries)."""
        key = _key(request)
        if not screens.current(key, session):
            # Not the view on the page (another patient or answer replaced it): show nothing of it.
            return _no_note(), "// Select a row of the cited entries to see its source record."
        index = evt.index[0] if isinstance(evt.index, list | tuple) and evt.index else None
        row = views.match_row(session.rows, index, evt.row_value)
        if row is None:
            return _no_note(), "// Select a row of the cited entries to see its source record."
        try:
            resource = backend.source(row.resource)
        except UserMessage as err:
            return _no_note(), f"// {err.text}"
        except Exception as err:
            _unexpected("reading a source record", err)
            return _no_note(), "// The source record of this entry cannot be read."
        if resource is None:
            return _no_note(), f"// {row.resource}: the source JSON of this entry is not stored."
        note = show_note(key, session, row.entry_id, resource)
        if not screens.current(key, session):
            return gr.skip(), gr.skip()
        return note, source_json(resource)

    def show_note(key: str, session: Session, entry_id: str, resource: dict[str, Any]) -> dict[str, Any]:
        """A cited note entry: its note's text with the cited sentence highlighted; else the panel hidden."""
        if not screens.current(key, session):
            return _no_note()
        try:
            memory = backend.memory(session.patient_id)
            entry = next((e for e in memory.entries if e.entry_id == entry_id), None)
            panel = note_view.note_panel(entry, resource)
        except UserMessage:
            return _no_note()
        except Exception as err:
            _unexpected("showing a note", err)
            return _no_note()
        return gr.update(value=panel, visible=bool(panel))

    def source_json(resource: dict[str, Any]) -> str:
        # The store keeps canonical (key-sorted) JSON; a reader expects what and whose on top.
        head = {
            key: resource[key]
            for key in ("resourceType", "id", "subject", "patient", "encounter")
            if key in resource
        }
        return json.dumps({**head, **resource}, indent=2, ensure_ascii=False)

    # -- layout ---------------------------------------------------------------------------------

    with gr.Blocks(title="clinimem") as demo:
        session = gr.State(Session())
        gr.Markdown(
            "## clinimem: ask about one patient's record\n"
            "Every answer comes from the patient's own record and cites the entries it read."
        )
        status = gr.Markdown("Loading…", elem_id="status", elem_classes=["cm-note"])
        patient = gr.Dropdown(
            label="Patient",
            info="Search by name or id",
            choices=[],
            value=None,
            filterable=True,
            allow_custom_value=True,
            elem_id="patient",
        )
        header = gr.Markdown("Pick a patient to see their record.", elem_id="patient-header")
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
            label="Cited entries: select a row to see its source record",
            interactive=False,
            wrap=True,
            max_height=360,
            column_widths=["10%", "6%", "10%", "52%", "14%", "8%"],
            elem_id="citations",
        )
        with gr.Row():
            # show_label=False on the plots: the label box would cover the figure's own title.
            with gr.Column(scale=3), gr.Tabs(selected="timeline") as tabs:
                with gr.Tab("Timeline", id="timeline") as timeline_tab:
                    timeline = gr.Plot(show_label=False, format="png", elem_id="timeline")
                with gr.Tab("Trend", id="trend") as trend_tab:
                    trend = gr.Plot(show_label=False, format="png", elem_id="trend")
                with gr.Tab("Attention by hop", id="hops") as hops_tab:
                    hops = gr.Plot(show_label=False, format="png", elem_id="hops")
                    hop_table = gr.Dataframe(
                        value=EMPTY_HOPS,
                        headers=list(views.HOP_COLUMNS),
                        label="Entries each hop read most strongly",
                        interactive=False,
                        wrap=True,
                        max_height=300,
                        column_widths=["7%", "7%", "17%", "16%", "42%", "11%"],
                        elem_id="hop-table",
                    )
            with gr.Column(scale=2):
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
                source = gr.Code(
                    value="",
                    language="json",
                    label="Source FHIR resource of the selected entry",
                    interactive=False,
                    max_lines=40,
                    elem_id="source",
                )
        with gr.Accordion("Answer as JSON (the answer contract)", open=False):
            # Code, not gr.JSON: gradio_client takes any dict with a "path" key (citations have one) for a file.
            answer_json = gr.Code(value="", language="json", interactive=False, elem_id="answer-json")

        demo.load(on_load, outputs=[status, patient], api_name="patients")
        # What the page draws of the view on it (checked on the server: Screens.current).
        view_events = [
            tab.select(show_tab(view), inputs=[session], outputs=[plot], api_visibility="private")
            for tab, view, plot in (
                (timeline_tab, "timeline", timeline),
                (trend_tab, "trend", trend),
                (hops_tab, "hops", hops),
            )
        ]
        view_events.append(
            citations.select(show_source, inputs=[session], outputs=[note, source], api_visibility="private")
        )
        # The question's patient is the picker's value, checked on the server when the answer is
        # ready (Screens.show); never the session state's.
        asking = gr.on(
            triggers=[ask.click, question.submit],
            fn=ask_question,
            inputs=[question, patient],
            outputs=[
                session,
                answer,
                citations,
                timeline,
                trend,
                hops,
                hop_table,
                note,
                source,
                answer_json,
                tabs,
            ],
            api_name="ask",
            concurrency_limit=concurrency,
            # A question asked while the previous one runs is answered after it (not dropped).
            trigger_mode="always_last",
            cancels=view_events,
        )
        # A pick cancels, in the browser, whatever still runs for the view it replaces: gradio may
        # deliver the results of concurrent events in another order than they were decided in, and
        # a cancelled event's result is never shown. The server discards them too (Screens).
        patient.change(
            select_patient,
            inputs=[patient],
            outputs=[
                session,
                header,
                timeline,
                answer,
                citations,
                trend,
                hops,
                hop_table,
                note,
                source,
                answer_json,
            ],
            api_name="select_patient",
            cancels=[asking, *view_events],
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
) -> gr.Blocks:
    """Start the page on ``host:port`` (loopback by default). ``block=False`` returns once it serves."""
    credentials = parse_auth(auth) if isinstance(auth, str) else auth
    demo = build_app(engine, problem=problem, concurrency=concurrency)
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
