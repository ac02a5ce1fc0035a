"""The mark a connector puts in its stream where the records read so far are whole.

A load stages every write and publishes at a checkpoint (see
:meth:`clinimem.memory.store.MemoryStore.staging`): a patient read from the REST
API is whole when its last ``$everything`` page is in, an export or a group of
files when the last line of the last file is. What comes before a failure and
after the last checkpoint is rolled back, so no read sees half a patient.

Example::

    for item in iter_rest_source(url, patient_ids=ids, checkpoints=True):
        if isinstance(item, Checkpoint):
            store.commit()
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Checkpoint:
    """Every resource before this mark belongs to a record read whole."""
