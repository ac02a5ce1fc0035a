"""The trained controller through the real query pipeline, on a real embedded store."""

import pytest

from clinimem.api import Clinimem
from clinimem.controller.answerer import WEIGHTS, load_controller
from clinimem.memory.store import release_shared_store, shared_store


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from clinimem_connectors.load import load_sources
    from clinimem_eval.synth import generate

    root = tmp_path_factory.mktemp("controller")
    bundles = [
        str(p)
        for p in generate(4, 7, root / "patients")
        if p.suffix == ".json" and ".truth" not in p.name and p.name != "manifest.json"
    ]
    load_sources(bundles, store_location=str(root / "store"))
    store = shared_store(str(root / "store"))  # the loader's own client: embedded Qdrant locks its folder
    yield Clinimem(store)
    release_shared_store(store)


def test_weights_ship_with_the_package():
    model, meta = load_controller(WEIGHTS)
    assert model.cfg.hops >= 2
    assert meta["patients"] > 0


def test_answer_contract_hops_and_citations_point_at_stored_entries(engine):
    patient = max(engine.patients(), key=lambda p: p.entries)
    memory = engine.memory(patient.patient_id)
    ids = {e.entry_id for e in memory.entries}
    answer = engine.ask(patient.patient_id, "What was the most recent body weight?").to_dict()
    assert set(answer) >= {"patient_id", "question", "answer", "abstained", "citations", "hops", "timing_ms"}
    assert answer["patient_id"] == patient.patient_id
    assert len(answer["hops"]) >= 2
    for hop in answer["hops"]:
        assert {a["entry_id"] for a in hop["attended"]} <= ids
    assert not answer["abstained"]
    assert answer["answer"]["kind"] == "value"
    cited = [c["entry_id"] for c in answer["citations"]]
    assert cited and set(cited) <= ids
    weights = [e for e in memory.entries if e.concept.endswith("Body weight") and e.path == "$"]
    latest = max(weights, key=lambda e: e.time or "")
    assert answer["answer"]["value"] == latest.value  # the number is the cited entry's


def test_unsupported_question_abstains_and_cites_nothing(engine):
    patient = engine.patients()[0]
    answer = engine.ask(patient.patient_id, "When was warfarin started?")
    taking_warfarin = any(
        "warfarin" in (e.display or "").lower() for e in engine.memory(patient.patient_id).entries
    )
    if not taking_warfarin:
        assert answer.abstained and answer.answer.kind == "none" and answer.citations == ()
