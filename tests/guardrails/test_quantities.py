"""Unit tables for the quantity scanner: numbers, percents, 折, money, 满减, durations."""

from __future__ import annotations

import pytest
from coupondesk.tools.policy.quantities import (
    find_claims,
    normalize_with_offsets,
    parse_duration_days,
    parse_min_spend,
    parse_money,
    parse_number,
    parse_percent_off,
    parse_zhe,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7), ("1,500", 1500), ("1.2k", 1200), ("2k", 2000), ("2K", 2000), ("0.5", 0.5),
        ("3.75", 3.75), ("1,234,567", 1234567), ("1.2万", 12000), ("3千", 3000),
        ("one", 1), ("five", 5), ("twelve", 12), ("twenty", 20), ("twenty-five", 25),
        ("twenty five", 25), ("ninety-nine", 99), ("a hundred", 100), ("one hundred", 100),
        ("one hundred and fifty", 150), ("two hundred fifty", 250), ("fifteen hundred", 1500),
        ("a thousand", 1000), ("two thousand five hundred", 2500), ("a dozen", 12),
        ("two dozen", 24), ("a couple of", 2), ("couple", 2), ("half", 0.5),
        ("一", 1), ("两", 2), ("十", 10), ("十五", 15), ("二十", 20), ("二十五", 25),
        ("一百", 100), ("一百零五", 105), ("三千", 3000), ("一万", 10000), ("八五", 85),
        ("九五", 95), ("八点五", 8.5), ("半", 0.5), ("壹佰", 100), ("１５", 15),
        ("2 thousand", 2000), ("1.5 million", 1_500_000), ("5 hundred", 500),
        ("2 Thousand", 2000), ("2 hundred thousand", 200_000),
    ],
)
def test_parse_number(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "soup", "five six", "a", "hundred"])
def test_parse_number_rejects_non_numbers(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15%", 15), ("15 %", 15), ("15% off", 15), ("15 percent", 15), ("15 percent off", 15),
        ("15 per cent", 15), ("15-percent", 15), ("fifteen percent", 15), ("15 pct", 15),
        ("twenty-five percent off", 25), ("12.5%", 12.5), ("１５％", 15), ("百分之十五", 15),
        ("half price", 50), ("half off", 50), ("half-price", 50), ("1/2 off", 50),
        ("半价", 50), ("save 7%", 7),
    ],
)
def test_parse_percent_off(text: str, expected: float) -> None:
    assert parse_percent_off(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "percent_off"),
    [
        ("85折", 15), ("8.5折", 15), ("八五折", 15), ("八点五折", 15), ("八折", 20), ("8折", 20),
        ("9折", 10), ("九折", 10), ("75折", 25), ("七五折", 25), ("九五折", 5), ("95折", 5),
        ("9.5折", 5), ("88折", 12), ("八八折", 12), ("五折", 50), ("5折", 50), ("7折", 30),
        ("87.5折", 12.5), ("打8折", 20), ("１折", 90),
    ],
)
def test_zhe(text: str, percent_off: float) -> None:
    assert parse_zhe(text) == pytest.approx(percent_off)
    assert parse_percent_off(text) == pytest.approx(percent_off)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$5", 5), ("$ 5", 5), ("$5.00", 5), ("$1,500", 1500), ("5 dollars", 5),
        ("five dollars", 5), ("a dollar", 1), ("one dollar", 1), ("3 bucks", 3),
        ("50 cents", 0.5), ("fifty cents", 0.5), ("5元", 5), ("5块", 5), ("5块钱", 5),
        ("五元", 5), ("二十五元", 25), ("¥5", 5), ("￥5", 5), ("US$5", 5), ("USD 5", 5),
        ("5 USD", 5), ("3$", 3), ("$.50", 0.5), ("1.2万元", 12000), ("$1.5 million", 1_500_000),
        ("2 thousand dollars", 2000),
    ],
)
def test_parse_money(text: str, expected: float) -> None:
    assert parse_money(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "amount", "min_spend"),
    [
        ("满100减15", 15, 100), ("满25减3", 3, 25), ("满25元减3元", 3, 25),
        ("满一百减十五", 15, 100), ("满100元立减15元", 15, 100), ("消费满50元立减5元", 5, 50),
        ("减3元，满25可用", 3, 25), ("$3 off orders over $25", 3, 25),
        ("spend $25, save $3", 3, 25), ("$8 off $40", 8, 40), ("$8 off a $40 purchase", 8, 40),
        ("$3 off when you spend $25", 3, 25), ("$3 off with any $25 purchase", 3, 25),
        ("save $3 on orders of $25 or more", 3, 25), ("$3 off $25+", 3, 25),
        ("minimum purchase of $25: $3 off", 3, 25), ("$3 off (min. spend $25)", 3, 25),
        ("$3 off a $25 minimum purchase", 3, 25), ("buy $25 of soup, get $3 off", 3, 25),
        ("three dollars off when you spend twenty-five dollars", 3, 25),
        ("$3 discount on your $25+ order", 3, 25), ("Save $3 when you spend over $25", 3, 25),
    ],
)
def test_amount_and_minimum_spend(text: str, amount: float, min_spend: float) -> None:
    claims = find_claims(text)
    assert [c.value for c in claims if c.kind == "amount_off"] == [amount]
    assert [c.value for c in claims if c.kind == "min_spend"] == [min_spend]


@pytest.mark.parametrize(
    "text", ["无门槛", "无门槛立减5元", "no minimum", "No minimum purchase", "no min spend",
             "no minimum purchase required", "零门槛", "0门槛", "无最低消费"],
)
def test_no_minimum_is_a_zero_minimum(text: str) -> None:
    assert parse_min_spend(text) == 0


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("7 days", 7), ("1 day", 1), ("one week", 7), ("a week", 7), ("1 week", 7),
        ("two weeks", 14), ("2 weeks", 14), ("3 weeks", 21), ("a fortnight", 14),
        ("fortnight", 14), ("10-day", 10), ("7-day validity", 7), ("ends in 5 days", 5),
        ("ten days only", 10), ("valid for five days", 5), ("a month", 30), ("one month", 30),
        ("2 months", 60), ("48 hours", 2), ("24-hour", 1), ("a couple of days", 2),
        ("10 days and a half", 10.5), ("a week-long sale", 7), ("100+ days", 100),
        ("7天", 7), ("七天", 7), ("一周", 7), ("两周", 14), ("一个月", 30), ("3天内有效", 3),
        ("有效期10天", 10), ("十日内有效", 10), ("7日", 7), ("一星期", 7), ("两个星期", 14),
        ("半个月", 15), ("3个月", 90), ("72小时", 3), ("１０天", 10), ("in the past month", 30),
    ],
)
def test_parse_duration_days(text: str, days: float) -> None:
    assert parse_duration_days(text) == pytest.approx(days)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Give 10% off soup to households that haven't shopped in 40 days, budget $800, "
         "valid 7 days.",
         ["percent_off", "duration_days", "budget", "duration_days"]),
        ("$3 off orders over $25 in the deli for deli shoppers, 14 days, max 250 households",
         ["amount_off", "min_spend", "duration_days", "count"]),
        ("25 percent off cookies for people who bought cookies in the last 30 days, budget "
         "1.2k, valid five days",
         ["percent_off", "duration_days", "budget", "duration_days"]),
        ("Lapsed 100+ days: $8 off $40, store-wide, $2,000 budget, 3 weeks",
         ["duration_days", "amount_off", "min_spend", "budget", "duration_days"]),
        ("Reward the 300 biggest spenders with $5 off beef; valid ten days; budget $1,500",
         ["count", "amount_off", "duration_days", "budget"]),
        ("给45天未购物的用户发放全场满100减15优惠券，预算3000元，有效期10天",
         ["duration_days", "min_spend", "amount_off", "budget", "duration_days"]),
        ("最近一个月活跃用户，饮料75折，预算1500元，最多600人，有效期3天",
         ["duration_days", "percent_off", "budget", "count", "duration_days"]),
        ("Offer 9% off crackers to anyone who hasn't bought crackers for 2 months. $250. 5 days.",
         ["percent_off", "duration_days", "money", "duration_days"]),
    ],
)
def test_planner_requests(text: str, kinds: list[str]) -> None:
    assert [c.kind for c in find_claims(text)] == kinds


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("BOGO", "other_discount"), ("buy one get one", "other_discount"),
        ("买一送一", "other_discount"), ("第二件", "other_discount"), ("2 for 1", "other_discount"),
        ("cash back", "other_discount"), ("double points", "other_discount"),
        ("$3 off every $25", "other_discount"), ("每满100", "other_discount"),
        ("today only", "deadline"), ("ends Sunday", "deadline"), ("until tomorrow", "deadline"),
        ("this weekend only", "deadline"), ("本周", "deadline"), ("3月5日", "deadline"),
        ("24/7", "deadline"), ("11:59", "deadline"), ("a few days", "deadline"),
        ("first 100 customers", "count"), ("前100名", "count"), ("600人", "count"),
        ("$100 gift card", "money"), ("only $2.99", "money"), ("仅需9.9元", "money"),
        ("7UP", "other_number"), ("V8", "other_number"), ("1st", "other_number"),
        ("two ways to save", "other_number"), ("10 business days", "other_number"),
        ("half a loaf", "other_number"),
    ],
)
def test_other_claims(text: str, kind: str) -> None:
    assert kind in [c.kind for c in find_claims(text)]


@pytest.mark.parametrize(
    "text",
    ["Tea time! Treat yourself.", "someone, anyone, no one, one of a kind", "一起来喝汤吧",
     "Sunday roast", "千万别错过", "Stock up on soup."],
)
def test_words_that_are_not_quantities(text: str) -> None:
    assert find_claims(text) == []


def test_spans_point_into_the_original_text() -> None:
    text = "Ｓave\u200b １５％ on tea for ５ days"
    claims = find_claims(text)
    assert [text[c.span[0] : c.span[1]] for c in claims] == [c.raw for c in claims]
    assert [c.raw for c in claims] == ["１５％", "５ days"]


def test_normalisation_drops_zero_width_and_maps_back() -> None:
    norm, offsets = normalize_with_offsets("f\u200bree １")
    assert norm == "free 1"
    assert offsets[:6] == [0, 2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("text", "approximate"),
    [("at least 12% off", True), ("more than 12% off", True), ("15%+ off", True),
     ("8折起", True), ("about 5 days", True), ("5天左右", True), ("valid 5 days or more", True),
     ("100+ days", True), ("约5天", True), ("12% off", False), ("5 days", False),
     ("88折", False)],
)
def test_hedged_quantities_are_marked_approximate(text: str, approximate: bool) -> None:
    (claim,) = find_claims(text)
    assert claim.approximate is approximate


def test_minimum_spend_with_or_more_is_not_a_hedge() -> None:
    claims = find_claims("$3 off when you spend $25 or more")
    assert [(c.kind, c.approximate) for c in claims] == [
        ("amount_off", False), ("min_spend", False)]
