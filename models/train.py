"""Training loops: masked-basket pretraining, then acceptance and behaviour fine-tuning.

nanoGPT-style: a pure `get_lr(it)` schedule (linear warmup, cosine decay), an
`@torch.no_grad() estimate_loss` on held-out rows, checkpoints that keep the config next to the
weights (save_pretrained). The whole run (every model, evaluation, saving) is
`coupondesk.models.pipeline.train_all`; prediction lives with each model.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from coupondesk.models.acceptance import AcceptanceTransformer
from coupondesk.models.behaviour import (
    N_BINARY_BEHAVIOUR,
    SPEND_SCALE,
    VISIT_SCALE,
    BehaviourTransformer,
)
from coupondesk.models.config import FinetuneConfig, TrainConfig
from coupondesk.models.datasets import BEHAVIOUR_TARGETS, TensorSet, sequence_tensors
from coupondesk.models.encoder import BasketBertConfig, BasketBertForMaskedBaskets
from coupondesk.models.history import History
from coupondesk.models.sequences import BasketTable
from torch import nn

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as training advances (the CLI draws bars from it)."""


def no_progress(stage: str, done: int, total: int) -> None:
    """The default progress callback: silent."""


def staged(progress: Progress, label: str) -> Progress:
    """A progress callback that reports under a fixed stage label."""

    def report(_stage_name: str, done: int, total: int) -> None:
        progress(label, done, total)

    return report


def set_threads(threads: int) -> None:
    """Two cores: fixed torch threads and passive OpenMP waiting (no spinning threads)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch.set_num_threads(threads)


def get_lr(it: int, *, max_lr: float, warmup: int, total: int, min_ratio: float = 0.1) -> float:
    """Learning rate at step `it`: linear warmup to max_lr, cosine decay to min_ratio*max_lr."""
    if it < warmup:
        return max_lr * (it + 1) / (warmup + 1)
    if it >= total:
        return max_lr * min_ratio
    progress = (it - warmup) / max(1, total - warmup)
    coeff = 0.5 * (1.0 + math.cos(math.pi * progress))
    return max_lr * (min_ratio + (1.0 - min_ratio) * coeff)


def bert_config(history: History, config: TrainConfig, **extra: Any) -> BasketBertConfig:
    """The transformers config of every basket-BERT model of this training run."""
    enc = config.encoder
    return BasketBertConfig(
        n_categories=len(history.categories),
        max_baskets=enc.max_baskets,
        hidden_size=enc.hidden_size,
        num_hidden_layers=enc.num_hidden_layers,
        num_attention_heads=enc.num_attention_heads,
        intermediate_size=enc.intermediate_size,
        hidden_dropout_prob=enc.dropout,
        attention_probs_dropout_prob=enc.dropout,
        category_names=list(history.categories),
        **extra,
    )


# ----------------------------------------------------------------------------- pretraining


def pretraining_rows(
    table: BasketTable, households: np.ndarray, cutoff: float, step_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """(household, pseudo-cutoff) pairs: every `step_days` back from `cutoff`, >= 2 baskets."""
    pseudo = np.arange(cutoff, 14.0, -float(step_days))
    hh_rows, cut_rows = [], []
    for household in households:
        start = table.household_start.get(int(household))
        if start is None:
            continue
        times = table.t[start : table.household_end[int(household)]]
        counts = np.searchsorted(times, pseudo, side="left")
        keep = counts >= 2
        hh_rows.append(np.full(int(keep.sum()), household))
        cut_rows.append(pseudo[keep])
    return np.concatenate(hh_rows), np.concatenate(cut_rows)


def random_basket_mask(mask: torch.Tensor, prob: float, generator: torch.Generator) -> torch.Tensor:
    """Hide each present basket with probability `prob`, at least one per sequence."""
    draw = torch.rand(mask.shape, generator=generator) < prob
    masked = draw & mask.bool()
    lengths = mask.sum(1)
    forced = (torch.rand(len(mask), generator=generator) * lengths).long().clamp(min=0)
    none = ~masked.any(1) & (lengths > 0)
    masked[none, forced[none]] = True
    return masked


@torch.no_grad()
def estimate_loss(
    loss_fn: Callable[[TensorSet], torch.Tensor], data: TensorSet, batch_size: int = 256
) -> float:
    """Mean loss over `data` in eval mode (dropout off); the model is put back in train mode."""
    total, count = 0.0, 0
    for batch in data.batches(batch_size):
        total += float(loss_fn(batch)) * len(batch)
        count += len(batch)
    return total / max(count, 1)


def pretrain_encoder(
    history: History,
    table: BasketTable,
    cutoff: float,
    config: TrainConfig,
    seed: int,
    progress: Progress = no_progress,
) -> tuple[BasketBertForMaskedBaskets, dict[str, Any]]:
    """Masked basket prediction on baskets strictly before `cutoff` only.

    Returns the model and its stats: train/validation loss and the validation loss of the
    category-frequency predictor (a model that learned nothing from context scores that).
    """
    torch.manual_seed(seed)
    cfg = config.pretrain
    rng = np.random.default_rng(seed)
    households = history.households
    held_out = rng.random(len(households)) < cfg.validation_share
    rows = {
        name: pretraining_rows(table, households[pick], cutoff, cfg.cutoff_step_days)
        for name, pick in (("train", ~held_out), ("valid", held_out))
    }
    sets = {}
    for name, (hh, cut) in rows.items():
        tokens, numeric, mask = sequence_tensors(table, hh, cut, config.encoder.max_baskets)
        targets = (next_basket_targets(table, hh, cut, cfg.next_basket_days, cutoff)
                   if cfg.next_basket_days > 0 else torch.zeros(0))
        sets[name] = TensorSet(tokens, numeric, mask, torch.zeros(0), torch.zeros(0),
                               targets, ())
    model = BasketBertForMaskedBaskets(bert_config(history, config))
    with torch.no_grad():
        model.decoder_bias.copy_(_category_log_odds(sets["train"], model.decoder_bias.numel()))
        if cfg.next_basket_days > 0:
            usable = sets["train"].targets[:, 0] > 0
            rate = sets["train"].targets[usable].mean(0).clamp(1e-5, 1 - 1e-5)
            model.next_bias.copy_(torch.log(rate / (1 - rate)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(sets["train"]) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    generator = torch.Generator().manual_seed(seed)
    mask_generator = torch.Generator().manual_seed(seed + 1)

    def loss_of(batch: TensorSet) -> torch.Tensor:
        masked = random_basket_mask(batch.mask, cfg.mask_prob, mask_generator)
        return model(batch.tokens, batch.numeric, batch.mask, masked,
                     batch.targets if batch.targets.numel() else None, cfg.next_basket_weight)

    def masked_loss_of(batch: TensorSet) -> torch.Tensor:
        masked = random_basket_mask(batch.mask, cfg.mask_prob, mask_generator)
        return model(batch.tokens, batch.numeric, batch.mask, masked)

    it = 0
    model.train()
    for _ in range(cfg.epochs):
        for batch in sets["train"].batches(cfg.batch_size, generator):
            for group in optimizer.param_groups:
                group["lr"] = get_lr(it, max_lr=cfg.learning_rate, warmup=cfg.warmup_steps,
                                     total=total)
            loss = loss_of(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            it += 1
            progress("pretrain", it, total)
    model.eval()
    mask_generator.manual_seed(seed + 2)
    stats = {
        "rows_train": len(sets["train"]),
        "rows_valid": len(sets["valid"]),
        "steps": total,
        "train_loss": estimate_loss(masked_loss_of, sets["train"].subset(torch.arange(
            min(2000, len(sets["train"]))))),
        "valid_loss": estimate_loss(masked_loss_of, sets["valid"]),
        **_reference_losses(sets, cfg.mask_prob, seed + 2),
        "cutoff_days": cutoff,
    }
    return model, stats


def next_basket_targets(
    table: BasketTable, households: np.ndarray, cutoffs: np.ndarray, days: int, limit: float
) -> torch.Tensor:
    """(n, C+1) multi-hot of the categories each household bought in [cutoff, cutoff+days).

    Column 0 flags usable rows: windows that would reach `limit` (the real cutoff of this
    pretraining run) are marked unusable and never read, so no basket at/after `limit` is used.
    """
    out = np.zeros((len(households), table.n_categories + 1), dtype=np.float32)
    for i, (household, start) in enumerate(zip(households, cutoffs, strict=True)):
        if start + days > limit:
            continue
        first = table.household_start.get(int(household))
        if first is None:
            continue
        times = table.t[first : table.household_end[int(household)]]
        lo = first + int(np.searchsorted(times, start, side="left"))
        hi = first + int(np.searchsorted(times, start + days, side="left"))
        out[i, 0] = 1.0
        tokens = table.category_tokens[lo:hi].ravel()
        out[i, tokens[tokens > 0]] = 1.0
    return torch.from_numpy(out)


def _category_log_odds(data: TensorSet, n_tokens: int) -> torch.Tensor:
    """Log-odds of each category appearing in a basket (token 0, padding, gets a low value)."""
    present = data.mask.bool()
    counts = torch.zeros(n_tokens)
    tokens = data.tokens[present].flatten()
    counts.scatter_add_(0, tokens, torch.ones(tokens.numel()))
    freq = (counts / present.sum().clamp(min=1)).clamp(1e-5, 1 - 1e-5)
    freq[0] = 1e-5
    return torch.log(freq / (1 - freq))


def _reference_losses(sets: dict[str, TensorSet], prob: float, seed: int) -> dict[str, float]:
    """Validation losses of two non-learned predictors of the masked baskets, same masks.

    category_frequency: every basket gets the training category frequencies.
    household_repertoire: the household's own visible baskets' category frequencies, shrunk
    towards the training frequencies (10 pseudo-baskets) - what a model that only learned
    "people rebuy what they bought" would reach.
    """
    train, valid = sets["train"], sets["valid"]
    n_cat = int(max(train.tokens.max(), valid.tokens.max())) + 1
    freq = _category_log_odds(train, n_cat).sigmoid()
    generator = torch.Generator().manual_seed(seed)
    masked = random_basket_mask(valid.mask, prob, generator)
    hot = torch.zeros(*valid.tokens.shape[:2], n_cat)
    hot.scatter_(2, valid.tokens, 1.0)
    hot[..., 0] = 0.0
    visible = valid.mask.bool() & ~masked
    seen = (hot * visible[..., None]).sum(1)
    repertoire = (seen + 10.0 * freq) / (visible.sum(1, keepdim=True) + 10.0)
    target = hot[masked]

    def loss(p: torch.Tensor) -> float:
        p = p.clamp(1e-5, 1 - 1e-5)
        values = nn.functional.binary_cross_entropy(p[:, 1:], target[:, 1:], reduction="none")
        return float(values.sum(1).mean())

    return {
        "valid_loss_category_frequency": loss(freq.expand_as(target)),
        "valid_loss_household_repertoire": loss(repertoire[:, None, :].expand_as(hot)[masked]),
    }


# ----------------------------------------------------------------------------- fine-tuning


def _optimizer(model: nn.Module, cfg: FinetuneConfig) -> torch.optim.Optimizer:
    wide = cfg.wide_c > 0
    encoder = [p for n, p in model.named_parameters() if n.startswith("encoder.")]
    linear = [p for n, p in model.named_parameters() if wide and n.startswith("linear.")]
    head = [p for n, p in model.named_parameters()
            if not n.startswith("encoder.") and not (wide and n.startswith("linear."))]
    if cfg.encoder_lr_scale == 0:
        for p in encoder:
            p.requires_grad_(False)
    if wide and cfg.wide_lr_scale == 0:
        for p in linear:
            p.requires_grad_(False)
    groups = [{"params": head, "lr_scale": 1.0}]
    if cfg.encoder_lr_scale > 0:
        groups.append({"params": encoder, "lr_scale": cfg.encoder_lr_scale})
    if wide and cfg.wide_lr_scale > 0:
        # no weight decay on the warm-started wide path: it would pull it away from the
        # regularised logistic solution it starts at
        groups.append({"params": linear, "lr_scale": cfg.wide_lr_scale, "weight_decay": 0.0})
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)


def warm_start_wide(
    model: AcceptanceTransformer, tab: torch.Tensor, y: np.ndarray, c: float
) -> None:
    """Set the model's linear path to a logistic regression on its normalised tabular inputs
    and zero the deep head's last layer, so the model starts as that logistic regression."""
    from sklearn.linear_model import LogisticRegression

    with torch.no_grad():
        x = model.tabular(tab).numpy().astype(np.float64)
        fitted = LogisticRegression(C=c, max_iter=5000).fit(x, y)
        model.linear.weight.copy_(torch.from_numpy(fitted.coef_).float())
        model.linear.bias.copy_(torch.from_numpy(fitted.intercept_).float())
        last = model.mlp[-1]
        if not isinstance(last, nn.Linear):
            raise TypeError(f"the acceptance head must end in nn.Linear, not {type(last).__name__}")
        last.weight.mul_(0.0)
        last.bias.zero_()


def _fit(
    model: nn.Module,
    data: TensorSet,
    cfg: FinetuneConfig,
    loss_fn: Callable[[TensorSet], torch.Tensor],
    seed: int,
    stage: str,
    progress: Progress,
) -> list[float]:
    """The shared fine-tuning loop; returns the mean training loss of each epoch."""
    optimizer = _optimizer(model, cfg)
    total = math.ceil(len(data) / cfg.batch_size) * cfg.epochs
    generator = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    it = 0
    model.train()
    for _ in range(cfg.epochs):
        running, seen = 0.0, 0
        for batch in data.batches(cfg.batch_size, generator):
            lr = get_lr(it, max_lr=cfg.learning_rate, warmup=cfg.warmup_steps, total=total)
            for group in optimizer.param_groups:
                group["lr"] = lr * group["lr_scale"]
            loss = loss_fn(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            running += float(loss.detach()) * len(batch)
            seen += len(batch)
            it += 1
            progress(stage, it, total)
        losses.append(running / max(seen, 1))
    model.eval()
    return losses


def finetune_acceptance(
    history: History,
    encoder_state: dict[str, torch.Tensor],
    train: TensorSet,
    config: TrainConfig,
    seed: int,
    progress: Progress = no_progress,
) -> tuple[AcceptanceTransformer, list[float]]:
    """Acceptance head (and, at a lower rate, the pretrained encoder) on labelled receipts."""
    torch.manual_seed(seed)
    cfg = config.acceptance
    model = AcceptanceTransformer(bert_config(
        history, config, n_tab_features=train.tab.shape[1], tab_feature_names=list(train.tab_names),
        head_hidden=cfg.head_hidden, head_dropout=cfg.head_dropout, targets=["redeemed"],
    ))
    model.encoder.load_state_dict(encoder_state)
    model.tabular.fit(train.tab)
    if cfg.wide_c > 0:
        warm_start_wide(model, train.tab, train.targets[:, 0].numpy(), cfg.wide_c)

    def loss_fn(batch: TensorSet) -> torch.Tensor:
        logits = model(batch.tokens, batch.numeric, batch.mask, batch.tab, batch.offer_weights)
        return nn.functional.binary_cross_entropy_with_logits(logits, batch.targets[:, 0])

    losses = _fit(model, train, cfg, loss_fn, seed, "acceptance", progress)
    return model, losses


def behaviour_loss(
    outputs: torch.Tensor, targets: torch.Tensor, spend_weight: float = 1.0
) -> torch.Tensor:
    """BCE on the purchase flags + squared error on scaled spend and next-visit days."""
    binary = nn.functional.binary_cross_entropy_with_logits(
        outputs[:, :N_BINARY_BEHAVIOUR], targets[:, :N_BINARY_BEHAVIOUR]
    )
    spend = nn.functional.mse_loss(outputs[:, -2], targets[:, -2] / SPEND_SCALE)
    visit = nn.functional.mse_loss(outputs[:, -1], targets[:, -1] / VISIT_SCALE)
    return binary + spend_weight * spend + visit


def finetune_behaviour(
    history: History,
    encoder_state: dict[str, torch.Tensor],
    train: TensorSet,
    config: TrainConfig,
    seed: int,
    progress: Progress = no_progress,
) -> tuple[BehaviourTransformer, list[float]]:
    """All behaviour heads at once on (household, cutoff) rows."""
    torch.manual_seed(seed)
    cfg = config.behaviour
    model = BehaviourTransformer(bert_config(
        history, config, n_tab_features=train.tab.shape[1], tab_feature_names=list(train.tab_names),
        head_hidden=cfg.head_hidden, head_dropout=cfg.head_dropout,
        targets=list(BEHAVIOUR_TARGETS),
    ))
    model.encoder.load_state_dict(encoder_state)
    model.tabular.fit(train.tab)

    def loss_fn(batch: TensorSet) -> torch.Tensor:
        return behaviour_loss(model(batch.tokens, batch.numeric, batch.mask, batch.tab),
                              batch.targets, cfg.spend_loss_weight)

    losses = _fit(model, train, cfg, loss_fn, seed, "behaviour", progress)
    return model, losses
