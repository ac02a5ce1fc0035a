"""``clinimem ask``: one question about one patient, or many from a JSONL file, in one process."""

from __future__ import annotations

import argparse
import json
import sys

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


def run(args: argparse.Namespace) -> int:
    from clinimem.api import Clinimem

    engine = Clinimem(Settings.from_args(args).open_store(), system=args.system)
    if args.questions:
        failures = 0
        with open(args.questions, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    result = engine.ask(item["patient_id"], item["question"]).to_dict()
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
    answer = engine.ask(args.patient, args.question).to_dict()
    print(json.dumps(answer, ensure_ascii=False, indent=2) if args.json else _render(answer))
    return 0
