"""Which package may import which (issue 17), read from the source with ``ast``, never by importing.

The rules that hold, from the bottom up:

- ``clinimem.errors`` and ``clinimem.logs`` import nothing of clinimem; ``clinimem.fhir`` only itself
  and ``clinimem.errors``.
- The core (``clinimem/``) never imports the evaluation package; the evaluation package registers its
  commands through entry points (``clinimem.commands``, see ``clinimem/cli.py``).
- The core imports the connectors in one place only, ``clinimem/ingest/`` (see ``CORE_TO_CONNECTORS``).
- The connectors read FHIR: of the core they import ``clinimem.fhir`` and ``clinimem.errors``, and the
  exceptions listed in ``CONNECTOR_EXCEPTIONS`` (the load and its helpers, which write memory).
- The front ends (``cli``, ``commands``, ``ui``, ``screen``) are imported by front ends only.
- No import cycle between the core's packages beyond the ones listed in ``KNOWN_CYCLE_EDGES``.

Each exception names its reason. A listed exception that no longer occurs fails too, so the lists
only shrink: when you remove one of these imports, remove its line here.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# top-level package -> the folder that holds it
ROOTS = {
    "clinimem": REPO,
    "clinimem_connectors": REPO / "connectors",
    "clinimem_eval": REPO / "eval",
}
FRONT_ENDS = ("clinimem.cli", "clinimem.commands", "clinimem.ui", "clinimem.screen")

# The core's imports of clinimem_connectors: file -> reason.
CORE_TO_CONNECTORS = {
    "clinimem/ingest/__init__.py": "the loader still lives in clinimem_connectors.load (being optimised "
    "in place); it moves into clinimem/ingest/, and this seam with it",
}

# The connectors' imports of the core beyond clinimem.fhir and clinimem.errors:
# (file, imported module or package) -> reason. All but the last go when ingest moves to clinimem/ingest/.
CONNECTOR_EXCEPTIONS = {
    ("connectors/clinimem_connectors/load.py", "clinimem.memory"): "the load writes memory: batches, "
    "MappedResource, WriteStats, the store",
    ("connectors/clinimem_connectors/load.py", "clinimem.pipelines"): "the load runs the indexing pipeline",
    ("connectors/clinimem_connectors/ledger.py", "clinimem.memory.mappers"): "the load's ledger compares "
    "mapped resources (duplicates, a birth date after the record)",
    ("connectors/clinimem_connectors/reader.py", "clinimem.memory.mappers"): "the reader process maps "
    "resources while the parent writes",
    (
        "connectors/clinimem_connectors/reader.py",
        "clinimem.notes",
    ): "the reader process warms the note reader",
    ("connectors/clinimem_connectors/reader.py", "clinimem"): "the reader process finds the sample "
    "patients beside the package to warm up",
    ("connectors/clinimem_connectors/audit.py", "clinimem.memory.store"): "the audit tool compares a "
    "folder's load with a store",
    ("connectors/clinimem_connectors/http.py", "clinimem.logs"): "redact(): URLs and patient ids are "
    "redacted by the logging rule; move redact() to a leaf module the connectors may use, or allow it",
    ("connectors/clinimem_connectors/rest.py", "clinimem.logs"): "redact(), as http.py",
}

# Runtime import edges between the core's packages that close a cycle: (importer, imported) -> reason.
KNOWN_CYCLE_EDGES = {
    ("clinimem.pipelines", "clinimem.controller"): "the query pipeline is assembled beside the indexing "
    "one; it belongs with the controller (pipelines <-> controller.answerer)",
    ("clinimem.notes", "clinimem.memory"): "note entries are memory entries and the document mapper reads "
    "notes (notes.entries <-> memory.mappers.documents)",
    ("clinimem.owner", "clinimem.memory"): "the owner channel sends vectors in memory.remote's wire "
    "format while the store asks a live owner process for its store (memory.store -> owner, the fast "
    "command line's work in progress); the wire format and the owner lookup belong on one side",
}


@dataclass(frozen=True)
class Import:
    file: str  # repository-relative path of the importing file
    importer: str  # dotted module of the importing file
    target: str  # dotted module (or package) imported
    type_only: bool  # under `if TYPE_CHECKING:`: a dependency, but never run


def _module_of(path: Path) -> str:
    for top, root in ROOTS.items():
        if path.is_relative_to(root / top):
            parts = path.relative_to(root).with_suffix("").parts
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    raise ValueError(path)


def _exists(dotted: str) -> bool:
    top = dotted.split(".")[0]
    if top not in ROOTS:
        return False
    base = ROOTS[top].joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return inside


def _file_imports(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    importer = _module_of(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    typed = _type_checking_nodes(tree)
    rel = path.relative_to(REPO).as_posix()
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from clinimem import errors` imports the module clinimem.errors
            targets = [f"{base}.{a.name}" if _exists(f"{base}.{a.name}") else base for a in node.names]
        else:
            continue
        found += [Import(rel, importer, t, id(node) in typed) for t in dict.fromkeys(targets)]
    return found


@functools.cache
def all_imports() -> tuple[Import, ...]:
    """Every import of clinimem, clinimem_connectors and clinimem_eval by their own source files."""
    found: list[Import] = []
    for top, root in ROOTS.items():
        for path in sorted((root / top).rglob("*.py")):
            found += [i for i in _file_imports(path) if i.target.split(".")[0] in ROOTS]
    return tuple(found)


def _top(module: str) -> str:
    return module.split(".")[0]


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _part(module: str) -> str:
    """The core package or top-level module a module belongs to: ``clinimem.memory``, ``clinimem.api``."""
    return ".".join(module.split(".")[:2])


def _show(imports: list[Import]) -> list[str]:
    return [f"{i.file}: {i.target}" for i in imports]


def test_the_core_never_imports_the_evaluation_package() -> None:
    wrong = [i for i in all_imports() if _top(i.importer) == "clinimem" and _top(i.target) == "clinimem_eval"]
    assert _show(wrong) == [], "register the command through the clinimem.commands entry points instead"


def test_the_core_imports_the_connectors_only_through_its_ingest_seam() -> None:
    core_to_connectors = [
        i for i in all_imports() if _top(i.importer) == "clinimem" and _top(i.target) == "clinimem_connectors"
    ]
    assert _show([i for i in core_to_connectors if i.file not in CORE_TO_CONNECTORS]) == []
    stale = set(CORE_TO_CONNECTORS) - {i.file for i in core_to_connectors}
    assert not stale, f"no longer imports clinimem_connectors: remove {sorted(stale)} from CORE_TO_CONNECTORS"


def test_the_connectors_depend_on_fhir_and_errors_and_the_listed_exceptions_only() -> None:
    used: set[tuple[str, str]] = set()
    wrong: list[Import] = []
    for i in all_imports():
        if _top(i.importer) != "clinimem_connectors" or _top(i.target) == "clinimem_connectors":
            continue
        if _under(i.target, "clinimem.fhir") or _under(i.target, "clinimem.errors"):
            continue
        # the most specific listed exception that covers this import
        keys = [
            (f, m) for f, m in CONNECTOR_EXCEPTIONS if f == i.file and (m == i.target or _under(i.target, m))
        ]
        if keys and _top(i.target) == "clinimem":
            used.add(max(keys, key=lambda k: len(k[1])))
        else:
            wrong.append(i)
    assert _show(wrong) == [], "connectors read FHIR; what writes memory belongs to clinimem/ingest/"
    stale = set(CONNECTOR_EXCEPTIONS) - used
    assert not stale, f"these imports are gone: remove {sorted(stale)} from CONNECTOR_EXCEPTIONS"


def test_the_front_ends_are_imported_by_front_ends_only() -> None:
    wrong = [
        i
        for i in all_imports()
        if not any(_under(i.importer, f) for f in FRONT_ENDS)
        and _top(i.importer) != "clinimem_eval"
        and any(_under(i.target, f) for f in FRONT_ENDS)
    ]
    assert _show(wrong) == [], "the core and the connectors must not reach up into the CLI, page or screening"


@pytest.mark.parametrize(
    ("layer", "may_import"),
    [
        ("clinimem.errors", ()),
        ("clinimem.logs", ()),
        ("clinimem.fhir", ("clinimem.fhir", "clinimem.errors")),
    ],
)
def test_the_lowest_layers_import_nothing_above_them(layer: str, may_import: tuple[str, ...]) -> None:
    wrong = [
        i
        for i in all_imports()
        if _under(i.importer, layer) and not any(_under(i.target, m) for m in may_import)
    ]
    assert _show(wrong) == []


def test_no_import_cycles_between_the_core_packages_beyond_the_listed_ones() -> None:
    edges: set[tuple[str, str]] = {
        (_part(i.importer), _part(i.target))
        for i in all_imports()
        if not i.type_only  # a type-only import never runs, so it cannot close a circle at import time
        and _top(i.importer) == "clinimem"
        and _top(i.target) == "clinimem"
        and "." in i.target
        and _part(i.importer) != _part(i.target)
    }
    stale = set(KNOWN_CYCLE_EDGES) - edges
    assert not stale, f"these imports are gone: remove {sorted(stale)} from KNOWN_CYCLE_EDGES"
    graph: dict[str, set[str]] = {}
    for importer, target in edges - set(KNOWN_CYCLE_EDGES):
        graph.setdefault(importer, set()).add(target)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as err:
        pytest.fail(f"import cycle between core packages: {' -> '.join(err.args[1])}")


def test_the_reader_sees_the_imports_that_matter() -> None:
    """The rules are only as good as the parser: relative, lazy and type-only imports are all seen."""
    seam = _file_imports(REPO / "clinimem" / "ingest" / "__init__.py")
    assert {(i.target, i.type_only) for i in seam} >= {
        ("clinimem_connectors.load", True),  # under TYPE_CHECKING
        ("clinimem_connectors.load", False),  # inside a function
        ("clinimem_connectors.remote", False),
    }
    owner = _file_imports(REPO / "clinimem" / "owner.py")
    assert any(i.target == "clinimem.errors" for i in owner)  # `from clinimem import errors`
    relative = _file_imports(REPO / "connectors" / "clinimem_connectors" / "remote.py")
    assert any(i.target == "clinimem_connectors.bulk" for i in relative)  # `from .bulk import ...`
