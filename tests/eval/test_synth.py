"""Tests of ``clinimem synth``: valid FHIR, deterministic output, and truth that the bundle supports.

The truth is re-derived here from the bundle JSON alone (never from the
generator's internals), so a rendering bug cannot hide behind the facts both
outputs share.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from clinimem_eval.synth import generate, generate_patient

N_PATIENTS = 50
STORIES = ("t2dm", "hypertension", "hyperlipidemia", "ckd", "asthma", "acute", "recurrent_sinusitis")


@pytest.fixture(scope="module")
def patients() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [generate_patient(i, seed=0) for i in range(N_PATIENTS)]


def by_ref(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in bundle["entry"]}


def at_path(resource: dict[str, Any], path: str) -> dict[str, Any]:
    """Follow a ``$`` / ``$.component[0]`` path into a resource."""
    node: Any = resource
    for name, index in re.findall(r"\.(\w+)(?:\[(\d+)\])?", path):
        node = node[name]
        if index:
            node = node[int(index)]
    return node


def decoded(doc: dict[str, Any]) -> str:
    return base64.b64decode(doc["content"][0]["attachment"]["data"]).decode("utf-8")


def test_bundles_validate_with_r4b(patients):
    from fhir.resources.R4B.bundle import Bundle

    for bundle, _ in patients[:8]:
        Bundle.model_validate(bundle)


# Required status codes (fhir.resources checks their type, not their value set).
STATUS_CODES = {
    "Encounter": {"finished"},
    "Observation": {"final", "entered-in-error"},
    "MedicationRequest": {"active", "stopped", "completed"},
    "DiagnosticReport": {"final"},
    "Immunization": {"completed"},
    "Procedure": {"completed"},
    "CarePlan": {"active"},
    "DocumentReference": {"current"},
}


def test_status_codes_are_in_their_value_sets(patients):
    for bundle, _ in patients:
        for entry in bundle["entry"]:
            res = entry["resource"]
            if res["resourceType"] in STATUS_CODES:
                assert res["status"] in STATUS_CODES[res["resourceType"]], res
            if res["resourceType"] == "Condition":
                status = res["clinicalStatus"]["coding"][0]["code"]
                assert status in {"active", "resolved"}
                assert (status == "resolved") == ("abatementDateTime" in res)  # FHIR con-4


def test_transaction_shape_and_references_resolve(patients):
    for bundle, truth in patients[:20]:
        assert bundle["type"] == "transaction"
        full_urls = set()
        for entry in bundle["entry"]:
            res = entry["resource"]
            assert entry["fullUrl"] == f"urn:uuid:{res['id']}"
            assert entry["request"] == {"method": "POST", "url": res["resourceType"]}
            full_urls.add(entry["fullUrl"])
        assert bundle["entry"][0]["resource"]["id"] == truth["patient_id"]
        refs = re.findall(r'"reference": "([^"]+)"', json.dumps(bundle))
        assert refs and set(refs) <= full_urls


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a = generate(3, seed=5, out_dir=tmp_path / "a")
    b = generate(3, seed=5, out_dir=tmp_path / "b")
    c = generate(3, seed=6, out_dir=tmp_path / "c")
    assert [p.name for p in a] == [p.name for p in b]
    assert all(pa.read_bytes() == pb.read_bytes() for pa, pb in zip(a, b, strict=True))
    assert {p.name for p in a}.isdisjoint(p.name for p in c if p.name != "manifest.json")
    manifest = json.loads(a[-1].read_text())
    assert manifest["seed"] == 5 and manifest["count"] == 3
    assert sorted(manifest["files"]) == sorted(p.name for p in a[:-1])


def test_truth_facts_point_at_resources_with_those_values(patients):
    for bundle, truth in patients:
        resources = by_ref(bundle)
        for section in ("encounters", "conditions", "medications", "observations", "reports", "allergies"):
            for fact in truth[section]:
                assert fact["resource"] in resources, (section, fact["resource"])
        for section in ("immunizations", "procedures", "care_plans", "notes", "events"):
            for fact in truth[section]:
                assert fact["resource"] in resources, (section, fact["resource"])
        for obs in truth["observations"]:
            res = resources[obs["resource"]]
            node = at_path(res, obs["path"])
            assert node["code"]["coding"][0]["code"] == obs["code"]
            assert node["valueQuantity"]["value"] == obs["value"]
            assert node["valueQuantity"]["unit"] == obs["unit"]
            assert res["status"] == obs["status"]
            assert res["effectiveDateTime"] == obs["time"]
            assert res["encounter"]["reference"] == "urn:uuid:" + obs["encounter"].split("/")[1]
        for cond in truth["conditions"]:
            res = resources[cond["resource"]]
            assert res["code"]["coding"][0]["code"] == cond["code"]
            assert res["clinicalStatus"]["coding"][0]["code"] == cond["clinical_status"]
            assert res["onsetDateTime"] == cond["onset"]
            assert res.get("abatementDateTime") == cond["abatement"]
        for med in truth["medications"]:
            res = resources[med["resource"]]
            assert res["medicationCodeableConcept"]["coding"][0]["code"] == med["code"]
            assert res["status"] == med["status"]
            assert res["authoredOn"] == med["start"]
            assert res["dispenseRequest"]["validityPeriod"].get("end") == med["end"]
        for event in truth["events"]:
            assert event["resource"].split("/")[0] in ("Condition", "MedicationRequest")


def _latest_hba1c_from_bundle(bundle: dict[str, Any]) -> float | None:
    results = [
        (r["effectiveDateTime"], r["valueQuantity"]["value"])
        for e in bundle["entry"]
        if (r := e["resource"])["resourceType"] == "Observation"
        and r["code"]["coding"][0]["code"] == "4548-4"
        and r["status"] in ("final", "amended", "corrected")
    ]
    return max(results)[1] if results else None


def test_latest_hba1c_recomputed_from_bundle(patients):
    checked = voided = 0
    for bundle, truth in patients:
        finals = [o for o in truth["observations"] if o["code"] == "4548-4" and o["status"] == "final"]
        voided += sum(o["status"] == "entered-in-error" for o in truth["observations"])
        expected = max(finals, key=lambda o: o["time"])["value"] if finals else None
        assert _latest_hba1c_from_bundle(bundle) == expected
        checked += expected is not None
        for trend in truth["trends"]:
            if trend["code"] == "4548-4":
                assert trend["latest"]["value"] == expected
    assert checked >= 10
    assert voided >= 3  # entered-in-error results exist, and the check above ignored them


def test_note_spans_index_the_decoded_text(patients):
    flags = Counter()
    content_types = Counter()
    for bundle, truth in patients:
        resources = by_ref(bundle)
        for note in truth["notes"]:
            doc = resources[note["resource"]]
            text = decoded(doc)
            assert text == note["text"]
            assert (
                doc["context"]["encounter"][0]["reference"] == "urn:uuid:" + note["encounter"].split("/")[1]
            )
            assert doc["content"][0]["attachment"]["contentType"] == note["content_type"]
            content_types[note["content_type"]] += 1
            assert [s["name"] for s in note["sections"]][0] == "chief_complaint"
            for m in note["mentions"]:
                assert text[m["start"] : m["end"]] == m["text"]
                for flag in ("negated", "historical", "hypothetical", "family", "uncertain"):
                    flags[flag] += m[flag]
    assert all(flags[f] > 0 for f in ("negated", "historical", "hypothetical", "family", "uncertain")), flags
    assert content_types["text/plain"] > 0 and content_types["text/html"] > 0


def test_story_coverage_and_varied_trends(patients):
    seen = Counter(s for _, truth in patients for s in truth["stories"])
    assert all(seen[s] > 0 for s in STORIES), seen
    assert any(not truth["stories"] for _, truth in patients)  # some healthy patients
    directions = {t["direction"] for _, truth in patients for t in truth["trends"]}
    assert {"increasing", "decreasing", "stable"} <= directions
    whats = {e["what"] for _, truth in patients for e in truth["events"]}
    assert {"metformin started", "lisinopril stopped", "losartan started", "asthma exacerbation"} <= whats
    years = [
        int(truth["encounters"][-1]["start"][:4]) - int(truth["encounters"][0]["start"][:4])
        for _, truth in patients
    ]
    assert min(years) >= 3 and max(years) >= 10


def test_stopped_and_completed_medications_are_explicit(patients):
    statuses = Counter()
    for bundle, truth in patients:
        resources = by_ref(bundle)
        for med in truth["medications"]:
            statuses[med["status"]] += 1
            res = resources[med["resource"]]
            if med["status"] == "stopped":
                assert med["stop_reason"] and res["statusReason"]["text"] == med["stop_reason"]
            if med["status"] in ("stopped", "completed"):
                assert res["dispenseRequest"]["validityPeriod"]["end"] == med["end"]
            else:
                assert med["end"] is None
    assert statuses["stopped"] and statuses["completed"] and statuses["active"]


def test_absent_things_are_not_in_the_record(patients):
    for bundle, truth in patients:
        coded = {
            c["code"]
            for e in bundle["entry"]
            if (r := e["resource"])["resourceType"] in ("Condition", "MedicationRequest")
            for c in (r.get("code") or r.get("medicationCodeableConcept"))["coding"]
        }
        assert truth["absent"]["conditions"] and truth["absent"]["medications"]
        for item in truth["absent"]["conditions"] + truth["absent"]["medications"]:
            assert item["code"] not in coded


def test_cli_writes_files(tmp_path):
    out = tmp_path / "tmp"
    proc = subprocess.run(
        [sys.executable, "-m", "clinimem.cli", "synth", "--patients", "3", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 7 and "manifest.json" in files
    assert "wrote 3 patients" in proc.stdout
    for name in json.loads((out / "manifest.json").read_text())["files"]:
        assert name in proc.stdout and (out / name).exists()


def test_generate_patient_matches_written_files(tmp_path):
    paths = generate(1, seed=3, out_dir=tmp_path)
    bundle, truth = generate_patient(0, seed=3)
    assert json.loads(Path(paths[0]).read_text()) == bundle
    assert json.loads(Path(paths[1]).read_text()) == truth


def test_display_texts_vary_across_patients_codes_do_not(patients):
    """Each concept is written with one of a few displays per patient; its code never changes."""
    displays: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for _, truth in patients:
        for section in ("conditions", "medications", "observations"):
            for item in truth[section]:
                displays.setdefault(item["code"], set()).add(item["display"])
                names.setdefault(item["code"], set()).add(item["name"])
    assert all(len(n) == 1 for n in names.values()), names  # the spoken name stays
    for code in ("4548-4", "2085-9", "44054006", "59621000", "314076"):
        if code in displays:
            assert len(displays[code]) >= 2, (code, displays[code])


def test_labs_asked_as_absent_are_on_record_for_some_patients(patients):
    """TSH, INR, a CBC ... are real results for some patients, so a name never implies absence."""
    from clinimem_eval.questions.names import ABSENT_LABS

    codes = {o["code"] for _, truth in patients for o in truth["observations"]}
    present = [t.name for t in ABSENT_LABS if t.code in codes]
    assert len(present) >= 4, present
    assert {"718-7", "777-3"} <= codes  # hemoglobin, platelets
    for _, truth in patients:
        mine = {o["code"] for o in truth["observations"]} | {m["code"] for m in truth["medications"]}
        mine |= {c["code"] for c in truth["conditions"]}
        assert not mine & {a["code"] for k in ("conditions", "medications") for a in truth["absent"][k]}
