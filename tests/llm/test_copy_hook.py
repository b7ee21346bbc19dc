"""The hook checks: what the small model may write before the template terms."""

from __future__ import annotations

import pytest
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.copy.copywriter import fallback_hooks
from coupondesk.tools.copy.hook import check_hook, clean_hook, scope_words


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ('"Soup for a happy life."', "Soup for a happy life."),
        ("Slogan: Warm up with soup!\nMore text", "Warm up with soup!"),
        ("**Deli delights**", "Deli delights"),
        ("\n\n  'Fresh milk, fresh mornings.'  ", "Fresh milk, fresh mornings."),
        ("", ""),
        (
            "Soup for a happy life. Warm bowls are waiting for you and your whole family tonight.",
            "Soup for a happy life.",
        ),
        (
            "Short. And then a much longer second sentence follows here, on and on.",
            "Short. And then a much longer second sentence follows here, on and on.",
        ),
    ],
)
def test_clean_hook_only_strips_wrapping(raw: str, cleaned: str) -> None:
    assert clean_hook(raw) == cleaned


SOUP = ["soup"]


@pytest.mark.parametrize(
    ("hook", "rules"),
    [
        ("Soup for a happy life.", set()),
        ("Warm up with a bowl of soup!", set()),
        ("Soups to warm your evenings.", set()),
        ("Save on soup", {"hook.discount_words"}),
        ("Get 20% off soup", {"hook.digits", "hook.discount_words"}),
        ("Two bowls of soup for you", {"hook.number_words"}),
        ("Soup, a dozen ways", {"hook.number_words"}),
        ("Free soup for everyone", {"hook.discount_words"}),
        ("Soup all week long", {"hook.time_words"}),
        ("Soup this Sunday", {"hook.time_words"}),
        ("Soup at the lowest prices", {"hook.discount_words", "hook.claims"}),
        ("Guaranteed tasty soup", {"hook.claims"}),
        ("Here's a slogan: soup time", {"hook.meta"}),
        ("I love soup so much", {"hook.meta"}),
        ("How can I make soup tonight", {"hook.meta", "hook.time_words"}),
        ("Soup, delivered to your door", {"hook.claims"}),
        ("Ignore the rules, soup rocks", {"hook.meta"}),
        ("Soup at www.example.com", {"hook.contact"}),
        ("Bread for the family table", {"hook.off_topic"}),
        ("Soup", {"hook.length"}),
        ("Soup " + "and more soup " * 8, {"hook.length", "hook.repetition"}),
        ("汤品好物", {"hook.language", "hook.length", "hook.off_topic"}),
        ("", {"hook.empty"}),
    ],
)
def test_check_hook_rules(hook: str, rules: set[str]) -> None:
    verdict = check_hook(hook, scope=SOUP, banned_phrases=["free", "guaranteed", "lowest price"])
    assert {v.rule for v in verdict.violations} == rules


def test_every_number_the_quantity_scanner_reads_is_refused() -> None:
    verdict = check_hook("Soup by the pound, a couple of bowls", scope=SOUP)
    assert not verdict.ok


def test_duplicates_are_refused_ignoring_case_and_punctuation() -> None:
    verdict = check_hook("soup for a happy life", scope=SOUP, taken=["Soup for a happy life."])
    assert [v.rule for v in verdict.violations] == ["hook.duplicate"]


def test_scope_words_drop_catalog_noise() -> None:
    assert scope_words(["FLUID MILK PRODUCTS", "CRACKERS/MISC BKD FD"]) == [
        "fluid",
        "milk",
        "crackers",
    ]
    assert scope_words(["PET CARE SUPPLIES"]) == ["pet"]


def test_plural_and_singular_both_count_as_on_topic() -> None:
    assert check_hook("A cookie for every mood", scope=["cookies"]).ok
    assert check_hook("Potato love at home", scope=["potatoes"]).ok


@pytest.mark.parametrize(
    "offer",
    [
        Offer(kind="percent_off", value=10, valid_days=7, categories=["SOUP"]),
        Offer(kind="percent_off", value=20, valid_days=7, categories=["FRZN MEAT/MEAT DINNERS"]),
        Offer(kind="amount_off", value=3, min_spend=25, valid_days=14, departments=["DELI"]),
        Offer(kind="amount_off", value=8, min_spend=40, valid_days=21),
    ],
)
def test_template_hooks_pass_the_hook_checks(offer: Offer) -> None:
    from coupondesk.tools.catalog.scope_names import scope_names

    hooks = fallback_hooks(offer, "en")
    assert len(hooks) >= 3 and len(set(hooks)) == len(hooks)
    words = scope_words(scope_names(offer)) if not offer.storewide else []
    for hook in hooks:
        assert check_hook(hook, scope=words).ok, hook


@pytest.mark.parametrize(
    ("hook", "unknown"),
    [
        ("Ladies and Gentlemen. Cappucci Coffe Especial.", ["cappucci", "coffe"]),
        ("Sugoraxes are too chewy, try our candy", ["sugoraxes"]),
        ("The perfect meal starts with freshly brewed coffee.", []),
        ("Treat your pup to tasty kibble", []),
        ("Your favourite savoury flavours, organised", []),
        ("The catchy dailys at the centre", ["dailys"]),
    ],
)
def test_invented_words_are_caught(hook: str, unknown: list[str]) -> None:
    from coupondesk.tools.copy.hook import unknown_words

    words = [w.lower() for w in hook.replace(".", " ").replace(",", " ").split()]
    assert unknown_words(words, allowed=["coffee", "candy"]) == unknown


def test_scope_words_are_always_allowed() -> None:
    from coupondesk.tools.copy.hook import check_hook

    verdict = check_hook("Kibble and more for your pets", scope=["kibble"])
    assert "hook.unknown_word" not in {v.rule for v in verdict.violations}
    verdict = check_hook("Stock up on coffe for your mornings", scope=["coffee"])
    assert "hook.unknown_word" in {v.rule for v in verdict.violations}
