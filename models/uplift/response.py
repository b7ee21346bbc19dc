"""The depth-response learner: P(buy in scope) and in-scope spend per household and coupon arm.

Shape (monotone and concave in depth by construction, Meituan 2406.05987's requirement):

    p(x, arm)  = p0(x) + (1 - p0(x)) * r(x, arm) * h_kind(depth)
    h_kind(d)  = j_kind + (1 - j_kind) * (1 - exp(-d / tau_kind)),  h(0) = 0
    p0(x)      = sigmoid(o(x) + w0 . x + b0)               buying without a coupon; o(x) is
                 logit of a baseline from history (behaviour model) when given, else 0
    r(x, arm)  = sigmoid(wr . x + m * min_spend + v * log(valid_days) + br)   responsiveness
    spend | buy = exp(ws . x + bs + g * h_kind(depth)),  g >= 0
    P(redeem)  = (p - p0) + p0 * u(x) * h_kind(depth),  u = sigmoid(wu . x + bu)
                 every persuaded buyer redeems; a habitual one with probability u h

so a deeper coupon never lowers buying or spend, and each extra point of depth buys less than
the one before. Fitted by maximum likelihood on randomised rows only (holdouts = the control
arm, exploration arms), each row weighted by 1 / its stored assignment probability (IPS), with
the curve parameters pulled towards a stated DepthPrior by `prior.strength` pseudo-rows: with
few outcomes the curve stays near the prior, with many it is the data's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from coupondesk.models.uplift.arms import CONTROL, Arm, encode_arms
from coupondesk.models.uplift.effects import ArmEffects
from coupondesk.models.uplift.prior import DepthPrior

log = logging.getLogger(__name__)

_KINDS = ("percent_off", "amount_off")


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _softplus_inverse(y: float) -> float:
    return float(np.log(np.expm1(y)))


@dataclass(frozen=True)
class DepthResponseConfig:
    """Fitting knobs; defaults suit a few hundred to a few hundred thousand rows."""

    l2: float = 1.0
    """Ridge penalty on the feature weights (standardised features), in rows: divided by n."""
    max_iter: int = 200
    """L-BFGS iterations (full batch)."""
    baseline_strength: float = 200.0
    """Pseudo-rows holding the baseline's per-household shape (the feature weights of the
    correction), when one is given: learned only as fast as the control rows can support."""
    intercept_strength: float = 5.0
    """Pseudo-rows holding the baseline's overall level. Weak on purpose: a history model is
    often off in level for the campaign's window (seasonality, a longer readout window), and a
    level error the control rows cannot correct is credited to the coupon."""
    max_weight: float = 10.0
    """IPS weights 1 / propensity are clipped here: an explored arm drawn with probability
    0.02 would otherwise weigh 50 rows, and the fit's variance with it (weight clipping)."""


class DepthResponseLearner:
    """causalml-shaped: fit(features, arm, outcome, spend, propensity), predict(features, arms)."""

    def __init__(self, prior: DepthPrior, config: DepthResponseConfig | None = None) -> None:
        self.prior = prior
        self.config = config or DepthResponseConfig()
        self._params: dict[str, torch.Tensor] | None = None
        self._mean: np.ndarray | None = None
        self._std: np.ndarray | None = None
        self.n_rows = 0
        self.arms_seen: tuple[Arm, ...] = ()
        self._log_spend_var = 0.0
        self.uses_baseline = False
        self.models_redemption = False

    # -- model ---------------------------------------------------------------------------
    def _init_params(
        self, n_features: int, base_rate: float, log_spend: float
    ) -> dict[str, torch.Tensor]:
        prior = self.prior
        t = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)  # noqa: E731
        self._params = {
            "w0": torch.zeros(n_features, dtype=torch.float64, requires_grad=True),
            "b0": t(_logit(min(max(base_rate, 1e-3), 1 - 1e-3))),
            "wr": torch.zeros(n_features, dtype=torch.float64, requires_grad=True),
            "br": t(_logit(prior.responsiveness)),
            "m": t(0.0),
            "v": t(0.0),
            "alpha": torch.full((2,), _logit(prior.jump), dtype=torch.float64,
                                requires_grad=True),
            "beta": torch.full((2,), _softplus_inverse(prior.scale), dtype=torch.float64,
                               requires_grad=True),
            "ws": torch.zeros(n_features, dtype=torch.float64, requires_grad=True),
            "bs": t(log_spend),
            "g": t(_softplus_inverse(0.05)),
            "wu": torch.zeros(n_features, dtype=torch.float64, requires_grad=True),
            "bu": t(0.0),
        }
        return self._params

    def _forward(
        self, x: torch.Tensor, arm_cols: torch.Tensor, offset: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(p_buy, p_buy_control, log spend given buy, p_redeem) per row."""
        if self._params is None:
            raise RuntimeError("the depth-response learner is not fitted")
        prm = self._params
        treated, is_pct, is_amt, depth, min_spend, log_days = arm_cols.unbind(1)
        kind_jump = torch.sigmoid(prm["alpha"])
        kind_tau = torch.nn.functional.softplus(prm["beta"]) + 1e-3
        jump = is_pct * kind_jump[0] + is_amt * kind_jump[1]
        tau = is_pct * kind_tau[0] + is_amt * kind_tau[1] + (1 - treated)
        h = treated * (jump + (1 - jump) * (1 - torch.exp(-depth / tau)))
        p0 = torch.sigmoid(offset + x @ prm["w0"] + prm["b0"])
        r = torch.sigmoid(x @ prm["wr"] + prm["m"] * min_spend + prm["v"] * log_days + prm["br"])
        p = p0 + (1 - p0) * r * h
        log_spend = x @ prm["ws"] + prm["bs"] + torch.nn.functional.softplus(prm["g"]) * h
        # The redemption head learns only u: the buying model is fitted on buying alone.
        use = torch.sigmoid(x @ prm["wu"] + prm["bu"])
        redeem = (p - p0).detach() + p0.detach() * use * h.detach()
        return p, p0, log_spend, redeem

    def _standardise(self, features: np.ndarray) -> torch.Tensor:
        if self._mean is None or self._std is None:
            raise RuntimeError("the depth-response learner is not fitted")
        x = (np.asarray(features, dtype=float) - self._mean) / self._std
        return torch.as_tensor(x, dtype=torch.float64)

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self,
        features: np.ndarray,
        arm: Sequence[Arm],
        outcome: np.ndarray,
        spend: np.ndarray | None = None,
        propensity: np.ndarray | None = None,
        baseline: np.ndarray | None = None,
        redeemed: np.ndarray | None = None,
    ) -> DepthResponseLearner:
        """Fit on randomised rows: outcome = bought in scope (0/1), spend = in-scope spend.

        `baseline` (optional) is each row's P(buy in scope without a coupon) from a model of
        history (the behaviour model): the learner then learns only a correction to it from
        the control rows, which a first campaign's small holdout can afford. `redeemed`
        (optional, 0/1) says whether a treated row used its coupon: it fits P(redeem), so the
        discount is priced on redeemers rather than on every buyer."""
        feats = np.asarray(features, dtype=float)
        if feats.ndim == 1:
            feats = feats[:, None]
        y = np.asarray(outcome, dtype=float)
        n = len(y)
        if feats.shape[0] != n or len(arm) != n:
            raise ValueError("features, arm and outcome must have the same number of rows")
        if not set(np.unique(y)) <= {0.0, 1.0}:
            raise ValueError("outcome must be 0/1 (bought in scope)")
        if propensity is None:
            weights = np.ones(n)
        else:
            e = np.asarray(propensity, dtype=float)
            if e.shape != (n,) or np.any(~np.isfinite(e)) or np.any(e <= 0) or np.any(e > 1):
                raise ValueError("propensity must be one assignment probability in (0, 1] per row")
            weights = np.minimum(1.0 / e, self.config.max_weight)
        weights = weights / weights.mean()
        self.uses_baseline = baseline is not None
        offset = self._offset(baseline, n)
        self._mean = feats.mean(axis=0)
        std = feats.std(axis=0)
        self._std = np.where(std > 0, std, 1.0)
        x = self._standardise(feats)
        arm_cols = torch.as_tensor(encode_arms(arm), dtype=torch.float64)
        yt = torch.tensor(y, dtype=torch.float64)
        wt = torch.as_tensor(weights, dtype=torch.float64)
        s = np.zeros(n) if spend is None else np.asarray(spend, dtype=float)
        buyers = (y > 0) & (s > 0)
        log_s = np.log(np.where(buyers, s, 1.0))
        prm = self._init_params(
            feats.shape[1],
            0.0 if self.uses_baseline else float(np.average(y, weights=weights)),
            float(log_s[buyers].mean()) if buyers.any() else 0.0,
        )
        buyer_t = torch.as_tensor(buyers, dtype=torch.float64)
        self.models_redemption = redeemed is not None
        if redeemed is not None:
            z = np.asarray(redeemed, dtype=float)
            if z.shape != (n,) or not set(np.unique(z)) <= {0.0, 1.0} or np.any(z > y):
                raise ValueError("redeemed must be 0/1 per row, and only where outcome is 1")
            z_t = torch.tensor(z, dtype=torch.float64)
            treated_t = torch.as_tensor(encode_arms(arm)[:, 0], dtype=torch.float64)
        log_st = torch.as_tensor(log_s, dtype=torch.float64)
        prior_alpha = _logit(self.prior.jump)
        prior_beta = _softplus_inverse(self.prior.scale)
        prior_br = _logit(self.prior.responsiveness)
        # A pseudo-row of a logit parameter carries about 1/8 of a unit of curvature
        # (0.5 * p(1-p) at p = 1/2), so `strength` pseudo-rows weigh like that many outcomes.
        strength = 0.125 * self.prior.strength / n
        l2 = self.config.l2 / n
        anchor = 0.125 * self.config.baseline_strength / n
        anchor_level = 0.125 * self.config.intercept_strength / n
        params = list(prm.values())
        optimiser = torch.optim.LBFGS(params, max_iter=self.config.max_iter,
                                      line_search_fn="strong_wolfe")
        buyer_weight = float((wt * buyer_t).sum())

        def closure() -> torch.Tensor:
            optimiser.zero_grad()
            p, _p0, log_spend, redeem = self._forward(x, arm_cols, offset)
            p = p.clamp(1e-6, 1 - 1e-6)
            nll = -(wt * (yt * torch.log(p) + (1 - yt) * torch.log(1 - p))).mean()
            if redeemed is not None:
                q = redeem.clamp(1e-6, 1 - 1e-6)
                nll = nll - (wt * treated_t * (z_t * torch.log(q) + (1 - z_t) * torch.log(1 - q))
                             ).mean()
            if buyer_weight > 0:
                nll = nll + 0.5 * (wt * buyer_t * (log_st - log_spend) ** 2).sum() / buyer_weight
            penalty = strength * (
                ((prm["alpha"] - prior_alpha) ** 2).sum()
                + ((prm["beta"] - prior_beta) ** 2).sum()
                + (prm["br"] - prior_br) ** 2
            ) + l2 * sum((prm[w] ** 2).sum() for w in ("w0", "wr", "ws", "wu"))
            if self.uses_baseline:
                penalty = penalty + anchor * (prm["w0"] ** 2).sum() + anchor_level * prm["b0"] ** 2
            loss = nll + penalty
            loss.backward()  # type: ignore[no-untyped-call]
            return loss

        optimiser.step(closure)  # type: ignore[no-untyped-call]
        with torch.no_grad():
            _p, _p0, log_spend, _q = self._forward(x, arm_cols, offset)
            resid = (log_st - log_spend)[buyer_t > 0]
            self._log_spend_var = float(resid.var()) if resid.numel() > 1 else 0.0
        self.n_rows = n
        self.arms_seen = tuple(sorted({a for a in arm if not a.is_control}))
        log.info("depth-response learner fitted on %d randomised rows", n)
        return self

    def _offset(self, baseline: np.ndarray | None, n: int) -> torch.Tensor:
        if baseline is None:
            return torch.zeros(n, dtype=torch.float64)
        b = np.asarray(baseline, dtype=float)
        if b.shape != (n,) or np.any(~np.isfinite(b)):
            raise ValueError("baseline must be one finite probability per row")
        b = np.clip(b, 1e-4, 1 - 1e-4)
        return torch.tensor(np.log(b / (1 - b)), dtype=torch.float64)

    # -- prediction ----------------------------------------------------------------------
    def predict(self, features: np.ndarray, arms: Sequence[Arm] | None = None,
                baseline: np.ndarray | None = None) -> ArmEffects:
        """Per household and treatment arm: buying and spend with the coupon and without."""
        arm_list = tuple(arms) if arms is not None else self.arms_seen
        if any(a.is_control for a in arm_list):
            raise ValueError("pass treatment arms only; the control arm is always predicted")
        feats = np.asarray(features, dtype=float)
        if feats.ndim == 1:
            feats = feats[:, None]
        x = self._standardise(feats)
        n = feats.shape[0]
        if self.uses_baseline and baseline is None:
            raise ValueError("this learner was fitted with a baseline: pass one to predict")
        offset = self._offset(baseline, n)
        smear = np.exp(self._log_spend_var / 2.0)
        p_buy = np.zeros((n, len(arm_list)))
        p_redeem = np.zeros((n, len(arm_list)))
        spend = np.zeros((n, len(arm_list)))
        with torch.no_grad():
            cols0 = torch.as_tensor(encode_arms([CONTROL] * n), dtype=torch.float64)
            _p, p0, log_s0, _q = self._forward(x, cols0, offset)
            p0_np = p0.numpy()
            spend0 = p0_np * np.exp(log_s0.numpy()) * smear
            for j, a in enumerate(arm_list):
                cols = torch.as_tensor(encode_arms([a] * n), dtype=torch.float64)
                p, _p0, log_s, q = self._forward(x, cols, offset)
                p_buy[:, j] = p.numpy()
                p_redeem[:, j] = q.numpy()
                spend[:, j] = p_buy[:, j] * np.exp(log_s.numpy()) * smear
        return ArmEffects(
            arms=arm_list,
            p_buy=p_buy,
            p_buy_control=p0_np,
            spend=spend,
            spend_control=spend0,
            learned=True,
            source=f"depth-response learner fitted on {self.n_rows} randomised rows "
            f"(prior: {self.prior.source})",
            p_redeem=p_redeem if self.models_redemption else None,
        )

    # -- persistence -----------------------------------------------------------------------
    def state(self) -> dict[str, object]:
        """Everything `from_state` needs, as tensors, arrays and plain values (torch.save-able)."""
        if self._params is None or self._mean is None or self._std is None:
            raise RuntimeError("the depth-response learner is not fitted")
        return {
            "params": {k: v.detach().clone() for k, v in self._params.items()},
            "mean": self._mean.tolist(), "std": self._std.tolist(), "n_rows": self.n_rows,
            "arms_seen": [(a.kind, a.value, a.min_spend, a.valid_days) for a in self.arms_seen],
            "log_spend_var": self._log_spend_var, "uses_baseline": self.uses_baseline,
            "models_redemption": self.models_redemption,
            "prior": {"jump": self.prior.jump, "scale": self.prior.scale,
                      "responsiveness": self.prior.responsiveness, "source": self.prior.source,
                      "strength": self.prior.strength},
            "config": {"l2": self.config.l2, "max_iter": self.config.max_iter,
                       "baseline_strength": self.config.baseline_strength,
                       "intercept_strength": self.config.intercept_strength,
                       "max_weight": self.config.max_weight},
        }

    @classmethod
    def from_state(cls, state: dict[str, object]) -> DepthResponseLearner:
        """The fitted learner `state()` described (predictions identical to the original's)."""
        prior = DepthPrior(**state["prior"])  # type: ignore[arg-type]
        learner = cls(prior, DepthResponseConfig(**state["config"]))  # type: ignore[arg-type]
        params = state["params"]
        learner._params = {k: v.detach().clone() for k, v in params.items()}  # type: ignore[union-attr]
        learner._mean = np.asarray(state["mean"], dtype=float)
        learner._std = np.asarray(state["std"], dtype=float)
        learner.n_rows = int(state["n_rows"])  # type: ignore[call-overload]
        learner.arms_seen = tuple(Arm(k, v, m, d)  # type: ignore[arg-type]
                                  for k, v, m, d in state["arms_seen"])  # type: ignore[union-attr]
        learner._log_spend_var = float(state["log_spend_var"])  # type: ignore[arg-type]
        learner.uses_baseline = bool(state["uses_baseline"])
        learner.models_redemption = bool(state["models_redemption"])
        return learner

    def curve_parameters(self) -> dict[str, dict[str, float]]:
        """The fitted jump and scale of the depth curve per kind (for reports and the prior)."""
        if self._params is None:
            raise RuntimeError("the depth-response learner is not fitted")
        with torch.no_grad():
            jump = torch.sigmoid(self._params["alpha"]).numpy()
            tau = (torch.nn.functional.softplus(self._params["beta"]) + 1e-3).numpy()
        return {k: {"jump": float(jump[i]), "scale": float(tau[i])} for i, k in enumerate(_KINDS)}


def prior_effects(
    prior: DepthPrior,
    p_without: np.ndarray,
    spend_without: np.ndarray,
    arms: Sequence[Arm],
) -> ArmEffects:
    """Effects before any randomised data: the baseline from the behaviour model, depth from the
    prior; spend given a purchase is taken as unchanged by the coupon (stated in `source`)."""
    p0 = np.clip(np.asarray(p_without, dtype=float), 0.0, 1.0)
    s0 = np.asarray(spend_without, dtype=float)
    basket = np.divide(s0, p0, out=np.zeros_like(s0), where=p0 > 0)
    p_buy = np.column_stack([prior.buy_probability(p0, np.full_like(p0, a.depth)) for a in arms])
    return ArmEffects(
        arms=tuple(arms),
        p_buy=p_buy,
        p_buy_control=p0,
        spend=p_buy * basket[:, None],
        spend_control=s0,
        learned=False,
        source=f"stated prior, not learned: {prior.source}; basket per buyer unchanged by "
        "the coupon (assumption)",
    )
