"""The vocabularies a controller's weights are tied to, saved with them and checked at load.

The embeddings and heads index entry kinds, statuses, operations, answer kinds,
note flags and grounding signals by position: weights trained with other lists
would read shifted indices silently, so loading compares them first.
"""

from __future__ import annotations

from typing import Any

from clinimem.answer import ANSWER_KINDS, OPS
from clinimem.controller.slots import FLAGS, N_NUMERIC, STATUSES
from clinimem.errors import ClinimemError
from clinimem.grounding.match import FEATURES, QUESTION_FEATURES
from clinimem.memory.entry import KINDS


def vocabulary() -> dict[str, list[Any]]:
    """What the model's inputs and outputs are indexed by, in order."""
    return {
        "entry_kinds": list(KINDS),
        "statuses": list(STATUSES),
        "operations": list(OPS),
        "answer_kinds": list(ANSWER_KINDS),
        "note_flags": list(FLAGS),
        "numeric_columns": [N_NUMERIC],
        "grounding_features": list(FEATURES),
        "grounding_question_features": list(QUESTION_FEATURES),
    }


def check_vocabulary(saved: dict[str, list[Any]] | None, file: str) -> None:
    """Raise a :class:`ClinimemError` that says to retrain when ``saved`` differs from this code's lists."""
    current = vocabulary()
    if saved is None:
        raise ClinimemError(
            "these controller weights were saved without their vocabularies, so they cannot be checked "
            "against this version of clinimem",
            file=file,
            hint="retrain them with `clinimem train` (or point CLINIMEM_CONTROLLER_WEIGHTS at newer weights)",
        )
    differ = [name for name in current if saved.get(name) != current[name]]
    if differ:
        detail = "; ".join(
            f"{name}: weights have {saved.get(name)}, this code has {current[name]}" for name in differ
        )
        raise ClinimemError(
            f"the controller weights were trained with other vocabularies ({detail})",
            file=file,
            hint="retrain them with `clinimem train` for this version of clinimem",
        )
