"""One typed settings object: command-line flags over environment over defaults.

Credentials come only from the environment (``CLINIMEM_QDRANT_API_KEY``,
``CLINIMEM_FHIR_TOKEN``), never from files or flags that end up in shell history.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store pulls in qdrant-client (a second or more): only when a store is opened
    from clinimem.memory.store import MemoryStore

# The same default as clinimem.memory.store.DEFAULT_STORE (a test holds them equal), without importing it.
DEFAULT_STORE = Path(".clinimem") / "store"


@dataclass(frozen=True)
class Settings:
    store: str = str(DEFAULT_STORE)
    qdrant_url: str | None = None
    prefix: str = "clinimem"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            store=os.environ.get("CLINIMEM_STORE", str(DEFAULT_STORE)),
            qdrant_url=os.environ.get("CLINIMEM_QDRANT_URL") or None,
            prefix=os.environ.get("CLINIMEM_PREFIX", "clinimem"),
        )

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        env = cls.from_env()
        return cls(
            store=getattr(args, "store", None) or env.store,
            qdrant_url=getattr(args, "qdrant_url", None) or env.qdrant_url,
            prefix=env.prefix,
        )

    @property
    def store_location(self) -> str | None:
        return None if self.qdrant_url else self.store

    def open_store(self, *, create: bool = False) -> MemoryStore:
        """The process's store for these settings (``create=False``: fail if there is none)."""
        if not create and not self.qdrant_url and self.store != ":memory:" and not Path(self.store).exists():
            from clinimem.errors import StoreError

            raise StoreError(
                "no memory store here",
                file=self.store,
                hint="load patients first with `clinimem ingest SOURCE`, or point --store / CLINIMEM_STORE at one",
            )
        from clinimem.memory.store import shared_store

        return shared_store(
            self.store_location,
            url=self.qdrant_url,
            api_key=os.environ.get("CLINIMEM_QDRANT_API_KEY"),
            prefix=self.prefix,
        )


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--store", metavar="DIR", help=f"embedded Qdrant folder (default $CLINIMEM_STORE or {DEFAULT_STORE})"
    )
    where.add_argument(
        "--qdrant-url", metavar="URL", help="a Qdrant server instead (default $CLINIMEM_QDRANT_URL)"
    )
