"""The controller: a transformer state that reads a patient's memory in K hops.

A memory network in the sense of Weston et al. (2014) and Sukhbaatar et al.
(2015), with a transformer block as the controller. Each hop, the state first
attends over the question's tokens (so each hop can look at a different part of
the question: the anchor event, then the target), then attends over the memory
slots, reads a weighted sum and updates itself. After the first hop, every slot
learns where it stands relative to what was read (earlier/later, same visit),
which makes "before", "after" and "at that visit" learnable. Heads give the
operation, the answer kind and a per-slot evidence score; the attention of
every hop is returned as the citation trail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from clinimem.answer import ANSWER_KINDS, OPS
from clinimem.controller.slots import KIND_INDEX, MAX_RANK, N_NUMERIC, STATUS_INDEX
from clinimem.grounding.match import FEATURES, N_FEATURES, N_QUESTION_FEATURES


@dataclass
class ControllerConfig:
    embed_dim: int = 384  # MiniLM
    d_model: int = 128
    n_heads: int = 4
    hops: int = 2
    dropout: float = 0.1
    n_kinds: int = len(KIND_INDEX) + 1
    n_statuses: int = len(STATUS_INDEX) + 1
    max_rank: int = MAX_RANK + 1
    n_numeric: int = N_NUMERIC
    n_ground: int = N_FEATURES  # per-slot grounding signals (clinimem.grounding.match.FEATURES)
    n_ground_question: int = N_QUESTION_FEATURES
    n_ops: int = len(OPS)
    n_answer_kinds: int = len(ANSWER_KINDS)


@dataclass
class ControllerOutput:
    op_logits: torch.Tensor  # (B, n_ops)
    kind_logits: torch.Tensor  # (B, n_answer_kinds)
    evidence_logits: torch.Tensor  # (B, n)
    attention: list[torch.Tensor]  # K x (B, n), each row sums to 1


class SlotEncoder(nn.Module):
    """Entry vector + learned encodings of kind, status, time rank, and numeric features."""

    def __init__(self, cfg: ControllerConfig) -> None:
        super().__init__()
        self.concept = nn.Linear(cfg.embed_dim, cfg.d_model)
        self.kind = nn.Embedding(cfg.n_kinds, cfg.d_model)
        self.status = nn.Embedding(cfg.n_statuses, cfg.d_model)
        self.rank_end = nn.Embedding(cfg.max_rank, cfg.d_model)
        self.rank_start = nn.Embedding(cfg.max_rank, cfg.d_model)
        self.numeric = nn.Sequential(
            nn.Linear(cfg.n_numeric + cfg.n_ground, cfg.d_model),
            nn.GELU(),
            nn.Linear(cfg.d_model, cfg.d_model),
        )
        self.ln = nn.LayerNorm(cfg.d_model)

    def static(self, vectors, kind, status, rank_end, rank_start):  # noqa: ANN001, ANN201
        # the question-independent part, cached per patient at inference: (n, d)
        return (
            self.concept(vectors)
            + self.kind(kind)
            + self.status(status)
            + self.rank_end(rank_end)
            + self.rank_start(rank_start)
        )

    def forward(self, static, numeric):  # noqa: ANN001, ANN201
        # static (n, d); numeric (B, n, F) -> (B, n, d)
        return self.ln(static.unsqueeze(0) + self.numeric(numeric))


class HopBlock(nn.Module):
    """One hop: attend over the question, then read the memory."""

    def __init__(self, cfg: ControllerConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.ln_q = nn.LayerNorm(d)
        self.question_attn = nn.MultiheadAttention(d, cfg.n_heads, dropout=cfg.dropout, batch_first=True)
        self.ln_m = nn.LayerNorm(d)
        self.mem_query = nn.Linear(d, d)
        self.mem_key = nn.Linear(d, d)
        self.mem_value = nn.Linear(d, d)
        self.match_gain = nn.Parameter(torch.tensor(1.0))
        # how much each grounding signal moves this hop's read (learned; the signals are explicit)
        self.ground = nn.Linear(cfg.n_ground, 1)
        self.ln_f = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d), nn.Dropout(cfg.dropout))
        self.scale = 1.0 / math.sqrt(d)

    def forward(self, state, question, question_pad, slots, match, slot_mask, ground=None):  # noqa: ANN001, ANN201
        # state (B, d); question (B, T, d); slots (B, n, d); match (B, n); slot_mask (B, n) True = real;
        # ground (B, n, G) grounding signals (None: the bAbI model, which has none)
        s = self.ln_q(state).unsqueeze(1)
        read_q, _ = self.question_attn(
            s, question, question, key_padding_mask=question_pad, need_weights=False
        )
        state = state + read_q.squeeze(1)
        q = self.mem_query(self.ln_m(state))  # (B, d)
        logits = torch.einsum("bd,bnd->bn", q, self.mem_key(slots)) * self.scale + self.match_gain * match
        if ground is not None:
            logits = logits + self.ground(ground).squeeze(-1)
        logits = logits.masked_fill(~slot_mask, float("-inf"))
        attention = torch.softmax(logits, dim=-1)  # (B, n)
        state = state + torch.einsum("bn,bnd->bd", attention, self.mem_value(slots))
        state = state + self.mlp(self.ln_f(state))
        return state, attention


class Controller(nn.Module):
    def __init__(self, cfg: ControllerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.slots = SlotEncoder(cfg)
        self.question_proj = nn.Linear(cfg.embed_dim, d)
        self.state_proj = nn.Linear(cfg.embed_dim, d)
        self.match_proj = nn.Linear(cfg.embed_dim, cfg.embed_dim, bias=False)
        self.relation = nn.Sequential(nn.Linear(4, d), nn.GELU(), nn.Linear(d, d))
        self.hops = nn.ModuleList(HopBlock(cfg) for _ in range(cfg.hops))
        self.ln_out = nn.LayerNorm(d)
        self.op_head = nn.Linear(d, cfg.n_ops)
        self.kind_head = nn.Linear(d, cfg.n_answer_kinds)
        self.evidence_slot = nn.Linear(d, d)
        self.evidence_state = nn.Linear(d, d)
        self.evidence_out = nn.Linear(d, 1)
        self.evidence_match = nn.Parameter(torch.tensor(1.0))
        self.evidence_ground = nn.Linear(cfg.n_ground, 1)
        self.question_ground = nn.Linear(cfg.n_ground_question, d)
        with torch.no_grad():
            self.match_proj.weight.copy_(torch.eye(cfg.embed_dim))
            # start from "read what the question names": the score and best-match signals lead
            prior = torch.zeros(cfg.n_ground)
            prior[FEATURES.index("score")], prior[FEATURES.index("best")] = 4.0, 2.0
            grounds: list[nn.Linear] = [hop.ground for hop in self.hops]  # type: ignore[misc]
            for layer in grounds + [self.evidence_ground]:
                layer.weight.copy_(prior.unsqueeze(0))
                layer.bias.zero_()

    def static_slots(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The question-independent slot encodings (n, d); cache them per patient when not training."""
        return self.slots.static(
            batch["vectors"], batch["kind"], batch["status"], batch["rank_end"], batch["rank_start"]
        )

    def token_match(self, tokens, token_pad, vectors):  # noqa: ANN001, ANN201
        # tokens (B, T, E), vectors (n, E) -> (B, n): the best match of any question token to each concept
        sim = torch.einsum("bte,ne->btn", self.match_proj(tokens), vectors)
        sim = sim.masked_fill(token_pad.unsqueeze(-1), -1e4)
        return sim.max(dim=1).values

    def forward(self, batch: dict[str, torch.Tensor]) -> ControllerOutput:
        vectors = batch["vectors"]  # (n, E)
        tokens, token_pad = batch["tokens"], batch["token_pad"]  # (B, T, E), (B, T) True = pad
        slot_mask = batch["slot_mask"]  # (B, n)
        static = batch.get("static_slots")
        if static is None:
            static = self.static_slots(batch)
        ground = batch["ground"]  # (B, n, G) grounding signals
        slots = self.slots(static, torch.cat([batch["numeric"], ground], dim=-1))  # (B, n, d)
        match = self.token_match(tokens, token_pad, vectors)  # (B, n)
        question = self.question_proj(tokens)  # (B, T, d)
        state = self.state_proj(batch["sentence"]) + self.question_ground(batch["ground_question"])  # (B, d)
        attention = []
        for k, hop in enumerate(self.hops):
            state, att = hop(state, question, token_pad, slots, match, slot_mask, ground)
            attention.append(att)
            if k == 0:
                slots = slots + self.relation(self._relation_to(att, batch))
        out = self.ln_out(state)
        hidden = F.gelu(self.evidence_slot(slots) + self.evidence_state(out).unsqueeze(1))
        evidence = self.evidence_out(hidden).squeeze(-1) + self.evidence_match * match
        evidence = evidence + self.evidence_ground(ground).squeeze(-1)
        return ControllerOutput(
            op_logits=self.op_head(out),
            kind_logits=self.kind_head(out),
            evidence_logits=evidence.masked_fill(~slot_mask, -1e4),
            attention=attention,
        )

    @staticmethod
    def _relation_to(attention, batch):  # noqa: ANN001, ANN205
        """Where each slot stands relative to what hop 1 read: later/earlier, same visit (B, n, 4)."""
        days = batch["days"].unsqueeze(0)  # (1, n) day ordinals relative to the patient's first entry
        anchor_day = (attention * days).sum(-1, keepdim=True)  # (B, 1)
        delta = days - anchor_day  # (B, n) days after what hop 1 read
        encounter = batch["encounter"]  # (n,) -1 = none
        n_enc = int(encounter.max().item()) + 2
        idx = (encounter + 1).unsqueeze(0).expand_as(attention)  # slot -> encounter bucket (0 = none)
        per_encounter = torch.zeros(attention.shape[0], n_enc, dtype=attention.dtype).scatter_add(
            1, idx, attention
        )
        per_encounter[:, 0] = 0.0
        same_visit = per_encounter.gather(1, idx)
        month, year = torch.tanh(delta / 30.0), torch.tanh(delta / 365.0)
        step = torch.tanh(delta * 4.0)  # ~ sign, soft so the gradient reaches hop 1
        return torch.stack([month, year, step, same_visit], dim=-1)
