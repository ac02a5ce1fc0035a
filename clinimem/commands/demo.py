"""``clinimem demo``: load the sample patients shipped with clinimem, then serve the page.

The samples are four Synthea FHIR R4 bundles in ``clinimem/samples`` (see
its NOTICE.md). They are loaded only into an empty store, so a second run
starts at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from clinimem.commands.serve import add_server_arguments, login, owner_channel, warn_if_exposed

DEMO_STORE = Path(".clinimem") / "demo-store"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def sample_bundles() -> list[Path]:
    """The sample bundles shipped in the package."""
    return sorted(SAMPLES.glob("*.json"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)
    parser.add_argument(
        "--store", metavar="DIR", default=str(DEMO_STORE), help=f"embedded store (default {DEMO_STORE})"
    )


def load_samples_if_empty(store_dir: str) -> int:
    """Load the sample bundles when the store has no patients; returns how many were loaded."""
    from clinimem.ingest import load_sources
    from clinimem.memory.store import shared_store

    store = shared_store(store_dir)
    if store.patients():
        return 0
    bundles = sample_bundles()
    print(f"clinimem demo: loading {len(bundles)} sample patients into {store_dir} …", flush=True)
    result = load_sources(bundles, store_location=store_dir)
    print(f"clinimem demo: {result.stats.added} resources loaded in {result.seconds:.1f} s", flush=True)
    return len(bundles)


def run(args: argparse.Namespace) -> int:
    from clinimem.api import Clinimem
    from clinimem.memory.store import shared_store
    from clinimem.ui.app import serve

    credentials = login(args)
    warn_if_exposed(args.host)
    load_samples_if_empty(args.store)
    engine = Clinimem(shared_store(args.store))
    print(
        f"clinimem demo: serving on http://{args.host}:{args.port}"
        + (" (login required)" if credentials else ""),
        flush=True,
    )
    with owner_channel(engine, args.store):
        serve(engine, host=args.host, port=args.port, auth=credentials)
    return 0
