"""clinimem's controller hop mechanism as an End-To-End Memory Network for bAbI.

The hops are :class:`clinimem.controller.model.HopBlock`, the very module the
clinical controller stacks: each hop the state attends over the question's
tokens, then reads the memory slots with softmax attention and updates itself.
What differs from the clinical controller is only what feeds it: instead of
MiniLM vectors and clinical slot features, words have learned embeddings and

* a memory slot is one story sentence: a bag of its word embeddings weighted
  by MemN2N's position encoding (Sukhbaatar et al. 2015, section 4.1), plus a
  learned temporal encoding of the sentence's recency (0 = the latest);
* the question tokens (for the hops' question attention) are the same word
  embeddings plus a learned position; the initial state is the question's
  position-encoded bag of words, as MemN2N's ``u``;
* the answer is a softmax over the answer vocabulary from the final state.

The clinical controller's lexical ``match`` input has no counterpart here and
is zero, so its learned gain adds nothing: every slot is found by attention.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from clinimem.controller.model import ControllerConfig, HopBlock


@dataclass
class BabiConfig:
    vocab_size: int
    n_answers: int
    d_model: int = 64
    n_heads: int = 4
    hops: int = 3
    dropout: float = 0.1
    max_recency: int = 128  # temporal encoding table; recency is jittered past 50 by random time noise
    max_question_len: int = 16
    tie_hops: bool = False  # one HopBlock applied K times (MemN2N's layer-wise tying)
    slot_norm: bool = True  # LayerNorm on slots: keys of unit scale, so attention is not flat at the start

    def controller_config(self) -> ControllerConfig:
        """The clinical controller's config, of which HopBlock reads d_model, n_heads and dropout."""
        return ControllerConfig(
            d_model=self.d_model, n_heads=self.n_heads, hops=self.hops, dropout=self.dropout
        )


def position_encoding(words: torch.Tensor, dim: int) -> torch.Tensor:
    """MemN2N's position encoding l_kj = (1 - j/J) - (k/d)(1 - 2j/J), J = each sentence's length.

    words (..., L) word ids, 0 = pad -> (..., L, dim); zero at padding positions.
    """
    length = (words > 0).sum(-1, keepdim=True).clamp(min=1).float()  # (..., 1)
    j = torch.arange(1, words.shape[-1] + 1, dtype=torch.float32)  # (L,)
    frac = (j / length).unsqueeze(-1)  # (..., L, 1)
    k = torch.arange(1, dim + 1, dtype=torch.float32) / dim  # (dim,)
    pe = (1 - frac) - k * (1 - 2 * frac)  # (..., L, dim)
    return pe * (words > 0).unsqueeze(-1).float()


class BabiMemN2N(nn.Module):
    """Word embeddings + temporal encoding -> K clinimem HopBlocks -> answer softmax."""

    def __init__(self, cfg: BabiConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.words = nn.Embedding(cfg.vocab_size, d, padding_idx=0)
        self.recency = nn.Embedding(cfg.max_recency, d)
        self.question_pos = nn.Embedding(cfg.max_question_len, d)
        hop_cfg = cfg.controller_config()
        n_blocks = 1 if cfg.tie_hops else cfg.hops
        self.blocks = nn.ModuleList(HopBlock(hop_cfg) for _ in range(n_blocks))
        self.ln_slots = nn.LayerNorm(d) if cfg.slot_norm else nn.Identity()
        self.ln_out = nn.LayerNorm(d)
        self.answer = nn.Linear(d, cfg.n_answers)
        nn.init.normal_(self.words.weight, std=0.1)
        nn.init.normal_(self.recency.weight, std=0.1)
        nn.init.normal_(self.question_pos.weight, std=0.1)
        with torch.no_grad():
            self.words.weight[0].zero_()
            for block in self.blocks:
                # The hop's feed-forward starts as the identity (zero residual): see set_ffn_trainable.
                block.mlp[-2].weight.zero_()
                block.mlp[-2].bias.zero_()

    def ffn_parameters(self) -> list[nn.Parameter]:
        return [p for block in self.blocks for p in block.mlp.parameters()]

    def set_ffn_trainable(self, trainable: bool) -> None:
        """Hold the hops' feed-forward layers (zero at init) fixed, or release them.

        Weakly supervised on 1k questions, a hop that can fit answers through its
        feed-forward layer memorises the training stories before its attention
        has found the supporting facts (task 2: 67% test error with it from the
        start, 8% without). Like MemN2N's linear start, training begins with the
        simpler model, here the attention-only one, and adds the nonlinearity later.
        """
        for p in self.ffn_parameters():
            p.requires_grad_(trainable)

    def bag(self, words: torch.Tensor) -> torch.Tensor:
        """Position-encoded bag of words: (..., L) ids -> (..., d)."""
        pe = position_encoding(words, self.cfg.d_model)  # (..., L, d)
        return (pe * self.words(words)).sum(-2)

    def forward(
        self, story: torch.Tensor, slot_mask: torch.Tensor, recency: torch.Tensor, question: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """story (B, n, L), slot_mask (B, n), recency (B, n), question (B, T) -> logits (B, A), K x (B, n)."""
        slots = self.bag(story) + self.recency(recency.clamp(max=self.cfg.max_recency - 1))  # (B, n, d)
        slots = self.ln_slots(slots) * slot_mask.unsqueeze(-1)
        positions = torch.arange(question.shape[1]).clamp(max=self.cfg.max_question_len - 1)
        tokens = self.words(question) + self.question_pos(positions)  # (B, T, d)
        question_pad = question == 0  # (B, T) True = pad
        state = self.bag(question)  # (B, d) MemN2N's u
        match = torch.zeros(slot_mask.shape, dtype=state.dtype)  # (B, n) no lexical match feature
        attention = []
        for k in range(self.cfg.hops):
            block = self.blocks[0 if self.cfg.tie_hops else k]
            state, att = block(state, tokens, question_pad, slots, match, slot_mask)
            attention.append(att)  # (B, n)
        return self.answer(self.ln_out(state)), attention
