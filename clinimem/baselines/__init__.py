"""Retrieval baselines: answering systems to beat, built as small Haystack pipelines.

- ``dense`` (:class:`~clinimem.baselines.dense.DenseAnswerer`): MiniLM vector of
  the question against the patient's entry vectors (the same concept
  embeddings the memory stores), top-k by cosine.
- ``bm25`` (:class:`~clinimem.baselines.bm25.BM25Answerer`): BM25 (``rank_bm25``)
  over each entry's text and date.

Both then apply one rule (:mod:`clinimem.baselines.reading`): guess the answer
kind from the question's wording and read the answer from the top hit (its
value, date, status or display), or from the top hits that share its concept
for counts, lists and trends. They cite the entries they read.

>>> from clinimem.api import Clinimem
>>> engine = Clinimem.open(store=".clinimem/store", system="dense")  # doctest: +SKIP
>>> engine.ask(patient_id, "What was her most recent HbA1c?").answer   # doctest: +SKIP
"""
