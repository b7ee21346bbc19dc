"""Leak-safe tabular features: everything is computed from rows strictly before a cutoff.

Three groups: household history at a cutoff (visits, spend, discount and coupon use, past
campaigns and redemptions), the offer's own description (type, duration, breadth), and the
overlap of the household's past purchases with the offer's scope (products, categories,
departments). The same functions serve training rows (cutoff = campaign start / behaviour
cutoff) and scoring (cutoff = today), so a new offer is featurised exactly like a campaign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from coupondesk.models.history import History, to_days
from scipy import sparse

WINDOWS: tuple[int, ...] = (7, 14, 28, 56, 91)
"""Look-back windows in days for visit and spend counts (plus all history)."""
CAMPAIGN_TYPES: tuple[str, ...] = ("Type A", "Type B", "Type C")

DEMOGRAPHIC_ORDINALS: dict[str, dict[str, float]] = {
    "age": {"19-24": 0, "25-34": 1, "35-44": 2, "45-54": 3, "55-64": 4, "65+": 5},
    "income": {
        "Under 15K": 0, "15-24K": 1, "25-34K": 2, "35-49K": 3, "50-74K": 4, "75-99K": 5,
        "100-124K": 6, "125-149K": 7, "150-174K": 8, "175-199K": 9, "200-249K": 10, "250K+": 11,
    },
    "household_size": {"1": 1, "2": 2, "3": 3, "4": 4, "5+": 5},
    "kids_count": {"0": 0, "1": 1, "2": 2, "3+": 3},
}
"""Ordinal codes of the demographic bands (missing household or band -> NaN)."""


@dataclass(frozen=True)
class OfferScope:
    """What an offer covers and how it runs: the models-layer description of a campaign/offer.

    A historical campaign's scope is its coupons' products; a new offer's scope is every catalog
    product in its departments/categories (all products when storewide). Discount depth and
    minimum spend are deliberately absent: the historical data has no depth, so no model can
    have learned its effect (see tools/scoring.py for how depth is treated).
    """

    product_ids: np.ndarray
    """Catalog products the offer discounts."""
    campaign_type: str = "Type B"
    """'Type A'/'Type B'/'Type C'; new offers are Type B (every recipient gets the same coupon)."""
    duration_days: float = 35.0
    """Days the offer is valid."""
    n_coupons: int = 1
    """Distinct coupons in the campaign (1 for a single new offer)."""
    label: str = ""
    """Human-readable name (campaign id or the offer's departments/categories)."""
    departments: tuple[str, ...] = field(default=())
    categories: tuple[str, ...] = field(default=())
    kind: str | None = None
    """'percent_off'/'amount_off' when known (the product's own campaigns, new offers); None for
    the historical campaigns, whose depth the data does not record."""
    value: float | None = None
    """15 for 15% off or $15 off; None when unknown."""


def campaign_scope(history: History, campaign_id: int) -> OfferScope:
    """The scope of a historical campaign from its coupons and description."""
    frames = history.frames
    desc = frames.campaign_descriptions.set_index("campaign_id").loc[campaign_id]
    coupons = frames.coupons[frames.coupons["campaign_id"] == campaign_id]
    duration = float((desc["end_date"] - desc["start_date"]) / pd.Timedelta(days=1)) + 1.0
    kind = desc.get("offer_kind")
    value = desc.get("offer_value")
    known = isinstance(kind, str) and kind in ("percent_off", "amount_off")
    return OfferScope(
        product_ids=np.unique(coupons["product_id"].to_numpy(np.int64)),
        campaign_type=str(desc["campaign_type"]),
        duration_days=duration,
        n_coupons=int(coupons["coupon_upc"].nunique()),
        label=f"campaign {campaign_id}",
        kind=str(kind) if known else None,
        value=float(value) if known and value == value else None,
    )


def catalog_scope(
    history: History,
    departments: tuple[str, ...],
    categories: tuple[str, ...],
    duration_days: float,
    label: str = "",
    *,
    kind: str | None = None,
    value: float | None = None,
) -> OfferScope:
    """The scope of a new offer: every catalog product in the named departments/categories.

    Names are matched case-insensitively to the catalog; an offer naming none is storewide.
    Raises ValueError for a name the catalog does not have (the caller turns it into a message).
    """
    dept_code = {name.upper(): i for i, name in enumerate(history.departments)}
    cat_code = {name.upper(): i for i, name in enumerate(history.categories)}
    wanted_depts = {d.upper() for d in departments}
    wanted_cats = {c.upper() for c in categories}
    unknown = sorted((wanted_depts - set(dept_code)) | (wanted_cats - set(cat_code)))
    if unknown:
        raise ValueError(f"not in the catalog: {', '.join(unknown)}")
    product_ids = history.product_cat.index.to_numpy()
    if not wanted_depts and not wanted_cats:
        mask = np.ones(len(product_ids), dtype=bool)
    else:
        mask = np.isin(history.product_dept.to_numpy(), [dept_code[d] for d in wanted_depts])
        mask |= np.isin(history.product_cat.to_numpy(), [cat_code[c] for c in wanted_cats])
    return OfferScope(
        product_ids=np.unique(product_ids[mask].astype(np.int64)),
        duration_days=float(duration_days),
        label=label,
        departments=tuple(departments),
        categories=tuple(categories),
        kind=kind,
        value=value,
    )


def household_features(history: History, cutoff: float, households: np.ndarray) -> pd.DataFrame:
    """History features of each household at `cutoff` (float days), indexed by household_id.

    Reads only baskets, lines, receipts and redemptions strictly before the cutoff.
    """
    idx = pd.Index(households, name="household_id")
    out = pd.DataFrame(index=idx)
    baskets = history.baskets_before(cutoff)
    baskets = baskets[baskets["household_id"].isin(idx)]
    by_hh = baskets.groupby("household_id")

    out["n_baskets"] = by_hh.size().reindex(idx).fillna(0)
    out["spend_all"] = by_hh["spend"].sum().reindex(idx).fillna(0)
    last_t = by_hh["t"].max().reindex(idx)
    first_t = by_hh["t"].min().reindex(idx)
    out["recency"] = (cutoff - last_t).fillna(400.0)
    out["tenure"] = (cutoff - first_t).fillna(0.0)
    out["visits_per_week"] = out["n_baskets"] / (out["tenure"].clip(lower=7) / 7)
    for days in WINDOWS:
        recent = baskets[baskets["t"] >= cutoff - days].groupby("household_id")
        out[f"n_baskets_{days}d"] = recent.size().reindex(idx).fillna(0)
        out[f"spend_{days}d"] = recent["spend"].sum().reindex(idx).fillna(0)
    out["spend_trend"] = np.log1p(out["spend_28d"]) - np.log1p(out["spend_91d"] / 3.25)
    out["mean_basket"] = out["spend_all"] / out["n_baskets"].clip(lower=1)
    out["last_basket_spend"] = by_hh["spend"].last().reindex(idx).fillna(0)
    # Week-by-week dynamics over the last 13 weeks (week 0 = the 7 days before the cutoff).
    recent13 = baskets[baskets["t"] >= cutoff - 91]
    week = np.floor((cutoff - recent13["t"].to_numpy()) / 7).clip(0, 12).astype(int)
    weekly = pd.DataFrame({"household_id": recent13["household_id"].to_numpy(), "week": week,
                           "spend": recent13["spend"].to_numpy()})
    grid = weekly.pivot_table(index="household_id", columns="week", values="spend",
                              aggfunc="sum", fill_value=0.0).reindex(
        index=idx, columns=range(13), fill_value=0.0).fillna(0.0)
    values = grid.to_numpy()
    out["active_weeks_13"] = (values > 0).sum(1)
    out["weekly_spend_std"] = values.std(1)
    out["weekly_spend_median"] = np.median(values, axis=1)
    decay = 0.75 ** np.arange(13)
    out["weekly_spend_ewm"] = values @ (decay / decay.sum())
    for w in (1, 2, 3):
        out[f"spend_week_{w}"] = values[:, w]
    out["visit_trend"] = (out["n_baskets_28d"] + 1) / (out["n_baskets_91d"] / 3.25 + 1)

    # Inter-visit rhythm: gaps between consecutive visit days (the last 30 gaps).
    days = baskets[["household_id", "t"]].copy()
    days["day"] = np.floor(days["t"])
    days = days.drop_duplicates(["household_id", "day"])
    days["gap"] = days.groupby("household_id")["day"].diff()
    gaps = days.dropna(subset=["gap"]).groupby("household_id").tail(30)
    by_gap = gaps.groupby("household_id")["gap"]
    out["gap_median"] = by_gap.median().reindex(idx)
    out["gap_mean"] = by_gap.mean().reindex(idx)
    out["gap_std"] = by_gap.std().reindex(idx)
    out["gap_max"] = by_gap.max().reindex(idx)
    out["gap_last"] = by_gap.last().reindex(idx)
    out["gap_mean_last5"] = gaps.groupby("household_id").tail(5).groupby("household_id")[
        "gap"].mean().reindex(idx)
    out["visit_days_28d"] = (
        days[days["t"] >= cutoff - 28].groupby("household_id").size().reindex(idx).fillna(0))
    out["recency_over_gap"] = out["recency"] / out["gap_median"].clip(lower=1)
    gaps = gaps.join(out["recency"], on="household_id")
    longer = gaps[gaps["gap"] > gaps["recency"]]
    n_longer = longer.groupby("household_id").size().reindex(idx).fillna(0)
    out["gap_survival"] = n_longer / by_gap.size().reindex(idx).fillna(0).clip(lower=1)
    for horizon in (7, 14, 28):
        ended = longer[longer["gap"] <= longer["recency"] + horizon]
        n_ended = ended.groupby("household_id").size().reindex(idx).fillna(0)
        out[f"gap_hazard_{horizon}d"] = (n_ended + 0.5) / (n_longer + 1.0)

    # Price sensitivity and coupon use on receipts.
    out["retail_disc_share"] = (
        by_hh["retail_disc"].sum().reindex(idx).fillna(0) / out["spend_all"].clip(lower=1)
    )
    out["coupon_lines_all"] = by_hh["coupon_lines"].sum().reindex(idx).fillna(0)
    out["coupon_disc_all"] = by_hh["coupon_disc"].sum().reindex(idx).fillna(0)
    recent = baskets[baskets["t"] >= cutoff - 91].groupby("household_id")
    out["coupon_lines_91d"] = recent["coupon_lines"].sum().reindex(idx).fillna(0)
    out["coupon_baskets_all"] = (
        baskets[baskets["coupon_lines"] > 0].groupby("household_id").size().reindex(idx).fillna(0)
    )
    lines = history.lines_before(cutoff)
    lines = lines[lines["household_id"].isin(idx)]
    match = lines[lines["coupon_match_disc"] != 0].groupby("household_id").size()
    out["coupon_match_lines"] = match.reindex(idx).fillna(0)
    out["n_products"] = lines.groupby("household_id")["product_id"].nunique().reindex(idx).fillna(0)
    out["n_categories"] = lines.groupby("household_id")["cat"].nunique().reindex(idx).fillna(0)
    n_lines = lines.groupby("household_id").size().reindex(idx).fillna(0)
    out["coupon_line_rate"] = out["coupon_lines_all"] / n_lines.clip(lower=1)
    out["coupon_basket_share"] = out["coupon_baskets_all"] / out["n_baskets"].clip(lower=1)
    out["coupon_lines_28d"] = (
        baskets[baskets["t"] >= cutoff - 28].groupby("household_id")["coupon_lines"].sum()
    ).reindex(idx).fillna(0)
    coupon_t = baskets[baskets["coupon_lines"] > 0].groupby("household_id")["t"].max()
    out["days_since_coupon"] = (cutoff - coupon_t).reindex(idx).fillna(400.0)
    private = history.private_label.reindex(lines["product_id"]).fillna(0).to_numpy()
    private_spend = pd.Series(lines["spend"].to_numpy() * private,
                              index=lines["household_id"].to_numpy()).groupby(level=0).sum()
    out["private_label_share"] = private_spend.reindex(idx).fillna(0) / out["spend_all"].clip(
        lower=1)

    # Past campaigns and redemptions (only those that started / happened before the cutoff).
    frames = history.frames
    desc = frames.campaign_descriptions.assign(
        start=lambda d: to_days(d["start_date"]), end=lambda d: to_days(d["end_date"])
    )
    received = frames.campaigns.merge(desc, on="campaign_id")
    received = received[(received["start"] < cutoff) & received["household_id"].isin(idx)]
    out["campaigns_received"] = received.groupby("household_id").size().reindex(idx).fillna(0)
    for kind in CAMPAIGN_TYPES:
        of_kind = received[received["campaign_type"] == kind].groupby("household_id").size()
        out[f"received_{kind[-1].lower()}"] = of_kind.reindex(idx).fillna(0)
    ended = received[received["end"] < cutoff]
    out["campaigns_ended"] = ended.groupby("household_id").size().reindex(idx).fillna(0)
    out["campaigns_running"] = out["campaigns_received"] - out["campaigns_ended"]
    redemptions = frames.coupon_redemptions
    redemptions = redemptions[
        (to_days(redemptions["redemption_date"]) < cutoff)
        & redemptions["household_id"].isin(idx)
    ].assign(t=lambda r: to_days(r["redemption_date"]))
    by_red = redemptions.groupby("household_id")
    out["redemptions"] = by_red.size().reindex(idx).fillna(0)
    out["redeemed_campaigns"] = by_red["campaign_id"].nunique().reindex(idx).fillna(0)
    out["redemptions_91d"] = (
        redemptions[redemptions["t"] >= cutoff - 91].groupby("household_id").size()
    ).reindex(idx).fillna(0)
    out["days_since_redemption"] = (cutoff - by_red["t"].max()).reindex(idx).fillna(400.0)
    ended_keys = ended[["household_id", "campaign_id"]]
    hit = ended_keys.merge(
        redemptions[["household_id", "campaign_id"]].drop_duplicates(), on=["household_id",
                                                                         "campaign_id"]
    )
    n_hit = hit.groupby("household_id").size().reindex(idx).fillna(0)
    out["ended_redeem_rate"] = (n_hit + 0.1) / (out["campaigns_ended"] + 1.0)
    out["received_not_redeemed"] = out["campaigns_ended"] - n_hit
    out["redemptions_28d"] = (
        redemptions[redemptions["t"] >= cutoff - 28].groupby("household_id").size()
    ).reindex(idx).fillna(0)
    out["coupons_redeemed"] = by_red["coupon_upc"].nunique().reindex(idx).fillna(0)
    # Per campaign type: ended campaigns received and redeemed (the offer picks its own type).
    hit_types = hit.merge(desc[["campaign_id", "campaign_type"]], on="campaign_id")
    for kind in CAMPAIGN_TYPES:
        key = kind[-1].lower()
        of_kind = ended[ended["campaign_type"] == kind].groupby("household_id").size()
        out[f"ended_{key}"] = of_kind.reindex(idx).fillna(0)
        won = hit_types[hit_types["campaign_type"] == kind].groupby("household_id").size()
        out[f"redeemed_ended_{key}"] = won.reindex(idx).fillna(0)

    # Demographics (801 households have them).
    demo = frames.demographics.set_index("household_id").reindex(idx)
    out["has_demographics"] = demo["age"].notna().astype(float).to_numpy()
    for column, codes in DEMOGRAPHIC_ORDINALS.items():
        out[f"demo_{column}"] = demo[column].astype("object").map(codes).astype(float).to_numpy()
    out["demo_homeowner"] = (
        demo["home_ownership"].astype("object").eq("Homeowner").astype(float).to_numpy()
    )
    out["demo_married"] = demo["marital_status"].astype("object").eq("Married").astype(float)
    out.loc[out["has_demographics"] == 0, ["demo_homeowner", "demo_married"]] = np.nan
    return out.astype(np.float32)


def offer_features(history: History, scope: OfferScope) -> dict[str, float]:
    """The offer's own description: type, duration and breadth of what it covers."""
    cats = history.product_cat.reindex(scope.product_ids).dropna()
    depts = history.product_dept.reindex(scope.product_ids).dropna()
    features = {
        f"offer_type_{kind[-1].lower()}": float(scope.campaign_type == kind)
        for kind in CAMPAIGN_TYPES
    }
    features["offer_log_duration"] = float(np.log(max(scope.duration_days, 1.0)))
    features["offer_log_products"] = float(np.log1p(len(scope.product_ids)))
    features["offer_log_coupons"] = float(np.log1p(scope.n_coupons))
    features["offer_n_categories"] = float(cats.nunique())
    features["offer_n_departments"] = float(depts.nunique())
    features.update(depth_features(scope.kind, scope.value))
    return features


def depth_features(kind: str | None, value: float | None) -> dict[str, float]:
    """Kind and depth of the offer; NaN when unknown (every historical campaign).

    offer_percent_off = value / 100 of a percent offer, offer_log_amount_off = log(1 + $) of an
    amount offer, 0 for the other kind; offer_kind_amount 1 for amount off, 0 for percent off.
    Models trained on history alone see a constant NaN column and give it no weight.
    """
    if kind not in ("percent_off", "amount_off") or value is None:
        nan = float("nan")
        return {"offer_kind_amount": nan, "offer_percent_off": nan, "offer_log_amount_off": nan}
    amount = kind == "amount_off"
    return {
        "offer_kind_amount": float(amount),
        "offer_percent_off": 0.0 if amount else float(value) / 100.0,
        "offer_log_amount_off": float(np.log1p(value)) if amount else 0.0,
    }


@dataclass(frozen=True)
class PurchaseMatrices:
    """Household x product and household x category purchase totals strictly before a cutoff.

    Built once per cutoff; the overlap of any offer with every household is then a few sparse
    matrix-vector products, which is what makes scoring many offers fast.
    """

    cutoff: float
    households: pd.Index
    products: pd.Index
    spend: sparse.csr_matrix
    lines: sparse.csr_matrix
    coupon_lines: sparse.csr_matrix
    retail_disc: sparse.csr_matrix
    spend_91d: sparse.csr_matrix
    lines_91d: sparse.csr_matrix
    last_t: sparse.csr_matrix
    """Day of the last purchase of the product + 1 (so 0 means never)."""
    cat_spend: np.ndarray
    cat_lines: np.ndarray
    total_spend: np.ndarray
    bought: sparse.csr_matrix
    """1 where the household bought the product at least once."""
    repeat: sparse.csr_matrix
    """1 where the household bought the product on two or more lines."""
    spend_28d: sparse.csr_matrix
    manufacturer_spend: sparse.csr_matrix
    """Household x manufacturer spend (columns in `manufacturers` order)."""
    manufacturers: pd.Index
    product_manufacturer: np.ndarray
    """Column in `manufacturers` of each product in `products` order."""
    redeemed: sparse.csr_matrix
    """1 where a coupon the household redeemed before the cutoff covered the product."""

    @classmethod
    def build(cls, history: History, cutoff: float, households: np.ndarray) -> PurchaseMatrices:
        """Aggregate the lines strictly before `cutoff` of the given households."""
        hh_index = pd.Index(np.unique(np.asarray(households, dtype=np.int64)))
        lines = history.lines_before(cutoff)
        lines = lines[lines["household_id"].isin(hh_index)]
        products = pd.Index(history.product_cat.index.unique())
        rows = hh_index.get_indexer(lines["household_id"].to_numpy())
        cols = products.get_indexer(lines["product_id"].to_numpy())
        known = cols >= 0
        rows, cols = rows[known], cols[known]
        shape = (len(hh_index), len(products))
        t = lines["t"].to_numpy()[known]
        recent = t >= cutoff - 91
        # One sorted (household, product) structure for every matrix: each is a bincount of
        # its values over the same cells, not a COO matrix sorted and summed on its own.
        cell, inverse = np.unique(rows.astype(np.int64) * shape[1] + cols, return_inverse=True)
        cell_rows, cell_cols = cell // shape[1], (cell % shape[1]).astype(np.int32)
        indptr = np.searchsorted(cell_rows, np.arange(shape[0] + 1))

        def cells(values: np.ndarray) -> sparse.csr_matrix:
            # Its own copy of the structure: eliminate_zeros compacts it in place.
            return sparse.csr_matrix((values, cell_cols.copy(), indptr.copy()), shape=shape)

        def matrix(values: np.ndarray, mask: np.ndarray | None = None) -> sparse.csr_matrix:
            weights = values.astype(np.float64) if mask is None else np.where(mask, values, 0.0)
            summed = cells(np.bincount(inverse, weights=weights, minlength=len(cell)))
            if mask is not None:
                summed.eliminate_zeros()  # a cell with no line in the window is no entry
            return summed

        spend = lines["spend"].to_numpy()[known]
        ones = np.ones(len(rows))
        last = np.full(len(cell), -np.inf)
        np.maximum.at(last, inverse, t)
        last_t = cells(last + 1.0)
        n_cat = len(history.categories)
        cats = lines["cat"].to_numpy()[known]
        cat_spend = np.zeros((len(hh_index), n_cat))
        np.add.at(cat_spend, (rows, cats), spend)
        cat_lines = np.zeros((len(hh_index), n_cat))
        np.add.at(cat_lines, (rows, cats), 1.0)
        spend_matrix = matrix(spend)
        line_matrix = matrix(ones)
        maker = history.product_manufacturer.reindex(products).fillna(-1).to_numpy(np.int64)
        manufacturers = pd.Index(np.unique(maker))
        maker_col = manufacturers.get_indexer(maker)
        to_maker = sparse.csr_matrix(
            (np.ones(len(products)), (np.arange(len(products)), maker_col)),
            shape=(len(products), len(manufacturers)))
        frames = history.frames
        red = frames.coupon_redemptions
        red = red[(to_days(red["redemption_date"]) < cutoff)
                  & red["household_id"].isin(hh_index)][["household_id", "coupon_upc",
                                                         "campaign_id"]].drop_duplicates()
        covered = red.merge(frames.coupons[["coupon_upc", "campaign_id", "product_id"]],
                            on=["coupon_upc", "campaign_id"])
        covered = covered[["household_id", "product_id"]].drop_duplicates()
        r_rows = hh_index.get_indexer(covered["household_id"].to_numpy())
        r_cols = products.get_indexer(covered["product_id"].to_numpy())
        ok = (r_rows >= 0) & (r_cols >= 0)
        redeemed = sparse.csr_matrix((np.ones(int(ok.sum())), (r_rows[ok], r_cols[ok])),
                                     shape=shape)
        counts = line_matrix.data
        repeat = cells((counts >= 2).astype(np.float64))
        repeat.eliminate_zeros()
        return cls(
            cutoff=cutoff,
            households=hh_index,
            products=products,
            bought=cells(np.ones(len(cell))),
            repeat=repeat,
            spend_28d=matrix(spend, t >= cutoff - 28),
            manufacturer_spend=sparse.csr_matrix(spend_matrix @ to_maker),
            manufacturers=manufacturers,
            product_manufacturer=maker_col,
            redeemed=redeemed,
            spend=spend_matrix,
            lines=line_matrix,
            coupon_lines=matrix((lines["coupon_line"].to_numpy()[known] > 0).astype(float)),
            retail_disc=matrix(lines["retail_disc"].to_numpy()[known]),
            spend_91d=matrix(spend, recent),
            lines_91d=matrix(ones, recent),
            last_t=last_t,
            cat_spend=cat_spend,
            cat_lines=cat_lines,
            total_spend=cat_spend.sum(axis=1),
        )

    def overlap(self, history: History, scope: OfferScope) -> pd.DataFrame:
        """Overlap features of every household with the offer's scope, indexed by household."""
        indicator = np.zeros(len(self.products))
        positions = self.products.get_indexer(scope.product_ids)
        indicator[positions[positions >= 0]] = 1.0
        out = pd.DataFrame(index=self.households)
        total = np.maximum(self.total_spend, 1.0)
        out["scope_spend_all"] = self.spend @ indicator
        out["scope_share_all"] = out["scope_spend_all"] / total
        out["scope_lines_all"] = self.lines @ indicator
        out["scope_products_bought"] = self.bought @ indicator
        out["scope_repeat_products"] = self.repeat @ indicator
        out["scope_coverage"] = out["scope_products_bought"] / max(float(indicator.sum()), 1.0)
        n_products = np.asarray(self.bought.sum(axis=1)).ravel()
        out["scope_repertoire_share"] = out["scope_products_bought"] / np.maximum(n_products, 1)
        out["scope_spend_28d"] = self.spend_28d @ indicator
        out["scope_redeemed_products"] = self.redeemed @ indicator
        makers = np.zeros(len(self.manufacturers))
        makers[self.product_manufacturer[positions[positions >= 0]]] = 1.0
        out["maker_spend_all"] = self.manufacturer_spend @ makers
        out["maker_share_all"] = out["maker_spend_all"] / total
        last = self.last_t.multiply(indicator[None, :]).max(axis=1).toarray().ravel()
        out["scope_recency"] = np.where(last > 0, self.cutoff - (last - 1.0), 400.0)
        out["scope_spend_91d"] = self.spend_91d @ indicator
        out["scope_lines_91d"] = self.lines_91d @ indicator
        out["scope_coupon_lines"] = self.coupon_lines @ indicator
        out["scope_retail_disc_share"] = (self.retail_disc @ indicator) / np.maximum(
            out["scope_spend_all"], 1.0
        )
        # Category level: spend in the categories the offer touches, weighted by how much of
        # each category it covers, so a coupon on one brand counts less than a whole category.
        weight = category_weights(history, scope)
        touched = (weight > 0).astype(np.float64)
        out["cat_weighted_spend"] = self.cat_spend @ weight
        out["cat_spend_all"] = self.cat_spend @ touched
        out["cat_share_all"] = out["cat_spend_all"] / total
        out["cat_lines_all"] = self.cat_lines @ touched
        return out.astype(np.float32)


def category_weights(history: History, scope: OfferScope) -> np.ndarray:
    """Per category: the share of its catalog products the offer covers (0 = untouched)."""
    n_cat = len(history.categories)
    cats = history.product_cat.reindex(scope.product_ids).dropna().astype(int).to_numpy()
    if not len(cats):
        return np.zeros(n_cat)
    counts = np.bincount(cats, minlength=n_cat)
    catalog = np.bincount(history.product_cat.to_numpy(), minlength=n_cat)
    return counts / np.maximum(catalog, 1)


def overlap_features(
    history: History, cutoff: float, households: np.ndarray, scope: OfferScope
) -> pd.DataFrame:
    """How much each household bought of what the offer covers, strictly before `cutoff`."""
    return PurchaseMatrices.build(history, cutoff, households).overlap(history, scope)


def acceptance_features(history: History, rows: pd.DataFrame) -> pd.DataFrame:
    """Tabular features of acceptance rows (household_id, campaign_id, start), row-aligned."""
    parts: list[pd.DataFrame] = []
    for start, at_start in rows.groupby("start", sort=False):
        households = np.unique(at_start["household_id"])
        table = household_features(history, float(start), households)
        matrices = PurchaseMatrices.build(history, float(start), households)
        for campaign_id, group in at_start.groupby("campaign_id", sort=False):
            scope = campaign_scope(history, int(campaign_id))
            features = pair_features(history, group["household_id"], scope, table, matrices)
            parts.append(features.set_index(group.index))
    return pd.concat(parts).loc[rows.index]


def pair_features(
    history: History,
    households: pd.Series | np.ndarray,
    scope: OfferScope,
    household_table: pd.DataFrame,
    matrices: PurchaseMatrices,
) -> pd.DataFrame:
    """All acceptance features of (household, offer) pairs at one cutoff, in `households` order.

    `household_table` and `matrices` are built once per cutoff (household_features and
    PurchaseMatrices.build) and reused for every offer scored on that day.
    """
    hh = np.asarray(households, dtype=np.int64)
    overlap = matrices.overlap(history, scope)
    joined = pd.concat([household_table.reindex(overlap.index), overlap], axis=1)
    extra: dict[str, Any] = {
        name: np.float32(value) for name, value in offer_features(history, scope).items()
    }
    extra["overlap_x_coupon"] = np.log1p(joined["scope_spend_all"]) * np.log1p(
        joined["coupon_lines_all"]
    )
    key = scope.campaign_type[-1].lower() if scope.campaign_type in CAMPAIGN_TYPES else "b"
    extra["same_type_ended"] = joined[f"ended_{key}"]
    extra["same_type_redeemed"] = joined[f"redeemed_ended_{key}"]
    extra["same_type_redeem_rate"] = (joined[f"redeemed_ended_{key}"] + 0.1) / (
        joined[f"ended_{key}"] + 1.0)
    extra["overlap_x_redeem"] = np.log1p(joined["scope_spend_all"]) * joined["ended_redeem_rate"]
    joined = pd.concat([joined, pd.DataFrame(extra, index=joined.index)], axis=1)
    return joined.loc[hh].reset_index(drop=True).astype(np.float32)


def behaviour_features(history: History, rows: pd.DataFrame) -> pd.DataFrame:
    """Household features of behaviour rows (household_id, cutoff), row-aligned."""
    parts: list[pd.DataFrame] = []
    for cutoff, group in rows.groupby("cutoff", sort=False):
        table = household_features(history, float(cutoff), np.unique(group["household_id"]))
        table = add_department_features(history, float(cutoff), table)
        parts.append(table.loc[group["household_id"]].set_index(group.index))
    return pd.concat(parts).loc[rows.index]


def add_department_features(
    history: History, cutoff: float, table: pd.DataFrame, departments: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Per top department: baskets with it in the last 28/91 days and days since last bought."""
    from coupondesk.models.tasks import TOP_DEPARTMENTS

    names = departments or TOP_DEPARTMENTS
    code = {name: i for i, name in enumerate(history.departments)}
    idx = table.index
    lines = history.lines_before(cutoff)
    lines = lines[(lines["t"] >= cutoff - 91) & lines["household_id"].isin(idx)]
    out = table.copy()
    for name in names:
        mine = lines[lines["dept"] == code[name]]
        by_hh = mine.groupby("household_id")
        key = "".join(ch if ch.isalnum() else "_" for ch in name.lower())
        out[f"d_{key}_baskets_91d"] = by_hh["basket_id"].nunique().reindex(idx).fillna(0)
        out[f"d_{key}_baskets_28d"] = (
            mine[mine["t"] >= cutoff - 28].groupby("household_id")["basket_id"].nunique()
        ).reindex(idx).fillna(0)
        out[f"d_{key}_recency"] = (cutoff - by_hh["t"].max()).reindex(idx).fillna(120.0)
    return out.astype(np.float32)
