"""One catalogue of a load's reject and warning codes (``clinimem.errors``), used everywhere (issue 17).

Before, the codes were string literals in ten files (41 places); a misspelt one would have gone
into reports unnoticed. These tests keep the catalogue complete and the literals out of the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from clinimem import errors
from clinimem.errors import ERROR_OF_CODE, REJECT_CODES, RejectCode
from clinimem.fhir.resource import Origin, Reject

REPO = Path(__file__).resolve().parents[1]
CODES = {value for name, value in vars(RejectCode).items() if name.isupper()}
# Functions whose arguments are reject codes (besides a `code=` keyword).
TAKES_CODES = {"Reject", "_warning", "_problems_reject", "_invalid"}


def test_every_code_has_a_meaning_and_says_whether_it_is_an_error_or_a_warning() -> None:
    assert set(REJECT_CODES) == CODES
    for code, meaning in REJECT_CODES.items():
        assert meaning.endswith(("; error", "; warning", "still loaded")), code
    assert set(ERROR_OF_CODE) <= CODES


def test_the_error_classes_carry_the_catalogue_codes() -> None:
    assert errors.FhirVersionError.code == RejectCode.FHIR_VERSION
    assert errors.FhirValidationError.code == RejectCode.FHIR_INVALID
    assert errors.UnknownPatientError.code == RejectCode.UNKNOWN_PATIENT


def _code_literals(path: Path) -> list[tuple[int, str]]:
    """(line, code) of each string literal used as a reject code in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "code":
            found.append(node.value)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides):
                found += sides
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "code" for t in node.targets
        ):
            found.append(node.value)
        elif isinstance(node, ast.FunctionDef):  # a default such as `code: str = "fhir-invalid"`
            found += [d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None]
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in TAKES_CODES:
                found += node.args
    return sorted((n.lineno, n.value) for n in found if isinstance(n, ast.Constant) and n.value in CODES)


@pytest.mark.parametrize("folder", ["clinimem", "connectors", "eval"])
def test_no_reject_code_is_written_as_a_literal_outside_the_catalogue(folder: str) -> None:
    literals = {
        f"{path.relative_to(REPO)}:{line}": code
        for path in sorted((REPO / folder).rglob("*.py"))
        if path != REPO / "clinimem" / "errors.py"
        for line, code in _code_literals(path)
    }
    assert literals == {}, "use clinimem.errors.RejectCode instead of these literals"


def test_the_check_sees_a_literal_code(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        'Reject(origin=o, code="duplicate", reason="r")\n'
        'if w.code == "implausible": pass\n'
        'def f(code: str = "fhir-invalid"): pass\n'
        'NARRATIVE = {"empty"}  # a narrative status, not a reject code\n'
    )
    assert _code_literals(probe) == [(1, "duplicate"), (2, "implausible"), (3, "fhir-invalid")]


def test_a_reject_raises_through_the_exception_of_its_code() -> None:
    origin = Origin("exports/a.json", entry=3)
    version = Reject(
        origin, RejectCode.FHIR_VERSION, "this is FHIR STU3", "Patient", "p1", "$.entry[3].resource"
    )
    err = version.error()
    assert type(err) is errors.FhirVersionError
    assert str(err) == "[fhir-version] this is FHIR STU3 (exports/a.json, Patient/p1, at $.entry[3].resource)"
    assert isinstance(Reject(origin, RejectCode.UNREADABLE, "not JSON").error(), errors.SourceError)
    # a code with no class of its own: the base class, the reject's code kept in the message
    scope = Reject(origin, RejectCode.OUT_OF_SCOPE, "a Claim").error()
    assert type(scope) is errors.ClinimemError and scope.message == "out-of-scope: a Claim"
    implausible = Reject(origin, RejectCode.IMPLAUSIBLE, "a height in kg").error()
    assert type(implausible) is errors.FhirValidationError
    assert implausible.message == "implausible: a height in kg"
