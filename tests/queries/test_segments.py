"""Segment rules and select_audience against pandas on the same real slice (SQLite + PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from coupondesk.tools.campaigns.plan import Audience, DemographicFilter
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.queries.segments import (
    active_households,
    audience_funnel,
    data_today,
    demographic_values,
    households_bought,
    households_matching,
    households_spent_at_least,
    lapsed_households,
    select_audience,
    top_spenders,
)
from sqlalchemy.orm import Session

from tests.queries.conftest import Slice, midnight

COOKIES = ["COOKIES/CONES", "COOKIES"]
CRACKERS = ["CRACKERS/MISC BKD FD"]


# --------------------------------------------------------------------------- pandas reference


def ref_bought(
    cj: Slice,
    days: int | None,
    departments: Sequence[str] = (),
    categories: Sequence[str] = (),
    today: date | None = None,
) -> set[int]:
    lines = cj.window(days, today)
    if departments or categories:
        lines = cj.in_scope(lines, departments, categories)
    return set(lines.household_id.astype(int))


def ref_lapsed(
    cj: Slice,
    days: int,
    departments: Sequence[str] = (),
    categories: Sequence[str] = (),
    today: date | None = None,
) -> set[int]:
    """Last purchase (in scope) before the window; nothing in it."""
    lines = cj.window(None, today)
    if departments or categories:
        lines = cj.in_scope(lines, departments, categories)
    last = lines.groupby("household_id").ts.max()
    cutoff = midnight(today or cj.today) - timedelta(days=days)
    return set(last[last < cutoff].index.astype(int))


def ref_spend(cj: Slice, days: int | None) -> dict[int, float]:
    return cj.window(days).groupby("household_id").sales_value.sum().to_dict()


# --------------------------------------------------------------------------- single rules


def test_data_today_is_the_day_after_the_last_transaction(session: Session, cj: Slice) -> None:
    assert data_today(session) == cj.today


@pytest.mark.parametrize("days", [14, 40, 100])
def test_lapsed_households(session: Session, cj: Slice, days: int) -> None:
    got = lapsed_households(session, days=days, today=cj.today)
    assert set(got) == ref_lapsed(cj, days)
    assert got == sorted(got) and got


@pytest.mark.parametrize("days", [7, 30])
def test_active_households(session: Session, cj: Slice, days: int) -> None:
    assert set(active_households(session, days=days, today=cj.today)) == ref_bought(cj, days)


def test_active_and_lapsed_split_the_customers_in_two(session: Session, cj: Slice) -> None:
    active = set(active_households(session, days=30, today=cj.today))
    lapsed = set(lapsed_households(session, days=30, today=cj.today))
    assert not active & lapsed
    assert active | lapsed == set(cj.window(None).household_id.astype(int))


@pytest.mark.parametrize(
    ("departments", "categories", "days"),
    [
        ([], COOKIES, 30),
        (["DELI"], [], None),
        (["PRODUCE"], [], 14),  # a broad scope: the per-household probe plan
        (["GROCERY"], [], None),
        (["SEAFOOD"], ["COFFEE"], 90),
    ],
)
def test_households_bought(
    session: Session, cj: Slice, departments: list[str], categories: list[str], days: int | None
) -> None:
    got = households_bought(
        session, departments=departments, categories=categories, days=days, today=cj.today
    )
    assert set(got) == ref_bought(cj, days, departments, categories)


def test_lapsed_in_a_scope(session: Session, cj: Slice) -> None:
    got = lapsed_households(session, days=60, categories=CRACKERS, today=cj.today)
    expected = ref_lapsed(cj, 60, categories=CRACKERS)
    assert set(got) == expected
    # Most of them still shop: that is the point of a category win-back.
    assert len(expected & ref_bought(cj, 30)) > len(expected) // 2


@pytest.mark.parametrize(("amount", "days"), [(300.0, 60), (50.0, 7), (2000.0, None)])
def test_households_spent_at_least(
    session: Session, cj: Slice, amount: float, days: int | None
) -> None:
    got = households_spent_at_least(session, amount=amount, days=days, today=cj.today)
    expected = {h for h, s in ref_spend(cj, days).items() if s >= amount}
    assert set(got) == expected and expected


def test_top_spenders(session: Session, cj: Slice) -> None:
    got = top_spenders(session, 10, 90, today=cj.today)
    lines = cj.window(90)
    spend = lines.groupby("household_id").sales_value.sum().sort_values(ascending=False)
    assert [r.household_id for r in got] == list(spend.index[:10])
    visits = lines.groupby("household_id").basket_id.nunique()
    for row in got:
        assert row.spend == pytest.approx(spend[row.household_id], abs=0.01)
        assert row.visits == visits[row.household_id]


def test_demographic_filters(session: Session, cj: Slice) -> None:
    demo = cj.demographics
    wanted = DemographicFilter(age_bands=["35-44", "45-54"], has_kids=True)
    expected = demo[demo.age.isin(["35-44", "45-54"]) & (demo.kids_count != "0")]
    assert set(households_matching(session, wanted)) == set(expected.household_id)
    assert expected.shape[0] > 5
    no_kids = DemographicFilter(income_bands=["50-74K"], has_kids=False)
    expected = demo[(demo.income == "50-74K") & (demo.kids_count == "0")]
    assert set(households_matching(session, no_kids)) == set(expected.household_id)


def test_demographic_values_are_the_data_bands(session: Session, cj: Slice) -> None:
    values = demographic_values(session)
    assert values["age_bands"] == sorted(cj.demographics.age.dropna().unique())
    assert "3+" in values["kids_counts"]


# --------------------------------------------------------------------------- audiences


def test_select_audience_scope_and_recency(session: Session, cj: Slice) -> None:
    """ "bought cookies in the last 30 days" = scope within the active window."""
    got = select_audience(session, Audience(active_days=30, categories=COOKIES), today=cj.today)
    assert set(got) == ref_bought(cj, 30, categories=COOKIES)


def test_select_audience_lapsed_store_vs_lapsed_in_scope(session: Session, cj: Slice) -> None:
    """Both phrasings are expressible and mean different households."""
    used_to_buy = select_audience(
        session, Audience(lapsed_days=60, categories=CRACKERS), today=cj.today
    )
    assert set(used_to_buy) == ref_lapsed(cj, 60) & ref_bought(cj, None, categories=CRACKERS)
    dropped = select_audience(
        session,
        Audience(lapsed_days=60, categories=CRACKERS, lapsed_in_scope=True, active_days=30),
        today=cj.today,
    )
    assert set(dropped) == ref_lapsed(cj, 60, categories=CRACKERS) & ref_bought(cj, 30)
    assert set(dropped) != set(used_to_buy)


def test_select_audience_min_spend_window_defaults(session: Session, cj: Slice) -> None:
    got = select_audience(session, Audience(min_spend=300, spend_window_days=60), today=cj.today)
    assert set(got) == {h for h, s in ref_spend(cj, 60).items() if s >= 300}
    default = select_audience(session, Audience(min_spend=300), today=cj.today)
    assert set(default) == {h for h, s in ref_spend(cj, 90).items() if s >= 300}


def test_select_audience_combines_with_and(session: Session, cj: Slice) -> None:
    audience = Audience(
        departments=["PRODUCE"],
        active_days=60,
        min_spend=100,
        demographics=DemographicFilter(household_sizes=["2", "3"]),
    )
    got = select_audience(session, audience, today=cj.today)
    demo = cj.demographics
    expected = (
        ref_bought(cj, 60, departments=["PRODUCE"])
        & {h for h, s in ref_spend(cj, 60).items() if s >= 100}
        & set(demo[demo.household_size.isin(["2", "3"])].household_id)
    )
    assert set(got) == expected and expected


def test_select_audience_top_spenders_is_ranked_and_capped(session: Session, cj: Slice) -> None:
    got = select_audience(
        session, Audience(top_spenders=True, max_size=25, categories=["BEEF"]), today=cj.today
    )
    beef = ref_bought(cj, None, categories=["BEEF"])
    spend = {h: s for h, s in ref_spend(cj, 90).items() if h in beef}
    ranked = sorted(beef, key=lambda h: (-spend.get(h, 0.0), h))[:25]
    assert got == ranked


def test_max_size_without_top_spenders_is_left_to_the_allocator(
    session: Session, cj: Slice
) -> None:
    got = select_audience(session, Audience(lapsed_days=14, max_size=5), today=cj.today)
    assert set(got) == ref_lapsed(cj, 14) and len(got) > 5


def test_a_past_today_never_sees_the_future(session: Session, cj: Slice) -> None:
    past = date(2017, 7, 1)
    got = select_audience(session, Audience(lapsed_days=30, categories=COOKIES), today=past)
    assert set(got) == ref_lapsed(cj, 30, today=past) & ref_bought(
        cj, None, categories=COOKIES, today=past
    )
    assert set(active_households(session, days=10, today=past)) == ref_bought(cj, 10, today=past)


def test_unknown_names_are_refused_not_silently_empty(session: Session, cj: Slice) -> None:
    with pytest.raises(BadInputError, match="COFFE"):
        select_audience(session, Audience(categories=["COFFE"]), today=cj.today)
    with pytest.raises(BadInputError, match="age_bands"):
        select_audience(
            session, Audience(demographics=DemographicFilter(age_bands=["30-40"])), today=cj.today
        )


def test_audience_funnel_explains_each_step(session: Session, cj: Slice) -> None:
    audience = Audience(lapsed_days=30, categories=["SOUP"], min_spend=20)
    steps = audience_funnel(session, audience, today=cj.today)
    assert [s.rule for s in steps] == ["all", "lapsed", "scope", "min_spend"]
    counts = [s.households for s in steps]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == len(cj.households)
    assert counts[-1] == len(select_audience(session, audience, today=cj.today))


SCOPES = [([], COOKIES), (["DELI"], []), (["PRODUCE"], []), (["SEAFOOD"], ["COFFEE"])]


@pytest.mark.parametrize(("departments", "categories"), SCOPES)
@pytest.mark.parametrize("days", [None, 14, 60])
def test_scope_rules_from_the_aggregates_equal_the_lines(
    session: Session, cj: Slice, departments: list[str], categories: list[str], days: int | None
) -> None:
    """Planning today, scope rules read `household_categories`; replaying a past day, the lines.
    Both give the pandas reference, and the two plans agree where both apply."""
    from coupondesk.tools.queries.segments import (
        _household_ids,
        bought_rule,
        lapsed_rule,
        scope_is_broad,
    )

    broad = scope_is_broad(session, departments, categories)
    scope = {"departments": departments, "categories": categories, "broad": broad}
    end = data_today(session)
    past = cj.today - timedelta(days=45)
    for today, data_end in ((cj.today, end), (cj.today, None), (past, end)):
        got = _household_ids(session, bought_rule(today=today, days=days, data_end=data_end,
                                                  **scope))
        assert set(got) == ref_bought(cj, days, departments, categories, today=today)
        if days is not None:
            got = _household_ids(session, lapsed_rule(today=today, days=days,
                                                      data_end=data_end, **scope))
            assert set(got) == ref_lapsed(cj, days, departments, categories, today=today)
