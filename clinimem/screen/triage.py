"""Which patient kills a worker? Re-run the patients that were in flight one at a time.

When a worker process (or Ray actor) dies, every patient it held fails with
it, and most of them are innocent. Rather than fail them all, or retry them
together (and die together again), the runners hand out patients through a
:class:`Triage`: after a death the patients that were in flight become
suspects, and each suspect is sent alone, with nothing else in flight. A
suspect that kills a worker while alone is the cause and gets an error row;
the others are screened normally, and then the job goes on at full width.

>>> triage = Triage()
>>> queue = iter(["a", "b", "c"])
>>> triage.next(queue, in_flight=0, limit=2), triage.next(queue, in_flight=1, limit=2)
('a', 'b')
>>> triage.died("a"), triage.died("b")  # both were in flight when the worker died
(False, False)
>>> triage.next(queue, in_flight=0, limit=2), triage.next(queue, in_flight=1, limit=2)
('a', None)
>>> triage.finished("a"); triage.next(queue, in_flight=0, limit=2)
'b'
>>> triage.died("b")  # died alone: b is the cause
True
>>> triage.next(queue, in_flight=0, limit=2)
'c'
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator


class Triage:
    """Hands out patient ids; after a worker death, the suspects one at a time."""

    def __init__(self) -> None:
        self.suspects: deque[str] = deque()
        self.alone: str | None = None  # the suspect now running by itself

    @property
    def isolating(self) -> bool:
        return bool(self.suspects) or self.alone is not None

    def next(self, queue: Iterator[str], *, in_flight: int, limit: int) -> str | None:
        """The next patient to send, or None to wait (a suspect runs alone, or the queue is done)."""
        if self.isolating:
            if in_flight or not self.suspects:
                return None
            self.alone = self.suspects.popleft()
            return self.alone
        if in_flight >= limit:
            return None
        return next(queue, None)

    def died(self, patient_id: str) -> bool:
        """The worker holding ``patient_id`` died: True when this patient is the cause."""
        if patient_id == self.alone:
            self.alone = None
            return True
        self.suspects.append(patient_id)
        return False

    def finished(self, patient_id: str) -> None:
        """``patient_id`` came back (a row or its own error): it was not the cause."""
        if patient_id == self.alone:
            self.alone = None

    @property
    def pending_suspects(self) -> bool:
        return bool(self.suspects)
