"""The transformer controller: multi-hop attention reads over one patient's memory.

- ``question.py``: the question pass (MiniLM token vectors + spaCy dates, numbers, negation)
- ``slots.py``: memory slot features (concept vector, kind, status, time, visit, value)
- ``model.py``: the torch module (nanoGPT-style: a config dataclass and one module)
- ``executor.py``: computes the answer from the evidence slots, so values come from entries
- ``answerer.py``: the ``controller`` answering system behind ``Clinimem.ask``
- ``train.py``: training on the evaluation harness's training questions
"""
