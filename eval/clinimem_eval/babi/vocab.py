"""Word and answer vocabularies, and samples encoded as padded index tensors.

Words come from the training files only (an unseen test word reads as
``<unk>``). Answers are classes: every word of the vocabulary, plus the
comma-joined multi-word answers of tasks 8 (lists) and 19 (path finding) as
one class each ("n,w", "apple,football"), so the model's output is one softmax
over words and these joined strings; a joined answer that no training question
has cannot be predicted and counts as an error (one test question of task 8).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from clinimem_eval.babi.reader import Sample

PAD, UNK = "<pad>", "<unk>"
MEMORY_SIZE = 50  # MemN2N keeps the 50 most recent sentences; bAbI 1k never needs an older one


@dataclass(frozen=True)
class Vocab:
    words: tuple[str, ...]  # index 0 = <pad>, 1 = <unk>
    answers: tuple[str, ...]

    @classmethod
    def build(cls, samples: Iterable[Sample]) -> Vocab:
        words: set[str] = set()
        answers: set[str] = set()
        for s in samples:
            for sentence in s.story:
                words.update(sentence)
            words.update(s.question)
            answers.add(s.answer)
        # The output softmax spans every word (as MemN2N's W), plus the joined multi-word answers.
        return cls(words=(PAD, UNK, *sorted(words)), answers=tuple(sorted(words | answers)))

    def word_ids(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    def answer_ids(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.answers)}


@dataclass
class Encoded:
    """A set of samples as tensors; every row is one question.

    ``recency`` counts back from the question (0 = the latest sentence), the
    index of MemN2N's temporal encoding; padding slots have ``slot_mask`` False.
    """

    story: torch.Tensor  # (N, M, L) word ids, 0 = pad
    slot_mask: torch.Tensor  # (N, M) True = a real sentence
    recency: torch.Tensor  # (N, M) 0 = most recent sentence
    question: torch.Tensor  # (N, Lq) word ids
    answer: torch.Tensor  # (N,) answer class, -1 = not in the answer vocabulary
    supporting: torch.Tensor  # (N, S) slot indices of the supporting facts, -1 = none
    task: torch.Tensor  # (N,) bAbI task number

    def __len__(self) -> int:
        return int(self.answer.shape[0])

    def subset(self, rows: torch.Tensor) -> Encoded:
        """Rows ``rows``, trimmed to their longest story, sentence and question (cheaper batches).

        Stories are right-aligned (the latest sentence in the last slot), so
        trimming keeps the tail; word positions keep their index, so the
        position encoding of a word does not depend on the batch.
        """
        mask = self.slot_mask[rows]
        m = self.story.shape[1]
        first = m - max(int(mask.sum(1).max().item()), 1)
        story = self.story[rows][:, first:]  # (b, m', L)
        words = max(int((story > 0).any(0).any(0).nonzero().max().item()) + 1, 1) if story.any() else 1
        question = self.question[rows]
        q_words = int((question > 0).any(0).nonzero().max().item()) + 1
        supporting = self.supporting[rows]
        return Encoded(
            story=story[:, :, :words],
            slot_mask=mask[:, first:],
            recency=self.recency[rows][:, first:],
            question=question[:, :q_words],
            answer=self.answer[rows],
            supporting=torch.where(supporting >= 0, supporting - first, supporting),
            task=self.task[rows],
        )


def encode(samples: Sequence[Sample], vocab: Vocab, memory_size: int = MEMORY_SIZE) -> Encoded:
    """Encode samples, keeping the ``memory_size`` latest sentences of each story, right-aligned."""
    wid, aid = vocab.word_ids(), vocab.answer_ids()
    unk = wid[UNK]
    n = len(samples)
    sent_len = max((len(x) for s in samples for x in s.story), default=1)
    q_len = max(len(s.question) for s in samples)
    n_sup = max(max(len(s.supporting) for s in samples), 1)
    story = torch.zeros(n, memory_size, sent_len, dtype=torch.long)
    slot_mask = torch.zeros(n, memory_size, dtype=torch.bool)
    recency = torch.zeros(n, memory_size, dtype=torch.long)
    question = torch.zeros(n, q_len, dtype=torch.long)
    answer = torch.full((n,), -1, dtype=torch.long)
    supporting = torch.full((n, n_sup), -1, dtype=torch.long)
    for r, s in enumerate(samples):
        kept = s.story[-memory_size:]
        offset = memory_size - len(kept)  # right-align: slot memory_size-1 is the latest sentence
        dropped = len(s.story) - len(kept)
        for i, sentence in enumerate(kept):
            story[r, offset + i, : len(sentence)] = torch.tensor([wid.get(w, unk) for w in sentence])
            slot_mask[r, offset + i] = True
            recency[r, offset + i] = len(kept) - 1 - i
        question[r, : len(s.question)] = torch.tensor([wid.get(w, unk) for w in s.question])
        answer[r] = aid.get(s.answer, -1)
        for j, fact in enumerate(s.supporting):
            if fact >= dropped:
                supporting[r, j] = offset + fact - dropped
    task = torch.tensor([s.task for s in samples], dtype=torch.long)
    return Encoded(story, slot_mask, recency, question, answer, supporting, task)
