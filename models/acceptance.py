"""The acceptance transformer: P(redeem | household basket history, offer), with tabular fusion.

The household side (basket-BERT vector) depends only on the household and the day, so it is
computed once per household and reused for every offer; the offer side is the weighted mean of
the category embeddings it covers plus the overlap/offer features. That split is what lets one
model score tens of thousands of household-offer pairs per second on two cores.
"""

from __future__ import annotations

import numpy as np
import torch
from coupondesk.models.datasets import PREDICT_BATCH_SIZE, TensorSet
from coupondesk.models.encoder import (
    BasketBertConfig,
    BasketEncoder,
    BasketPreTrainedModel,
    TabularNormaliser,
)
from torch import nn


class AcceptanceTransformer(BasketPreTrainedModel):
    """Basket-BERT household vector x offer category vector x tabular features -> one logit."""

    def __init__(self, config: BasketBertConfig) -> None:
        super().__init__(config)
        hidden = config.hidden_size
        width = config.head_hidden
        self.encoder = BasketEncoder(config)
        self.tabular = TabularNormaliser(config.n_tab_features)
        self.household = nn.Sequential(nn.Linear(2 * hidden, width), nn.GELU())
        self.offer = nn.Linear(hidden, width)
        self.tab = nn.Sequential(nn.Linear(config.n_tab_features, width), nn.GELU())
        self.mlp = nn.Sequential(
            nn.Dropout(config.head_dropout),
            nn.Linear(4 * width, width),
            nn.GELU(),
            nn.Dropout(config.head_dropout),
            nn.Linear(width, 1),
        )
        self.linear = nn.Linear(config.n_tab_features, 1)
        self.post_init()

    def household_vectors(
        self, tokens: torch.Tensor, numeric: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """The per-household part: compute once per household and day, reuse across offers."""
        return self.encoder.household_vector(tokens, numeric, mask)

    def head(
        self, household: torch.Tensor, tab: torch.Tensor, offer_weights: torch.Tensor
    ) -> torch.Tensor:
        """Logit from household vectors (B, 2H), raw tabular rows (B, F), category weights
        (B, C+1)."""
        table = self.encoder.category.weight
        offer = offer_weights @ table / offer_weights.sum(1, keepdim=True).clamp(min=1e-6)
        h = self.household(household)
        o = self.offer(offer)
        x = self.tabular(tab)
        fused = torch.cat([h, o, h * o, self.tab(x)], dim=-1)
        return (self.mlp(fused) + self.linear(x)).squeeze(-1)

    def forward(
        self,
        tokens: torch.Tensor,
        numeric: torch.Tensor,
        mask: torch.Tensor,
        tab: torch.Tensor,
        offer_weights: torch.Tensor,
    ) -> torch.Tensor:
        """Logit of each (household sequence, offer) row."""
        return self.head(self.household_vectors(tokens, numeric, mask), tab, offer_weights)


@torch.no_grad()
def predict_acceptance(
    model: AcceptanceTransformer, data: TensorSet, batch_size: int = PREDICT_BATCH_SIZE
) -> np.ndarray:
    """Raw (uncalibrated) acceptance probabilities of every row."""
    model.eval()
    out = [torch.sigmoid(model(b.tokens, b.numeric, b.mask, b.tab, b.offer_weights))
           for b in data.batches(batch_size)]
    return torch.cat(out).numpy().astype(np.float64)
