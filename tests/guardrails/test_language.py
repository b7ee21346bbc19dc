"""One language rule for requests, copy and catalog phrases (coupondesk.tools.language)."""

from __future__ import annotations

import pytest
from coupondesk.tools.language import detect_language, has_chinese


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("15% off cheese for households active in the last 30 days", "en"),
        ("10% off 巧克力 for lapsed bakery buyers", "en"),  # a Chinese name in English
        ("奶酪9折，最近30天活跃的顾客", "zh"),
        ("给 VIP 顾客的咖啡券", "zh"),  # a Latin brand in Chinese
        ("", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_has_chinese_includes_extension_and_compatibility_ideographs() -> None:
    assert has_chinese("\u3400") and has_chinese("\uf900") and has_chinese("\U00020000")
    assert not has_chinese("café 123")


def test_planner_copy_check_and_catalog_share_the_rule() -> None:
    from coupondesk.agent.planning import parsing
    from coupondesk.tools.catalog import text
    from coupondesk.tools.policy import guardrails

    assert parsing.detect_language is guardrails.detect_language is detect_language
    assert text.has_cjk is has_chinese
