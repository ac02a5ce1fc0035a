"""The ``controller`` answering system: question pass -> K hops over memory -> executor.

Runs as a Haystack query pipeline (:func:`build_query_pipeline`, beside its components)
of three components; the trained weights ship in ``weights/controller.pt``.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from haystack import Pipeline, component

from clinimem.answer import NO_COMPUTED_ANSWER, NOT_IN_RECORD, OP_KINDS, Answer, Citation, Hop
from clinimem.controller.batch import PatientSlots, patient_slots, question_batch
from clinimem.controller.cues import ANCHORED_OPS, PICK_OPS, operation_cue
from clinimem.controller.executor import Plan, execute
from clinimem.controller.intents import class_is_kind, event_anchor, read_intent
from clinimem.controller.model import ANSWER_KINDS, OPS, Controller, ControllerConfig
from clinimem.controller.question import QuestionFeatures, shared_question_encoder
from clinimem.controller.vocabulary import check_vocabulary
from clinimem.errors import ClinimemError
from clinimem.grounding.match import FEATURES, ground, listed_kind, listed_slots
from clinimem.memory.patient import PatientMemory

WEIGHTS = Path(__file__).parent / "weights" / "controller.pt"
# Other trained weights (`clinimem train --out FILE`) are used when this names them.
WEIGHTS_ENV = "CLINIMEM_CONTROLLER_WEIGHTS"
EVIDENCE_THRESHOLD = 0.5
# A question that names one of the patient's concepts this surely (all of a name's words, most of the
# question's) is never answered "not in the record": the operation falls to the next most likely one.
NAMED_SCORE = 0.75
HOP_TRACE = 8  # entries shown per hop
# Patients whose slots and question-independent slot encodings the controller keeps, the least
# recently asked about dropped first (a screening worker reads thousands). Both are pure functions of
# the patient's memory, so a dropped patient's are computed again, the same, when asked about next.
PATIENT_CACHE = 64
# Operations that can read a whole class or kind of entry.
WHOLE_KIND_OPS = frozenset({"first", "last", "count", "list"})


def load_controller(path: Path = WEIGHTS) -> tuple[Controller, dict[str, Any]]:
    """The trained controller (eval mode) and the metadata saved with it."""
    if not path.exists():
        raise ClinimemError(
            "the controller has no trained weights",
            file=str(path),
            hint="train them with `clinimem train`, or ask with --system dense",
        )
    saved = torch.load(path, map_location="cpu", weights_only=False)
    check_vocabulary(saved.get("vocabulary"), str(path))
    model = Controller(ControllerConfig(**saved["config"]))
    model.load_state_dict(saved["state_dict"])
    model.eval()
    return model, saved.get("meta", {})


@component
class QuestionReader:
    """Question text -> MiniLM sentence/token vectors + dates, counts, negation."""

    @component.output_types(features=QuestionFeatures)
    def run(self, question: str) -> dict[str, Any]:
        return {"features": shared_question_encoder().encode(question)}


def _keep(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
    """Put ``value`` in an LRU ``cache`` as the most recent; drop the least recent beyond PATIENT_CACHE."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > PATIENT_CACHE:
        cache.popitem(last=False)


@component
class ControllerReader:
    """K hops of attention over the patient's slots -> a plan and the hop trace."""

    def __init__(self, weights: str | None = None, hops: int | None = None) -> None:
        self.weights = weights
        self.hops = hops
        self._model: Controller | None = None
        # patient id -> ..., least recently used first; at most PATIENT_CACHE each
        self._slots: OrderedDict[str, tuple[int, PatientSlots]] = OrderedDict()
        self._static: OrderedDict[str, tuple[PatientSlots, torch.Tensor]] = OrderedDict()
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is None:
            chosen = self.weights or os.environ.get(WEIGHTS_ENV)
            self._model, _ = load_controller(Path(chosen) if chosen else WEIGHTS)

    def _patient_slots(self, memory: PatientMemory) -> PatientSlots:
        with self._lock:
            cached = self._slots.get(memory.patient_id)
            if cached and cached[0] == id(memory):
                self._slots.move_to_end(memory.patient_id)
                return cached[1]
            slots = patient_slots(memory.entries, memory.vectors)
            _keep(self._slots, memory.patient_id, (id(memory), slots))
            return slots

    def _static_slots(self, patient_id: str, slots: PatientSlots, batch: dict[str, Any]) -> torch.Tensor:
        """The patient's question-independent slot encodings, computed once per slots."""
        assert self._model is not None
        with self._lock:
            cached = self._static.get(patient_id)
            if cached is not None and cached[0] is slots:
                self._static.move_to_end(patient_id)
                return cached[1]
        static = self._model.static_slots(batch)
        with self._lock:
            _keep(self._static, patient_id, (slots, static))
        return static

    @component.output_types(
        plan=Plan, hops=list[Hop], evidence_weights=dict[int, float], grounding=list[dict[str, Any]]
    )
    def run(self, features: QuestionFeatures, memory: PatientMemory) -> dict[str, Any]:
        self.warm_up()
        assert self._model is not None
        slots = self._patient_slots(memory)
        grounding = ground(features.text, slots.concepts)
        batch = question_batch(slots, [features], [grounding])
        with torch.no_grad():
            batch["static_slots"] = self._static_slots(memory.patient_id, slots, batch)
            out = self._model(batch)
        op_order = [OPS[int(i)] for i in torch.argsort(out.op_logits[0], descending=True)]
        op = op_order[0]
        named = float(grounding.question[0]) >= NAMED_SCORE
        if op == "abstain" and named:
            op = op_order[1]
        # a whole kind or class ("her vaccines", "statins"), when the question's words are all
        # accounted for (not "her COVID shot" for a patient without one)
        # (nor when one concept is named in part: "the pneumococcal polysaccharide vaccine" is not
        # every vaccine because the patient has another pneumococcal one)
        kind_class = class_is_kind(features.text)  # "vaccine" names the kind as much as a class
        partly_named = any(m.score >= 0.5 and (not m.classes or kind_class) for m in grounding.matches)
        whole = (
            listed_slots(features.text, grounding, slots.concepts)
            if grounding.question[3] < 0.5
            and not (partly_named and (not grounding.question[1] or kind_class))
            else ()
        )
        # named by its own name ("shingles vaccine"), not only as a member of a class ("vaccines")
        by_name = (
            grounding.slots[:, FEATURES.index("cover")] * grounding.slots[:, FEATURES.index("question_cover")]
        )
        named_outright = len(by_name) > 0 and float(by_name.max()) >= NAMED_SCORE
        named_concepts = [m for m in grounding.matches if m.score >= 0.5]
        if op == "abstain" and whole:
            # a kind asked for as a whole, every word accounted for ("when was the last visit?"):
            # the record holds entries of that kind, so it is not silent: the likeliest operation that
            # reads a kind as a whole
            op = next(o for o in op_order if o in WHOLE_KIND_OPS | {"lookup", "exists"})
        cue = operation_cue(
            features.text,
            op,
            named_whole_kind=bool(whole) and not named_outright,
            named_concept=bool(named_concepts),
            count_in_name=any("count" in m.display.lower() for m in named_concepts),
        )
        op = cue.op or op
        allowed = [ANSWER_KINDS.index(k) for k in OP_KINDS[op]]
        kind = ANSWER_KINDS[allowed[int(out.kind_logits[0][allowed].argmax())]]
        probs = torch.sigmoid(out.evidence_logits[0])
        evidence = tuple(int(i) for i in torch.nonzero(probs > EVIDENCE_THRESHOLD).flatten())
        best = grounding.slots[:, FEATURES.index("best")] > 0
        if whole and op in WHOLE_KIND_OPS and not named_outright:
            # a class or a kind as a whole ("her vaccines", "the last visit", "how many statins"):
            # every member, from the explicit signals
            evidence = whole
        elif (op == "count" or (op in PICK_OPS and features.window is not None)) and named_outright:
            # (and a value in a year or on a day: from every entry of it, for the dates to choose among)
            # a count is of every entry of the concept named, not of those the evidence head chose
            # (the best-matched one, ties gone to the plainer name: "glucose" is Glucose; episodes in
            # the record rather than each note that mentions one)
            strong = by_name >= NAMED_SCORE
            in_record = strong & (np.array(slots.concepts.slot_kind) != "note")
            pool = in_record if in_record.any() else strong
            score = grounding.slots[:, FEATURES.index("score")]
            top = pool & (score >= float(score[pool].max()) - 1e-6)
            evidence = tuple(int(i) for i in np.nonzero(top)[0])
        if op == "list" and not named_outright:
            # "what are his current meds?": a list of the one kind the question names, not the
            # problems the evidence head read alongside
            named_kind = listed_kind(features.text)
            if named_kind is not None:
                of_kind = tuple(i for i in evidence if slots.concepts.slot_kind[i] == named_kind)
                evidence = of_kind or evidence
        if named and not evidence and op != "abstain":
            # the record names it: read the best-matched concept rather than say it is not there
            evidence = tuple(int(i) for i in np.nonzero(best)[0])
        intent = read_intent(features, grounding, slots.concepts, memory.entries, op, kind, evidence)
        if intent is not None:
            op, kind, evidence = intent.op, intent.kind, intent.evidence
        anchor = int(out.attention[0][0].argmax()) if len(memory) else None
        if intent is not None and intent.anchor is not None:
            anchor = intent.anchor
        elif op in ANCHORED_OPS:
            anchor = event_anchor(memory.entries, grounding, slots.concepts, anchor, features.text)
        hops = []
        for k, attention in enumerate(out.attention, start=1):
            weights, index = torch.topk(attention[0], k=min(HOP_TRACE, attention.shape[1]))
            hops.append(
                Hop(
                    k,
                    tuple(
                        (memory.entries[int(i)].entry_id, float(w))
                        for w, i in zip(weights, index, strict=True)
                    ),
                )
            )
        plan = Plan(
            op=op,
            kind=kind,
            evidence=evidence,
            anchor=anchor,
            window=features.window if intent is None or intent.keep_window else None,
            count=features.count,
            question=features.text,
            from_end=features.from_end,
            focus=max(evidence, key=lambda i: float(probs[i])) if evidence else None,
            threshold=features.threshold,
            searched=intent.searched if intent else (),
            date_of=intent.date_of if intent else "start",
            rule=intent.rule if intent else "",
            pick=intent.pick if intent else "",
        )
        return {
            "plan": plan,
            "hops": hops,
            "evidence_weights": {i: float(probs[i]) for i in evidence},
            "grounding": [asdict(m) for m in grounding.matches],
        }


# a concept matched this surely is one the question names (see clinimem.grounding.match)
RELATED_SCORE = 0.5
CONTEXT_ENTRIES = 5


def related_entries(memory: PatientMemory, grounding: tuple[dict[str, Any], ...]) -> tuple[Citation, ...]:
    """The latest entries of the concepts the question names, when no operation answers it."""
    named: dict[str, float] = {}
    for m in grounding:
        if m["score"] >= RELATED_SCORE:
            key = m.get("code") or m.get("display") or ""
            named[key] = max(named.get(key, 0.0), float(m["score"]))
    if not named:
        return ()
    scored = [
        (named[e.code or e.display or ""], e) for e in memory.entries if (e.code or e.display or "") in named
    ]
    scored.sort(key=lambda se: (se[0], se[1].time or ""), reverse=True)
    return tuple(Citation.of(e, w) for w, e in scored[:CONTEXT_ENTRIES])


@component
class AnswerBuilder:
    """Execute the plan over the entries and build the contract's answer."""

    @component.output_types(answer=Answer)
    def run(
        self,
        plan: Plan,
        hops: list[Hop],
        evidence_weights: dict[int, float],
        memory: PatientMemory,
        question: str,
        grounding: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        trace = tuple(grounding or ())
        result = execute(plan, memory.entries)
        if result is None:
            context = related_entries(memory, trace)
            return {
                "answer": Answer.abstain(
                    memory.patient_id,
                    question,
                    reason=NO_COMPUTED_ANSWER if context else NOT_IN_RECORD,
                    hops=tuple(hops),
                    grounding=trace,
                    context=context,
                )
            }
        citations = tuple(
            Citation.of(memory.entries[i], evidence_weights.get(i, 1.0)) for i in dict.fromkeys(result.cited)
        )
        return {
            "answer": Answer(
                patient_id=memory.patient_id,
                question=question,
                answer=result.value,
                abstained=False,
                citations=citations,
                hops=tuple(hops),
                operation=plan.op,
                grounding=trace,
            )
        }


def build_query_pipeline(weights: str | None = None) -> Pipeline:
    """question -> QuestionReader -> ControllerReader (K hops) -> AnswerBuilder (executor).

    Inputs: ``{"question": {"question": q}, "controller": {"memory": m},
    "answer": {"memory": m, "question": q}}`` with ``m`` a :class:`clinimem.memory.patient.PatientMemory`.
    """
    pipeline = Pipeline(metadata={"name": "clinimem-query"})
    pipeline.add_component("question", QuestionReader())
    pipeline.add_component("controller", ControllerReader(weights=weights))
    pipeline.add_component("answer", AnswerBuilder())
    pipeline.connect("question.features", "controller.features")
    pipeline.connect("controller.plan", "answer.plan")
    pipeline.connect("controller.hops", "answer.hops")
    pipeline.connect("controller.evidence_weights", "answer.evidence_weights")
    pipeline.connect("controller.grounding", "answer.grounding")
    return pipeline


class ControllerAnswerer:
    """The default answering system (see :mod:`clinimem.api`)."""

    name = "controller"

    def __init__(self, store: Any = None, weights: str | None = None) -> None:
        self.pipeline = build_query_pipeline(weights=weights)
        self.pipeline.warm_up()

    def answer(self, memory: PatientMemory, question: str) -> Answer:
        started = time.perf_counter()
        out = self.pipeline.run(
            {
                "question": {"question": question},
                "controller": {"memory": memory},
                "answer": {"memory": memory, "question": question},
            }
        )
        answer: Answer = out["answer"]["answer"]
        timing = {"controller": (time.perf_counter() - started) * 1000}
        return Answer(**{**answer.__dict__, "timing_ms": timing})
