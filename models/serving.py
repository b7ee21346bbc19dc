"""Serving-side models: load once, score every household for any offer on one day, fast.

A ScoringContext holds everything about the households on the scoring day (tabular history,
purchase matrices, cached transformer household vectors), so each extra offer costs a few
sparse products and one small MLP pass. Probabilities returned here are calibrated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import torch
from coupondesk.models.acceptance import AcceptanceTransformer
from coupondesk.models.baselines import predict_lightgbm
from coupondesk.models.behaviour import VISIT_SCALE, BehaviourTransformer, behaviour_outputs
from coupondesk.models.calibration import Calibrator
from coupondesk.models.datasets import BEHAVIOUR_TARGETS, PREDICT_BATCH_SIZE, sequence_tensors
from coupondesk.models.features import (
    OfferScope,
    PurchaseMatrices,
    add_department_features,
    category_weights,
    household_features,
    pair_features,
)
from coupondesk.models.history import History
from coupondesk.models.sequences import BasketTable


@dataclass
class ScoringContext:
    """The households' state on one scoring day (`as_of`, float days; only earlier rows read)."""

    history: History
    _table: BasketTable | None
    """The basket table (sequences), or None to build it from `history` on first use: only a
    transformer reads it, so a context scored by the tabular models never pays for it."""
    as_of: float
    households: np.ndarray
    household_table: pd.DataFrame
    matrices: PurchaseMatrices
    _behaviour_table: pd.DataFrame | None = None
    _vectors: dict[str, torch.Tensor] = field(default_factory=dict)
    _sequences: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    @classmethod
    def build(
        cls,
        history: History,
        table: BasketTable | None,
        as_of: float,
        households: np.ndarray | None = None,
    ) -> ScoringContext:
        """Features of `households` (default: every household with a basket) before `as_of`."""
        hh = np.unique(np.asarray(households if households is not None else history.households,
                                  dtype=np.int64))
        return cls(history, table, as_of, hh, household_features(history, as_of, hh),
                   PurchaseMatrices.build(history, as_of, hh))

    @property
    def table(self) -> BasketTable:
        """The households' basket table (built on first use when none was given)."""
        if self._table is None:
            self._table = BasketTable.from_history(self.history)
        return self._table

    @property
    def behaviour_table(self) -> pd.DataFrame:
        """Household features plus the per-department recency features of the behaviour model."""
        if self._behaviour_table is None:
            self._behaviour_table = add_department_features(
                self.history, self.as_of, self.household_table)
        return self._behaviour_table

    def sequences(self, max_len: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self._sequences is None or self._sequences[0].shape[1] != max_len:
            self._sequences = sequence_tensors(
                self.table, self.households, np.full(len(self.households), self.as_of), max_len)
        return self._sequences

    @torch.no_grad()
    def household_vectors(self, key: str, model: AcceptanceTransformer | BehaviourTransformer
                          ) -> torch.Tensor:
        """Each household's basket-BERT vector, computed once per model and cached."""
        if key not in self._vectors:
            tokens, numeric, mask = self.sequences(model.config.max_baskets)
            out = []
            for start in range(0, len(tokens), PREDICT_BATCH_SIZE):
                rows = slice(start, start + PREDICT_BATCH_SIZE)
                m = mask[rows]
                longest = max(int(m.sum(1).max()), 1)
                out.append(model.household_vectors(tokens[rows, :longest],
                                                   numeric[rows, :longest], m[:, :longest]))
            self._vectors[key] = torch.cat(out) if out else torch.zeros(0)
        return self._vectors[key]


@dataclass
class AcceptanceModel:
    """A loaded acceptance model (transformer, lightgbm or logistic) with its calibrator."""

    name: str
    kind: str
    calibrator: Calibrator
    feature_names: list[str]
    model: Any

    @torch.no_grad()
    def predict(
        self, context: ScoringContext, scope: OfferScope, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Calibrated P(redeem) of every context household for this offer.

        `features` (pair_features of the context households) may be passed when the caller
        already computed them for the same offer.
        """
        if features is None:
            features = pair_features(context.history, context.households, scope,
                                     context.household_table, context.matrices)
        vectors = (context.household_vectors(self.name, self.model)
                   if self.kind == "transformer" else None)
        return self.predict_rows(features, vectors, category_weights(context.history, scope))

    @torch.no_grad()
    def predict_rows(self, features: pd.DataFrame, vectors: torch.Tensor | None,
                     weights: np.ndarray) -> np.ndarray:
        """Calibrated P(redeem) of rows given their features (and, for the transformer, their
        household vectors and the offer's category weights), from any number of days' or
        chunks' households: nothing here depends on which other rows are present."""
        features = features[self.feature_names]
        if self.kind == "transformer":
            model: AcceptanceTransformer = self.model
            assert vectors is not None, "the transformer needs the household vectors"
            tab = torch.from_numpy(features.to_numpy(np.float32, copy=True))
            cat = torch.from_numpy(np.r_[0.0, weights].astype(np.float32))
            logits = model.head(vectors, tab, cat.expand(len(tab), -1))
            raw = torch.sigmoid(logits).numpy().astype(np.float64)
        elif self.kind == "lightgbm":
            raw = predict_lightgbm(self.model, features)
        else:
            raw = self.model.predict(features)
        return self.calibrator(raw)


@dataclass
class BehaviourModel:
    """A loaded behaviour model (transformer or lightgbm) with per-target calibrators."""

    name: str
    kind: str
    calibrators: dict[str, Calibrator]
    feature_names: list[str]
    model: Any

    @torch.no_grad()
    def predict(self, context: ScoringContext) -> dict[str, np.ndarray]:
        """Calibrated purchase probabilities, spend (dollars) and next-visit days per household."""
        vectors = (context.household_vectors(self.name, self.model)
                   if self.kind == "transformer" else None)
        return self.predict_rows(context.behaviour_table, vectors)

    @torch.no_grad()
    def predict_rows(self, features: pd.DataFrame, vectors: torch.Tensor | None
                     ) -> dict[str, np.ndarray]:
        """The same outputs for rows given their behaviour features (and household vectors
        for the transformer); each row's outputs depend on that row only."""
        features = features[self.feature_names]
        if self.kind == "transformer":
            model: BehaviourTransformer = self.model
            assert vectors is not None, "the transformer needs the household vectors"
            raw = model.head(vectors, torch.from_numpy(features.to_numpy(np.float32)))
            out = behaviour_outputs(raw.numpy().astype(np.float64))
        else:
            boosters: dict[str, lgb.Booster] = self.model
            out = {t: predict_lightgbm(boosters[t], features) for t in BEHAVIOUR_TARGETS}
            out["spend_28d"] = np.clip(out["spend_28d"], 0.0, None)
            out["next_visit_days"] = np.clip(out["next_visit_days"], 0.0, VISIT_SCALE)
        return {k: (self.calibrators[k](v) if k in self.calibrators else v)
                for k, v in out.items()}
