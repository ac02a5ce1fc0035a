"""What the page talks to: the engine (or why there is none) and the answering system in use.

Every failure becomes a :class:`UserMessage` in plain words, so a handler can
show it and never a stack trace. Nothing here logs patient data at INFO: ids,
names and questions go to DEBUG only.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from clinimem.answer import Answer
from clinimem.api import Clinimem, PatientMemory
from clinimem.errors import ClinimemError, QuestionError, StoreError, UnknownPatientError
from clinimem.memory.store import PatientSummary
from clinimem.ui.roster import SEARCH_LIMIT, Roster

log = logging.getLogger("clinimem.ui")

# Asked once in the background when the page starts answering (about the first patient listed).
WARM_UP_QUESTION = "When was the last visit?"
# Tried in this order: the default system, then the retrieval baseline.
FALLBACK_SYSTEM = "dense"

STORE_NOT_LOADED = (
    "The memory store is not loaded, so there are no patients to show. "
    "Load records with `clinimem ingest SOURCE --store DIR` and restart with the same `--store`, "
    "or run `clinimem demo` for the sample patients."
)


class UserMessage(Exception):
    """Something to tell the clinician in the page (``level``: info, warning or error)."""

    def __init__(self, text: str, level: str = "warning") -> None:
        super().__init__(text)
        self.text = text
        self.level = level


@dataclass(frozen=True)
class SystemChoice:
    """Which answering system the page uses, and why, in words for the page."""

    name: str | None
    note: str


class Backend:
    """The engine behind the page, shared by every session (it is thread-safe)."""

    def __init__(
        self, engine: Clinimem | None, *, problem: str | None = None, picker_limit: int = SEARCH_LIMIT
    ) -> None:
        self.engine = engine
        self.picker_limit = picker_limit
        self.problem = problem if engine is None else None
        self._choice: SystemChoice | None = None
        self._lock = threading.Lock()
        self.roster = Roster(self.patients)

    # -- the answering system -------------------------------------------------------------

    def choose_system(self) -> SystemChoice:
        """Load the default system, else the dense baseline; remember the choice (and warm it once)."""
        with self._lock:
            if self._choice is None:
                self._choice = self._choose()
                if self._choice.name is not None:
                    threading.Thread(target=self._warm_up, args=(self._choice.name,), daemon=True).start()
            return self._choice

    def _warm_up(self, system: str) -> None:
        """One question about one patient, in the background: the question encoder loads on the
        first question, and without this the first clinician's first answer waited for it."""
        try:
            first = self.roster.search("", 1)
            if first:
                self._engine().ask(first[0].patient_id, WARM_UP_QUESTION, system=system)
        except Exception as err:  # a failed warm-up only means the first answer is slower
            log.debug("warming up %s failed: %s", system, type(err).__name__)

    def _choose(self) -> SystemChoice:
        if self.engine is None:
            return SystemChoice(None, "No memory store, so no answering system was loaded.")
        default = self.engine.default_system
        failures = []
        for name in dict.fromkeys([default, FALLBACK_SYSTEM]):
            try:
                self.engine.system(name)
            except Exception as err:  # a missing module, missing weights, a bad config: all mean "not usable"
                failures.append(f"`{name}` could not be loaded ({type(err).__name__})")
                log.warning("answering system %r could not be loaded: %s", name, err)
                continue
            if name == default:
                return SystemChoice(name, f"Answers come from the `{name}` system.")
            return SystemChoice(
                name,
                f"The `{default}` system could not be loaded, so answers come from the "
                f"`{name}` retrieval baseline instead.",
            )
        return SystemChoice(
            None,
            "No answering system could be loaded: " + "; ".join(failures) + ". Questions cannot be answered.",
        )

    # -- reading ------------------------------------------------------------------------------

    def _engine(self) -> Clinimem:
        if self.engine is None:
            raise UserMessage(self.problem or STORE_NOT_LOADED, "error")
        return self.engine

    def patients(self) -> list[PatientSummary]:
        """Every patient; an empty or unreadable store is a message, not an empty list."""
        try:
            patients = self._engine().patients()
        except ClinimemError as err:
            raise UserMessage(f"{STORE_NOT_LOADED} ({err.message})", "error") from err
        except UserMessage:
            raise
        except Exception as err:
            log.error("listing patients failed: %s", type(err).__name__)
            log.debug("listing patients failed", exc_info=True)
            raise UserMessage(STORE_NOT_LOADED, "error") from err
        if not patients:
            raise UserMessage(STORE_NOT_LOADED, "error")
        return patients

    def find_patients(self, text: str | None) -> list[PatientSummary]:
        """The picker's matches for what was typed (a few, never the whole roster)."""
        return self.roster.search(text, self.picker_limit)

    def summary(self, patient_id: str) -> PatientSummary | None:
        """One patient's roster line; a patient loaded since the roster was read is read by id."""
        found = self.roster.find(patient_id)
        if found is not None:
            return found
        try:
            return self._engine().store.patient(patient_id)
        except ClinimemError as err:
            raise UserMessage(f"The memory store cannot be read: {err.message}.", "error") from err

    def memory(self, patient_id: str) -> PatientMemory:
        try:
            return self._engine().memory(patient_id)
        except UnknownPatientError as err:
            raise UserMessage(
                "No patient with that name or id is in the memory. Pick one from the list.", "warning"
            ) from err
        except StoreError as err:
            raise UserMessage(f"The memory store cannot be read: {err.message}.", "error") from err

    def source(self, resource: str) -> dict[str, Any] | None:
        try:
            return self._engine().store.source_resource(resource)
        except Exception as err:
            log.error("reading a source resource failed: %s", type(err).__name__)
            log.debug("reading %s failed", resource, exc_info=True)
            raise UserMessage("The source record of this entry cannot be read.", "error") from err

    # -- asking -------------------------------------------------------------------------------

    def ask(self, patient_id: str | None, question: str | None) -> tuple[Answer, str]:
        """Answer one question about one patient; returns the answer and the system's name."""
        if not patient_id:
            raise UserMessage("Pick a patient first: search the list by name or id.", "warning")
        if not question or not question.strip():
            raise UserMessage("Type a question about this patient's record, or pick an example.", "warning")
        engine = self._engine()
        choice = self.choose_system()
        if choice.name is None:
            raise UserMessage(choice.note, "error")
        try:
            answer = engine.ask(patient_id, question, system=choice.name)
        except UnknownPatientError as err:
            raise UserMessage(
                "No patient with that name or id is in the memory. Pick one from the list.", "warning"
            ) from err
        except QuestionError as err:
            raise UserMessage(f"This question cannot be asked: {err.message}.", "warning") from err
        except StoreError as err:
            raise UserMessage(f"The memory store cannot be read: {err.message}.", "error") from err
        except Exception as err:
            # The type only: an exception's text may quote the question or the record.
            log.error("answering failed: %s", type(err).__name__)
            log.debug("answering failed for patient %s", patient_id, exc_info=True)
            raise UserMessage(
                "Something went wrong while answering; the error was logged. Try rephrasing the question.",
                "error",
            ) from err
        log.info(
            "answered in %.0f ms (system=%s, operation=%s, %d citations, abstained=%s)",
            answer.timing_ms.get("total", 0.0),
            choice.name,
            answer.operation,
            len(answer.citations),
            answer.abstained,
        )
        log.debug("answered for patient %s", patient_id)
        if answer.patient_id != patient_id:
            # The contract says the answer names the patient asked about; a mismatch must never reach the page.
            log.error("an answer named another patient than the one asked about; not shown")
            raise UserMessage(
                "The answer could not be checked against this patient, so it is not shown.", "error"
            )
        return answer, choice.name
