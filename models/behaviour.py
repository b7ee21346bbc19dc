"""The behaviour transformer: purchase timing, spend and department heads on basket-BERT.

One multi-task head over the household vector and the household's tabular features predicts
P(buy in 7/14/28 days), P(buy in each top department in 28 days) (logits), spend in the next
28 days (in units of SPEND_SCALE dollars) and days to the next visit (capped, in days / 28).
"""

from __future__ import annotations

import torch
from coupondesk.models.encoder import (
    BasketBertConfig,
    BasketEncoder,
    BasketPreTrainedModel,
    TabularNormaliser,
)
from torch import nn

SPEND_SCALE = 100.0
"""Spend targets are divided by this for training (dollars = output * SPEND_SCALE)."""


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
