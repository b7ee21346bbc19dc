"""What drove the serving acceptance model's score, per household, by feature group.

The reasons an operator reads next to each recipient must be the model's, not a second set of
hand-weighted rules, so they are computed from the model that produced the score:
- logistic: coefficient x standardised feature (exactly the terms of its logit);
- LightGBM: SHAP values from the booster (`pred_contrib=True`), also on the logit scale;
- transformer: occlusion per group: the logit minus the logit with that group's tabular
  features set to their median over the households scored together (the audience; and, for
  the basket-sequence group, the household vector replaced by their mean vector).
Contributions are summed over the features of a group, so they read as "coupon history
+0.8, buying the offer's scope +0.4" on the logit scale (before calibration).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

if TYPE_CHECKING:
    from coupondesk.models.features import OfferScope
    from coupondesk.models.serving import AcceptanceModel, ScoringContext

SEQUENCE_GROUP = "baskets"
"""The transformer's household vector (its basket history), occluded as one group."""

_GROUP_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("scope", ("scope_", "overlap_", "offer_share", "offer_overlap")),
    ("offer", ("offer_",)),
    ("redemptions", ("redemption", "redeem", "coupons_redeemed")),
    ("campaigns", ("campaigns_", "ended_", "same_type_ended", "received")),
    ("coupon_use", ("coupon_", "days_since_coupon")),
    ("demographics", ("demo_", "has_demographics")),
    ("visits", ("n_baskets", "recency", "tenure", "visit", "gap_", "active_weeks", "days_")),
    ("spend", ("spend", "basket", "disc_share", "private_label", "n_products", "n_categories")),
)


def feature_group(name: str) -> str:
    """The group a tabular feature belongs to (first matching rule; "other" when none)."""
    for group, needles in _GROUP_RULES:
        if any(needle in name for needle in needles):
            return group
    return "other"


@dataclass(frozen=True)
class Contributions:
    """Per household (rows, in context order) and group (columns): logit contributions."""

    groups: list[str]
    values: np.ndarray
    method: str
    """"coefficient x standardised feature", "pred_contrib" or "occlusion"."""

    def of(self, row: int) -> dict[str, float]:
        """One household's contribution per group."""
        return {g: float(v) for g, v in zip(self.groups, self.values[row], strict=True)}


def _grouped(names: list[str], per_feature: np.ndarray, method: str) -> Contributions:
    groups = sorted({feature_group(n) for n in names})
    columns = np.zeros((per_feature.shape[0], len(groups)))
    for j, name in enumerate(names):
        columns[:, groups.index(feature_group(name))] += per_feature[:, j]
    return Contributions(groups, columns, method)


@torch.no_grad()
def acceptance_contributions(
    model: AcceptanceModel, context: ScoringContext, scope: OfferScope, features: pd.DataFrame
) -> Contributions:
    """Contributions of each feature group to every context household's logit."""
    from coupondesk.models.features import category_weights

    vectors = context.household_vectors(model.name, model.model) if model.kind not in (
        "logistic", "lightgbm") else None
    return row_contributions(model, features, vectors, category_weights(context.history, scope))


@torch.no_grad()
def row_contributions(
    model: AcceptanceModel, features: pd.DataFrame, vectors: torch.Tensor | None,
    weights: np.ndarray,
) -> Contributions:
    """Contributions of each feature group to the logit of each row (`features`, with the
    rows' household vectors and the offer's category weights for the transformer).

    Logistic and LightGBM terms are each row's own; the transformer's occlusion reference
    (median features, mean household vector) is taken over the rows given, so a caller that
    scores an audience in chunks passes the whole audience's rows here.
    """
    names = list(model.feature_names)
    table = features[names]
    if model.kind == "logistic":
        from coupondesk.models.baselines import LogisticBaseline

        baseline: LogisticBaseline = model.model
        return _grouped(names, baseline.contributions(table), "coefficient x standardised feature")
    if model.kind == "lightgbm":
        booster = model.model
        order = booster.feature_name()
        shap = np.asarray(booster.predict(features[order].to_numpy(np.float32),
                                          pred_contrib=True, num_threads=2), dtype=np.float64)
        return _grouped(order, shap[:, :-1], "pred_contrib")
    assert vectors is not None, "the transformer needs the household vectors"
    return _occlusion(model, vectors, table, weights)


def _occlusion(
    model: AcceptanceModel, vectors: torch.Tensor, table: pd.DataFrame, category: np.ndarray
) -> Contributions:
    head = model.model
    weights = torch.from_numpy(np.r_[0.0, category].astype(np.float32)).expand(len(table), -1)
    tab = torch.from_numpy(table.to_numpy(np.float32))
    full = head.head(vectors, tab, weights)
    medians = torch.nanmedian(tab, dim=0).values
    names = list(table.columns)
    groups = sorted({feature_group(n) for n in names})
    values = np.zeros((len(table), len(groups) + 1))
    for k, group in enumerate(groups):
        index = [j for j, n in enumerate(names) if feature_group(n) == group]
        occluded = tab.clone()
        occluded[:, index] = medians[index]
        values[:, k] = (full - head.head(vectors, occluded, weights)).numpy()
    mean_vector = vectors.mean(0, keepdim=True).expand_as(vectors)
    values[:, -1] = (full - head.head(mean_vector, tab, weights)).numpy()
    return Contributions([*groups, SEQUENCE_GROUP], values, "occlusion")
