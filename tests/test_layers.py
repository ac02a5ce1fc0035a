"""Which package may import which (issue 17), read from the source with ``ast``, never by importing.

The rules that hold, from the bottom up:

- ``clinimem.errors`` and ``clinimem.logs`` import nothing of clinimem; ``clinimem.fhir`` only itself
  and ``clinimem.errors``.
- The core (``clinimem/``) never imports the evaluation package; the evaluation package registers its
  commands through entry points (``clinimem.commands``, see ``clinimem/cli.py``).
- The core imports the connectors in one place only, its ingest package ``clinimem/ingest/`` (the load,
  its ledger, the reader process, the audit tool), which takes what the connectors read into memory.
- The connectors read FHIR: of the core they import ``clinimem.fhir``, ``clinimem.errors`` and
  ``clinimem.logs`` (leaves, see below) only. The one exception: the re-exports left where the
  ingest modules used to be (``CONNECTOR_SHIMS``), each importing its ``clinimem.ingest`` module and
  nothing else, and holding no code of its own.
- The front ends (``cli``, ``commands``, ``ui``, ``screen``) are imported by front ends only.
- No import cycle between the core's packages (``clinimem.memory``, ``clinimem.controller``, ``clinimem.owner``,
  ...), and none between modules of the three packages beyond the one in ``KNOWN_MODULE_CYCLE_EDGES``.

Each exception names its reason. A listed exception that no longer occurs fails too, so the lists
only shrink: when you remove one of these imports, remove its line here.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
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

# The one part of the core that may import clinimem_connectors.
INGEST = "clinimem.ingest"

# What the connectors may import of the core: the FHIR layer and the two leaves (redact() comes from logs).
CONNECTORS_MAY_IMPORT = ("clinimem.fhir", "clinimem.errors", "clinimem.logs")

# Re-exports where the ingest modules lived before issue 17 moved them into the core: file -> the
# one module it re-exports. Kept for code outside the repository's control of this change
# (``clinimem_eval.harness`` and scripts import ``clinimem_connectors.load``); drop a line with its file.
CONNECTOR_SHIMS = {
    "connectors/clinimem_connectors/load.py": "clinimem.ingest.load",
    "connectors/clinimem_connectors/ledger.py": "clinimem.ingest.ledger",
    "connectors/clinimem_connectors/reader.py": "clinimem.ingest.reader",
    "connectors/clinimem_connectors/audit.py": "clinimem.ingest.audit",
}

# Runtime import edges between modules that close a cycle: (importer, imported) -> reason. Only ever shrinks.
# (Between the core's packages there is none; issue 17 broke pipelines <-> controller, notes <-> memory
# and owner <-> memory.)
KNOWN_MODULE_CYCLE_EDGES = {
    ("clinimem.memory.store", "clinimem.memory.remote"): "shared_store() hands out a RemoteStore for a "
    "folder another process owns, and MemoryStore.service() the owner's side of it; a RemoteStore is a "
    "MemoryStore, so these imports run inside the two functions (one package, one wire format)",
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


def test_the_core_imports_the_connectors_only_in_its_ingest_package() -> None:
    core_to_connectors = [
        i for i in all_imports() if _top(i.importer) == "clinimem" and _top(i.target) == "clinimem_connectors"
    ]
    wrong = [i for i in core_to_connectors if not _under(i.importer, INGEST)]
    assert _show(wrong) == [], f"read sources through {INGEST} (load_sources, is_url_source)"
    assert core_to_connectors, "the ingest package reads through the connectors: is the reader still right?"


def test_the_connectors_read_fhir_and_import_nothing_else_of_the_core() -> None:
    wrong = [
        i
        for i in all_imports()
        if _top(i.importer) == "clinimem_connectors"
        and _top(i.target) == "clinimem"
        and i.file not in CONNECTOR_SHIMS
        and not any(_under(i.target, m) for m in CONNECTORS_MAY_IMPORT)
    ]
    assert _show(wrong) == [], f"connectors read FHIR; what writes memory belongs to {INGEST}"


@pytest.mark.parametrize(("file", "module"), sorted(CONNECTOR_SHIMS.items()))
def test_the_connectors_old_ingest_modules_only_re_export(file: str, module: str) -> None:
    path = REPO / file
    assert path.is_file(), f"{file} is gone: remove it from CONNECTOR_SHIMS"
    targets = {i.target for i in _file_imports(path) if _top(i.target) in ROOTS}
    assert targets == {module}, f"{file} may import {module} only"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    code = [
        node
        for node in tree.body
        if not isinstance(node, ast.Import | ast.ImportFrom | ast.Expr | ast.Assign | ast.If)
        or (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) != "__all__")
    ]
    assert code == [], f"{file} re-exports {module}; code belongs there"
    exported = {name.name for node in tree.body if isinstance(node, ast.ImportFrom) for name in node.names}
    target = ast.parse(ROOTS["clinimem"].joinpath(*module.split(".")).with_suffix(".py").read_text("utf-8"))
    defined = {
        getattr(node, "name", None) or ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target)
        for node in target.body
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Assign | ast.AnnAssign)
    }
    missing = exported - defined
    assert not missing, f"{module} no longer defines {sorted(missing)}"


def test_the_front_ends_are_imported_by_front_ends_only() -> None:
    wrong = [
        i
        for i in all_imports()
        if not any(_under(i.importer, f) for f in FRONT_ENDS)
        and _top(i.importer) != "clinimem_eval"
        and any(_under(i.target, f) for f in FRONT_ENDS)
    ]
    assert _show(wrong) == [], "the core and the connectors must not reach up into the CLI, page or screening"


def test_the_facade_is_imported_by_front_ends_only() -> None:
    """The engine's parts take their types from their owners (``PatientMemory`` from ``clinimem.memory``)."""
    wrong = [
        i
        for i in all_imports()
        if i.target == "clinimem.api"
        and not i.type_only
        and _top(i.importer) == "clinimem"
        and not any(_under(i.importer, f) for f in FRONT_ENDS)
    ]
    assert _show(wrong) == [], "import the type from its owner; clinimem.api only re-exports it"


def test_the_owner_channel_runs_on_errors_alone() -> None:
    """``clinimem ask`` / ``patients`` talk to a serving process without loading the store or a model."""
    runtime = {i.target for i in all_imports() if i.importer == "clinimem.owner" and not i.type_only}
    assert {t for t in runtime if _top(t) in ROOTS} == {"clinimem.errors"}


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


def _first_cycle(edges: set[tuple[str, str]]) -> list[str]:
    graph: dict[str, set[str]] = {}
    for importer, target in edges:
        graph.setdefault(importer, set()).add(target)
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as err:
        return list(err.args[1])
    return []


def _runtime_edges(level: Callable[[str], str]) -> set[tuple[str, str]]:
    """(importer, imported) at ``level`` (a type-only import never runs, so it cannot close a circle)."""
    return {
        (level(i.importer), level(i.target))
        for i in all_imports()
        if not i.type_only and level(i.importer) != level(i.target)
    }


def test_no_import_cycles_between_the_core_packages() -> None:
    edges = {
        (importer, target)
        for importer, target in _runtime_edges(_part)
        if _top(importer) == "clinimem" and _top(target) == "clinimem" and "." in target
    }
    cycle = _first_cycle(edges)
    assert cycle == [], f"import cycle between core packages: {' -> '.join(cycle)}"


def test_no_import_cycles_between_modules_beyond_the_listed_ones() -> None:
    edges = _runtime_edges(lambda module: module)
    stale = set(KNOWN_MODULE_CYCLE_EDGES) - edges
    assert not stale, f"these imports are gone: remove {sorted(stale)} from KNOWN_MODULE_CYCLE_EDGES"
    cycle = _first_cycle(edges - set(KNOWN_MODULE_CYCLE_EDGES))
    assert cycle == [], f"import cycle between modules: {' -> '.join(cycle)}"


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _first_cycle({("a", "b"), ("b", "c"), ("c", "a")})
    assert _first_cycle({("a", "b"), ("b", "c")}) == []


def test_the_reader_sees_the_imports_that_matter() -> None:
    """The rules are only as good as the parser: relative, lazy and type-only imports are all seen."""
    seam = _file_imports(REPO / "clinimem" / "ingest" / "__init__.py")
    assert {(i.target, i.type_only) for i in seam} >= {
        ("clinimem.ingest.load", True),  # under TYPE_CHECKING
        ("clinimem.ingest.load", False),  # inside a function
        ("clinimem_connectors.remote", False),
    }
    load = _file_imports(REPO / "clinimem" / "ingest" / "load.py")
    assert {"clinimem_connectors.sources", "clinimem.ingest.ledger"} <= {i.target for i in load}
    owner = _file_imports(REPO / "clinimem" / "owner.py")
    assert any(i.target == "clinimem.errors" for i in owner)  # `from clinimem import errors`
    relative = _file_imports(REPO / "connectors" / "clinimem_connectors" / "remote.py")
    assert any(i.target == "clinimem_connectors.bulk" for i in relative)  # `from .bulk import ...`
