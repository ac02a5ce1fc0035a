"""Result rows: one per patient, with every criterion's verdict, answer and citations.

A row carries what a reviewer needs to check a flag: each answer's text and
value and the resources it cited (``ResourceType/id``), so ``clinimem
timeline`` or the UI can open them. Rows hold no timings, so a resumed job
writes exactly the rows an uninterrupted one would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from clinimem.answer import Answer


@dataclass(frozen=True)
class CriterionResult:
    """One criterion for one patient."""

    name: str
    verdict: str
    answer: str | None = None  # the answer's text
    kind: str | None = None
    value: Any = None
    unit: str | None = None
    abstained: bool | None = None
    citations: tuple[str, ...] = ()
    error: str | None = None

    @classmethod
    def of(cls, name: str, verdict: str, answer: Answer) -> CriterionResult:
        # Citations as resources, in the answer's order, once each (a panel cites several entries).
        resources = tuple(dict.fromkeys(c.resource for c in answer.citations))
        value = answer.answer.value
        return cls(
            name=name,
            verdict=verdict,
            answer=answer.answer.text,
            kind=answer.answer.kind,
            value=list(value) if isinstance(value, tuple) else value,
            unit=answer.answer.unit,
            abstained=answer.abstained,
            citations=resources,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "answer": self.answer,
            "kind": self.kind,
            "value": self.value,
            "unit": self.unit,
            "abstained": self.abstained,
            "citations": list(self.citations),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> CriterionResult:
        return cls(
            name=name,
            verdict=data["verdict"],
            answer=data.get("answer"),
            kind=data.get("kind"),
            value=data.get("value"),
            unit=data.get("unit"),
            abstained=data.get("abstained"),
            citations=tuple(data.get("citations") or ()),
            error=data.get("error"),
        )


@dataclass(frozen=True)
class ScreenRow:
    """One patient's screening result. ``error``: why the patient could not be screened at all."""

    patient_id: str
    verdict: str
    criteria: tuple[CriterionResult, ...]
    error: str | None = None
    system: str | None = None
    fingerprint: str | None = None  # of the criteria file: a resumed job checks it

    def criterion(self, name: str) -> CriterionResult:
        return next(c for c in self.criteria if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "verdict": self.verdict,
            "criteria": {c.name: c.to_dict() for c in self.criteria},
            "error": self.error,
            "system": self.system,
            "criteria_fingerprint": self.fingerprint,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScreenRow:
        return cls(
            patient_id=data["patient_id"],
            verdict=data["verdict"],
            criteria=tuple(CriterionResult.from_dict(n, c) for n, c in (data.get("criteria") or {}).items()),
            error=data.get("error"),
            system=data.get("system"),
            fingerprint=data.get("criteria_fingerprint"),
        )

    def flat(self, *, join_lists: bool) -> dict[str, Any]:
        """One flat record for CSV / parquet: ``{name}.verdict``, ``{name}.answer``, ...

        ``value`` is JSON text (its type varies by answer kind); citations are a
        list for parquet and ``;``-joined for CSV (``join_lists``).
        """
        out: dict[str, Any] = {"patient_id": self.patient_id, "verdict": self.verdict, "error": self.error}
        for c in self.criteria:
            out[f"{c.name}.verdict"] = c.verdict
            out[f"{c.name}.answer"] = c.answer
            out[f"{c.name}.kind"] = c.kind
            out[f"{c.name}.value"] = None if c.value is None else json.dumps(c.value, ensure_ascii=False)
            out[f"{c.name}.unit"] = c.unit
            out[f"{c.name}.citations"] = ";".join(c.citations) if join_lists else list(c.citations)
            out[f"{c.name}.error"] = c.error
        out["system"] = self.system
        out["criteria_fingerprint"] = self.fingerprint
        return out
