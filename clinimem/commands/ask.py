"""``clinimem ask``: one question about one patient, or many from a JSONL file, in one process.

When a ``clinimem serve`` owns the store folder, the questions go to it over loopback
(:mod:`clinimem.owner`): no lock error, and no second load of the store and the models, so
this process imports neither torch nor transformers. Otherwise the engine is loaded here.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from clinimem.errors import ClinimemError
from clinimem.settings import Settings, add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", nargs="?", help="the question, in words")
    parser.add_argument("--patient", metavar="ID", help="FHIR Patient.id")
    parser.add_argument(
        "--questions",
        metavar="FILE",
        help='JSONL, each line {"patient_id", "question"}; one answer a line, same order',
    )
    parser.add_argument("--json", action="store_true", help="print the answer contract as JSON")
    parser.add_argument("--system", default="controller", help="answering system (controller, dense, bm25)")
    add_store_arguments(parser)


def _render(answer: dict) -> str:
    lines = [answer["answer"]["text"]]
    for c in answer["citations"]:
        lines.append(f"  [{(c['time'] or '')[:10]}] {c['text']}  ({c['resource']}, weight {c['weight']:.2f})")
    return "\n".join(lines)


class _Asker:
    """Answers through the store's owner process if one answers, else through an engine loaded here."""

    def __init__(self, settings: Settings, system: str) -> None:
        self.settings = settings
        self.system = system
        self._engine: Any = None
        self._remote = True

    def __call__(self, patient_id: str, question: str) -> dict[str, Any]:
        if self._remote:
            from clinimem.owner import ask_owner

            params = {"patient_id": patient_id, "question": question, "system": self.system}
            reply = ask_owner(self.settings, "ask", params)
            if reply is not None:
                return dict(reply)
            self._remote = False  # no owner: load the engine once, here
        if self._engine is None:
            from clinimem.api import Clinimem

            self._engine = Clinimem(self.settings.open_store(), system=self.system)
        return self._engine.ask(patient_id, question).to_dict()


def run(args: argparse.Namespace) -> int:
    ask = _Asker(Settings.from_args(args), args.system)
    if args.questions:
        failures = 0
        with open(args.questions, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    result = ask(item["patient_id"], item["question"])
                except (ClinimemError, KeyError, json.JSONDecodeError) as err:
                    failures += 1
                    result = {"line": number, "error": str(err)}
                print(
                    json.dumps(result, ensure_ascii=False)
                    if args.json
                    else _render(result)
                    if "answer" in result
                    else result["error"]
                )
                sys.stdout.flush()
        return 1 if failures else 0
    if not args.patient or not args.question:
        raise ClinimemError("give --patient ID and a question, or --questions FILE")
    answer = ask(args.patient, args.question)
    print(json.dumps(answer, ensure_ascii=False, indent=2) if args.json else _render(answer))
    return 0
