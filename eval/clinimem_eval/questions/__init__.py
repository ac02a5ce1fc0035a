"""Questions with gold answers and gold evidence (placeholder docstring, completed below)."""

from clinimem_eval.questions.generate import generate_for_facts, generate_for_patients, load_facts
from clinimem_eval.questions.model import CATEGORIES, OPS, Question, read_jsonl, write_jsonl

generate_questions = generate_for_patients

__all__ = [
    "CATEGORIES",
    "OPS",
    "Question",
    "generate_for_facts",
    "generate_for_patients",
    "generate_questions",
    "load_facts",
    "read_jsonl",
    "write_jsonl",
]
