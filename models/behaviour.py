"""The behaviour transformer: purchase timing, spend and department heads on basket-BERT.

One multi-task head over the household vector and the household's tabular features predicts
P(buy in 7/14/28 days), P(buy in each top department in 28 days) (logits), spend in the next
28 days (in units of SPEND_SCALE dollars) and days to the next visit (capped, in days / 28).
"""

from __future__ import annotations

import numpy as np
import torch
from coupondesk.models.datasets import BEHAVIOUR_TARGETS, PREDICT_BATCH_SIZE, TensorSet
from coupondesk.models.encoder import (
    BasketBertConfig,
    BasketEncoder,
    BasketPreTrainedModel,
    TabularNormaliser,
)
from coupondesk.models.tasks import NEXT_VISIT_CAP
from torch import nn

SPEND_SCALE = 100.0
"""Spend targets are divided by this for training (dollars = output * SPEND_SCALE)."""
N_BINARY_BEHAVIOUR = len(BEHAVIOUR_TARGETS) - 2
"""buy_* and dept_* targets come first (logits); spend_28d and next_visit_days are last."""
BINARY_BEHAVIOUR_TARGETS: tuple[str, ...] = BEHAVIOUR_TARGETS[:N_BINARY_BEHAVIOUR]
"""The targets the behaviour model predicts as probabilities."""
VISIT_SCALE = float(NEXT_VISIT_CAP)
"""Days to the next visit are divided by their cap for training (outputs are capped at it)."""


class BehaviourTransformer(BasketPreTrainedModel):
    """Basket-BERT household vector + tabular features -> one output per target in config.targets.

    Targets named buy_*/dept_* are logits; spend_28d and next_visit_days are regressions.
    """

    def __init__(self, config: BasketBertConfig) -> None:
        super().__init__(config)
        hidden = config.hidden_size
        width = config.head_hidden
        self.encoder = BasketEncoder(config)
        self.tabular = TabularNormaliser(config.n_tab_features)
        self.household = nn.Sequential(nn.Linear(2 * hidden, width), nn.GELU())
        self.tab = nn.Sequential(nn.Linear(config.n_tab_features, width), nn.GELU())
        self.mlp = nn.Sequential(
            nn.Dropout(config.head_dropout),
            nn.Linear(2 * width, width),
            nn.GELU(),
            nn.Dropout(config.head_dropout),
            nn.Linear(width, len(config.targets)),
        )
        self.linear = nn.Linear(config.n_tab_features, len(config.targets))
        self.post_init()

    def household_vectors(
        self, tokens: torch.Tensor, numeric: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """The sequence part of the model (B, 2H)."""
        return self.encoder.household_vector(tokens, numeric, mask)

    def head(self, household: torch.Tensor, tab: torch.Tensor) -> torch.Tensor:
        """(B, n_targets) raw outputs from household vectors and raw tabular rows."""
        x = self.tabular(tab)
        fused = torch.cat([self.household(household), self.tab(x)], dim=-1)
        return self.mlp(fused) + self.linear(x)

    def forward(
        self, tokens: torch.Tensor, numeric: torch.Tensor, mask: torch.Tensor, tab: torch.Tensor
    ) -> torch.Tensor:
        """(B, n_targets) raw outputs of each (household sequence) row."""
        return self.head(self.household_vectors(tokens, numeric, mask), tab)


def behaviour_outputs(raw: np.ndarray) -> dict[str, np.ndarray]:
    """Map raw model outputs to named predictions in natural units."""
    out: dict[str, np.ndarray] = {}
    for i, name in enumerate(BINARY_BEHAVIOUR_TARGETS):
        out[name] = 1.0 / (1.0 + np.exp(-raw[:, i]))
    out["spend_28d"] = np.clip(raw[:, -2] * SPEND_SCALE, 0.0, None)
    out["next_visit_days"] = np.clip(raw[:, -1] * VISIT_SCALE, 0.0, VISIT_SCALE)
    return out


@torch.no_grad()
def predict_behaviour(
    model: BehaviourTransformer, data: TensorSet, batch_size: int = PREDICT_BATCH_SIZE
) -> dict[str, np.ndarray]:
    """Behaviour predictions in natural units: probabilities, dollars and days."""
    model.eval()
    raw = torch.cat([model(b.tokens, b.numeric, b.mask, b.tab)
                     for b in data.batches(batch_size)]).numpy().astype(np.float64)
    return behaviour_outputs(raw)
