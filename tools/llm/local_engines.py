"""The two in-process engines that can run the embedded GGUF model.

transformers (always installed) de-quantises the GGUF to fp32 torch weights: ≈20-40 s to load
and ≈7-10 tokens/s on 2 cores. llama-cpp-python (the optional `coupondesk[llamacpp]` extra)
runs the quantised file directly: well under a second to load, ≈50 tokens/s. Both take chat
messages and apply the model's own chat template.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from coupondesk.tools.llm.chat import ChatMessage, JsonMode

# OpenMP reads this when torch initialises: without it idle worker threads spin and steal the
# second core (the measured speed then swings between 2 and 9 tokens/s).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass(frozen=True)
class EngineOutput:
    """What one generation produced."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str
    json_mode: JsonMode | None = None


class LocalEngine(Protocol):
    """A loaded-once model that turns chat messages into text. Not thread-safe: callers lock."""

    name: str

    def load(self) -> None: ...

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
        json_schema: dict[str, Any] | None,
    ) -> EngineOutput: ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
    ) -> Iterator[str]: ...


def plain_messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """Role and text only: the small model knows nothing of tool turns."""
    return [
        {"role": "user" if m["role"] == "tool" else m["role"], "content": m["content"] or ""}
        for m in messages
    ]


def with_schema_instruction(
    messages: Sequence[ChatMessage], json_schema: dict[str, Any] | None
) -> Sequence[ChatMessage]:
    """Ask for the schema in words where the engine cannot enforce it."""
    if json_schema is None:
        return messages
    import json

    instruction: ChatMessage = {
        "role": "system",
        "content": "Reply with one JSON object matching this JSON schema:\n"
        + json.dumps(json_schema, ensure_ascii=False),
    }
    return [*messages, instruction]


def cut_at_stop(text: str, stop: Sequence[str] | None) -> tuple[str, bool]:
    """Text up to the earliest stop string, and whether one was found."""
    cut = len(text)
    for marker in stop or ():
        index = text.find(marker)
        if index != -1:
            cut = min(cut, index)
    return text[:cut], cut != len(text)


class TransformersEngine:
    """The GGUF de-quantised into a transformers causal LM, fp32 (bf16 measured 14x slower)."""

    name = "transformers"

    def __init__(self, gguf_path: Path, *, threads: int = 2) -> None:
        self.gguf_path = gguf_path
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None

    def load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        # Process-wide: the model is small, and on the 2-core target more threads only contend.
        torch.set_num_threads(max(1, min(self.threads, os.cpu_count() or self.threads)))
        directory, filename = str(self.gguf_path.parent), self.gguf_path.name
        with _quiet_loading():
            self._tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=filename)
            self._model = AutoModelForCausalLM.from_pretrained(
                directory, gguf_file=filename, dtype=torch.float32
            )
        self._model.eval()

    def _encode(self, messages: Sequence[ChatMessage]) -> Any:
        return self._tokenizer.apply_chat_template(
            plain_messages(messages),
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )

    def _generate_kwargs(
        self, max_tokens: int, temperature: float, stop: Sequence[str] | None
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_tokens,
            "pad_token_id": self._tokenizer.eos_token_id,
            "repetition_penalty": 1.1,
        }
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=0.9)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=self._tokenizer)
        return kwargs

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
        json_schema: dict[str, Any] | None,
    ) -> EngineOutput:
        import torch

        encoded = self._encode(with_schema_instruction(messages, json_schema))
        prompt_length = int(encoded["input_ids"].shape[1])
        with torch.no_grad():
            output = self._model.generate(
                **encoded, **self._generate_kwargs(max_tokens, temperature, stop)
            )
        new_tokens = output[0, prompt_length:]
        text = self._tokenizer.decode(new_tokens, skip_special_tokens=True)
        text, stopped = cut_at_stop(text, stop)
        hit_limit = int(new_tokens.shape[0]) >= max_tokens and not stopped
        return EngineOutput(
            text=text.strip(),
            prompt_tokens=prompt_length,
            completion_tokens=int(new_tokens.shape[0]),
            finish_reason="length" if hit_limit else "stop",
            json_mode="plain" if json_schema is not None else None,
        )

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
    ) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        encoded = self._encode(messages)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        kwargs = {**encoded, **self._generate_kwargs(max_tokens, temperature, stop)}

        failure: list[BaseException] = []

        def run() -> None:
            try:
                with torch.no_grad():
                    self._model.generate(**kwargs, streamer=streamer)
            except BaseException as error:  # surfaced in the consuming thread below
                failure.append(error)
                streamer.end()  # type: ignore[no-untyped-call]

        worker = threading.Thread(target=run, name="coupondesk-llm-stream", daemon=True)
        worker.start()
        emitted = ""
        finished = False
        try:
            for piece in streamer:
                candidate, stopped = cut_at_stop(emitted + piece, stop)
                if len(candidate) > len(emitted):
                    yield candidate[len(emitted) :]
                    emitted = candidate
                if stopped:
                    break
            else:
                finished = True
        finally:
            if not finished:  # stopped early or abandoned: let the generating thread finish
                for _ in streamer:
                    pass
            worker.join()
        if failure:
            raise failure[0]


class LlamaCppEngine:
    """The GGUF run by llama.cpp through llama-cpp-python (optional extra)."""

    name = "llamacpp"

    def __init__(self, gguf_path: Path, *, threads: int = 2, context_tokens: int = 2048) -> None:
        self.gguf_path = gguf_path
        self.threads = threads
        self.context_tokens = context_tokens
        self._llama: Any = None

    def load(self) -> None:
        from llama_cpp import Llama

        self._llama = Llama(
            model_path=str(self.gguf_path),
            n_ctx=self.context_tokens,
            n_threads=self.threads,
            verbose=False,
        )

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
        json_schema: dict[str, Any] | None,
    ) -> EngineOutput:
        kwargs: dict[str, Any] = {
            "messages": plain_messages(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stop": list(stop) if stop else None,
        }
        if json_schema is not None:
            # llama.cpp turns the schema into a grammar: the output is forced into shape.
            kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
        response = self._llama.create_chat_completion(**kwargs)
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        return EngineOutput(
            text=(choice["message"].get("content") or "").strip(),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            finish_reason=choice.get("finish_reason") or "stop",
            json_mode="json_schema" if json_schema is not None else None,
        )

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str] | None,
    ) -> Iterator[str]:
        chunks = self._llama.create_chat_completion(
            messages=plain_messages(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            stop=list(stop) if stop else None,
            stream=True,
        )
        for chunk in chunks:
            piece = chunk["choices"][0].get("delta", {}).get("content")
            if piece:
                yield piece


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """Silence transformers' loading progress bars: they would scribble over the TUI.

    The GGUF de-quantiser uses tqdm directly, so its module's tqdm is swapped for a disabled
    one for the duration of the load; both changes are undone afterwards.
    """
    import functools

    from coupondesk.tools.scoring.hf_quiet import quiet_loading
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    original_tqdm = getattr(gguf_utils, "tqdm", None)
    if original_tqdm is not None:
        gguf_utils.tqdm = functools.partial(original_tqdm, disable=True)  # type: ignore[attr-defined]
    try:
        with quiet_loading():
            yield
    finally:
        if original_tqdm is not None:
            gguf_utils.tqdm = original_tqdm  # type: ignore[attr-defined]
