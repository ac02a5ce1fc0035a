"""The ``clinimem`` command line: one subcommand per module in ``clinimem.commands``, and the
subcommands that installed packages register under the entry point group ``clinimem.commands``.

Subcommand modules are imported only when chosen, so ``clinimem --help`` stays
fast and ``clinimem ask`` never imports gradio. The core never imports the packages that
register commands (``clinimem_eval``: ``synth``, ``eval``, ``eval babi``, ``train``): their
entry points are looked up only when the command typed is not one of the core's, or for help.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from importlib.metadata import entry_points
from types import ModuleType

from clinimem.logs import configure_logging, redact

# name -> (module, one-line help). Each module has add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("clinimem.commands.ingest", "load FHIR sources into the episodic memory"),
    "patients": ("clinimem.commands.patients", "list the patients in the memory"),
    "store": (
        "clinimem.commands.store",
        "manage an embedded store (`store migrate OLD NEW`, `store optimize`)",
    ),
    "timeline": ("clinimem.commands.timeline", "print one patient's memory, visit by visit"),
    "ask": ("clinimem.commands.ask", "ask a question about one patient; answers cite the record"),
    "screen": ("clinimem.commands.screen", "screen many patients against a criteria file"),
    "serve": ("clinimem.commands.serve", "the clinician Q&A page on 127.0.0.1:7860"),
    "demo": ("clinimem.commands.demo", "load the sample patients and serve the Q&A page"),
}

# Entry point group of the commands other packages add: name -> module with HELP, add_arguments, run.
COMMAND_GROUP = "clinimem.commands"
# The commands the evaluation package registers, named here only to say how to get them when it
# is missing (a wheel of the core alone, or an install that predates the entry points).
ADD_ON_HINTS: dict[str, str] = dict.fromkeys(
    ("synth", "eval", "eval-babi", "train"),
    f"comes with the evaluation package clinimem_eval (entry points `{COMMAND_GROUP}`); "
    "from a clone, install it with `pip install -e '.[dev]'`",
)

# Two-word forms: `clinimem eval babi ...` runs the `eval-babi` command. Only the word right
# after the command counts, so `clinimem eval --out babi` is still the clinical harness.
SUBCOMMAND_ALIASES: dict[tuple[str, str], str] = {("eval", "babi"): "eval-babi"}


def _resolve_alias(argv: list[str]) -> tuple[list[str], str | None]:
    """``argv`` with a two-word form (``eval babi``) replaced by its command, and the words as typed."""
    at = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if at is None or at + 1 >= len(argv):
        return argv, None
    name = SUBCOMMAND_ALIASES.get((argv[at], argv[at + 1]))
    if name is None:
        return argv, None
    return [*argv[:at], name, *argv[at + 2 :]], f"{argv[at]} {argv[at + 1]}"


def add_on_commands() -> dict[str, ModuleType]:
    """The modules of the commands installed packages register, by name; one that fails to import is left out.

    A registered name that is also a core command is ignored: an add-on cannot replace ``ask``.
    """
    found: dict[str, ModuleType] = {}
    for point in entry_points(group=COMMAND_GROUP):
        if point.name in COMMANDS or point.name in found:
            continue
        try:
            module = point.load()
        except ImportError:  # metadata of a package that is not there any more: as if not installed
            continue
        if isinstance(module, ModuleType):
            found[point.name] = module
    return found


def build_parser(
    add_ons: dict[str, ModuleType] | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="clinimem",
        description="Clinical history reasoning over FHIR records, with cited answers.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers = {}
    helps = {name: help_text for name, (_module, help_text) in COMMANDS.items()}
    helps |= {name: getattr(module, "HELP", "") for name, module in (add_ons or {}).items()}
    for name, help_text in helps.items():
        subparsers[name] = sub.add_parser(name, help=help_text, description=help_text)
    missing = sorted(set(ADD_ON_HINTS) - set(helps))
    if missing:
        parser.epilog = f"not installed: {', '.join(missing)}: each {ADD_ON_HINTS[missing[0]]}"
    return parser, subparsers


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argv, typed = _resolve_alias(list(argv))
    # Only the chosen command's module is imported to add its arguments; the add-ons' entry
    # points are read only when the command is not the core's (or for the list in --help).
    chosen = next((a for a in argv if not a.startswith("-")), None)
    add_ons = {} if chosen in COMMANDS else add_on_commands()
    if chosen in ADD_ON_HINTS and chosen not in add_ons:
        print(
            f"clinimem {typed or chosen}: not installed: this command {ADD_ON_HINTS[chosen]}", file=sys.stderr
        )
        return 2
    parser, subparsers = build_parser(add_ons)
    module: ModuleType | None = None
    if chosen in COMMANDS:
        module = importlib.import_module(COMMANDS[chosen][0])
    elif chosen in add_ons:
        module = add_ons[chosen]
    if module is not None and chosen is not None:
        if typed:  # usage and errors read `clinimem eval babi`, as the user typed it
            subparsers[chosen].prog = f"{parser.prog} {typed}"
        module.add_arguments(subparsers[chosen])
    args = parser.parse_args(argv)
    if module is None:
        parser.print_help()
        return 0 if not argv or "-h" in argv or "--help" in argv else 2
    configure_logging(args.verbose)
    from clinimem.errors import ClinimemError

    try:
        return int(module.run(args) or 0)
    except ClinimemError as err:
        # An error goes where the logs go, so it obeys their rule: no patient id below DEBUG (the
        # connectors redact their URLs already; this catches an id an error names on purpose).
        text = str(err) if args.verbose >= 2 else redact(str(err))
        print(f"clinimem {typed or args.command}: {text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `clinimem timeline ... | head` closed the pipe: not an error. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if "clinimem.memory.store" in sys.modules:
            from clinimem.memory.store import close_shared_stores

            close_shared_stores()


if __name__ == "__main__":
    sys.exit(main())
