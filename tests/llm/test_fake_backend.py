"""The scripted backend the other tests (and the agent's tests) rely on."""

from __future__ import annotations

from typing import Any

import pytest
from coupondesk.tools.errors import LLMError
from coupondesk.tools.llm import ToolCall, ToolSpec, make_llm, system, user
from coupondesk.tools.llm.fake import FakeChatModel

from coupondesk.settings import Settings


def test_answers_in_order_and_records_requests() -> None:
    llm = FakeChatModel(["first"])
    llm.enqueue("second\nignored after stop")
    assert llm.complete([user("one")]).text == "first"
    result = llm.complete([system("s"), user("two")], max_tokens=9, stop=["\n"])
    assert result.text == "second"
    assert llm.prompts == ["one", "two"]
    assert llm.calls[1].max_tokens == 9 and llm.calls[1].stop == ["\n"]
    assert llm.calls[1].text == "s\ntwo"


def test_empty_queue_is_an_error_unless_a_default_is_set() -> None:
    with pytest.raises(LLMError, match="no scripted response"):
        FakeChatModel().complete([user("q")])
    assert FakeChatModel(default="same").complete([user("q")]).text == "same"


def test_scripted_exceptions_are_raised() -> None:
    llm = FakeChatModel([LLMError("endpoint down")])
    with pytest.raises(LLMError, match="endpoint down"):
        llm.complete([user("q")])


def test_tool_calls_and_streaming() -> None:
    call = ToolCall(id="1", name="count", arguments={"days": 30}, raw_arguments='{"days": 30}')
    llm = FakeChatModel([[call], "a b c"])
    spec = ToolSpec(name="count", description="Count.", parameters={"type": "object"})
    result = llm.complete_with_tools([user("q")], [spec])
    assert result.tool_calls == [call] and result.finish_reason == "tool_calls"
    assert llm.calls[0].tools == [spec]
    assert list(llm.stream([user("q")])) == ["a", " b", " c"]


def test_json_schema_is_recorded() -> None:
    llm = FakeChatModel(['{"a": 1}'])
    result = llm.complete([user("q")], json_schema={"type": "object"})
    assert result.json_mode == "json_schema"
    assert llm.calls[0].json_schema == {"type": "object"}


def test_without_tool_support_tool_calls_are_refused() -> None:
    llm = FakeChatModel(["x"], supports_tools=False)
    with pytest.raises(LLMError, match="cannot call tools"):
        llm.complete_with_tools([user("q")], [])


def test_settings_select_the_fake_backend() -> None:
    llm = make_llm(Settings(llm_backend="fake").llm.options())
    assert isinstance(llm, FakeChatModel)
    assert llm.complete([user("q")]).text  # answers without a script
    assert llm.describe().backend == "fake"


def test_settings_fake_writes_valid_hooks_so_cli_runs_show_llm_copy(policy: Any) -> None:
    from coupondesk.tools.campaigns.offer import Offer
    from coupondesk.tools.copy.copywriter import draft_copy

    offer = Offer(kind="percent_off", value=10, valid_days=7, categories=["SOUP"])
    llm = make_llm(Settings(llm_backend="fake").llm.options())
    variants = draft_copy(offer, "lapsed households", llm=llm, policy=policy, n_variants=5)
    assert [v.source for v in variants] == ["llm"] * 5
    assert [v.attempts for v in variants] == [1] * 5
    assert variants[0].text.startswith("Good soup, picked for you. 10% off soup.")
