"""The openai backend against a fake OpenAI-compatible server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
from coupondesk.tools.errors import LLMError
from coupondesk.tools.llm.chat import ToolSpec, assistant_tool_calls, system, tool_result, user
from coupondesk.tools.llm.openai_compat import OpenAIChatModel

from tests.llm.fake_openai_server import FakeOpenAIServer, Reply, status, text, tool_call

SCHEMA = {
    "title": "Answer",
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
}


def test_complete_sends_the_request_and_reads_the_reply(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.enqueue(text("Soup season is here."))
    result = openai_model.complete(
        [system("be brief"), user("a hook for soup")], max_tokens=20, temperature=0.3, stop=["\n"]
    )
    assert result.text == "Soup season is here."
    assert (result.backend, result.model, result.finish_reason) == ("openai", "fake-gpt", "stop")
    assert result.completion_tokens == 4 and result.prompt_tokens == 10
    body = fake_server.requests[0]
    assert body["model"] == "fake-gpt"
    assert body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "a hook for soup"},
    ]
    assert (body["max_tokens"], body["temperature"], body["stop"]) == (20, 0.3, ["\n"])
    assert "response_format" not in body
    assert fake_server.headers[0]["authorization"] == "Bearer sk-test"


def test_json_schema_is_sent_as_response_format(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.enqueue(text('{"answer": "yes"}'))
    result = openai_model.complete([user("q")], json_schema=SCHEMA)
    assert result.json_mode == "json_schema"
    response_format = fake_server.requests[0]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Answer"
    assert response_format["json_schema"]["schema"] == SCHEMA


def test_structured_output_degrades_when_the_endpoint_rejects_it(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    def responder(body: dict) -> Reply:  # type: ignore[type-arg]
        kind = (body.get("response_format") or {}).get("type")
        if kind in ("json_schema", "json_object"):
            return status(400, f"response_format {kind} is not supported")
        return text('{"answer": "plain"}')

    fake_server.responder = responder
    result = openai_model.complete([user("q")], json_schema=SCHEMA)
    assert result.json_mode == "plain" and result.text == '{"answer": "plain"}'
    kinds = [(b.get("response_format") or {}).get("type") for b in fake_server.requests]
    assert kinds == ["json_schema", "json_object", None]
    # the weaker modes carry the schema in a system message
    assert "JSON schema" in fake_server.requests[2]["messages"][-1]["content"]

    # the accepted level is remembered: the next request goes straight to plain
    openai_model.complete([user("again")], json_schema=SCHEMA)
    assert len(fake_server.requests) == 4
    assert "response_format" not in fake_server.requests[3]


def test_transient_errors_are_retried_with_exponential_backoff(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.enqueue(status(500), status(503), status(429), text("finally"))
    result = openai_model.complete([user("q")])
    assert result.text == "finally"
    assert len(fake_server.requests) == 4
    sleeps = openai_model.sleeps  # type: ignore[attr-defined]
    assert len(sleeps) == 3
    # base 0.5 s doubling, with jitter in [50%, 100%]
    for attempt, delay in enumerate(sleeps):
        assert 0.25 * 2**attempt <= delay <= 0.5 * 2**attempt


def test_retries_are_bounded_and_the_error_is_one_line(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.default = status(500, "model overloaded\nplease retry")
    with pytest.raises(LLMError) as caught:
        openai_model.complete([user("q")])
    assert len(fake_server.requests) == 4  # 1 + max_retries
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith(f"LLM endpoint {fake_server.base_url} returned HTTP 500")
    assert "model overloaded please retry" in message and "after 4 attempts" in message


def test_client_errors_are_not_retried(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.enqueue(status(401, "invalid api key"))
    with pytest.raises(LLMError, match="returned HTTP 401: invalid api key"):
        openai_model.complete([user("q")])
    assert len(fake_server.requests) == 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_endpoint_is_a_one_line_llm_error() -> None:
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    model = OpenAIChatModel(model="m", base_url=url, max_retries=2, sleep=sleeps.append)
    with pytest.raises(LLMError) as caught:
        model.complete([user("q")])
    assert caught.value.message.startswith(f"LLM endpoint {url} unreachable: ")
    assert "\n" not in caught.value.message
    assert len(sleeps) == 2


def test_timeout_is_reported(fake_server: FakeOpenAIServer) -> None:
    fake_server.enqueue(Reply(text="late", delay=1.0))
    model = OpenAIChatModel(model="m", base_url=fake_server.base_url, timeout=0.2, max_retries=0)
    with pytest.raises(LLMError, match="unreachable: timed out after 0.2 s"):
        model.complete([user("q")])


def test_stream_yields_pieces(openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer) -> None:
    fake_server.enqueue(text("Warm up with soup tonight"))
    pieces = list(openai_model.stream([user("q")], max_tokens=10))
    assert len(pieces) == 5
    assert "".join(pieces) == "Warm up with soup tonight"
    assert fake_server.requests[0]["stream"] is True


def test_stream_retries_before_the_first_piece(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.enqueue(status(502), text("ok then"))
    assert "".join(openai_model.stream([user("q")])) == "ok then"
    assert len(openai_model.sleeps) == 1  # type: ignore[attr-defined]


def count_households(department: str, days: int = 30) -> int:
    """How many households bought in a department within the last `days` days."""
    return 0


def test_tool_calls_round_trip(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    spec = ToolSpec.from_function(count_households)
    assert spec.description.startswith("How many households bought")
    assert spec.parameters["required"] == ["department"]
    assert set(spec.parameters["properties"]) == {"department", "days"}

    fake_server.enqueue(tool_call("count_households", {"department": "COFFEE", "days": 30}))
    result = openai_model.complete_with_tools([user("how many bought coffee?")], [spec])
    assert result.finish_reason == "tool_calls"
    [call] = result.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "call_1",
        "count_households",
        {"department": "COFFEE", "days": 30},
    )
    body = fake_server.requests[0]
    assert body["tools"] == [spec.as_openai()]
    assert body["tool_choice"] == "auto"

    # the agent replays the call and its result, and the model answers in words
    fake_server.enqueue(text("412 households bought coffee."))
    messages = [
        user("how many bought coffee?"),
        assistant_tool_calls(result),
        tool_result(call, "412"),
    ]
    answer = openai_model.complete_with_tools(messages, [spec])
    assert answer.text == "412 households bought coffee." and answer.tool_calls == []
    sent = fake_server.requests[1]["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {
        "name": "count_households",
        "arguments": '{"department": "COFFEE", "days": 30}',
    }
    assert sent[2] == {"role": "tool", "content": "412", "tool_call_id": "call_1"}


def test_malformed_tool_arguments_are_kept_raw_not_trusted(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.enqueue(tool_call("count_households", "{not json"))
    [call] = openai_model.complete_with_tools(
        [user("q")], [ToolSpec.from_function(count_households)]
    ).tool_calls
    assert call.arguments == {} and call.raw_arguments == "{not json"


def test_endpoint_without_tool_support_is_remembered(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    fake_server.enqueue(status(400, "tools are not supported by this model"))
    spec = ToolSpec.from_function(count_households)
    with pytest.raises(LLMError, match="does not accept tool calls"):
        openai_model.complete_with_tools([user("q")], [spec])
    assert openai_model.supports_tools is False
    with pytest.raises(LLMError, match="cannot call tools"):
        openai_model.complete_with_tools([user("q")], [spec])
    assert len(fake_server.requests) == 1


def test_describe_names_backend_model_and_endpoint(
    openai_model: OpenAIChatModel, fake_server: FakeOpenAIServer
) -> None:
    info = openai_model.describe()
    assert (info.backend, info.model, info.endpoint) == ("openai", "fake-gpt", fake_server.base_url)
    assert info.capable and info.supports_tools
    assert fake_server.requests == []  # describing never contacts the endpoint
