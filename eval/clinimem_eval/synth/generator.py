"""Draw patients and write their bundles, truth files and a manifest.

Everything is a pure function of ``(seed, index)``: patient ``index`` draws
from ``random.Random(seed * 1_000_003 + index)``, ids are uuid5 values, and
the record ends before a fixed reference date (not today), so the same seed
gives byte-identical files on every machine.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from clinimem_eval.synth import fhir_builders, notes, routine, truth
from clinimem_eval.synth import vocab as v
from clinimem_eval.synth.facts import PatientInfo
from clinimem_eval.synth.record import ID_NAMESPACE, PatientRecord
from clinimem_eval.synth.stories import CHRONIC, STORIES, STORY_WEIGHTS

GENERATOR_VERSION = "1.0.0"
REFERENCE_DATE = datetime(2026, 1, 1)

GIVEN = {
    "female": (
        "Maria", "Linda", "Susan", "Karen", "Nancy", "Emily", "Grace", "Aisha", "Mei", "Sofia",
        "Olivia", "Hannah", "Rosa", "Priya", "Ingrid", "Fatima", "Joan", "Ruth", "Elena", "Chloe",
    ),
    "male": (
        "James", "Robert", "David", "Thomas", "Daniel", "Omar", "Wei", "Carlos", "Henry", "Samuel",
        "Peter", "Ahmed", "Luis", "Arjun", "Erik", "George", "Frank", "Kofi", "Ivan", "Noah",
    ),
}  # fmt: skip
FAMILY = (
    "Smith", "Johnson", "Garcia", "Nguyen", "Kim", "Patel", "Brown", "Miller", "Lopez", "Okafor",
    "Schmidt", "Rossi", "Cohen", "Silva", "Murphy", "Novak", "Haddad", "Larsen", "Tanaka", "Walker",
    "Hughes", "Dubois", "Kowalski", "Mensah", "Ortiz",
)  # fmt: skip
FAMILY_HISTORY = (
    ("Mother", v.BREAST_CANCER),
    ("Sister", v.BREAST_CANCER),
    ("Father", v.T2DM),
    ("Mother", v.T2DM),
    ("Father", v.CORONARY_DISEASE),
    ("Mother", v.STROKE),
    ("Father", v.COLON_CANCER),
    ("Mother", v.HYPERTENSION),
)
PAST_SURGERY = (v.APPENDECTOMY, v.CHOLECYSTECTOMY, v.TONSILLECTOMY)


def patient_id(index: int, seed: int) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"patient/{seed}/{index}"))


def _stories(rng: random.Random) -> tuple[str, ...]:
    """1-4 stories drawn by weight without replacement; about one patient in eight is healthy."""
    if rng.random() < 0.12:
        return ()
    n = rng.choices((1, 2, 3, 4), (0.35, 0.3, 0.2, 0.15))[0]
    pool = dict(STORY_WEIGHTS)
    chosen: set[str] = set()
    for _ in range(n):
        name = rng.choices(list(pool), list(pool.values()))[0]
        chosen.add(name)
        del pool[name]
    return tuple(s for s in STORIES if s in chosen)


def _patient(rng: random.Random, index: int, seed: int) -> PatientInfo:
    sex = rng.choice(("female", "male"))
    stories = _stories(rng)
    span = rng.randint(3, 15)
    last = REFERENCE_DATE.date() - timedelta(days=rng.randint(60, 240))
    first = last - timedelta(days=365 * span + rng.randint(0, 200))
    chronic = any(s in CHRONIC for s in stories)
    age = rng.randint(45, 85) if chronic else rng.randint(22, 75)
    age = max(age, span + 19)  # adults for the whole record
    birth = last - timedelta(days=int(365.25 * age) + rng.randint(0, 364))
    height = rng.gauss(176, 7) if sex == "male" else rng.gauss(163, 6)
    family = tuple(rng.sample(FAMILY_HISTORY, rng.choices((0, 1, 2), (0.4, 0.4, 0.2))[0]))
    surgery: tuple[tuple[v.Concept, int], ...] = ()
    if rng.random() < 0.35:
        surgery = ((rng.choice(PAST_SURGERY), rng.randint(birth.year + 6, first.year - 1)),)
    return PatientInfo(
        id=patient_id(index, seed),
        given=rng.choice(GIVEN[sex]),
        family=rng.choice(FAMILY),
        sex=sex,
        birth_date=birth,
        first_visit=first,
        last_visit=last,
        height_cm=round(height, 1),
        stories=stories,
        penicillin_allergy=rng.random() < 0.15,
        family_history=family,
        surgical_history=surgery,
    )


def generate_record(index: int, seed: int) -> PatientRecord:
    """The facts of patient ``index`` for ``seed`` (before rendering)."""
    rng = random.Random(seed * 1_000_003 + index)
    rec = PatientRecord(_patient(rng, index, seed), rng)
    routine.schedule_checkups(rec)
    routine.add_allergies(rec)
    for name in rec.info.stories:
        STORIES[name](rec)
    routine.finish(rec)
    # Display texts come from their own stream, so they never shift the record's draws.
    rec.displays = v.draw_displays(random.Random(f"displays/{seed}/{index}"), v.own_displays())
    with v.using_displays(rec.displays):
        notes.write_notes(rec)
    return rec


def generate_patient(index: int, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """One patient: the FHIR R4 transaction Bundle and its ground truth, as JSON-ready dicts.

    >>> bundle, facts = generate_patient(0, seed=0)
    >>> bundle["type"], facts["patient_id"] == bundle["entry"][0]["resource"]["id"]
    ('transaction', True)
    """
    rec = generate_record(index, seed)
    with v.using_displays(rec.displays):
        return fhir_builders.bundle(rec, seed, index), truth.build(rec, REFERENCE_DATE)


def dumps(doc: dict[str, Any], indent: int | None = None) -> str:
    """Stable JSON text: same dict, same bytes.

    Bundles are written on one line (the C encoder is ~5x faster than the
    indenting one); truth files and the manifest are indented for people.
    """
    return json.dumps(doc, indent=indent, ensure_ascii=False) + "\n"


def generate(n_patients: int, seed: int, out_dir: Path) -> list[Path]:
    """Write ``n_patients`` bundles, their truth files and ``manifest.json`` into ``out_dir``.

    Returns every path written: each patient's bundle then truth file, and the
    manifest last.

    >>> import tempfile
    >>> paths = generate(2, seed=7, out_dir=Path(tempfile.mkdtemp()))
    >>> [p.name.endswith(".truth.json") for p in paths[:2]], paths[-1].name
    ([False, True], 'manifest.json')
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    patients = []
    for index in range(n_patients):
        bundle, facts = generate_patient(index, seed)
        pid = facts["patient_id"]
        bundle_path, truth_path = out_dir / f"{pid}.json", out_dir / f"{pid}.truth.json"
        bundle_path.write_text(dumps(bundle), encoding="utf-8")
        truth_path.write_text(dumps(facts, indent=1), encoding="utf-8")
        written += [bundle_path, truth_path]
        patients.append(
            {
                "index": index,
                "patient_id": pid,
                "name": facts["name"],
                "stories": facts["stories"],
                "resources": len(bundle["entry"]),
                "bundle": bundle_path.name,
                "truth": truth_path.name,
            }
        )
    manifest = {
        "generator": "clinimem synth",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "count": n_patients,
        "reference_date": REFERENCE_DATE.date().isoformat(),
        "fhir_version": "4.0.1",
        "files": [name for p in patients for name in (p["bundle"], p["truth"])],
        "patients": patients,
    }
    manifest_path = out_dir / "manifest.json"
    manifest_path.write_text(dumps(manifest, indent=1), encoding="utf-8")
    written.append(manifest_path)
    return written


__all__ = ["GENERATOR_VERSION", "REFERENCE_DATE", "generate", "generate_patient", "generate_record"]
