"""The page's API through gradio_client: sessions, messages, login, logs (no browser)."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client

pytestmark = [
    pytest.mark.timeout(300),
    # gradio's queue calls pandas options that pandas 3 deprecates; not ours to fix.
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

# /select_patient returns (header, timeline, answer, citations, trend title, trend, hops, conversation,
# card, note, source, answer JSON)
HEADER = 0
# /ask takes (question, patient: the picker's value) and returns (answer, citations, conversation,
# answer JSON); the panels follow in an event of their own.
ANSWER, CITATIONS, ANSWER_JSON = 0, 1, -1


def client(url: str, **options: object) -> Client:
    return Client(url, verbose=False, **options)


def test_patients_lists_the_samples(ui_server, patients: dict[str, str]) -> None:
    status, dropdown = client(ui_server.url).predict(api_name="/patients")
    assert f"{len(patients)} patients in the memory" in status
    values = [value for _label, value in dropdown["choices"]]
    assert sorted(values) == sorted(patients.values())
    labels = [label for label, _value in dropdown["choices"]]
    assert any("Patria Schimmel" in label and patients["Patria Schimmel"] in label for label in labels)


def test_select_then_ask_answers_about_that_patient(
    ui_server, patients: dict[str, str], answered_question: str
) -> None:
    session = client(ui_server.url)
    patient_id = patients["Patria Schimmel"]
    header = session.predict(patient_id, api_name="/select_patient")[HEADER]
    assert "Patria Schimmel" in header and "Active problems" in header
    out = session.predict(answered_question, patient_id, api_name="/ask")
    answer = json.loads(out[ANSWER_JSON])
    assert answer["patient_id"] == patient_id
    assert answer["citations"], "the chosen question is answered with citations"
    assert patient_id in out[ANSWER]
    table = out[CITATIONS]
    assert table["headers"] == ["date", "visit", "kind", "text", "value", "weight"]
    assert len(table["data"]) == len(answer["citations"])


def test_search_by_name_or_id_fragment(ui_server, patients: dict[str, str]) -> None:
    session = client(ui_server.url)
    assert "Jacob Larson" in session.predict("larson", api_name="/select_patient")[HEADER]
    fragment = patients["Buster Hoeger"][:8]
    assert "Buster Hoeger" in session.predict(fragment, api_name="/select_patient")[HEADER]


def test_clear_messages(ui_server) -> None:
    session = client(ui_server.url)
    assert (
        "Pick a patient first" in session.predict("When was the last visit?", None, api_name="/ask")[ANSWER]
    )
    header = session.predict("not-a-patient-id", api_name="/select_patient")[HEADER]
    assert "No patient with that name or id" in header
    out = session.predict("When was the last visit?", "not-a-patient-id", api_name="/ask")
    assert "No patient with that name or id" in out[ANSWER]
    session.predict("Benito", api_name="/select_patient")
    assert "Type a question" in session.predict("  ", "Benito", api_name="/ask")[ANSWER]


def test_sessions_do_not_mix_patients(ui_server, patients: dict[str, str], answered_question: str) -> None:
    """Each session asks about its own patient while others switch theirs at the same time."""
    ids = list(patients.values())
    sessions = [(client(ui_server.url), ids[i % len(ids)]) for i in range(8)]
    for session, patient_id in sessions:
        session.predict(patient_id, api_name="/select_patient")

    def run(item: tuple[Client, str]) -> tuple[str, str]:
        session, patient_id = item
        out = session.predict(answered_question, patient_id, api_name="/ask")
        return patient_id, json.loads(out[ANSWER_JSON])["patient_id"]

    with ThreadPoolExecutor(len(sessions)) as pool:
        for asked, answered in pool.map(run, sessions):
            assert asked == answered


def test_no_patient_data_in_info_logs(
    ui_server, patients: dict[str, str], answered_question: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    session = client(ui_server.url)
    patient_id = patients["Patria Schimmel"]
    session.predict(patient_id, api_name="/select_patient")
    session.predict(answered_question, patient_id, api_name="/ask")
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("answered in" in m for m in info), "the answer is logged (without patient data)"
    for message in info:
        assert patient_id not in message
        assert "Schimmel" not in message
        assert answered_question not in message


def test_login_required_when_configured(serve_app, ui_engine) -> None:
    served = serve_app(ui_engine.engine, auth="clinician:s3cret")
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain ValueError/HTTP error
        client(served.url).predict(api_name="/patients")
    status, _ = client(served.url, auth=("clinician", "s3cret")).predict(api_name="/patients")
    assert "patients in the memory" in status


def test_store_not_loaded(serve_app) -> None:
    served = serve_app(None, problem=None)
    session = client(served.url)
    status, dropdown = session.predict(api_name="/patients")
    assert "memory store is not loaded" in status
    assert dropdown["choices"] == []
    assert "memory store is not loaded" in session.predict("anyone", api_name="/select_patient")[HEADER]


def test_abstained_answer_reads_not_in_the_record(serve_app, ui_engine, patients: dict[str, str]) -> None:
    """Through the whole page, with the test stand-in (which abstains when no entry matches)."""
    from clinimem.api import SYSTEMS, Clinimem

    SYSTEMS["ui-standin"] = "ui_standin:StandInAnswerer"
    try:
        served = serve_app(Clinimem(ui_engine.engine.store, system="ui-standin"))
        session = client(served.url)
        session.predict(patients["Patria Schimmel"], api_name="/select_patient")
        out = session.predict("Any xylophone zeppelin?", patients["Patria Schimmel"], api_name="/ask")
    finally:
        del SYSTEMS["ui-standin"]
    assert out[ANSWER].startswith("### Not in the record")
    assert out[CITATIONS]["data"] == []
    assert json.loads(out[ANSWER_JSON])["abstained"] is True


class SlowAnswers:
    """The engine, each answer delayed: a question is still running when the next pick arrives."""

    def __init__(self, engine: object, delay: float) -> None:
        self._engine, self._delay = engine, delay

    def __getattr__(self, name: str) -> object:
        return getattr(self._engine, name)

    def ask(self, *args: object, **kwargs: object) -> object:
        time.sleep(self._delay)
        return self._engine.ask(*args, **kwargs)


def skipped(out: tuple) -> bool:
    """Every output left as it was (the handler returned gr.skip() for each)."""
    return all(isinstance(o, dict) and o.get("__type__") == "update" and "value" not in o for o in out)


def test_a_pick_while_an_answer_runs_never_leaves_the_earlier_patient(
    serve_app, ui_engine, patients: dict[str, str], answered_question: str
) -> None:
    """The reported sequence: pick A, ask, pick B 50 ms later, ask again: the answer is about B."""
    served = serve_app(SlowAnswers(ui_engine.engine, delay=0.5))
    first, second = patients["Patria Schimmel"], patients["Jacob Larson"]
    session = client(served.url)
    for _ in range(5):
        session.predict(first, api_name="/select_patient")
        running = session.submit(answered_question, first, api_name="/ask")
        time.sleep(0.05)
        assert "Jacob Larson" in session.predict(second, api_name="/select_patient")[HEADER]
        out = session.predict(answered_question, second, api_name="/ask")
        assert json.loads(out[ANSWER_JSON])["patient_id"] == second
        assert second in out[ANSWER] and first not in out[ANSWER]
        # The answer about A finished after B was picked: discarded, nothing of it reaches the page.
        stale = running.result()
        assert skipped(stale), stale


def test_an_answer_about_another_patient_than_the_picked_one_is_discarded(
    ui_server, patients: dict[str, str], answered_question: str
) -> None:
    session = client(ui_server.url)
    picked, other = patients["Patria Schimmel"], patients["Buster Hoeger"]
    session.predict(picked, api_name="/select_patient")
    assert skipped(session.predict(answered_question, other, api_name="/ask"))
    # Asked by a name the picker resolves: answered about that patient.
    out = session.predict(answered_question, "Patria Schimmel", api_name="/ask")
    assert json.loads(out[ANSWER_JSON])["patient_id"] == picked


class CountedReads:
    """The engine, with a record of whose memory was read and how often the roster was listed."""

    def __init__(self, engine: object) -> None:
        self._engine = engine
        self.memories: list[str] = []
        self.listings = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._engine, name)

    def memory(self, patient_id: str) -> object:
        self.memories.append(patient_id)
        return self._engine.memory(patient_id)

    def patients(self) -> object:
        self.listings += 1
        return self._engine.patients()


def test_opening_a_patient_reads_that_patient_only(
    serve_app, ui_engine, patients: dict[str, str], answered_question: str
) -> None:
    engine = CountedReads(ui_engine.engine)
    served = serve_app(engine)
    session = client(served.url)
    session.predict(api_name="/patients")
    for name in ("Patria Schimmel", "Jacob Larson"):
        session.predict(patients[name], api_name="/select_patient")
        session.predict(answered_question, patients[name], api_name="/ask")
    session.predict("larso", api_name="/select_patient")  # typed text, resolved over the roster
    assert set(engine.memories) == {patients["Patria Schimmel"], patients["Jacob Larson"]}
    # The roster is listed once and searched from then on, not read again for every pick or question.
    assert engine.listings == 1
