"""Benchmark of the local LLM backend(s) on the dev requests: speed and how often hooks pass.

For each local engine (transformers always; llama.cpp when llama-cpp-python is installed) it
measures the model load time, generation speed (tokens/s over every copywriter request),
seconds per copy variant, and the share of LLM hooks that passed validation at the first
attempt, drafting copy for every offer in ../shared/data/requests_dev.jsonl (the `expect`
fields parsed into Offers). The design's figures are printed beside the measured ones.

    .venv/bin/python bench/llm.py [--engine transformers|llamacpp|all] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coupondesk.tools.campaigns.offer import Offer  # noqa: E402
from coupondesk.tools.copy.copywriter import CopyVariant, draft_copy  # noqa: E402
from coupondesk.tools.llm.chat import ChatMessage, ChatModel, ChatResult, LLMInfo  # noqa: E402
from coupondesk.tools.llm.local import LocalChatModel, llamacpp_available  # noqa: E402
from coupondesk.tools.policy.rules import load_policy  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "requests_dev.jsonl"
DESIGN_FIGURES = {
    "transformers": {"load_seconds": 40.0, "tokens_per_second": 7.0},
    "llamacpp": {"load_seconds": 0.3, "tokens_per_second": 50.0},
}


@dataclass(frozen=True)
class DevCase:
    """One dev request reduced to what the copywriter gets: an offer and a segment text."""

    request: str
    offer: Offer
    segment_description: str
    language: str


def _first(value: Any) -> Any:
    """`offer.categories~` lists acceptable spellings; the first is the catalog's."""
    return value[0] if isinstance(value, list) and value else value


def _segment_description(expect: dict[str, Any]) -> str:
    parts: list[str] = []
    if expect.get("audience.lapsed_days"):
        parts.append(f"households that have not shopped in {expect['audience.lapsed_days']} days")
    if expect.get("audience.active_days"):
        parts.append(f"households that shopped in the last {expect['audience.active_days']} days")
    for key in ("audience.departments~", "audience.categories~"):
        if expect.get(key):
            parts.append(f"buyers of {str(_first(expect[key])).lower()}")
    if expect.get("audience.min_spend"):
        parts.append(f"households that spent over ${expect['audience.min_spend']}")
    return "; ".join(parts) or "regular shoppers"


def load_cases(path: Path) -> list[DevCase]:
    """The dev requests with their expected offers; [] when the file is absent."""
    if not path.is_file():
        return []
    cases: list[DevCase] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        expect = row["expect"]
        departments = _first(expect.get("offer.departments~"))
        categories = _first(expect.get("offer.categories~"))
        offer = Offer(
            kind=expect["offer.kind"],
            value=expect["offer.value"],
            min_spend=expect.get("offer.min_spend"),
            valid_days=expect["offer.valid_days"],
            departments=[departments] if departments else [],
            categories=[categories] if categories else [],
        )
        cases.append(
            DevCase(
                request=row["request"],
                offer=offer,
                segment_description=_segment_description(expect),
                language=expect.get("language", "en"),
            )
        )
    return cases


class MeteredModel(ChatModel):
    """Passes requests through and keeps every ChatResult, to measure tokens and seconds."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.capable = inner.capable
        self.supports_tools = inner.supports_tools
        self.results: list[ChatResult] = []

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        stop: Sequence[str] | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> ChatResult:
        result = self.inner.complete(
            messages,
            max_tokens=max_tokens,
            temperature=temperature,
            stop=stop,
            json_schema=json_schema,
        )
        self.results.append(result)
        return result

    def stream(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Iterator[str]:
        return self.inner.stream(messages, **kwargs)

    def describe(self) -> LLMInfo:
        return self.inner.describe()


@dataclass
class EngineReport:
    """The measured figures of one engine."""

    engine: str
    load_seconds: float
    llm_requests: int
    tokens_generated: int
    generation_seconds: float
    tokens_per_second: float
    seconds_per_variant: float
    seconds_per_variant_p90: float
    hooks_first_attempt: int
    hooks_passed_first_attempt: int
    first_pass_share: float
    variants_en: int
    variants_llm: int
    variants_template: int
    variants_zh_template: int
    verdicts_ok: int
    variants_total: int
    load_average: tuple[float, float, float]
    rejected_rules: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    rejected_examples: list[str] = field(default_factory=list)


def run_engine(
    engine: str, cases: Sequence[DevCase], *, variants: int, max_attempts: int, seed: int
) -> EngineReport:
    """Load the engine, draft copy for every case, and summarise what was measured."""
    local = LocalChatModel(engine=engine)  # type: ignore[arg-type]
    started = time.perf_counter()
    local.warm_up()
    local.wait_until_loaded()
    load_seconds = time.perf_counter() - started
    print(f"  [{engine}] loaded in {load_seconds:.1f} s", file=sys.stderr)
    if engine == "transformers":
        import torch

        torch.manual_seed(seed)
    model = MeteredModel(local)
    policy = load_policy()

    drafted: list[CopyVariant] = []
    for number, case in enumerate(cases, 1):
        print(f"  [{engine}] {number}/{len(cases)} {case.request[:60]}", file=sys.stderr)
        drafted += draft_copy(
            case.offer,
            case.segment_description,
            llm=model,
            policy=policy,
            language=case.language,  # type: ignore[arg-type]
            n_variants=variants,
            max_attempts=max_attempts,
        )

    asked = [v for v in drafted if v.attempts >= 1]
    first_pass = [v for v in asked if v.source == "llm" and v.attempts == 1]
    english = [v for v in drafted if v.language == "en"]
    tokens = sum(r.completion_tokens or 0 for r in model.results)
    seconds = sum(r.seconds for r in model.results)
    rules: dict[str, int] = {}
    for variant in asked:
        for draft in variant.rejected:
            for violation in draft.violations:
                rules[violation.rule] = rules.get(violation.rule, 0) + 1
    per_variant = sorted(v.seconds for v in english) or [0.0]
    return EngineReport(
        engine=engine,
        load_seconds=round(load_seconds, 1),
        llm_requests=len(model.results),
        tokens_generated=tokens,
        generation_seconds=round(seconds, 1),
        tokens_per_second=round(tokens / seconds, 2) if seconds else 0.0,
        seconds_per_variant=round(statistics.mean(per_variant), 2),
        seconds_per_variant_p90=round(per_variant[int(0.9 * (len(per_variant) - 1))], 2),
        hooks_first_attempt=len(asked),
        hooks_passed_first_attempt=len(first_pass),
        first_pass_share=round(len(first_pass) / len(asked), 3) if asked else 0.0,
        variants_en=len(english),
        variants_llm=sum(v.source == "llm" for v in drafted),
        variants_template=sum(v.source == "template" for v in english),
        variants_zh_template=sum(v.language == "zh" for v in drafted),
        verdicts_ok=sum(v.verdict.ok for v in drafted),
        variants_total=len(drafted),
        load_average=os.getloadavg(),
        rejected_rules=dict(sorted(rules.items(), key=lambda item: -item[1])),
        examples=[v.text for v in drafted if v.source == "llm"][:8],
        rejected_examples=[
            f"{d.text!r} {[x.rule for x in d.violations]}" for v in asked for d in v.rejected
        ][:10],
    )


def _print(report: EngineReport, cases: int) -> None:
    design = DESIGN_FIGURES.get(report.engine, {})
    print(f"\nengine: {report.engine}   ({cases} dev offers, load average {report.load_average})")
    print(f"  {'figure':<40}{'measured':>12}{'design':>10}")
    rows = [
        ("model load (s)", report.load_seconds, design.get("load_seconds")),
        ("generation speed (tokens/s)", report.tokens_per_second, design.get("tokens_per_second")),
        ("seconds per variant (mean, en)", report.seconds_per_variant, None),
        ("seconds per variant (p90, en)", report.seconds_per_variant_p90, None),
        ("LLM hooks passing at first attempt", report.first_pass_share, None),
    ]
    for label, measured, expected in rows:
        shown = "" if expected is None else f"{expected:g}"
        print(f"  {label:<40}{measured:>12}{shown:>10}")
    print(
        f"  first attempts passed: {report.hooks_passed_first_attempt}/{report.hooks_first_attempt}"
        f"; en variants from the LLM after redrafts: {report.variants_llm}/{report.variants_en}"
        f"; template fallbacks: {report.variants_template}; zh (template only): "
        f"{report.variants_zh_template}"
    )
    print(
        f"  LLM requests: {report.llm_requests}, tokens: {report.tokens_generated}, "
        f"generation time: {report.generation_seconds} s"
    )
    print(f"  final verdicts ok: {report.verdicts_ok}/{report.variants_total}")
    print(f"  rejections by rule: {report.rejected_rules}")
    print("  copy from LLM hooks (first 8):")
    for example in report.examples:
        print(f"    - {example}")
    print("  rejected hooks (first 10):")
    for example in report.rejected_examples:
        print(f"    - {example}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--engine", choices=["transformers", "llamacpp", "all"], default="all")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--variants", type=int, default=3)
    parser.add_argument("--max-attempts", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="first N dev requests only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args(argv)

    cases = load_cases(args.data)[: args.limit]
    if not cases:
        print(f"no dev requests at {args.data}: nothing to measure", file=sys.stderr)
        return 0
    if args.engine == "all":
        engines = ["transformers"] + (["llamacpp"] if llamacpp_available() else [])
    else:
        engines = [args.engine]
    if "llamacpp" not in engines and not args.json:
        print("llama-cpp-python is not installed: the llamacpp engine is not measured")

    reports = [
        run_engine(
            engine, cases, variants=args.variants, max_attempts=args.max_attempts, seed=args.seed
        )
        for engine in engines
    ]
    if args.json:
        print(json.dumps({"cases": len(cases), "engines": [asdict(r) for r in reports]}))
    else:
        for report in reports:
            _print(report, len(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
