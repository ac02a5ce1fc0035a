"""The clinician's page: pick a patient, ask a question, read the answer and the entries it cited.

>>> from clinimem.api import Clinimem
>>> from clinimem.ui.app import serve
>>> serve(Clinimem.open(store=".clinimem/store"))   # doctest: +SKIP

Sessions never share the current patient: it lives in a per-session
``gr.State``; the engine behind them is shared and thread-safe.
"""

from __future__ import annotations

import json
import logging
import os
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
from clinimem.ui import note_view, plots, summary, views  # noqa: E402
from clinimem.ui.backend import Backend, UserMessage  # noqa: E402
from clinimem.ui.login import parse_auth  # noqa: E402

log = logging.getLogger("clinimem.ui")

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
"""


@dataclass
class Session:
    """One browser session's view: which patient, and what the citation table holds."""

    patient_id: str | None = None
    patient_name: str = ""
    rows: list[views.CitedRow] = field(default_factory=list)
    answer: Answer | None = None  # the last answer, for the views drawn when their tab is opened
    drawn: set[str] = field(default_factory=set)  # tabs whose figure shows the current answer


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
EMPTY_HOPS = _table([], views.HOP_COLUMNS)


def _no_note() -> dict[str, Any]:
    """The note panel hidden (a fresh update each time: gradio may consume it)."""
    return gr.update(value="", visible=False)


def build_app(
    engine: Clinimem | None, *, problem: str | None = None, concurrency: int = DEFAULT_CONCURRENCY
) -> gr.Blocks:
    """The Blocks app over ``engine`` (None: no store; ``problem`` says why, in the page)."""
    backend = Backend(engine, problem=problem)

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

    def select_patient(choice: str | None, session: Session | None) -> tuple:
        session = Session()  # a new patient: nothing of the previous one survives
        blank = ("", EMPTY_CITATIONS, None, None, EMPTY_HOPS, _no_note(), "", "")
        if not choice:
            return (session, "Pick a patient to see their record.", None, *blank)
        try:
            patients = backend.patients()
            patient_id = summary.resolve_patient(choice, patients)
            if patient_id is None:
                raise UserMessage(
                    "No patient with that name or id is in the memory. Pick one from the list.", "warning"
                )
            memory = backend.memory(patient_id)
            found = next((p for p in patients if p.patient_id == patient_id), None)
            header = summary.patient_header(patient_id, memory.entries, found)
        except UserMessage as err:
            return (session, _message(err), None, *blank)
        except Exception as err:
            return (session, _unexpected("opening a patient", err), None, *blank)
        session.patient_id, session.patient_name = patient_id, header.name
        session.drawn = {"timeline"}
        timeline = plots.timeline_figure(memory.entries)
        return (session, summary.header_markdown(header), timeline, *blank)

    def ask_question(question: str | None, session: Session | None) -> tuple:
        session = session or Session()
        session.rows, session.answer, session.drawn = [], None, set()
        empty = (EMPTY_CITATIONS, gr.skip(), None, None, EMPTY_HOPS, _no_note(), "", "", gr.skip())
        try:
            answer, system_name = backend.ask(session.patient_id, question)
            memory = backend.memory(answer.patient_id)
        except UserMessage as err:
            return (session, _message(err), *empty)
        except Exception as err:
            return (session, _unexpected("answering", err), *empty)
        by_id = {e.entry_id: e for e in memory.entries}
        session.rows, session.answer = views.citation_rows(answer, by_id), answer
        trend = views.is_trend(answer)
        # Only the tab that opens is drawn now; the others when they are opened (show_tab).
        session.drawn = {"trend" if trend else "timeline"}
        return (
            session,
            views.answer_markdown(answer, session.patient_name, system_name, by_id),
            _table([r.cells for r in session.rows], views.CITATION_COLUMNS),
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
        if view == "timeline":
            return plots.timeline_figure(entries, [c.entry_id for c in answer.citations] if answer else ())
        if answer is None:
            return None
        if view == "trend":
            return plots.trend_figure(views.trend_series(answer, entries))
        return plots.hops_figure(answer, {e.entry_id: e for e in entries})

    def show_tab(view: str) -> Callable[[Session | None], tuple]:
        """A tab's select handler: draw its figure for the current answer, once."""

        def handler(session: Session | None) -> tuple:
            if session is None or session.patient_id is None or view in session.drawn:
                return session, gr.skip()
            try:
                memory = backend.memory(session.patient_id)
            except UserMessage:
                return session, None
            except Exception as err:
                _unexpected(f"drawing the {view} view", err)
                return session, None
            session.drawn = session.drawn | {view}
            return session, draw(view, session.answer, memory.entries)

        return handler

    def show_source(session: Session | None, evt: gr.SelectData) -> tuple[dict[str, Any], str]:
        """The selected row's source JSON, and its note with the cited sentence marked (note entries)."""
        rows = session.rows if session else []
        index = evt.index[0] if isinstance(evt.index, list | tuple) and evt.index else None
        row = views.match_row(rows, index, evt.row_value)
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
        return show_note(session, row.entry_id, resource), source_json(resource)

    def show_note(session: Session | None, entry_id: str, resource: dict[str, Any]) -> dict[str, Any]:
        """A cited note entry: its note's text with the cited sentence highlighted; else the panel hidden."""
        if session is None or session.patient_id is None:
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
        patient.change(
            select_patient,
            inputs=[patient, session],
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
        )
        gr.on(
            triggers=[ask.click, question.submit],
            fn=ask_question,
            inputs=[question, session],
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
        )
        for tab, view, plot in (
            (timeline_tab, "timeline", timeline),
            (trend_tab, "trend", trend),
            (hops_tab, "hops", hops),
        ):
            tab.select(show_tab(view), inputs=[session], outputs=[session, plot], api_visibility="private")
        citations.select(show_source, inputs=[session], outputs=[note, source], api_visibility="private")
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
        auth=credentials,
        auth_message="clinimem: sign in to see patient records" if credentials else None,
        prevent_thread_lock=not block,
        show_error=False,  # a handler's failure must never show a stack trace in the page
        ssr_mode=False,
        quiet=True,
        css=CSS,
        footer_links=["api"],
    )
    return demo
