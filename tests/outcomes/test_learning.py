"""The product's own campaigns with outcomes become acceptance rows, on the honest time split."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from coupondesk.models.features import (
    campaign_scope,
    depth_features,
    offer_features,
)
from coupondesk.models.history import History
from coupondesk.models.tasks import (
    ACCEPTANCE_FOLD_DATE,
    ACCEPTANCE_FOLD_END,
    ACCEPTANCE_SPLIT_DATE,
    ACCEPTANCE_TEST_END,
    OWN_CAMPAIGN_OFFSET,
    acceptance_rows,
    acceptance_split,
)
from coupondesk.tools.data.frames import load_frames
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.outcomes.learning import OwnCampaign, own_campaigns, with_own_campaigns
from coupondesk.tools.outcomes.outcome_import import import_outcomes

from tests.outcomes.issued import issue


def _own(campaign_id: int, start: str, households: list[int], redeemers: int,
         source: str = "simulated") -> OwnCampaign:
    begin = pd.Timestamp(start)
    return OwnCampaign(
        campaign_id=campaign_id, source=source, kind="percent_off", value=15.0,
        departments=(), categories=("SOUP",), start=begin, end=begin + pd.Timedelta(days=6),
        receivers=tuple(households),
        redeemed={h: begin + pd.Timedelta(days=2) for h in households[:redeemers]},
    )


@pytest.fixture(scope="module")
def slice_frames(sqlite_url: str) -> object:
    return load_frames(get_engine(sqlite_url))


def test_dispatched_campaigns_with_outcomes_are_read_back(fresh_db_url: str, tmp_path: Path
                                                          ) -> None:
    campaign_id, codes = issue(fresh_db_url, n=3, categories=("SOUP",))
    (tmp_path / "redemptions.csv").write_text(
        "code,redeemed_at,basket_total,discount,order_id\n"
        f"{codes[1][0]},2018-01-04 09:00:00,10.00,1.50,9\n")
    import_outcomes(get_engine(fresh_db_url), tmp_path)
    [own] = own_campaigns(get_engine(fresh_db_url))
    assert (own.campaign_id, own.source, own.kind, own.value) == (campaign_id, "observed",
                                                                  "percent_off", 15.0)
    assert own.receivers == tuple(sorted(h for _c, h in codes))
    assert list(own.redeemed) == [codes[1][1]] and own.categories == ("SOUP",)


def test_own_campaigns_follow_the_time_split(slice_frames: object) -> None:
    households = sorted(slice_frames.campaigns["household_id"].unique())[:40]  # type: ignore[attr-defined]
    early = _own(1, "2017-03-01", households, 4, source="observed")
    late = _own(2, "2018-01-02", households, 6)
    frames = with_own_campaigns(slice_frames, [early, late])  # type: ignore[arg-type]
    history = History.from_frames(frames)
    main = acceptance_split(history, ACCEPTANCE_SPLIT_DATE, ACCEPTANCE_TEST_END,
                            own_test_open_ended=True)
    fold = acceptance_split(history, ACCEPTANCE_FOLD_DATE, ACCEPTANCE_FOLD_END)
    first, second = OWN_CAMPAIGN_OFFSET + 1, OWN_CAMPAIGN_OFFSET + 2
    assert first in main.train_campaigns and first in fold.train_campaigns
    assert second in main.test_campaigns
    assert second not in fold.train_campaigns + fold.test_campaigns
    rows = acceptance_rows(history, (first, second))
    assert rows.groupby("campaign_id")["label"].sum().to_dict() == {first: 4, second: 6}
    assert len(rows) == 80
    scope = campaign_scope(history, second)
    assert (scope.kind, scope.value, scope.duration_days) == ("percent_off", 15.0, 7.0)
    features = offer_features(history, scope)
    assert features["offer_percent_off"] == 0.15 and features["offer_kind_amount"] == 0.0
    retail = offer_features(history, campaign_scope(history, int(main.train_campaigns[0])))
    assert np.isnan(retail["offer_percent_off"]) and np.isnan(retail["offer_kind_amount"])
    assert depth_features("amount_off", 3.0)["offer_log_amount_off"] == pytest.approx(np.log(4))


def test_training_card_lists_own_campaigns(slice_frames: object, tmp_path: Path) -> None:
    from coupondesk.models.config import tiny_config
    from coupondesk.models.pipeline import train_all

    households = sorted(slice_frames.campaigns["household_id"].unique())[:60]  # type: ignore[attr-defined]
    frames = with_own_campaigns(slice_frames, [  # type: ignore[arg-type]
        _own(3, "2017-09-04", households, 9)])
    card = train_all(frames, tmp_path / "models", config=tiny_config())
    own = card["acceptance"]["own_campaigns"]
    assert own["any_simulated"] is True
    [listed] = own["campaigns"]
    assert (listed["campaign_id"], listed["source"], listed["part"], listed["rows"]) == (
        3, "simulated", "test", 60)
    assert listed["positive_rate"] == pytest.approx(9 / 60)
    assert {"offer_percent_off", "offer_kind_amount"} <= set(card["acceptance"]["feature_names"])
