"""The embedded default model: SmolLM2-135M-Instruct in-process, no network.

Loading takes tens of seconds with transformers, so the weights are loaded once per process
(shared by every LocalChatModel), in a background thread started by `warm_up()`, and every
request waits for that same load instead of starting another. Generation is serialised: two
concurrent generations on 2 cores are slower than two in a row.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from coupondesk.tools.errors import LLMError
from coupondesk.tools.llm.chat import ChatMessage, ChatModel, ChatResult, LLMInfo
from coupondesk.tools.llm.local_engines import LlamaCppEngine, LocalEngine, TransformersEngine
from coupondesk.tools.llm.smollm2_file import SMOLLM2_NAME, smollm2_gguf_path

EngineChoice = Literal["auto", "transformers", "llamacpp"]


def llamacpp_available() -> bool:
    """True when llama-cpp-python is installed (the optional `coupondesk[llamacpp]` extra)."""
    return importlib.util.find_spec("llama_cpp") is not None


def resolve_engine(choice: EngineChoice) -> Literal["transformers", "llamacpp"]:
    """The engine to run: auto prefers llama.cpp (≈7x faster) when it is installed."""
    if choice == "llamacpp":
        if not llamacpp_available():
            raise LLMError(
                "llm_local_engine=llamacpp but llama-cpp-python is not installed: "
                "pip install 'coupondesk[llamacpp]'"
            )
        return "llamacpp"
    if choice == "transformers":
        return "transformers"
    return "llamacpp" if llamacpp_available() else "transformers"


def _import_transformers_here() -> None:
    """Finish importing transformers' top level in the calling thread, before any loader thread.

    transformers' lazy top-level module is not safe to initialise from two threads at once:
    with the loader thread half-way through it, another thread's `from transformers import
    BertConfig` (the scoring models) failed with ImportError every time (reproduced in
    tests/llm/test_local_backend.py). Once the top level is complete, the lazy submodule
    imports that follow are ordinary, lock-protected imports.
    """
    import transformers  # noqa: F401
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401


class _SharedLoad:
    """One engine loading (or loaded) in the background; every user waits on the same load."""

    def __init__(self, build: Callable[[], LocalEngine]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine: LocalEngine | None = None
        self._error: BaseException | None = None
        self.load_seconds: float | None = None
        self.generate_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                _import_transformers_here()
                self._thread = threading.Thread(
                    target=self._load, name="coupondesk-llm-load", daemon=True
                )
                self._thread.start()

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            engine = self._build()
            engine.load()
            self._engine = engine
        except BaseException as error:  # reported to whoever asks for the engine
            self._error = error
        finally:
            self.load_seconds = time.perf_counter() - started
            self._done.set()

    def engine(self, timeout: float | None = None) -> LocalEngine:
        """The loaded engine, starting the load if needed and waiting for it."""
        self.start()
        if not self._done.wait(timeout):
            raise LLMError(f"the local model is still loading after {timeout:g} s")
        if self._error is not None:
            if isinstance(self._error, LLMError):
                raise self._error
            detail = " ".join(str(self._error).split())[:200]
            raise LLMError(f"the local model failed to load: {detail}") from self._error
        if self._engine is None:
            raise LLMError("the local model finished loading without an engine")
        return self._engine


_loads: dict[tuple[str, str], _SharedLoad] = {}
_loads_lock = threading.Lock()


def _shared_load(engine_name: str, gguf_path: Path, threads: int) -> _SharedLoad:
    key = (engine_name, str(gguf_path))
    with _loads_lock:
        if key not in _loads:
            engine_class = LlamaCppEngine if engine_name == "llamacpp" else TransformersEngine
            _loads[key] = _SharedLoad(lambda: engine_class(gguf_path, threads=threads))
        return _loads[key]


class LocalChatModel(ChatModel):
    """SmolLM2-135M-Instruct run in-process; writes short hooks, nothing that needs facts."""

    backend = "local"
    capable = False
    supports_tools = False

    def __init__(
        self,
        *,
        engine: EngineChoice = "auto",
        gguf_path: Path | None = None,
        threads: int = 2,
    ) -> None:
        """Nothing is loaded here: `warm_up()` or the first request starts the load."""
        self.engine_name = resolve_engine(engine)
        self._gguf_path = gguf_path
        self.threads = threads
        self.model = SMOLLM2_NAME

    @property
    def gguf_path(self) -> Path:
        """The model file (resolved on first use so a missing file only fails when needed)."""
        if self._gguf_path is None:
            self._gguf_path = smollm2_gguf_path()
        return self._gguf_path

    def _load(self) -> _SharedLoad:
        return _shared_load(self.engine_name, self.gguf_path, self.threads)

    def warm_up(self) -> None:
        """Start loading in a background thread and return at once."""
        self._load().start()

    def wait_until_loaded(self, timeout: float | None = None) -> float:
        """Block until the weights are in memory; returns the load time in seconds."""
        load = self._load()
        load.engine(timeout)
        return load.load_seconds or 0.0

    @property
    def loaded(self) -> bool:
        """Whether the weights are in memory (never triggers a load)."""
        try:
            return self._load().loaded
        except LLMError:
            return False

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        load = self._load()
        engine = load.engine()
        with load.generate_lock:
            started = time.perf_counter()
            try:
                output = engine.generate(
                    messages,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=stop,
                    json_schema=json_schema,
                )
            except Exception as error:
                detail = " ".join(str(error).split())[:200]
                raise LLMError(f"the local model failed to generate: {detail}") from error
            seconds = time.perf_counter() - started
        return ChatResult(
            text=output.text,
            backend=self.backend,
            model=self.model,
            seconds=seconds,
            prompt_tokens=output.prompt_tokens,
            completion_tokens=output.completion_tokens,
            finish_reason=output.finish_reason,
            json_mode=output.json_mode,
        )

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        load = self._load()
        engine = load.engine()
        with load.generate_lock:
            try:
                yield from engine.stream(
                    messages, max_tokens=max_tokens, temperature=temperature, stop=stop
                )
            except LLMError:
                raise
            except Exception as error:
                detail = " ".join(str(error).split())[:200]
                raise LLMError(f"the local model failed to generate: {detail}") from error

    def describe(self) -> LLMInfo:
        try:
            endpoint: str | None = f"in-process ({self.gguf_path.name})"
        except LLMError:
            endpoint = "in-process (model file missing)"
        return LLMInfo(
            backend=self.backend,
            model=self.model,
            endpoint=endpoint,
            engine=self.engine_name,
            capable=self.capable,
            supports_tools=self.supports_tools,
            loaded=self.loaded,
        )
