"""Question templates, one module per category; importing this package registers them all."""

from clinimem_eval.questions.templates import (  # noqa: F401 - imported to register
    abstention,
    aggregation,
    lookup,
    multihop,
    temporal,
    trend,
    update,
)
from clinimem_eval.questions.templates.base import TEMPLATES, Draft, Template

__all__ = ["TEMPLATES", "Draft", "Template"]
