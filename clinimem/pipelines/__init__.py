"""Every Haystack pipeline of clinimem, in one index; each can be dumped to YAML.

Each pipeline is assembled beside its components (issue 17: this package assembled both, so the
controller imported it while it imported the controller): the indexing pipeline in
:mod:`clinimem.memory.components`, the query pipeline in :mod:`clinimem.controller.answerer`.
These are lazy re-exports; nothing in clinimem imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from haystack import Pipeline


def build_indexing_pipeline(
    store_location: str | None = None, qdrant_url: str | None = None, prefix: str = "clinimem"
) -> Pipeline:
    """resources -> ResourceMapper -> ConceptEmbedder -> MemoryWriter (:func:`clinimem.memory.components.build_indexing_pipeline`)."""
    from clinimem.memory.components import build_indexing_pipeline as build

    return build(store_location, qdrant_url, prefix)


def build_query_pipeline(weights: str | None = None) -> Pipeline:
    """question -> QuestionReader -> ControllerReader -> AnswerBuilder (:func:`clinimem.controller.answerer.build_query_pipeline`)."""
    from clinimem.controller.answerer import build_query_pipeline as build

    return build(weights=weights)
