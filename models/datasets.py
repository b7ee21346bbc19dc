"""Task rows turned into tensors: sequences, tabular features, offer weights and targets.

Everything here is derived from leak-safe builders (features.py, sequences.py); this module
only aligns and stacks them so that the training loops and the scorers see the same inputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
from coupondesk.models.features import (
    acceptance_features,
    behaviour_features,
    campaign_scope,
    category_weights,
)
from coupondesk.models.history import History
from coupondesk.models.sequences import BasketTable, build_sequences
from coupondesk.models.tasks import BEHAVIOUR_HORIZONS, TOP_DEPARTMENTS, dept_target

PREDICT_BATCH_SIZE = 512
"""Rows per forward pass when predicting (memory-bound; training batch sizes are in config)."""


@dataclass(frozen=True)
class TensorSet:
    """Model inputs of n rows; `offer_weights` is empty for behaviour, `targets` may be empty."""

    tokens: torch.Tensor
    numeric: torch.Tensor
    mask: torch.Tensor
    tab: torch.Tensor
    offer_weights: torch.Tensor
    targets: torch.Tensor
    tab_names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def subset(self, index: torch.Tensor | np.ndarray) -> TensorSet:
        """Rows at `index`, trimmed to the longest sequence among them (less padding work)."""
        index = torch.as_tensor(index, dtype=torch.long)
        mask = self.mask[index]
        longest = max(int(mask.sum(1).max().item()), 1) if len(index) else 1
        return replace(
            self,
            tokens=self.tokens[index, :longest],
            numeric=self.numeric[index, :longest],
            mask=mask[:, :longest],
            tab=_rows(self.tab, index),
            offer_weights=_rows(self.offer_weights, index),
            targets=_rows(self.targets, index),
        )

    def batches(
        self, batch_size: int, generator: torch.Generator | None = None
    ) -> Iterator[TensorSet]:
        """Shuffled (with a generator) or in-order mini-batches."""
        n = len(self)
        order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
        for start in range(0, n, batch_size):
            yield self.subset(order[start : start + batch_size])


def _rows(tensor: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Rows of an optional per-row tensor (an empty tensor stays empty)."""
    return tensor[index] if tensor.numel() else tensor


def sequence_tensors(
    table: BasketTable, households: np.ndarray, cutoffs: np.ndarray, max_len: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(tokens, numeric, mask) tensors of (household, cutoff) rows."""
    batch = build_sequences(table, households, cutoffs, max_len)
    return (
        torch.from_numpy(batch.category_tokens),
        torch.from_numpy(batch.numeric),
        torch.from_numpy(batch.mask),
    )


def acceptance_tensors(
    history: History, table: BasketTable, rows: pd.DataFrame, max_len: int
) -> tuple[TensorSet, pd.DataFrame]:
    """Tensors of acceptance rows and the tabular feature frame the baselines use."""
    features = acceptance_features(history, rows)
    tokens, numeric, mask = sequence_tensors(
        table, rows["household_id"].to_numpy(), rows["start"].to_numpy(), max_len
    )
    weights = {
        int(c): np.r_[0.0, category_weights(history, campaign_scope(history, int(c)))]
        for c in rows["campaign_id"].unique()
    }
    offer = np.stack([weights[int(c)] for c in rows["campaign_id"]]).astype(np.float32)
    tensors = TensorSet(
        tokens=tokens,
        numeric=numeric,
        mask=mask,
        tab=torch.from_numpy(features.to_numpy(np.float32)),
        offer_weights=torch.from_numpy(offer),
        targets=torch.from_numpy(rows["label"].to_numpy(np.float32))[:, None],
        tab_names=tuple(features.columns),
    )
    return tensors, features


BEHAVIOUR_TARGETS: tuple[str, ...] = (
    *(f"buy_{h}d" for h in BEHAVIOUR_HORIZONS),
    *(dept_target(name) for name in TOP_DEPARTMENTS),
    "spend_28d",
    "next_visit_days",
)
"""Outputs of the behaviour model, in order."""


def behaviour_tensors(
    history: History, table: BasketTable, rows: pd.DataFrame, max_len: int
) -> tuple[TensorSet, pd.DataFrame]:
    """Tensors of behaviour rows (targets in BEHAVIOUR_TARGETS order) and their feature frame."""
    features = behaviour_features(history, rows)
    tokens, numeric, mask = sequence_tensors(
        table, rows["household_id"].to_numpy(), rows["cutoff"].to_numpy(), max_len
    )
    present = [t for t in BEHAVIOUR_TARGETS if t in rows.columns]
    targets = (
        torch.from_numpy(rows[list(BEHAVIOUR_TARGETS)].to_numpy(np.float32))
        if len(present) == len(BEHAVIOUR_TARGETS)
        else torch.zeros(0)
    )
    tensors = TensorSet(
        tokens=tokens,
        numeric=numeric,
        mask=mask,
        tab=torch.from_numpy(features.to_numpy(np.float32)),
        offer_weights=torch.zeros(0),
        targets=targets,
        tab_names=tuple(features.columns),
    )
    return tensors, features
