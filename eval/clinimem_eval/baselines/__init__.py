"""Evaluation-only answering systems (the oracle); the retrieval baselines live in ``clinimem.baselines``."""

from clinimem_eval.baselines.oracle import OracleAnswerer

__all__ = ["OracleAnswerer"]
