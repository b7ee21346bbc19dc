"""Score households for an offer: acceptance probability, expected spend, timing, and why.

The serving models (named in the model card under `models_dir`) are loaded once per Scorer.
An audience is scored in household chunks (`chunk_households`, default 1000): each chunk's
history alone is read from the database (HouseholdFrames) and turned into per-household rows
(features, purchase overlaps, transformer household vectors), so memory is bounded by one
chunk's history, never the whole retailer's. Everything that compares households with each
other (the average P(redeem) a reason is measured against, which feature groups vary, the
occlusion medians of the transformer's reasons, the typical spend per visit of a household
that never bought the scope) is computed over the joined audience's rows afterwards, and
every model output is computed on the joined rows too, so the scores are exactly the same
whatever the chunk size.

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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from coupondesk.models.frames import RetailFrames
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.data.limits import CHUNK_HOUSEHOLDS
from coupondesk.tools.errors import BadInputError, NotReadyError

FramesLoader = Callable[[], RetailFrames]
"""Returns a retailer history already in memory (tests, the bench, the package data)."""


class HistorySource(Protocol):
    """Where the scorer reads households' history: only the households asked for."""

    def load(self, households: Sequence[int]) -> RetailFrames:
        """The household-keyed tables of these households, with the catalog tables."""
        ...

    def default_as_of(self) -> pd.Timestamp:
        """Midnight after the last transaction of any household (the default scoring day)."""
        ...


# A source may also say `concurrent_reads = True`: its `load` may run in another thread while
# this one featurises (a database on a connection pool); the scorer then reads ahead a chunk.


class FramesInMemory:
    """A HistorySource over frames already in memory, loaded on first use."""

    def __init__(self, loader: FramesLoader) -> None:
        self._loader = loader
        self._frames: RetailFrames | None = None

    def _all(self) -> RetailFrames:
        if self._frames is None:
            self._frames = self._loader()
        return self._frames

    def load(self, households: Sequence[int]) -> RetailFrames:
        return self._all().for_households(households)

    def default_as_of(self) -> pd.Timestamp:
        return self._all().default_as_of


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


def _load_timing(models_dir: Path) -> Any:
    from coupondesk.models.timing import TimingModel

    directory = models_dir / "timing"
    return TimingModel.load(directory) if TimingModel.exists(directory) else None


def _clip_duration(days: float, trained: tuple[float, float]) -> float:
    return float(min(max(days, trained[0]), trained[1]))


class Scorer:
    """Loads the serving models once and scores (households, offer) pairs, chunk by chunk."""

    def __init__(
        self,
        models_dir: Path,
        history: HistorySource | FramesLoader,
        *,
        as_of: date | datetime | None = None,
        acceptance_model: str | None = None,
        behaviour_model: str | None = None,
        chunk_households: int = CHUNK_HOUSEHOLDS,
        chunk_backend: ChunkBackend | None = None,
    ) -> None:
        from coupondesk.models import registry

        if chunk_households < 1:
            raise BadInputError(f"chunk_households must be at least 1, not {chunk_households}")
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
        self.timing = _load_timing(self.models_dir)
        """The send-timing hazard model, or None when `coupondesk train` has not made one."""
        self._source: HistorySource = (history if hasattr(history, "load")
                                       else FramesInMemory(history))  # type: ignore[arg-type]
        self.chunk_households = int(chunk_households)
        self.chunk_backend = chunk_backend
        """None: chunks are read and featurised in this process; else where they run (Ray)."""
        self._as_of_given = as_of
        self._as_of: pd.Timestamp | None = None
        self._timing_rows: dict[tuple[tuple[str, ...], tuple[str, ...]], pd.DataFrame] = {}
        """The last scored audience's timing features per offer scope (small: a few numbers
        a household), so its send schedule does not read the history a second time."""
        self._last: tuple[tuple[int, ...], _DayState] | None = None
        """The last chunk's state (one chunk at most is kept: the next call on the same
        households, e.g. the send schedule after the scores, does not read it again)."""
        self._lock = threading.RLock()

    # -- state of the scoring day, one chunk at a time -----------------------------------

    @property
    def as_of(self) -> pd.Timestamp:
        """The scoring day (midnight; only history strictly before it is used)."""
        with self._lock:
            if self._as_of is None:
                self._as_of = (self._source.default_as_of() if self._as_of_given is None
                               else pd.Timestamp(self._as_of_given).normalize())
            return self._as_of

    def chunks(self, households: Sequence[int]) -> list[np.ndarray]:
        """The distinct households, sorted, cut into chunks of `chunk_households`."""
        wanted = np.unique(np.asarray(list(households), dtype=np.int64))
        n = self.chunk_households
        return [wanted[i:i + n] for i in range(0, len(wanted), n)]

    def _state_for(self, chunk: np.ndarray, frames: RetailFrames | None = None) -> _DayState:
        """The day state of exactly these households (their history: `frames` when given,
        else read from the history source)."""
        key = tuple(int(h) for h in chunk)
        with self._lock:
            if self._last is not None and self._last[0] == key:
                return self._last[1]
            self._last = None  # free the previous chunk before reading the next one
            if frames is None:
                frames = self._source.load(list(key))
            state = _DayState.build(frames, self.as_of, chunk, self)
            self._last = (key, state)
            return state

    def warm(self) -> None:
        """Nothing beyond the models, which the constructor loaded: no history is kept
        between calls (each audience is read chunk by chunk when it is scored)."""

    # -- scoring ----------------------------------------------------------------------------

    def score(self, households: Sequence[int], offer: Offer) -> list[Score]:
        """One Score per household, in the order given, for one offer."""
        return self.score_offers(households, [offer])[0]

    def score_offers(self, households: Sequence[int], offers: Sequence[Offer]) -> list[list[Score]]:
        """Scores of every household for each offer (one list per offer)."""
        hh = [int(h) for h in households]
        with self._lock:
            audience = self._audience(hh, offers)
        if audience is None:
            return [[] for _ in offers]
        rows = audience.households.searchsorted(np.asarray(hh, dtype=np.int64))
        behaviour = self.behaviour.predict_rows(audience.behaviour_features,
                                                audience.behaviour_vectors)
        return [self._score_offer(audience, j, rows, hh, offer, behaviour)
                for j, offer in enumerate(offers)]

    def probabilities(self, households: Sequence[int], offer: Offer) -> np.ndarray:
        """Only the calibrated acceptance probabilities (the fast path the bench measures)."""
        hh = np.asarray(list(households), dtype=np.int64)
        with self._lock:
            audience = self._audience([int(h) for h in hh], [offer], behaviour=False)
        if audience is None:
            return np.zeros(0)
        p = self.acceptance.predict_rows(audience.features[0], audience.acceptance_vectors,
                                         audience.weights[0])
        return p[audience.households.searchsorted(hh)]

    def _audience(self, hh: list[int], offers: Sequence[Offer], *, behaviour: bool = True
                  ) -> _Audience | None:
        """Per-household rows of the audience (sorted distinct households), chunk by chunk:
        here, or on Ray's workers when a chunk backend is set (the rows are the same)."""
        chunks = self.chunks(hh)
        if not chunks:
            return None
        if self.chunk_backend is None:
            parts = self._local_rows(chunks, offers, behaviour=behaviour)
        else:
            parts = self.chunk_backend.chunk_rows(self, chunks, offers, behaviour=behaviour)
        if behaviour:  # the send schedule that follows the scores reads these, not the history
            self._timing_rows = {
                _timing_key(offer): pd.concat([p.timing[j] for p in parts])
                for j, offer in enumerate(offers) if parts[0].timing[j] is not None}
        return _Audience.join(parts)

    def _local_rows(self, chunks: list[np.ndarray], offers: Sequence[Offer], *,
                    behaviour: bool) -> list[ChunkRows]:
        """Every chunk's rows in this process; while one chunk is featurised, the next one's
        history is read in a thread when the source allows it (`concurrent_reads`).

        A read is mostly the database server's work and Arrow's parsing, both outside the
        GIL, and featurising is this thread's: overlapped, the two cost about the longer one
        instead of their sum. At most two chunks' history exist at once; the rows are those
        of reading the chunks one after the other."""
        if len(chunks) < 2 or not getattr(self._source, "concurrent_reads", False):
            return [self.chunk_rows(chunk, offers, behaviour=behaviour) for chunk in chunks]
        parts: list[ChunkRows] = []
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coupondesk-read")

        def read(chunk: np.ndarray) -> Future[RetailFrames | None]:
            key = tuple(int(h) for h in chunk)
            if self._last is not None and self._last[0] == key:  # its state is kept already
                done: Future[RetailFrames | None] = Future()
                done.set_result(None)
                return done
            return pool.submit(self._source.load, list(key))

        try:
            pending = read(chunks[0])
            for i, chunk in enumerate(chunks):
                frames = pending.result()
                if i + 1 < len(chunks):
                    pending = read(chunks[i + 1])
                parts.append(self.chunk_rows(chunk, offers, behaviour=behaviour,
                                             frames=frames))
                del frames
        except BaseException:
            # Fail now: a read under way finishes in the background and is dropped.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return parts

    def timing_rows(self, households: list[int], offer: Offer) -> pd.DataFrame:
        """The timing model's features of these households (index household_id): those the
        last scored audience computed, else read chunk by chunk."""
        cached = self._timing_rows.get(_timing_key(offer))
        if cached is not None and cached.index.isin(households).sum() == len(set(households)):
            return cached
        return pd.concat([self._state_for(chunk).timing_features(offer, chunk)
                          for chunk in self.chunks(households)])

    def chunk_rows(self, chunk: np.ndarray, offers: Sequence[Offer], *, behaviour: bool = True,
                   frames: RetailFrames | None = None) -> ChunkRows:
        """One chunk's per-household rows: the only step that reads history, so the one a
        backend may run elsewhere; everything that compares households runs on the join.
        `frames`: the chunk's history when the caller already read it (else read here)."""
        from coupondesk.models.features import category_weights

        state = self._state_for(chunk, frames)
        context = state.context
        scopes = [state.scope(offer) for offer in offers]
        acceptance_vectors = (context.household_vectors(self.acceptance.name,
                                                        self.acceptance.model)
                              if self.acceptance.kind == "transformer" else None)
        behaviour_vectors = (context.household_vectors(self.behaviour.name, self.behaviour.model)
                             if behaviour and self.behaviour.kind == "transformer" else None)
        timing = [state.timing_features(offer, chunk)
                  if behaviour and self.timing is not None else None for offer in offers]
        return ChunkRows(
            households=np.asarray(chunk, dtype=np.int64),
            timing=timing,
            features=[state.pair_features(offer) for offer in offers],
            scope_visits=[state.scope_visits(scope) for scope in scopes],
            weights=[category_weights(context.history, scope) for scope in scopes],
            labels=[scope.label for scope in scopes],
            behaviour_features=(context.behaviour_table[self.behaviour.feature_names]
                                if behaviour else None),
            behaviour_vectors=behaviour_vectors,
            acceptance_vectors=acceptance_vectors,
        )

    def _score_offer(self, audience: _Audience, j: int, rows: np.ndarray, hh: list[int],
                     offer: Offer, behaviour: dict[str, np.ndarray]) -> list[Score]:
        from coupondesk.models.explain import row_contributions

        features = audience.features[j]
        vectors = audience.acceptance_vectors
        p = self.acceptance.predict_rows(features, vectors, audience.weights[j])
        visits = audience.scope_visits[j]
        scope_spend = features["scope_spend_all"].to_numpy(np.float64)
        per_visit = np.where(visits > 0, scope_spend / np.maximum(visits, 1), np.nan)
        # A household that never bought the scope: the audience's typical spend per visit.
        typical = float(np.nanmedian(per_visit)) if np.isfinite(per_visit).any() else 0.0
        per_visit = np.where(np.isfinite(per_visit), per_visit, typical)
        share = features["scope_share_all"].to_numpy(np.float64)
        window = behaviour["spend_28d"] * share * offer.valid_days / 28.0
        contributions = row_contributions(self.acceptance, features, vectors, audience.weights[j])
        reasons = _reasons(features, p, rows, contributions, self.acceptance.kind, visits,
                           audience.labels[j])
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


def _timing_key(offer: Offer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the timing features depend on in an offer: its scope."""
    return tuple(offer.departments), tuple(offer.categories)


def _cat(parts: list[Any]) -> Any:
    """The chunks' household vectors as one tensor (None when the model has none)."""
    if not parts:
        return None
    import torch

    return torch.cat(parts)


@dataclass
class ChunkRows:
    """What one chunk of households contributes to an audience (Scorer.chunk_rows); plain
    arrays, frames and tensors, so a Ray worker can send it back to the driver."""

    households: np.ndarray
    timing: list[pd.DataFrame | None]
    """Per offer: the timing model's features (index household_id), None without the model."""
    features: list[pd.DataFrame]
    scope_visits: list[np.ndarray]
    weights: list[np.ndarray]
    labels: list[str]
    behaviour_features: pd.DataFrame | None
    behaviour_vectors: Any
    acceptance_vectors: Any


class ChunkBackend(Protocol):
    """Where a Scorer's chunks are turned into rows (tools.scoring.ray_backend.RayChunks)."""

    def chunk_rows(self, scorer: Scorer, chunks: list[np.ndarray], offers: Sequence[Offer],
                   *, behaviour: bool) -> list[ChunkRows]:
        """Scorer.chunk_rows of every chunk, in the chunks' order."""
        ...


@dataclass
class _Audience:
    """The per-household rows of an audience, joined over its chunks (sorted households)."""

    households: np.ndarray
    features: list[pd.DataFrame]
    """Per offer: pair features, one row per household."""
    scope_visits: list[np.ndarray]
    """Per offer: baskets with a scope product, per household."""
    weights: list[np.ndarray]
    """Per offer: its category weights (catalog only)."""
    labels: list[str]
    behaviour_features: pd.DataFrame
    behaviour_vectors: Any
    acceptance_vectors: Any

    @classmethod
    def join(cls, parts: list[ChunkRows]) -> _Audience:
        """The chunks' rows end to end (the chunks are sorted and disjoint); the catalog-only
        weights and labels are the first chunk's."""
        n = len(parts[0].features)
        behaviour = [p.behaviour_features for p in parts if p.behaviour_features is not None]
        return cls(
            households=np.concatenate([p.households for p in parts]),
            features=[pd.concat([p.features[j] for p in parts], ignore_index=True)
                      for j in range(n)],
            scope_visits=[np.concatenate([p.scope_visits[j] for p in parts]) for j in range(n)],
            weights=parts[0].weights,
            labels=parts[0].labels,
            behaviour_features=(pd.concat(behaviour, ignore_index=True) if behaviour
                                else pd.DataFrame()),
            behaviour_vectors=_cat([p.behaviour_vectors for p in parts
                                    if p.behaviour_vectors is not None]),
            acceptance_vectors=_cat([p.acceptance_vectors for p in parts
                                     if p.acceptance_vectors is not None]),
        )


@dataclass(frozen=True)
class SendTiming:
    """When to send one household's code: the chosen day and why (from the timing model)."""

    household_id: int
    send_offset_days: int
    """Days after the planning day to send (and start the validity)."""
    coverage: float
    """Predicted P(next in-scope purchase falls inside the validity starting that day)."""
    coverage_day0: float
    """The same probability had the code been sent on the planning day."""
    cadence_days: float
    """The household's median gap between store visits (frequency allowance)."""


def schedule_sends(scorer: Scorer, households: Sequence[int], offer: Offer, *,
                   window_days: int) -> list[SendTiming] | None:
    """Per household the send day in [0, window_days - valid_days] that best covers its next
    purchase in the offer's scope, or None when no timing model was trained."""
    from coupondesk.models.timing import best_send_offsets

    timing = scorer.timing
    if timing is None:
        return None
    hh = [int(h) for h in households]
    if not hh:
        return []
    with scorer._lock:
        features = scorer.timing_rows(hh, offer).loc[hh].reset_index(drop=True)
    dist = timing.distribution(features)
    offsets, coverage = best_send_offsets(dist, window_days=window_days,
                                          valid_days=max(int(offer.valid_days), 1))
    day0 = dist[:, : max(int(offer.valid_days), 1)].sum(axis=1)
    cadence = features["store_gap_median"].to_numpy(np.float64)
    return [  # tolist: Python ints and floats at once, not a numpy scalar per value
        SendTiming(h, o, c, d, g) for h, o, c, d, g in zip(
            hh, np.asarray(offsets, dtype=np.int64).tolist(),
            np.asarray(coverage, dtype=np.float64).tolist(),
            np.asarray(day0, dtype=np.float64).tolist(), cadence.tolist(), strict=True)
    ]


@dataclass
class _DayState:
    """History and cached per-household state of one chunk of households on the scoring day."""

    frames: RetailFrames
    as_of: pd.Timestamp
    context: Any
    scorer: Scorer
    _scope_lines: pd.DataFrame | None = None
    _scopes: dict[tuple[tuple[str, ...], tuple[str, ...], int, str, float], Any] = field(
        default_factory=dict)
    _store_stats: pd.DataFrame | None = None

    @classmethod
    def build(cls, frames: RetailFrames, day: pd.Timestamp, households: np.ndarray,
              scorer: Scorer) -> _DayState:
        """The chunk's context: exactly `households` (those without history get the features
        of no history), from `frames` holding only their rows."""
        from coupondesk.models.history import History, timestamp_days
        from coupondesk.models.serving import ScoringContext

        history = History.from_frames(frames)
        # No basket table yet: the context builds it if a transformer asks for sequences.
        context = ScoringContext.build(history, None, timestamp_days(day),
                                       np.asarray(households, dtype=np.int64))
        return cls(frames, day, context, scorer)

    def pair_features(self, offer: Offer) -> pd.DataFrame:
        """Acceptance features of the chunk's households for the offer, in household order."""
        from coupondesk.models.features import pair_features

        context = self.context
        return pair_features(context.history, context.households, self.scope(offer),
                             context.household_table, context.matrices)

    def timing_features(self, offer: Offer, households: np.ndarray) -> pd.DataFrame:
        """The timing model's features for these households in the offer's scope."""
        from coupondesk.models.timing import store_stats, timing_features

        history = self.context.history
        cutoff = float(self.context.as_of)
        if self._store_stats is None:
            self._store_stats = store_stats(history, cutoff)
        scope = self.scope(offer)
        lines = history.lines_before(cutoff)
        mask = None
        if offer.departments or offer.categories:
            mask = np.isin(lines["product_id"].to_numpy(), scope.product_ids)
        return timing_features(history, cutoff, households, mask, self._store_stats)

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


_GROUP_TITLES: dict[str, str] = {
    "redemptions": "coupon redemptions",
    "campaigns": "past campaigns",
    "coupon_use": "coupon use",
    "scope": "buying the offer's scope",
    "visits": "visits",
    "spend": "spend",
    "demographics": "demographics",
    "baskets": "recent baskets",
    "offer": "the offer",
    "other": "other history",
}


def _group_words(group: str, r: int, features: dict[str, np.ndarray], baskets: np.ndarray,
                 label: str) -> str:
    """What the household's own features say in the group, in plain words (`features`: the
    audience's feature columns as arrays)."""
    def value(name: str) -> float:
        return float(features[name][r]) if name in features else 0.0

    if group == "redemptions":
        n = value("redemptions")
        if n <= 0:
            return "never redeemed a campaign coupon"
        since = value("days_since_redemption")
        when = f", last {int(since)} days ago" if since < 400 else ""
        return f"redeemed {int(n)} campaign coupon{'s' if n != 1 else ''} before{when}"
    if group == "campaigns":
        return f"received {int(value('campaigns_received'))} campaigns before"
    if group == "coupon_use":
        lines = value("coupon_lines_all")
        if lines <= 0:
            return "never used a coupon"
        return f"used coupons on {int(lines)} purchase{'s' if lines != 1 else ''}"
    if group == "scope":
        n = float(baskets[r])
        if n >= 2:
            every = min(max(value("tenure"), 7.0), 365.0) / n
            return f"buys {label} {_every(every)}"
        if value("scope_lines_all") > 0:
            return f"bought {label} once, {int(value('scope_recency'))} days ago"
        return f"never bought {label}"
    if group == "visits":
        recency = value("recency")
        if recency > 28:
            return f"no visit for {int(recency)} days"
        return f"{value('n_baskets_91d') / 13.0:.1f} visits a week"
    if group == "spend":
        return f"${value('spend_91d'):,.0f} spent in the last 91 days"
    if group == "demographics":
        return "household demographics" if value("has_demographics") else "no demographics"
    if group == "baskets":
        return "the sequence of its recent baskets"
    return _GROUP_TITLES.get(group, group)


def _reasons(features: pd.DataFrame, p: np.ndarray, rows: np.ndarray, contributions: Any,
             model_kind: str, scope_visits: np.ndarray | None = None,
             scope_label: str = "") -> list[str]:
    """The serving model's top drivers of each requested household's score, in plain words.

    `contributions` (coupondesk.models.explain.Contributions) are the model's own logit terms
    per feature group: coefficient x standardised feature (logistic), SHAP values (LightGBM)
    or occlusion (transformer). `p` and `contributions` are the rows of the audience scored
    together (every household of the call, however many chunks it was read in), so "average"
    is the audience's. A score at or above that average lists the largest positive
    contributions first, one below it the most negative; three at most, each with its signed
    size and what the household's features say. E.g. "P(redeem) 0.41 (2.6x the audience's
    average); logistic: coupon redemptions +1.20 (redeemed 3 campaign coupons before, last 20
    days ago); buying the offer's scope +0.41 (buys COFFEE about every 2 weeks)". Groups that
    are the same for every household of the audience (the offer itself) are left out: they do
    not tell its households apart.
    """
    base = float(np.mean(p)) if len(p) else 0.0
    baskets = scope_visits if scope_visits is not None else features["scope_lines_all"].to_numpy()
    columns = {name: features[name].to_numpy() for name in features.columns}
    label = scope_label or "the offer's scope"
    varying = [
        k for k, g in enumerate(contributions.groups)
        if g != "offer" and not (g == "scope" and scope_label == "storewide")
        and float(np.ptp(contributions.values[:, k])) > 1e-9
    ]
    out = []
    for r in rows:
        above = p[r] >= base
        terms = [(float(contributions.values[r, k]), contributions.groups[k]) for k in varying]
        terms = [t for t in terms if (t[0] > 0) == above and abs(t[0]) > 1e-6] or terms
        terms.sort(key=lambda t: -t[0] if above else t[0])
        ratio = p[r] / base if base > 0 else 0.0
        drivers = "; ".join(
            f"{_GROUP_TITLES.get(group, group)} {value:+.2f} "
            f"({_group_words(group, int(r), columns, baskets, label)})"
            for value, group in terms[:3]
        )
        out.append(f"P(redeem) {p[r]:.2f} ({ratio:.1f}x the audience's average); "
                   f"{model_kind}: {drivers}")
    return out


def top_reason_group(reason: str) -> str:
    """The title of the first (strongest) driver in a reason string, e.g. "coupon use"."""
    drivers = reason.split("; ", 1)[1].split(": ", 1)[1]
    return drivers.split(" (", 1)[0].rsplit(" ", 1)[0]


# -- one-off convenience ------------------------------------------------------------------


def history_source_for(source: Any) -> HistorySource:
    """Where to read households' history: RetailFrames in memory, or a SQLAlchemy Engine or
    Session (read chunk by chunk through HouseholdFrames)."""
    if isinstance(source, RetailFrames):
        return FramesInMemory(lambda: source)
    from coupondesk.tools.data.frames import HouseholdFrames
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    if isinstance(source, Session):
        bind = source.get_bind()
        return HouseholdFrames(bind if isinstance(bind, Engine) else bind.engine)
    if isinstance(source, Engine):
        return HouseholdFrames(source)
    raise TypeError(f"cannot read retail history from {type(source).__name__}")


def score(
    source: Any, households: Sequence[int], offer: Offer, *, models_dir: Path,
    as_of: date | datetime | None = None, chunk_households: int = CHUNK_HOUSEHOLDS,
) -> list[Score]:
    """Scores of `households` for `offer` (source: Session, Engine or RetailFrames).

    Loads the models for this one call; a long-lived caller (the desk) keeps its own Scorer.
    """
    from coupondesk.models import registry

    if registry.read_card(Path(models_dir)) is None:
        raise NotReadyError(f"no trained acceptance model in {models_dir}; run `coupondesk train`")
    return Scorer(Path(models_dir), history_source_for(source), as_of=as_of,
                  chunk_households=chunk_households).score(households, offer)
