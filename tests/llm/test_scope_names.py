"""Catalog spellings turned into words for copy and prompts."""

from __future__ import annotations

import pytest
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.catalog.scope_names import friendly_name, scope_label


@pytest.mark.parametrize(
    ("catalog", "friendly"),
    [
        ("SOUP", "soup"),
        ("FLUID MILK PRODUCTS", "fluid milk"),
        ("FRZN MEAT/MEAT DINNERS", "frozen meat and meat dinners"),
        ("CRACKERS/MISC BKD FD", "crackers and baked food"),
        ("COOKIES/CONES", "cookies and cones"),
        ("DIAPERS & DISPOSABLES", "diapers and disposables"),
    ],
)
def test_friendly_name(catalog: str, friendly: str) -> None:
    assert friendly_name(catalog) == friendly


def test_scope_label_in_both_languages() -> None:
    several = Offer(
        kind="percent_off", value=5, valid_days=7, categories=["SOUP", "BEEF"], departments=["DELI"]
    )
    assert scope_label(several, "en") == "soup, beef and deli"
    assert scope_label(several, "zh") == "汤品、牛肉、熟食"
    storewide = Offer(kind="percent_off", value=5, valid_days=7)
    assert (scope_label(storewide, "en"), scope_label(storewide, "zh")) == (
        "everything in store",
        "全场商品",
    )
    unknown = Offer(kind="percent_off", value=5, valid_days=7, categories=["SOUP", "SPICES"])
    assert scope_label(unknown, "zh") == "指定商品"  # one unnamed category: say "selected items"
