"""Fixtures of the LLM tests: a fake OpenAI-compatible server, the default policy, offers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from coupondesk.tools.campaigns.offer import Offer

from tests.llm.fake_openai_server import FakeOpenAIServer, running_server


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAIServer]:
    """An OpenAI-compatible endpoint on 127.0.0.1 with scripted replies."""
    with running_server() as server:
        yield server


@pytest.fixture
def openai_model(fake_server: FakeOpenAIServer):  # type: ignore[no-untyped-def]
    """The real openai backend pointed at the fake server, with backoff sleeps recorded."""
    from coupondesk.tools.llm.openai_compat import OpenAIChatModel

    sleeps: list[float] = []
    model = OpenAIChatModel(
        model="fake-gpt",
        base_url=fake_server.base_url,
        api_key="sk-test",
        timeout=5.0,
        max_retries=3,
        sleep=sleeps.append,
    )
    model.sleeps = sleeps  # type: ignore[attr-defined]
    return model


@pytest.fixture(scope="session")
def policy():  # type: ignore[no-untyped-def]
    """The packaged default discount policy."""
    from coupondesk.tools.policy.rules import load_policy

    return load_policy()


@pytest.fixture
def soup_offer() -> Offer:
    """10% off soup for 7 days (the first dev request)."""
    return Offer(kind="percent_off", value=10, valid_days=7, categories=["SOUP"])


@pytest.fixture
def deli_offer() -> Offer:
    """$3 off a $25 deli spend, 14 days."""
    return Offer(kind="amount_off", value=3, min_spend=25, valid_days=14, departments=["DELI"])


@pytest.fixture
def storewide_offer() -> Offer:
    """$8 off $40, storewide, 21 days."""
    return Offer(kind="amount_off", value=8, min_spend=40, valid_days=21)
