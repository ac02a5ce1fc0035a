"""The requests ``MemoryStore`` makes of a backend, as small frozen types of its own.

``MemoryStore`` used to build qdrant-client's pydantic models for every call; importing
those models costs 1-2 s of CPU (several hundred pydantic classes), which every
``clinimem patients`` paid although the embedded engine never needs them. The store
now speaks these types; :class:`~clinimem.memory.edge.EdgeClient` reads them as they
are, and :class:`~clinimem.memory.qdrant.QdrantAdapter` turns them into qdrant-client's
models for a server or a local-mode folder (only those paths import qdrant-client).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

# The payload indexes the store asks for: a keyword (``tenant``: a keyword whose values
# group the points on disk, the patient id), or a datetime.
IndexSchema = Literal["keyword", "tenant", "datetime"]


@dataclass(frozen=True)
class Dense:
    """A collection with one cosine vector of ``size`` per point (no config: payload only)."""

    size: int


@dataclass(frozen=True)
class PointBatch:
    """Points to upsert; ``vectors`` None for a payload-only collection."""

    ids: Sequence[str]
    payloads: Sequence[dict[str, Any]]
    vectors: Sequence[Sequence[float]] | None = None


@dataclass(frozen=True)
class Exclude:
    """Every payload field but these."""

    fields: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    key: str
    value: Any


@dataclass(frozen=True)
class MatchAny:
    key: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class HasId:
    ids: tuple[str, ...]


@dataclass(frozen=True)
class Filter:
    """Points meeting every ``must`` condition."""

    must: tuple[Match | MatchAny | HasId, ...] = ()


# What a read returns of each point's payload: all (True), none (False), these fields, or all but these.
PayloadSelection = bool | list[str] | Exclude
