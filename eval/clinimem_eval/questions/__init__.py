"""Questions about one patient, with gold answers and gold evidence: what systems are scored
and the controller is trained on.

API::

    from clinimem_eval.questions import generate_for_patients, read_jsonl, write_jsonl

    questions = generate_for_patients(bundle_paths, truth_paths=None, seed=0, per_patient=10)
    train = [q for q in questions if q.split == "train"]
    write_jsonl(questions, "questions.jsonl")

``bundle_paths`` are FHIR JSON files (``clinimem synth`` bundles or real
Synthea bundles); ``truth_paths=None`` picks up ``{stem}.truth.json`` next to
each bundle (``[]``: none). No store is needed: entries are made from the
bundle exactly as the ingest makes them (``iter_payload`` + ``map_resource``,
``entered-in-error`` left out, ordered with visit ordinals), so every gold
entry id is the id of a stored entry. ``generate_questions`` is the same
function; ``generate_for_facts`` works on one :class:`~.facts.PatientFacts`
(``load_facts(bundle_paths)``); ``all_phrasings=True`` emits every phrasing
of each drawn question (augmentation). Same inputs and seed, same questions.

The record (:class:`Question`, one JSON object a line)::

    qid, patient_id, question, category, template, phrasing, split, op,
    answer            {"kind": value|date|boolean|count|list|trend|text|none, "value": ..., "unit"?}
    evidence          sorted ResourceType/id that support the answer ([] for abstention)
    evidence_entries  their entry ids, entry_id_for(resource, path): anchors first, then targets
    hops              [[anchor entry ids], [target entry ids]], or [[target ids]]; [] for abstention
    params            the slots: target {code, display, name, kind}, anchor {kind, event, code,
                      display, name, time, date, resource}, date, year, since, n, from/to,
                      check, drug_class, absent {code, name, kind}; "slots" = the words filled in

Categories, templates and ops (``op`` names what must be computed; the
targets are the last hop):

=============  ===========================================  =====================================
category       templates                                    op -> answer kind
=============  ===========================================  =====================================
lookup         lab_on_date, bp_on_date, meds_on_date         lookup -> value / text "137/91" / list
temporal       first_value, last_value, value_before_event,  first, last, before, after -> value;
               value_after_event, diagnosis_date,            first -> date
               med_start_date
multihop       value_at_event_visit, meds_since_diagnosis,   at_visit -> value; after, before -> list
               conditions_before_med
trend          trend_last_n, trend_since_event,              trend -> trend; compare -> boolean;
               compare_last_two, recurrence_count            count -> count
aggregation    count_since_year, visits_in_year,             count -> count; list -> list
               active_medications, conditions_between,
               allergies, vaccines_in_year
update         still_taking, condition_resolved,             exists -> boolean; list -> list
               current_in_class, active_conditions
abstention     absent_lab, absent_drug, absent_condition     abstain -> none
=============  ===========================================  =====================================

Rules the gold answers follow (:mod:`.ops`): values are the entry's float
value and unit; dates ``YYYY-MM-DD``; lists are distinct display strings,
sorted case-insensitively; counts are distinct resources. Time is compared by
day: "before" an event is an earlier day, "after" a later day, "since" the
same day or later; questions whose answer would hinge on a result taken on
the event's own day are not asked. An event is a drug's first prescription
("metformin was started") or a problem's first diagnosis. Trend: relative
change of the window's last value against its first, above +5% increasing,
below -5% decreasing, else stable; ``trend_since_event``'s window is the last
result on or before the event's day and every result after it.
``compare_last_two``: is the latest value strictly higher than the one
before. Current medication: status ``active`` and no end date; resolved
problem: status resolved/inactive/remission or an abatement date (the latest
episode decides). Abstention questions presuppose a lab, drug or problem that
is not in the record (the synthetic truth's ``absent`` list, else a
vocabulary of common ones, dropped if the code or name appears anywhere in
the record); they are phrased like the answerable templates
(``absent_drug`` uses ``med_start_date``'s wording) and never as counts or
yes/no questions, whose true answers would be 0 or no. A name that stands
for two codes in one record is never asked about.

Split (:mod:`.split`): a question is ``test`` when its patient is a test
patient (20% of patients, by a salted SHA-256 of the patient id, the same for
every seed) or its phrasing is held out (the last 2 of 6 phrasings, the last
1 of 4-5); otherwise ``train``. Train on ``train``; score on ``test``.

Drawing: about ``per_patient`` questions per patient, 2 lookup, 2 temporal,
1 multihop, 1 trend, 2 aggregation, 1 update, 1 abstention per ten (a
category the record has nothing for gives its share to the others); within
a category a template is drawn uniformly, then one of its instances, then a
phrasing uniformly.
"""

from clinimem_eval.questions.facts import PatientFacts
from clinimem_eval.questions.generate import generate_for_facts, generate_for_patients, load_facts
from clinimem_eval.questions.model import CATEGORIES, OPS, Question, read_jsonl, write_jsonl

generate_questions = generate_for_patients

__all__ = [
    "CATEGORIES",
    "OPS",
    "PatientFacts",
    "Question",
    "generate_for_facts",
    "generate_for_patients",
    "generate_questions",
    "load_facts",
    "read_jsonl",
    "write_jsonl",
]
