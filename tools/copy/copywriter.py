"""Coupon copy: facts by construction, wording by the LLM, every variant checked.

The offer terms (discount, minimum spend, validity, scope) always come from the Jinja2 terms
templates, which are correct by construction. What the LLM adds depends on its strength:
- the tiny local model writes only a number-free hook, checked by `coupondesk.tools.copy.hook`, then
  hook + terms is checked by the guardrails;
- a capable endpoint writes whole copy, and every claim in it is checked by the guardrails.
A failed draft is redrafted with its violations as feedback (bounded attempts); when no draft
passes, a template hook takes over, marked `source="template"`. Chinese copy from the local
model is template-only: its Chinese is unusable.

Privacy is enforced by the inputs: the prompts are built from an Offer and a segment
description only, so no household id or single household's data can reach a model.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Literal

from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.catalog.scope_names import friendly_name, scope_label, scope_names
from coupondesk.tools.copy.hook import check_hook, clean_hook, scope_words
from coupondesk.tools.errors import BadInputError, LLMError
from coupondesk.tools.language import Language
from coupondesk.tools.llm.chat import ChatMessage, ChatModel, assistant, system, user
from coupondesk.tools.policy.rules import Policy
from coupondesk.tools.policy.verdict import Verdict, Violation
from pydantic import BaseModel, Field

from coupondesk import prompts

TONES: tuple[str, ...] = ("warm", "playful", "practical", "upbeat", "cosy")
"""One tone per variant, so variants differ in angle, not just in sampling noise."""

DEFAULT_MAX_ATTEMPTS = 3
SEGMENT_DESCRIPTION_MAX_CHARS = 300

HOOK_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("fresh bread", "warm", "Fresh bread for your family table."),
    ("coffee", "playful", "Wake up to coffee you will love."),
    ("frozen vegetables", "practical", "Easy dinners start with frozen vegetables."),
)
"""Few-shot turns (scope, tone, hook): the 135M model copies a shape far better than it
follows rules; rules stated as "no numbers" make it write numbers. Each example names its
product, because a hook must (rule hook.off_topic)."""

_HOUSEHOLD_REFERENCE = re.compile(
    r"\b(?:household|customer|member|shopper|user|hh|card)[\s_-]*(?:key|id|no|number|#)\b"
    r"|\b(?:household|customer|member)s?\s*#?\s*\d+(?:\s*,\s*\d+)+"
    r"|@|\b\d{6,}\b",
    re.IGNORECASE,
)


class RejectedDraft(BaseModel):
    """A draft that did not pass, kept so the operator (and the audit) can see why."""

    text: str
    violations: list[Violation]


class CopyVariant(BaseModel):
    """One piece of customer-facing copy with where it came from and how it was checked."""

    text: str
    language: Language
    source: Literal["llm", "template"]
    """llm: the model's words passed every check; template: the deterministic fallback."""
    verdict: Verdict
    """check_copy's verdict on `text` (template copy is correct by construction, still checked)."""
    tone: str
    hook: str | None = None
    """The opening line (LLM-written or template); None for whole copy from a capable endpoint."""
    terms: str | None = None
    """The template-rendered offer terms, when the copy is hook + terms."""
    attempts: int = 0
    """LLM requests made for this variant (0: no LLM was asked)."""
    redrafted: bool = False
    """True when an LLM draft failed and the model was asked again with the violations."""
    rejected: list[RejectedDraft] = Field(default_factory=list)
    fallback_reason: str | None = None
    """Why the template took over (None when the LLM's draft was used)."""
    seconds: float = 0.0


def draft_copy(
    offer: Offer,
    segment_description: str,
    *,
    llm: ChatModel,
    policy: Policy,
    language: Language = "en",
    n_variants: int = 3,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    on_variant: Callable[[CopyVariant], None] | None = None,
) -> list[CopyVariant]:
    """Draft `n_variants` checked copy variants for an offer sent to a described segment.

    `segment_description` describes the group ("households that have not shopped in 40
    days"); naming households is refused. Each variant is checked with the guardrails; a
    variant whose verdict is not ok is only possible when even the template copy breaks the
    policy (e.g. a policy stricter than the terms template), and is returned so it is seen.
    `on_variant` is called as each variant is ready (the local model takes seconds each), so a
    TUI worker can show progress.
    """
    description = _checked_segment_description(segment_description)
    writer = _Writer(offer, description, llm=llm, policy=policy, language=language)
    variants: list[CopyVariant] = []
    for index in range(max(0, n_variants)):
        tone = TONES[index % len(TONES)]
        variant = writer.variant(tone, max_attempts=max(1, max_attempts))
        variants.append(variant)
        if on_variant is not None:
            on_variant(variant)
    return variants


def _checked_segment_description(description: str) -> str:
    """The description if it describes a group; refuse anything that names households."""
    text = " ".join(str(description).split())
    if len(text) > SEGMENT_DESCRIPTION_MAX_CHARS:
        raise BadInputError(
            f"segment description is longer than {SEGMENT_DESCRIPTION_MAX_CHARS} characters"
        )
    if _HOUSEHOLD_REFERENCE.search(text):
        raise BadInputError(
            "segment description must describe a group of households, not identify them"
        )
    return text


class _Writer:
    """Drafts variants for one offer; remembers the hooks/texts used so variants differ."""

    def __init__(
        self,
        offer: Offer,
        segment_description: str,
        *,
        llm: ChatModel,
        policy: Policy,
        language: Language,
    ) -> None:
        from coupondesk.tools.copy.terms import render_terms

        self.offer = offer
        self.segment_description = segment_description
        self.llm = llm
        self.policy = policy
        self.language = language
        self.scope_label = scope_label(offer, language)
        self.scope_words = (
            scope_words([friendly_name(name) for name in scope_names(offer)])
            if not offer.storewide
            else []
        )
        self.terms = render_terms(offer, language, scope_label=self.scope_label, policy=policy)
        self.used_hooks: list[str] = []
        self.used_texts: list[str] = []
        self.llm_failure: str | None = None
        """Set when the backend raised: later variants go straight to the template."""

    # -- strategy ----------------------------------------------------------------------------

    def variant(self, tone: str, *, max_attempts: int) -> CopyVariant:
        started = time.perf_counter()
        if self.llm_failure is not None:
            variant = self._template(tone, reason=self.llm_failure)
        elif self.llm.capable:
            variant = self._whole_copy(tone, max_attempts)
        elif self.language == "zh":
            variant = self._template(
                tone, reason="the local model cannot write Chinese: template copy"
            )
        else:
            variant = self._hook_copy(tone, max_attempts)
        variant.seconds = time.perf_counter() - started
        self.used_texts.append(variant.text)
        if variant.hook:
            self.used_hooks.append(variant.hook)
        return variant

    # -- local model: hook + terms -------------------------------------------------------------

    def _hook_messages(self, tone: str) -> list[ChatMessage]:
        messages: list[ChatMessage] = [
            system(prompts.render("copy_hook_system.md.j2", strict=False))
        ]
        for example_scope, example_tone, example_hook in HOOK_EXAMPLES:
            messages.append(
                user(
                    prompts.render(
                        "copy_hook.md.j2",
                        tone=example_tone,
                        scope_label=example_scope,
                        segment_description="",
                    )
                )
            )
            messages.append(assistant(example_hook))
        # The segment is left out for the small model: measured over 21 dev hooks it lowered
        # the first-pass rate (13 -> 11 of 21), its numbers ("40 days") leaking into hooks.
        messages.append(
            user(
                prompts.render(
                    "copy_hook.md.j2",
                    tone=tone,
                    scope_label=self.scope_label,
                    segment_description="",
                )
            )
        )
        return messages

    def _hook_copy(self, tone: str, max_attempts: int) -> CopyVariant:
        messages = self._hook_messages(tone)
        rejected: list[RejectedDraft] = []
        for attempt in range(1, max_attempts + 1):
            try:
                result = self.llm.complete(
                    messages,
                    max_tokens=32,
                    temperature=0.7 if attempt == 1 else 0.9,
                    stop=["\n"],
                )
            except LLMError as error:
                self.llm_failure = f"LLM unavailable: {error.message}"
                return self._template(
                    tone, reason=self.llm_failure, rejected=rejected, attempts=attempt - 1
                )
            hook = clean_hook(result.text)
            verdict = check_hook(
                hook,
                scope=self.scope_words,
                taken=self.used_hooks,
                banned_phrases=self.policy.copy_rules.banned_phrases_en,
            )
            text = self._compose(hook)
            if verdict.ok:
                verdict = self._check(text)
            if verdict.ok:
                return CopyVariant(
                    text=text,
                    language=self.language,
                    source="llm",
                    verdict=verdict,
                    tone=tone,
                    hook=hook,
                    terms=self.terms,
                    attempts=attempt,
                    redrafted=attempt > 1,
                    rejected=rejected,
                )
            rejected.append(RejectedDraft(text=hook or result.text, violations=verdict.violations))
            messages = [
                *messages,
                assistant(hook or result.text),
                user(self._redraft_prompt("hook", tone, verdict.violations)),
            ]
        return self._template(
            tone,
            reason=f"no LLM hook passed the checks in {max_attempts} attempts",
            rejected=rejected,
            attempts=max_attempts,
        )

    # -- capable endpoint: whole copy ------------------------------------------------------------

    def _whole_copy(self, tone: str, max_attempts: int) -> CopyVariant:
        messages: list[ChatMessage] = [
            user(
                prompts.render(
                    "full_copy.md.j2",
                    language=self.language,
                    terms=self.terms,
                    scope_label=self.scope_label,
                    segment_description=self.segment_description,
                    tone=tone,
                    max_chars=self.policy.copy_rules.max_chars(self.language),
                    has_min_spend=self.offer.min_spend is not None,
                    banned_phrases=self._banned_phrases(),
                )
            )
        ]
        rejected: list[RejectedDraft] = []
        for attempt in range(1, max_attempts + 1):
            try:
                result = self.llm.complete(messages, max_tokens=200, temperature=0.7)
            except LLMError as error:
                self.llm_failure = f"LLM unavailable: {error.message}"
                return self._template(
                    tone, reason=self.llm_failure, rejected=rejected, attempts=attempt - 1
                )
            text = clean_copy(result.text)
            verdict = self._check(text)
            if verdict.ok:
                return CopyVariant(
                    text=text,
                    language=self.language,
                    source="llm",
                    verdict=verdict,
                    tone=tone,
                    attempts=attempt,
                    redrafted=attempt > 1,
                    rejected=rejected,
                )
            rejected.append(RejectedDraft(text=text, violations=verdict.violations))
            messages = [
                *messages,
                assistant(text),
                user(self._redraft_prompt("copy", tone, verdict.violations)),
            ]
        return self._template(
            tone,
            reason=f"no LLM copy passed the checks in {max_attempts} attempts",
            rejected=rejected,
            attempts=max_attempts,
        )

    # -- deterministic fallback ------------------------------------------------------------------

    def _template(
        self,
        tone: str,
        *,
        reason: str,
        rejected: Sequence[RejectedDraft] = (),
        attempts: int = 0,
    ) -> CopyVariant:
        """Template hook + template terms: the first unused hook whose copy passes the checks,
        else the terms alone."""
        common = {
            "language": self.language,
            "source": "template",
            "tone": tone,
            "terms": self.terms,
            "attempts": attempts,
            "redrafted": attempts > 1,
            "rejected": list(rejected),
            "fallback_reason": reason,
        }
        candidates = fallback_hooks(self.offer, self.language, scope=self.scope_label)
        unused = [h for h in candidates if h not in self.used_hooks]
        for hook in [*unused, *[h for h in candidates if h in self.used_hooks]]:
            text = self._compose(hook)
            verdict = self._check(text)
            if verdict.ok:
                return CopyVariant(text=text, verdict=verdict, hook=hook, **common)  # type: ignore[arg-type]
        return CopyVariant(text=self.terms, verdict=self._check(self.terms), **common)  # type: ignore[arg-type]

    # -- helpers -------------------------------------------------------------------------------

    def _compose(self, hook: str) -> str:
        if not hook:
            return self.terms
        if self.language == "zh":
            return f"{hook}{self.terms}"
        if hook[-1] not in ".!?…":
            hook += "."
        return f"{hook} {self.terms}"

    def _check(self, text: str) -> Verdict:
        from coupondesk.tools.policy.guardrails import check_copy

        verdict = check_copy(text, self.offer, self.policy, language=self.language)
        extra: list[Violation] = []
        if text.strip() and _normalized(text) in {_normalized(t) for t in self.used_texts}:
            extra.append(
                Violation(
                    rule="copy.duplicate", message="another variant has this text", value=text
                )
            )
        meta = _META_OPENING.search(text)
        if meta:
            extra.append(
                Violation(
                    rule="copy.meta",
                    message="the copy must be the coupon text itself, not talk about it",
                    value=meta.group(0),
                )
            )
        return verdict.merged(Verdict(violations=extra)) if extra else verdict

    def _banned_phrases(self) -> list[str]:
        rules = self.policy.copy_rules
        return list(rules.banned_phrases_zh if self.language == "zh" else rules.banned_phrases_en)

    def _redraft_prompt(self, kind: str, tone: str, violations: Sequence[Violation]) -> str:
        return prompts.render(
            "copy_redraft.md.j2",
            kind=kind,
            tone=tone,
            violations=list(violations),
            scope_label=self.scope_label,
            terms=self.terms,
        )


def fallback_hooks(offer: Offer, language: Language, *, scope: str | None = None) -> list[str]:
    """The template hooks for an offer, in order: number-free and claim-free by construction."""
    rendered = prompts.render(
        f"fallback_hooks_{language}.j2",
        storewide=offer.storewide,
        scope_label=scope if scope is not None else scope_label(offer, language),
    )
    hooks = [line.strip() for line in rendered.splitlines() if line.strip()]
    if language == "en":
        return [hook[0].upper() + hook[1:] for hook in hooks]
    return hooks


_META_OPENING = re.compile(
    r"^\s*(?:sure|certainly|here(?:'s| is| are)|of course|as an ai)\b|coupon text\s*:",
    re.IGNORECASE,
)


def clean_copy(raw: str) -> str:
    """Whole copy without the wrapping a chatty model adds (quotes, a "Here it is:" line)."""
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        lines = lines[1:]
    text = " ".join(lines).replace("**", "")
    return text.strip().strip("\"'“”`").strip()


def _normalized(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))
