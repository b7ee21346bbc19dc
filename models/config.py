"""Training configuration: one frozen dataclass per stage, saved in the model card.

Defaults are the values chosen on the earlier time folds (acceptance: campaigns split at
2017-05-08; behaviour: cutoffs up to 2017-06-18 vs 07-16/08-13), never on the test split.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EncoderConfig:
    """Size of the basket BERT."""

    hidden_size: int = 64
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    intermediate_size: int = 128
    max_baskets: int = 32
    dropout: float = 0.1


@dataclass(frozen=True)
class PretrainConfig:
    """Masked basket prediction over sequences ending at pseudo-cutoffs before the split."""

    epochs: int = 4
    batch_size: int = 128
    learning_rate: float = 5e-3
    warmup_steps: int = 30
    mask_prob: float = 0.2
    cutoff_step_days: int = 42
    """Pseudo-cutoffs every this many days before the pretraining cutoff."""
    validation_share: float = 0.1
    """Share of households held out to measure the pretraining loss."""
    # Checked on the acceptance fold: 10 epochs lower the masked loss (24.58 vs 24.94) but not
    # the fine-tuned fold ROC-AUC (0.803 vs 0.805), so 4 epochs keep the time budget.


@dataclass(frozen=True)
class FinetuneConfig:
    """One task head fine-tuned with the pretrained encoder."""

    epochs: int = 6
    batch_size: int = 64
    learning_rate: float = 1e-3
    encoder_lr_scale: float = 0.3
    """Encoder learning rate = learning_rate * this (0 freezes the pretrained encoder)."""
    weight_decay: float = 0.01
    warmup_steps: int = 20
    head_hidden: int = 64
    head_dropout: float = 0.2
    spend_loss_weight: float = 1.0
    """Behaviour only: weight of the spend-28d squared error against the purchase BCE terms."""


@dataclass(frozen=True)
class LightGBMConfig:
    n_estimators: int = 300
    learning_rate: float = 0.02
    num_leaves: int = 7
    min_child_samples: int = 20
    subsample: float = 0.8
    colsample_bytree: float = 0.7


@dataclass(frozen=True)
class TrainConfig:
    """Everything `train_all` needs; `households` limits the data (tests use a few hundred)."""

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    acceptance: FinetuneConfig = field(
        default_factory=lambda: FinetuneConfig(epochs=3, weight_decay=0.1, head_dropout=0.4)
    )
    """Chosen on the acceptance fold (3 seeds, val ROC-AUC): 3 epochs 0.804-0.805 vs 6 epochs
    0.788; frozen encoder 0.783; lower learning rate 0.800."""
    behaviour: FinetuneConfig = field(
        default_factory=lambda: FinetuneConfig(epochs=4, batch_size=256, learning_rate=2e-3)
    )
    """Chosen on the behaviour fold (val buy-14d AUC / spend R^2): 5 fold epochs 0.848 / 0.681
    vs 3 epochs 0.847 / 0.662 vs 2 epochs 0.845 / 0.633; lr 1e-3 worse; spend loss x3 no
    better. 4 epochs here = ~6 fold epochs at matched steps."""
    acceptance_lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)
    behaviour_lightgbm: LightGBMConfig = field(
        default_factory=lambda: LightGBMConfig(n_estimators=200, learning_rate=0.05,
                                               num_leaves=15, min_child_samples=50)
    )
    logistic_c: float = 0.1
    seeds: tuple[int, ...] = (0, 1, 2)
    """Acceptance transformer seeds (the issue asks for the mean of >= 3); seeds[0] serves."""
    behaviour_seeds: tuple[int, ...] = (0,)
    """Behaviour transformer seeds: one by default, to keep full training within 10 minutes
    on two cores (each behaviour seed costs ~1.5 min there)."""
    match_fold_steps: bool = True
    """Train the fold transformer for as many optimiser steps as the final one, so that the
    calibration map fitted on the fold transfers (the fold has ~1/3 of the rows)."""
    threads: int = 2
    bootstrap_rounds: int = 1000

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def tiny_config() -> TrainConfig:
    """A config small enough for a CPU smoke test on a few hundred households."""
    return TrainConfig(
        encoder=EncoderConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                              intermediate_size=64, max_baskets=32),
        pretrain=PretrainConfig(epochs=8, batch_size=64, learning_rate=3e-3, warmup_steps=5,
                                cutoff_step_days=28),
        acceptance=FinetuneConfig(epochs=4, head_hidden=32),
        behaviour=FinetuneConfig(epochs=2, batch_size=128, head_hidden=32),
        acceptance_lightgbm=LightGBMConfig(n_estimators=100),
        behaviour_lightgbm=LightGBMConfig(n_estimators=100, num_leaves=15),
        seeds=(0,),
        behaviour_seeds=(0,),
        bootstrap_rounds=100,
    )
