"""The household basket encoder: a small BERT (transformers' BertModel) over basket tokens.

A basket token is the normalised sum of its category embeddings plus projections of its
numeric facts; the sequence is [CLS, newest basket, ..., oldest basket]. Self-supervised
pretraining hides whole baskets (their contents, not their timing) and predicts which
categories they held: masked basket prediction. The same encoder, with its weights, is then
fine-tuned inside the acceptance and behaviour models.
"""

from __future__ import annotations

from typing import Any

import torch
from coupondesk.models.sequences import BASKET_NUMERIC, MAX_BASKET_CATEGORIES, N_NUMERIC
from torch import nn
from transformers import BertConfig, BertModel, PreTrainedModel

N_CONTENT_NUMERIC = 5
"""The first numeric inputs describe the basket's contents (hidden when a basket is masked);
the rest (gap, weekday, age) describe its timing and stay visible."""


class BasketBertConfig(BertConfig):
    """BertConfig plus what the basket encoder and the task heads need to be rebuilt."""

    model_type = "coupondesk-basket-bert"

    def __init__(
        self,
        n_categories: int = 304,
        n_numeric: int = N_NUMERIC,
        max_baskets: int = 64,
        n_tab_features: int = 0,
        tab_feature_names: list[str] | None = None,
        head_hidden: int = 64,
        head_dropout: float = 0.2,
        targets: list[str] | None = None,
        category_names: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("vocab_size", 2)  # unused: inputs are basket embeddings
        kwargs.setdefault("max_position_embeddings", max_baskets + 2)
        kwargs.setdefault("type_vocab_size", 1)
        super().__init__(**kwargs)
        self.n_categories = n_categories
        self.n_numeric = n_numeric
        self.max_baskets = max_baskets
        self.max_basket_categories = MAX_BASKET_CATEGORIES
        self.basket_numeric = list(BASKET_NUMERIC) + ["log_age"]
        self.n_tab_features = n_tab_features
        self.tab_feature_names = list(tab_feature_names or [])
        self.head_hidden = head_hidden
        self.head_dropout = head_dropout
        self.targets = list(targets or [])
        self.category_names = list(category_names or [])


class BasketEncoder(nn.Module):
    """Basket tokens -> BertModel -> household vector (CLS state and masked mean, 2*hidden)."""

    def __init__(self, config: BasketBertConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.category = nn.Embedding(config.n_categories + 1, hidden, padding_idx=0)
        self.content = nn.Linear(N_CONTENT_NUMERIC, hidden)
        self.timing = nn.Linear(config.n_numeric - N_CONTENT_NUMERIC, hidden)
        self.mask_vector = nn.Parameter(torch.zeros(hidden))
        self.cls_vector = nn.Parameter(torch.zeros(hidden))
        self.bert = BertModel(config, add_pooling_layer=False)

    def forward(
        self,
        tokens: torch.Tensor,
        numeric: torch.Tensor,
        mask: torch.Tensor,
        masked: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Hidden states (B, 1+L, H); `masked` (B, L) bool hides those baskets' contents."""
        count = (tokens > 0).sum(-1, keepdim=True).clamp(min=1).float()
        content = self.category(tokens).sum(2) / count.sqrt()
        content = content + self.content(numeric[..., :N_CONTENT_NUMERIC])
        if masked is not None:
            content = torch.where(masked[..., None], self.mask_vector.expand_as(content), content)
        baskets = content + self.timing(numeric[..., N_CONTENT_NUMERIC:])
        cls = self.cls_vector.expand(tokens.shape[0], 1, -1)
        embeds = torch.cat([cls, baskets], dim=1)
        attention = torch.cat([torch.ones_like(mask[:, :1]), mask], dim=1)
        return self.bert(inputs_embeds=embeds, attention_mask=attention).last_hidden_state

    def pool(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Household vector: the CLS state and the mean over present baskets."""
        weights = mask.float()[..., None]
        mean = (states[:, 1:] * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return torch.cat([states[:, 0], mean], dim=-1)

    def household_vector(
        self, tokens: torch.Tensor, numeric: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """(B, 2H) vector of each household's sequence."""
        return self.pool(self.forward(tokens, numeric, mask), mask)


class BasketPreTrainedModel(PreTrainedModel):
    """Shared weight init and config class of every basket-BERT model."""

    config_class = BasketBertConfig
    base_model_prefix = "encoder"

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(0.0, std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(0.0, std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()


class BasketBertForMaskedBaskets(BasketPreTrainedModel):
    """Pretraining: predict the categories of hidden baskets from the rest of the sequence.

    The decoder is tied to the category embeddings (logit of category c = state . E[c] + b[c]),
    so attending to context baskets that held c directly raises c: the household's own
    repertoire is the easiest thing to learn first. `decoder_bias` starts at the categories'
    log-odds, so training starts from the frequency predictor and must improve on it.
    """

    def __init__(self, config: BasketBertConfig) -> None:
        super().__init__(config)
        self.encoder = BasketEncoder(config)
        self.transform = nn.Sequential(
            nn.Linear(config.hidden_size, config.hidden_size),
            nn.GELU(),
            nn.LayerNorm(config.hidden_size),
        )
        self.decoder_bias = nn.Parameter(torch.zeros(config.n_categories + 1))
        self.next_transform = nn.Sequential(
            nn.Linear(2 * config.hidden_size, config.hidden_size),
            nn.GELU(),
            nn.LayerNorm(config.hidden_size),
        )
        self.next_bias = nn.Parameter(torch.zeros(config.n_categories + 1))
        self.post_init()

    def forward(
        self,
        tokens: torch.Tensor,
        numeric: torch.Tensor,
        mask: torch.Tensor,
        masked: torch.Tensor,
        next_target: torch.Tensor | None = None,
        next_weight: float = 1.0,
    ) -> torch.Tensor:
        """Mean BCE (summed over categories) of the masked baskets' multi-hot categories.

        With `next_target` (B, C+1): plus `next_weight` x the BCE of the categories bought in
        the window after the sequence's cutoff, predicted from the pooled household vector;
        column 0 of `next_target` flags rows whose window is usable (1) or not (0).
        """
        full = self.encoder(tokens, numeric, mask, masked)
        states = full[:, 1:]
        hidden = self.transform(states[masked])
        logits = hidden @ self.encoder.category.weight.T + self.decoder_bias
        target = torch.zeros_like(logits)
        target.scatter_(1, tokens[masked], 1.0)
        loss = nn.functional.binary_cross_entropy_with_logits(
            logits[:, 1:], target[:, 1:], reduction="none"
        )
        total = loss.sum(1).mean()
        if next_target is not None and next_target.numel():
            usable = next_target[:, 0] > 0
            if usable.any():
                pooled = self.encoder.pool(full, mask)[usable]
                next_logits = (self.next_transform(pooled) @ self.encoder.category.weight.T
                               + self.next_bias)
                next_loss = nn.functional.binary_cross_entropy_with_logits(
                    next_logits[:, 1:], next_target[usable, 1:], reduction="none")
                total = total + next_weight * next_loss.sum(1).mean()
        return total


class TabularNormaliser(nn.Module):
    """Signed log1p then standardise with train-set statistics kept as buffers (saved)."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    def fit(self, raw: torch.Tensor) -> None:
        """Set the statistics from training rows (NaN ignored)."""
        logged = torch.sign(raw) * torch.log1p(raw.abs())
        finite = torch.isfinite(logged)
        filled = torch.where(finite, logged, torch.zeros_like(logged))
        count = finite.sum(0).clamp(min=1)
        mean = filled.sum(0) / count
        var = (torch.where(finite, logged - mean, torch.zeros_like(logged)) ** 2).sum(0) / count
        self.mean.copy_(mean)
        self.std.copy_(var.sqrt().clamp(min=1e-3))

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        logged = torch.sign(raw) * torch.log1p(raw.abs())
        scaled = (logged - self.mean) / self.std
        return torch.nan_to_num(scaled, nan=0.0, posinf=0.0, neginf=0.0).clamp(-6.0, 6.0)
