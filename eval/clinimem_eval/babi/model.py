"""clinimem's controller hop mechanism as an End-To-End Memory Network for bAbI.

The hops are :class:`clinimem.controller.model.HopBlock`, the very module the
clinical controller stacks: each hop the state attends over the question's
tokens, then reads the memory slots with softmax attention (learned query/key
plus the ``match`` input times a learned gain) and updates itself. What differs
from the clinical controller is what feeds it: instead of MiniLM vectors and
clinical slot features, words have learned embeddings and

* a memory slot is one story sentence: a bag of its word embeddings weighted
  by MemN2N's position encoding (Sukhbaatar et al. 2015, section 4.1), plus a
  learned temporal encoding of the sentence's recency (0 = the latest);
* the question tokens (for the hops' question attention) are the same word
  embeddings plus a learned position; the initial state is the question's
  position-encoded bag of words, as MemN2N's ``u``;
* ``match`` (in the clinical controller: the lexical match of the question to
  each entry) is the weighted count of words a sentence shares with the
  question and, from hop 2 on, with what the previous hop read;
* after each hop, slots add an encoding of where they stand in time relative
  to what that hop read (the clinical controller does this after hop 1);
* the answer is one softmax over the vocabulary (plus the joined multi-word
  answers of tasks 8 and 19) from the final state.

No supporting fact is ever a label here unless ``attention_loss`` is set in
training (a separate, strongly supervised variant).
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
    lexical_match: bool = True  # HopBlock's match input: words shared with the question and the last read
    match_init: float = 3.0  # initial weight of one shared word in attention logits (e^3: 20x the attention)
    relation: bool = True  # after each hop, slots learn their time relative to what it read (see relation_to)

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
        # Lexical match (see lexical_match): per hop, a learned weight per word for the question's words
        # and for the previous read's words, so "the" can learn to count for nothing, and a hop can
        # learn which shared words lead on (MemN2N's adjacent hops have an embedding each).
        on = cfg.match_init if cfg.lexical_match else 0.0
        self.question_word_weight = nn.Parameter(torch.full((cfg.hops, cfg.vocab_size), on))
        self.read_word_weight = nn.Parameter(torch.full((cfg.hops, cfg.vocab_size), on))
        self.relation = nn.Sequential(nn.Linear(4, d), nn.GELU(), nn.Linear(d, d)) if cfg.relation else None
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
                # The learned part of the attention starts at zero: the first reads follow the lexical
                # match alone (see set_attention_trainable).
                block.mem_query.weight.zero_()
                block.mem_query.bias.zero_()

    def ffn_parameters(self) -> list[nn.Parameter]:
        return [p for block in self.blocks for p in block.mlp.parameters()]

    def set_ffn_trainable(self, trainable: bool) -> None:
        """Hold the hops' feed-forward layers (zero at init) fixed, or release them.

        Weakly supervised on 1k questions, a hop that can fit answers through its
        feed-forward layer memorises the training stories before its attention
        has found the supporting facts (task 2: 67% test error with it from the
        start). Like MemN2N's linear start, training begins with the simpler
        model, here the attention-only one, and adds the nonlinearity later.
        """
        for p in self.ffn_parameters():
            p.requires_grad_(trainable)

    def attention_parameters(self) -> list[nn.Parameter]:
        return [
            p for block in self.blocks for p in (*block.mem_query.parameters(), *block.mem_key.parameters())
        ]

    def set_attention_trainable(self, trainable: bool) -> None:
        """Hold the learned attention (query map zero at init) fixed, or release it.

        While it is held, each hop attends by the lexical match alone and the rest
        of the model learns to use what such reads return. Released from the
        start, the learned attention goes greedily for the sentences that hold
        answer words (task 16: every hop reads "X is green", whoever X is) and
        saturates there, before the chain that the match offers can pay off.
        """
        for p in self.attention_parameters():
            p.requires_grad_(trainable)

    def lexical_match(
        self, presence: torch.Tensor, question_words: torch.Tensor, read: torch.Tensor | None, hop: int
    ) -> torch.Tensor:
        """HopBlock's ``match`` input for hop ``hop``: words a sentence shares with the question and the last read.

        presence (B, n, V) 1 where a word occurs in a sentence; question_words (B, V);
        read (B, n) the previous hop's attention or None -> (B, n).

        The clinical controller feeds ``match`` with the lexical match of the
        question's tokens to each entry. Here it is the weighted count of the
        question's words in each sentence, plus, after the first hop, of the
        words of what the previous hop read (not counting a sentence's overlap
        with itself): the chain "football -> Mary got the football -> where Mary
        went" follows shared words, as MemN2N's adjacent hops share an embedding.
        """
        match = presence @ (question_words * self.question_word_weight[hop]).unsqueeze(-1)  # (B, n, 1)
        if read is not None:
            read_words = torch.einsum("bn,bnv->bv", read, presence)  # (B, V) soft words of what was read
            others = (
                read_words.unsqueeze(1) - read.unsqueeze(-1) * presence
            )  # (B, n, V) minus the slot itself
            shared = (presence * others * self.read_word_weight[hop]).sum(-1)  # (B, n)
            match = match + shared.unsqueeze(-1)
        return match.squeeze(-1)  # (B, n)

    @staticmethod
    def relation_to(attention: torch.Tensor, recency: torch.Tensor) -> torch.Tensor:
        """Where each slot stands relative to what a hop read, in sentences: (B, n, 4).

        As the clinical controller's relation features after hop 1 (later or
        earlier than the anchor, by how much): bAbI's "where was X before Y" and
        "where was Mary when she dropped it" need a hop to look before or after
        the sentence the previous hop found.
        """
        anchor = (attention * recency).sum(-1, keepdim=True)  # (B, 1) recency of what was read
        delta = anchor - recency  # (B, n) > 0: the slot comes after what was read
        features = [
            torch.tanh(delta / 2),
            torch.tanh(delta / 8),
            torch.tanh(delta / 32),
            torch.tanh(4 * delta),
        ]
        return torch.stack(features, -1)

    def bag(self, words: torch.Tensor) -> torch.Tensor:
        """Position-encoded bag of words: (..., L) ids -> (..., d)."""
        pe = position_encoding(words, self.cfg.d_model)  # (..., L, d)
        return (pe * self.words(words)).sum(-2)

    def forward(
        self, story: torch.Tensor, slot_mask: torch.Tensor, recency: torch.Tensor, question: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """story (B, n, L), slot_mask (B, n), recency (B, n), question (B, T) -> logits (B, A), K x (B, n)."""
        b, n, _ = story.shape
        v = self.cfg.vocab_size
        slots = self.bag(story) + self.recency(recency.clamp(max=self.cfg.max_recency - 1))  # (B, n, d)
        slots = self.ln_slots(slots) * slot_mask.unsqueeze(-1)
        positions = torch.arange(question.shape[1]).clamp(max=self.cfg.max_question_len - 1)
        tokens = self.words(question) + self.question_pos(positions)  # (B, T, d)
        question_pad = question == 0  # (B, T) True = pad
        state = self.bag(question)  # (B, d) MemN2N's u
        presence = torch.zeros(b, n, v).scatter_(2, story, 1.0)  # (B, n, V)
        presence[..., 0] = 0.0  # padding is no word
        question_words = torch.zeros(b, v).scatter_(1, question, 1.0)  # (B, V)
        question_words[:, 0] = 0.0
        attention: list[torch.Tensor] = []
        hop_slots = slots
        for k in range(self.cfg.hops):
            block = self.blocks[0 if self.cfg.tie_hops else k]
            match = self.lexical_match(presence, question_words, attention[-1] if attention else None, k)
            state, att = block(state, tokens, question_pad, hop_slots, match, slot_mask)
            attention.append(att)  # (B, n)
            if self.relation is not None:
                rel = self.relation(self.relation_to(att, recency.float()))  # (B, n, d)
                hop_slots = slots + rel * slot_mask.unsqueeze(-1)
        return self.answer(self.ln_out(state)), attention
