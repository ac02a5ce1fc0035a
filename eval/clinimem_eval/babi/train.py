"""Training and evaluating the bAbI memory network, per task or jointly.

Weakly supervised by default: only the answer is a label, as in MemN2N's main
results. ``attention_loss > 0`` adds supervision of hop k's attention by the
k-th supporting fact: a separate, clearly labelled variant, never the main table.

Tricks from the paper: position encoding (in the model), random noise on the
temporal index (``time_noise``: each sentence's recency is pushed back by
randomly inserted empty memories, ~10%), and 10% of the training questions held
out for choosing the best epoch. In place of linear start (which would need a
softmax switch inside HopBlock, and did not help here), a staged start of the
same spirit: for ``attention_start_epochs`` the hops attend by the lexical
match alone, and until ``ffn_start_epochs`` their feed-forward layers are held
at zero (see ``BabiMemN2N.set_attention_trainable`` / ``set_ffn_trainable``).
AdamW with warm-up and cosine decay stands in for MemN2N's SGD with halving.

Deterministic per seed for a fixed ``threads`` (the sweep's worker processes
reproduce a single process's numbers exactly).
"""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch.nn import functional as F

from clinimem_eval.babi.model import BabiConfig, BabiMemN2N
from clinimem_eval.babi.reader import Sample
from clinimem_eval.babi.vocab import Encoded, Vocab, encode

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    hops: int = 3
    d_model: int = 64
    n_heads: int = 4
    dropout: float = 0.1
    tie_hops: bool = False
    slot_norm: bool = True
    lexical_match: bool = True
    match_init: float = 3.0
    relation: bool = True
    epochs: int = 40
    attention_start_epochs: int = 5  # learned attention held at zero: lexical match only (see model)
    ffn_start_epochs: int = 20  # hop feed-forward layers held at zero (see set_ffn_trainable)
    batch_size: int = 32
    lr: float = 3e-3
    weight_decay: float = 0.0
    warmup_epochs: float = 1.0
    grad_clip: float = 40.0
    time_noise: float = 0.1  # MemN2N's random noise: share of empty memories inserted during training
    val_fraction: float = 0.1
    attention_loss: float = 0.0  # > 0: supporting-fact supervision of hop attention (separate variant)
    seed: int = 0
    threads: int = 1


@dataclass
class TrainResult:
    config: dict[str, Any]
    test_error: dict[int, float]  # task -> error in [0, 1]
    val_error: dict[int, float]
    best_epoch: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)

    @property
    def mean_error(self) -> float:
        return sum(self.test_error.values()) / max(len(self.test_error), 1)


def seed_everything(seed: int, threads: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


def split_validation(
    samples: Sequence[Sample], fraction: float, seed: int
) -> tuple[list[Sample], list[Sample]]:
    """Hold out ``fraction`` of each task's training questions (seeded), as MemN2N's 10% validation set."""
    rng = random.Random(seed)
    train: list[Sample] = []
    val: list[Sample] = []
    for task in sorted({s.task for s in samples}):
        rows = [s for s in samples if s.task == task]
        order = list(range(len(rows)))
        rng.shuffle(order)
        n_val = int(round(fraction * len(rows)))
        held = set(order[:n_val])
        val.extend(rows[i] for i in sorted(held))
        train.extend(rows[i] for i in range(len(rows)) if i not in held)
    return train, val


def task_batches(data: Encoded, batch_size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    """Row indices per batch; a batch holds one task, so its memory is padded only to that task's stories."""
    batches: list[torch.Tensor] = []
    for task in torch.unique(data.task).tolist():
        rows = (data.task == task).nonzero().squeeze(1)
        if generator is not None:
            rows = rows[torch.randperm(len(rows), generator=generator)]
        batches.extend(rows.split(batch_size))
    if generator is not None:
        batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
    return batches


def noisy_recency(batch: Encoded, share: float, generator: torch.Generator) -> torch.Tensor:
    """Recency as if empty memories had been inserted at random (~``share`` of the story): (b, n)."""
    if share <= 0:
        return batch.recency
    gaps = (torch.rand(batch.recency.shape, generator=generator) < share).long() * batch.slot_mask  # (b, n)
    # A slot moves back by the gaps inserted after it; slots are right-aligned, so count from the right.
    later = gaps.flip(1).cumsum(1).flip(1) - gaps  # (b, n) gaps strictly after each slot
    return batch.recency + later


def attention_supervision(attention: list[torch.Tensor], supporting: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of hop k's attention against the k-th supporting fact (hops past the facts: free)."""
    losses = []
    for k, att in enumerate(attention):
        if k >= supporting.shape[1]:
            break
        target = supporting[:, k]  # (b,)
        ok = target >= 0
        if ok.any():
            picked = att[ok].gather(1, target[ok].unsqueeze(1)).squeeze(1)  # (b',)
            losses.append(-torch.log(picked + 1e-9).mean())
    return torch.stack(losses).mean() if losses else torch.zeros(())


@torch.no_grad()
def errors_by_task(model: BabiMemN2N, data: Encoded, batch_size: int = 256) -> dict[int, float]:
    """Per-task error rate (answer class -1, never seen in training, is always wrong)."""
    model.eval()
    wrong: dict[int, int] = {}
    total: dict[int, int] = {}
    for rows in task_batches(data, batch_size, None):
        b = data.subset(rows)
        logits, _ = model(b.story, b.slot_mask, b.recency, b.question)
        miss = (logits.argmax(-1) != b.answer).long()
        task = int(b.task[0])
        wrong[task] = wrong.get(task, 0) + int(miss.sum())
        total[task] = total.get(task, 0) + len(rows)
    return {t: wrong[t] / total[t] for t in sorted(total)}


def build_model(vocab: Vocab, cfg: TrainConfig) -> BabiMemN2N:
    return BabiMemN2N(
        BabiConfig(
            vocab_size=len(vocab.words),
            n_answers=len(vocab.answers),
            d_model=cfg.d_model,
            n_heads=cfg.n_heads,
            hops=cfg.hops,
            dropout=cfg.dropout,
            tie_hops=cfg.tie_hops,
            slot_norm=cfg.slot_norm,
            lexical_match=cfg.lexical_match,
            match_init=cfg.match_init,
            relation=cfg.relation,
        )
    )


def train(
    train_samples: Sequence[Sample], test_samples: Sequence[Sample], cfg: TrainConfig
) -> tuple[TrainResult, BabiMemN2N, Vocab]:
    """Train on ``train_samples`` (all their tasks at once), pick the epoch by validation, test."""
    started = time.perf_counter()
    seed_everything(cfg.seed, cfg.threads)
    fit, val = split_validation(train_samples, cfg.val_fraction, cfg.seed)
    vocab = Vocab.build(train_samples)
    data, val_data, test_data = (encode(s, vocab) for s in (fit, val, test_samples))
    model = build_model(vocab, cfg)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() >= 2 and "recency" not in name else no_decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
    )
    gen = torch.Generator().manual_seed(cfg.seed)
    steps_per_epoch = len(task_batches(data, cfg.batch_size, None))
    total_steps = cfg.epochs * steps_per_epoch
    warmup = max(1, int(cfg.warmup_epochs * steps_per_epoch))

    def lr_at(step: int) -> float:
        # linear warm-up, then cosine decay to 0: the decay replaces MemN2N's halving every 25 epochs
        if step < warmup:
            return cfg.lr * (step + 1) / warmup
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total_steps - warmup)))

    best = (math.inf, -1, copy.deepcopy(model.state_dict()))
    history: list[dict[str, float]] = []
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        model.set_attention_trainable(epoch > cfg.attention_start_epochs)
        model.set_attention_trainable(epoch > cfg.attention_start_epochs)
        model.set_ffn_trainable(epoch > cfg.ffn_start_epochs)
        model.train()
        loss_sum, n_batches = 0.0, 0
        for rows in task_batches(data, cfg.batch_size, gen):
            b = data.subset(rows)
            recency = noisy_recency(b, cfg.time_noise, gen)
            logits, attention = model(b.story, b.slot_mask, recency, b.question)  # (b, A)
            loss = F.cross_entropy(logits, b.answer)
            if cfg.attention_loss > 0:
                loss = loss + cfg.attention_loss * attention_supervision(attention, b.supporting)
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            step += 1
            loss_sum += float(loss.detach())
            n_batches += 1
        val_err = errors_by_task(model, val_data)
        mean_val = sum(val_err.values()) / len(val_err)
        history.append(
            {
                "epoch": epoch,
                "loss": loss_sum / max(n_batches, 1),
                "val_error": mean_val,
                **{f"val_error_{t}": e for t, e in val_err.items()},
            }
        )
        log.info(
            "epoch %d loss %.4f val error %.4f (%s)",
            epoch,
            loss_sum / max(n_batches, 1),
            mean_val,
            " ".join(f"{t}:{100 * e:.0f}" for t, e in val_err.items()),
        )
        if mean_val <= best[0]:  # later epochs win ties: they are further along the decay
            best = (mean_val, epoch, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[2])
    result = TrainResult(
        config=asdict(cfg),
        test_error=errors_by_task(model, test_data),
        val_error=errors_by_task(model, val_data),
        best_epoch=best[1],
        seconds=time.perf_counter() - started,
        history=history,
    )
    return result, model, vocab
