"""Synthetic FHIR R4 patients with known ground truth, for the evaluation harness.

API::

    from clinimem_eval.synth import generate, generate_patient
    bundle, truth = generate_patient(index=0, seed=0)      # two JSON-ready dicts
    paths = generate(200, seed=0, out_dir=Path("synth"))   # files, see below

Deterministic: patient ``index`` draws from ``random.Random(seed * 1_000_003 +
index)``, every id is a uuid5, and records end before the fixed reference
date 2026-01-01; the same seed writes byte-identical files.

Files written by :func:`generate` (also ``clinimem synth --patients N --out DIR``):

* ``{patient_id}.json``: one FHIR R4 ``transaction`` Bundle; entries have
  ``urn:uuid:`` fullUrls, ``request: POST`` and a resource ``id``; references
  inside use the fullUrls. Valid for ``fhir.resources.R4B``.
* ``{patient_id}.truth.json``: the ground truth (below).
* ``manifest.json``: ``generator``, ``version``, ``seed``, ``count``,
  ``reference_date``, ``files`` and per patient ``index``, ``patient_id``,
  ``name``, ``stories``, ``resources``, ``bundle``, ``truth``.

Ground truth. Every fact names its supporting resource as ``ResourceType/id``
(the resource ``id``, never the ``urn:uuid:``) and, for observations, the JSON
path of the value inside it (``$``, or ``$.component[0]`` systolic /
``$.component[1]`` diastolic of a blood pressure panel). Times are the FHIR
strings of the bundle (``2019-04-02T10:15:00+00:00``). Coded facts carry
``code``, ``system``, ``display`` and a short lower-case ``name``
("metformin", "type 2 diabetes", "HbA1c")::

    patient_id, name, birth_date, sex, reference_date,
    stories          ["t2dm", "hypertension", "hyperlipidemia", "ckd", "asthma",
                      "acute", "recurrent_sinusitis"]   ([] = healthy)
    encounters       {resource, ordinal, start, end, type: checkup|followup|problem|
                      emergency|procedure, display, reason}
    conditions       {resource, encounter, code..., onset, abatement, clinical_status:
                      active|resolved, category, story}
    medications      {resource, encounter, code..., start, end, status: active|stopped|
                      completed, reason, reason_resource, stop_reason, story}
    observations     {resource, path, encounter, code..., value, unit, time,
                      status: final|entered-in-error, category}
    reports          {resource, encounter, code..., time, results: [Observation/..]}
    allergies        {resource, encounter, code..., category, criticality, reactions,
                      severity, onset, recorded, clinical_status}
    immunizations    {resource, encounter, code..., time, status}
    procedures       {resource, encounter, code..., start, end, reason, status}
    care_plans       {resource, encounter, code..., start, addresses, activities}
    notes            {resource, encounter, time, code..., content_type: text/plain|
                      text/html, text, sections: [{name, start, end}],
                      mentions: [{text, start, end, label: problem|drug|procedure|
                      finding, section, negated, historical, hypothetical, family,
                      uncertain}]}
    family_history   {relation, code...}       (said only in notes)
    surgical_history {code..., year}           (before the record; said only in notes)
    events           {what: "metformin started", kind: diagnosed|started|stopped|
                      resolved|exacerbation, subject, time, resource, story}
    trends           {story, code..., since_event, since, baseline, latest,
                      values_after, threshold, direction: increasing|decreasing|stable}
    absent           {conditions: [code...], medications: [code...]}

``notes[].text`` is the decoded attachment (the HTML source for ``text/html``);
``text[start:end] == mention.text`` for every mention. An observation with
status ``entered-in-error`` must never count as a result. A medication is
current at the reference date when its ``end`` is null. ``trends`` compare the
latest final value after the event's visit with the last value at or before it.
"""

from __future__ import annotations

from clinimem_eval.synth.generator import (
    GENERATOR_VERSION,
    REFERENCE_DATE,
    generate,
    generate_patient,
    generate_record,
)

__all__ = ["GENERATOR_VERSION", "REFERENCE_DATE", "generate", "generate_patient", "generate_record"]
