"""The conversation kept per session and patient: each question, its answer and what it cited.

Kept on the server, keyed by the session (``gr.Request.session_hash``) and the
patient, so a clinician scrolls back through what was asked about this patient
and a switch of patient shows that patient's own questions, never another's.
Only answers the page actually showed are added (the caller decides that).
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from dataclasses import dataclass

# Per session and patient; the oldest turns go first.
MAX_TURNS = 50
# Sessions kept (as the page keeps their screens); the least recently used go first.
SESSION_CAPACITY = 10_000


@dataclass(frozen=True)
class Turn:
    """One question and what the page answered."""

    question: str
    answer: str  # the answer in plain words
    cited: tuple[str, ...]  # each cited entry in one line: date, kind, text
    abstained: bool = False


class Conversations:
    """Turns per (session, patient); thread-safe."""

    def __init__(self, capacity: int = SESSION_CAPACITY, max_turns: int = MAX_TURNS) -> None:
        self._capacity, self._max_turns = capacity, max_turns
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, dict[str, list[Turn]]] = OrderedDict()

    def add(self, key: str, patient_id: str, turn: Turn) -> tuple[Turn, ...]:
        """Add a turn; returns the patient's turns in this session, oldest first."""
        with self._lock:
            patients = self._sessions.setdefault(key, {})
            self._sessions.move_to_end(key)
            while len(self._sessions) > self._capacity:
                self._sessions.popitem(last=False)
            turns = patients.setdefault(patient_id, [])
            turns.append(turn)
            del turns[: -self._max_turns]
            return tuple(turns)

    def turns(self, key: str, patient_id: str | None) -> tuple[Turn, ...]:
        with self._lock:
            return tuple(self._sessions.get(key, {}).get(patient_id or "", ()))

    def forget(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)


def conversation_html(turns: tuple[Turn, ...], patient_name: str = "") -> str:
    """The turns oldest first (the latest at the bottom, as in a chat); record text escaped."""
    if not turns:
        return '<p class="cm-empty">No questions asked about this patient yet in this session.</p>'
    esc = html.escape
    items = []
    for number, turn in enumerate(turns, start=1):
        cited = "".join(f"<li>{esc(line)}</li>" for line in turn.cited)
        cites = (
            f"<details><summary>{len(turn.cited)} cited</summary><ul>{cited}</ul></details>"
            if turn.cited
            else '<div class="cm-note">cited nothing</div>'
        )
        items.append(
            f'<li class="cm-turn{" cm-abstained" if turn.abstained else ""}">'
            f'<div class="cm-q"><b>Q{number}.</b> {esc(turn.question)}</div>'
            f'<div class="cm-a">{esc(turn.answer)}</div>{cites}</li>'
        )
    about = f" about {esc(patient_name)}" if patient_name else ""
    count = f"{len(turns)} question{'' if len(turns) == 1 else 's'}"
    return (
        f'<div class="cm-note">{count}{about} in this session</div><ol class="cm-turns">{"".join(items)}</ol>'
    )


CONVERSATION_CSS = """
#conversation .cm-turns { list-style: none; padding: 0; margin: 0.3em 0 0; max-height: 30em; overflow-y: auto; }
#conversation .cm-turn { border-left: 3px solid #2e86ab; padding: 0.2em 0.6em; margin-bottom: 0.5em; }
#conversation .cm-turn.cm-abstained { border-left-color: #9aa5b1; }
#conversation .cm-a { margin: 0.15em 0; }
#conversation details { font-size: 0.85em; color: var(--body-text-color-subdued); }
"""

# The list scrolls; the latest turn is the one in view, the earlier ones a scroll back.
SCROLL_TO_LATEST = """
const latest = () => {
  const turns = element.querySelector('.cm-turns');
  if (turns) turns.scrollTop = turns.scrollHeight;
};
latest();
watch('value', latest);
"""
