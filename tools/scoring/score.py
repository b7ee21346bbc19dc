"""Score households for an offer: acceptance probability, expected spend, timing, and why.

The serving models (named in the model card under `models_dir`) are loaded once per Scorer,
and the households' state on the scoring day (features, purchase matrices, transformer
household vectors, behaviour predictions) is computed once and cached, so each further offer
costs only its overlap features and one small head pass, in batches over all households.

How an offer the models never saw is scored: from its description. Its departments/categories
become the set of catalog products it covers (all products when storewide), exactly as a
historical campaign is described by its coupons' products; its type is 'Type B' (every
recipient gets the same coupon) and its validity is the campaign duration.

How discount depth is treated (and kind and minimum spend): NOT MODELLED. The historical data
has no discount depth, so no model learned how depth moves redemption. `acceptance_probability`
is the probability of redeeming a coupon like the historical ones on this scope and is the same
for 5% and 50% off; `Score.depth_modelled` is always False so no caller can mistake it. The
economics of depth belong to the allocation step (expected discount per redemption), which
uses these scores as they are. Validity days outside the trained campaign durations are
clipped to that range (the card's `acceptance.trained_duration_days`).

No trained model -> NotReadyError; there is no heuristic fallback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.errors import BadInputError, NotReadyError

FramesLoader = Callable[[], RetailFrames]
"""Returns the retailer history (coupondesk.tools.data.frames.load_frames on the database, or
test frames)."""


@dataclass(frozen=True)
class Score:
    """What the models say about one household for one offer on the scoring day."""

    household_id: int
    acceptance_probability: float
    """Calibrated P(redeem) of a coupon on this offer's scope (depth not modelled)."""
    expected_scope_spend: float
    """Expected dollars spent in the offer's scope during its validity (behaviour spend x the
    household's share of spend in the scope x valid_days/28)."""
    scope_spend_per_visit: float
    """Typical dollars spent in the scope on a visit that includes the scope (history)."""
    next_visit_days: float
    """Expected days until the household's next visit (capped at 28)."""
    buy_probability_7d: float
    buy_probability_14d: float
    buy_probability_28d: float
    expected_spend_28d: float
    """Expected total spend in the next 28 days (dollars)."""
    past_spend_91d: float
    """Spend in the 91 days before the scoring day."""
    reason: str
    """Short human-readable account of what drove the acceptance score."""
    acceptance_model: str
    behaviour_model: str
    depth_modelled: bool = False
    """Always False: discount depth is not in the data the models learned from."""


def _clip_duration(days: float, trained: tuple[float, float]) -> float:
    return float(min(max(days, trained[0]), trained[1]))


class Scorer:
    """Loads the serving models once and scores (households, offer) pairs in batches."""

    def __init__(
        self,
        models_dir: Path,
        frames_loader: FramesLoader,
        *,
        as_of: date | datetime | None = None,
        acceptance_model: str | None = None,
        behaviour_model: str | None = None,
    ) -> None:
        from coupondesk.models import registry

        self.models_dir = Path(models_dir)
        card = registry.read_card(self.models_dir)
        if card is None:
            raise NotReadyError(
                f"no trained acceptance model in {self.models_dir}; run `coupondesk train`"
            )
        self.card = card
        names = registry.serving_names(self.models_dir)
        if names is None:
            raise NotReadyError(
                f"the model card in {self.models_dir} names no serving models; "
                "run `coupondesk train`"
            )
        try:
            self.acceptance = registry.load_acceptance(self.models_dir,
                                                       acceptance_model or names[0])
            self.behaviour = registry.load_behaviour(self.models_dir, behaviour_model or names[1])
        except (OSError, ValueError) as exc:
            raise NotReadyError(
                f"no trained acceptance model in {self.models_dir}; run `coupondesk train` "
                f"({exc})"
            ) from exc
        trained = card["acceptance"].get("trained_duration_days", [30.0, 60.0])
        self.trained_duration = (float(trained[0]), float(trained[1]))
        self._frames_loader = frames_loader
        self._as_of = as_of
        self._state: _DayState | None = None
        self._lock = threading.Lock()

    # -- state of the scoring day ---------------------------------------------------------

    def _day(self, households: Sequence[int]) -> _DayState:
        with self._lock:
            wanted = np.unique(np.asarray(list(households), dtype=np.int64))
            if self._state is None:
                self._state = _DayState.build(self._frames_loader(), self._as_of, wanted, self)
            elif not np.isin(wanted, self._state.context.households).all():
                self._state = _DayState.build(self._state.frames, self._as_of,
                                              np.union1d(wanted, self._state.context.households),
                                              self)
            return self._state

    def warm(self, households: Sequence[int] | None = None) -> None:
        """Build the day's state now (load frames, features, household vectors)."""
        state = self._day(households or [])
        state.behaviour_predictions()

    @property
    def as_of(self) -> pd.Timestamp:
        """The scoring day (midnight; only history strictly before it is used)."""
        return self._day([]).as_of

    # -- scoring ----------------------------------------------------------------------------

    def score(self, households: Sequence[int], offer: Offer) -> list[Score]:
        """One Score per household, in the order given, for one offer."""
        return self.score_offers(households, [offer])[0]

    def score_offers(self, households: Sequence[int], offers: Sequence[Offer]) -> list[list[Score]]:
        """Scores of every household for each offer (one list per offer)."""
        hh = [int(h) for h in households]
        state = self._day(hh)
        rows = state.context.households.searchsorted(np.asarray(hh, dtype=np.int64))
        behaviour = state.behaviour_predictions()
        return [self._score_offer(state, rows, hh, offer, behaviour) for offer in offers]

    def probabilities(self, households: Sequence[int], offer: Offer) -> np.ndarray:
        """Only the calibrated acceptance probabilities (the fast path the bench measures)."""
        hh = np.asarray(list(households), dtype=np.int64)
        state = self._day([int(h) for h in hh])
        scope = state.scope(offer)
        p = self.acceptance.predict(state.context, scope)
        return p[state.context.households.searchsorted(hh)]

    def _score_offer(self, state: _DayState, rows: np.ndarray, hh: list[int], offer: Offer,
                     behaviour: dict[str, np.ndarray]) -> list[Score]:
        from coupondesk.models.features import pair_features

        scope = state.scope(offer)
        context = state.context
        features = pair_features(context.history, context.households, scope,
                                 context.household_table, context.matrices)
        p = self.acceptance.predict(context, scope, features)
        visits = state.scope_visits(scope)
        scope_spend = features["scope_spend_all"].to_numpy(np.float64)
        per_visit = np.where(visits > 0, scope_spend / np.maximum(visits, 1), np.nan)
        typical = float(np.nanmedian(per_visit)) if np.isfinite(per_visit).any() else 0.0
        per_visit = np.where(np.isfinite(per_visit), per_visit, typical)
        share = features["scope_share_all"].to_numpy(np.float64)
        window = behaviour["spend_28d"] * share * offer.valid_days / 28.0
        reasons = _reasons(features, p, rows, visits, scope.label)
        past = features["spend_91d"].to_numpy(np.float64)
        return [
            Score(
                household_id=h,
                acceptance_probability=float(p[r]),
                expected_scope_spend=float(window[r]),
                scope_spend_per_visit=float(per_visit[r]),
                next_visit_days=float(behaviour["next_visit_days"][r]),
                buy_probability_7d=float(behaviour["buy_7d"][r]),
                buy_probability_14d=float(behaviour["buy_14d"][r]),
                buy_probability_28d=float(behaviour["buy_28d"][r]),
                expected_spend_28d=float(behaviour["spend_28d"][r]),
                past_spend_91d=float(past[r]),
                reason=reasons[i],
                acceptance_model=self.acceptance.name,
                behaviour_model=self.behaviour.name,
            )
            for i, (h, r) in enumerate(zip(hh, rows, strict=True))
        ]


@dataclass
class _DayState:
    """Frames, history and cached per-household state of one scoring day."""

    frames: RetailFrames
    as_of: pd.Timestamp
    context: Any
    scorer: Scorer
    _behaviour: dict[str, np.ndarray] | None = None
    _scope_lines: pd.DataFrame | None = None
    _scopes: dict[tuple[tuple[str, ...], tuple[str, ...], int, str, float], Any] = field(
        default_factory=dict)

    @classmethod
    def build(cls, frames: RetailFrames, as_of: date | datetime | None, households: np.ndarray,
              scorer: Scorer) -> _DayState:
        from coupondesk.models.history import History, timestamp_days
        from coupondesk.models.sequences import BasketTable
        from coupondesk.models.serving import ScoringContext

        day = frames.default_as_of if as_of is None else pd.Timestamp(as_of).normalize()
        history = History.from_frames(frames)
        table = BasketTable.from_history(history)
        everyone = np.union1d(history.households, households)
        context = ScoringContext.build(history, table, timestamp_days(day), everyone)
        return cls(frames, day, context, scorer)

    def behaviour_predictions(self) -> dict[str, np.ndarray]:
        if self._behaviour is None:
            self._behaviour = self.scorer.behaviour.predict(self.context)
        return self._behaviour

    def scope(self, offer: Offer) -> Any:
        from coupondesk.models.features import catalog_scope

        key = (tuple(offer.departments), tuple(offer.categories), int(offer.valid_days),
               offer.kind, float(offer.value))
        if key not in self._scopes:
            try:
                self._scopes[key] = catalog_scope(
                    self.context.history, tuple(offer.departments), tuple(offer.categories),
                    _clip_duration(float(offer.valid_days), self.scorer.trained_duration),
                    label=", ".join([*offer.departments, *offer.categories]) or "storewide",
                    kind=offer.kind, value=float(offer.value),
                )
            except ValueError as exc:
                raise BadInputError(f"offer scope: {exc}") from exc
        return self._scopes[key]

    def scope_visits(self, scope: Any) -> np.ndarray:
        """Per context household: baskets (before the day) with at least one scope product."""
        if self._scope_lines is None:
            lines = self.context.history.lines_before(self.context.as_of)
            self._scope_lines = lines[["product_id", "household_id", "basket_id"]].sort_values(
                "product_id", kind="stable").reset_index(drop=True)
        lines = self._scope_lines
        products = lines["product_id"].to_numpy()
        lo = np.searchsorted(products, scope.product_ids, side="left")
        hi = np.searchsorted(products, scope.product_ids, side="right")
        take = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True) if b > a]
                              or [np.zeros(0, dtype=np.int64)])
        pairs = pd.DataFrame({"h": lines["household_id"].to_numpy()[take],
                              "b": lines["basket_id"].to_numpy()[take]}).drop_duplicates()
        counts = pairs.groupby("h").size()
        return counts.reindex(self.context.households).fillna(0).to_numpy(np.float64)


def _every(days: float) -> str:
    """'every 3 days', 'every 2 weeks', 'every month' ... for a mean interval in days."""
    if days < 1.5:
        return "almost daily"
    if days < 10.5:
        return f"about every {round(days)} days"
    if days < 49:
        weeks = round(days / 7)
        return "about every week" if weeks == 1 else f"about every {weeks} weeks"
    months = round(days / 30)
    return "about every month" if months <= 1 else f"about every {months} months"


def _reasons(features: pd.DataFrame, p: np.ndarray, rows: np.ndarray,
             scope_visits: np.ndarray | None = None, scope_label: str = "") -> list[str]:
    """Plain words for the top drivers of each requested household's score.

    Candidate drivers (coupon history, how often the household buys in the offer's scope,
    how active it is) carry a sign and a rough weight; a score above the average over every
    household for this offer (not only the audience: a lapsed audience sits below it) lists
    the strongest positive drivers first, one below it the strongest negative ones, three at
    most. E.g. "P(redeem) 0.41 (2.6x all households' average): redeemed 3 campaign coupons
    before; buys COFFEE about every 2 weeks; 2.1 visits a week".
    """
    base = float(np.mean(p)) if len(p) else 0.0
    redemptions = features["redemptions"].to_numpy()
    coupon_lines = features["coupon_lines_all"].to_numpy()
    scope_lines = features["scope_lines_all"].to_numpy()
    scope_recency = features["scope_recency"].to_numpy()
    visits = features["n_baskets_91d"].to_numpy()
    recency = features["recency"].to_numpy()
    tenure = features["tenure"].to_numpy()
    since_red = features["days_since_redemption"].to_numpy()
    baskets = scope_visits if scope_visits is not None else scope_lines
    label = scope_label or "the offer's scope"
    storewide = scope_label == "storewide"
    typical_visits = float(np.median(visits)) if len(visits) else 0.0
    out = []
    for r in rows:
        drivers: list[tuple[float, str]] = []
        if redemptions[r] > 0:
            when = (f", last {int(since_red[r])} days ago" if since_red[r] < 400 else "")
            drivers.append((3.0 + min(redemptions[r], 10) / 10,
                            f"redeemed {int(redemptions[r])} campaign coupon"
                            f"{'s' if redemptions[r] != 1 else ''} before{when}"))
        elif coupon_lines[r] > 0:
            drivers.append((1.0 + min(coupon_lines[r], 20) / 20,
                            f"used coupons on {int(coupon_lines[r])} purchase"
                            f"{'s' if coupon_lines[r] != 1 else ''}"))
        else:
            drivers.append((-2.0, "never used a coupon"))
        if not storewide:
            n = float(baskets[r])
            if n >= 2:
                every = min(max(tenure[r], 7.0), 365.0) / n
                drivers.append((2.0 if every <= 14 else 1.0, f"buys {label} {_every(every)}"))
            elif scope_lines[r] > 0:
                drivers.append((0.3, f"bought {label} once, {int(scope_recency[r])} days ago"))
            else:
                drivers.append((-1.5, f"never bought {label}"))
        if recency[r] > 28:
            drivers.append((-2.5, f"no visit for {int(recency[r])} days"))
        else:
            per_week = visits[r] / 13.0
            weight = 0.5 if visits[r] >= typical_visits else -0.5
            drivers.append((weight, f"{per_week:.1f} visits a week"))
        above = p[r] >= base
        drivers.sort(key=lambda d: -d[0] if above else d[0])
        ratio = p[r] / base if base > 0 else 0.0
        out.append(f"P(redeem) {p[r]:.2f} ({ratio:.1f}x all households' average): "
                   + "; ".join(text for _, text in drivers[:3]))
    return out


# -- one-off convenience ------------------------------------------------------------------


def frames_loader_for(source: Any) -> FramesLoader:
    """A frames loader from RetailFrames, a SQLAlchemy Engine or Session."""
    if isinstance(source, RetailFrames):
        return lambda: source
    from coupondesk.tools.data.frames import load_frames
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    if isinstance(source, Session):
        bind = source.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        return lambda: load_frames(engine)
    if isinstance(source, Engine):
        return lambda: load_frames(source)
    raise TypeError(f"cannot read retail history from {type(source).__name__}")


def score(
    source: Any, households: Sequence[int], offer: Offer, *, models_dir: Path,
    as_of: date | datetime | None = None,
) -> list[Score]:
    """Scores of `households` for `offer` (source: Session, Engine or RetailFrames).

    Loads the models for this one call; a long-lived caller (the desk) keeps its own Scorer.
    """
    from coupondesk.models import registry

    if registry.read_card(Path(models_dir)) is None:
        raise NotReadyError(f"no trained acceptance model in {models_dir}; run `coupondesk train`")
    return Scorer(Path(models_dir), frames_loader_for(source), as_of=as_of).score(households, offer)
