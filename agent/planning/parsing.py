"""Which quantity of a campaign request is which field: discount, minimum spend, validity,
budget, audience window, audience spend or size cap.

coupondesk.tools.policy.quantities finds every quantity and its span (the one number reader of
the product); this module only decides each one's *role* from the words around it inside its clause,
because the same "$300" is a minimum spend in "orders over $300" and an audience filter in
"spent more than $300 in the last 60 days", and the same "40 days" is a validity after
"valid" and a lapsed window after "haven't shopped in". Nothing here guesses silently: a
quantity whose role is unclear becomes a question for the operator.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from coupondesk.agent.planning import markers
from coupondesk.tools.campaigns.offer import OfferKind
from coupondesk.tools.campaigns.plan import PlanIssue
from coupondesk.tools.language import Language, detect_language
from coupondesk.tools.policy.copy_scan import is_cap_amount
from coupondesk.tools.policy.quantities import (
    Claim,
    find_claims,
    format_number,
    parse_duration_days,
)

_MASK = "\x00"
_I = re.IGNORECASE


def validity_phrase(duration: str, language: Language) -> str:
    """How the operator would state a duration as the coupon's validity ("valid 45 days")."""
    return f"有效期{duration}" if language == "zh" else f"valid {duration}"


# --------------------------------------------------------------------------- results


FIELD_LABELS: dict[str, str] = {
    "offer.value": "Discount",
    "offer.kind": "Discount",
    "offer.min_spend": "Minimum spend",
    "offer.valid_days": "Validity",
    "offer.max_discount": "Discount cap",
    "offer.scope": "Offer scope",
    "budget": "Budget",
    "audience.max_size": "Audience size",
    "audience.lapsed_days": "Audience window",
    "audience.active_days": "Audience window",
    "audience.scope": "Audience scope",
    "audience.demographics": "Audience demographics",
    "revision": "Revision",
}
"""Every question starts with its field's label ("Budget: ..."), so a revision that sets the
field can retire the question, and the operator sees at once what it is about."""


@dataclass(frozen=True)
class Ask:
    """A question for the operator about one field; `text` starts with the field's label."""

    field: str
    text: str

    @classmethod
    def about(cls, field_name: str, question: str) -> Ask:
        """A question labelled with its field ("Budget: what is ...?")."""
        return cls(field_name, f"{FIELD_LABELS[field_name]}: {question}")


def question_label(question: str) -> str:
    """The label a question starts with ("" when it has none)."""
    head, sep, _ = question.partition(":")
    return head if sep and head in FIELD_LABELS.values() else ""


@dataclass
class RequestFacts:
    """The quantities of a request in their roles; None means "the text does not say"."""

    language: Language = "en"
    offer_kind: OfferKind | None = None
    offer_value: float | None = None
    min_spend: float | None = None
    no_minimum: bool = False
    valid_days: int | None = None
    max_discount: float | None = None
    """Cap on one redemption of a percent offer ("up to $5", 最多减5美元)."""
    budget: float | None = None
    budget_mode: Literal["service", "export_only"] | None = None
    """"export only": the codes are redeemed outside coupondesk's redemption service."""
    lapsed_days: int | None = None
    active_days: int | None = None
    audience_min_spend: float | None = None
    spend_window_days: int | None = None
    max_size: int | None = None
    top_spenders: bool = False
    lapsed_mentioned: bool = False
    """"win back lapsed buyers" without a number: the window must be asked for."""
    deadline: str | None = None
    """An end stated as a date or day ("ends Sunday") rather than a number of days."""
    unsupported: list[str] = field(default_factory=list)
    """Offer mechanisms coupondesk cannot issue (BOGO, cash back, every $25...)."""
    quantity_spans: list[tuple[int, int]] = field(default_factory=list)
    """Spans of every quantity read, masked out before scope phrases are looked for."""
    offer_spans: list[tuple[int, int]] = field(default_factory=list)
    """Spans of the discount and minimum-spend quantities ("$25 in the deli" is the coupon's)."""
    notes: list[str] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)
    issues: list[PlanIssue] = field(default_factory=list)

    def stated(self) -> set[str]:
        """Dotted names of the plan fields this text states (a revision overrides only these)."""
        names = {
            "offer.kind": self.offer_kind, "offer.value": self.offer_value,
            "offer.valid_days": self.valid_days, "budget": self.budget,
            "offer.max_discount": self.max_discount, "budget_mode": self.budget_mode,
            "audience.lapsed_days": self.lapsed_days, "audience.active_days": self.active_days,
            "audience.min_spend": self.audience_min_spend, "audience.max_size": self.max_size,
            "audience.spend_window_days": self.spend_window_days,
        }
        found = {name for name, value in names.items() if value is not None}
        if self.min_spend is not None or self.no_minimum:
            found.add("offer.min_spend")
        if self.top_spenders:
            found.add("audience.top_spenders")
        return found


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class _Context:
    """The words around one claim, with every other quantity masked out."""

    left: str
    """From the clause start (or the previous quantity) up to the claim."""
    right: str
    """From the claim to the clause end, other quantities masked with \\x00."""
    clause: str
    """The whole clause with every quantity (this one included) masked."""
    clause_start: int


def _clause_bounds(text: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in markers.CLAUSE_BREAK.finditer(text):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    return bounds


class _Reader:
    """Assigns a role to every claim of one request, in text order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.claims = find_claims(text)
        masked = list(text)
        for claim in self.claims:
            for i in range(*claim.span):
                masked[i] = _MASK
        self.masked = "".join(masked)
        self.clauses = _clause_bounds(text)
        self.facts = RequestFacts(language=detect_language(text))
        self.discounts: list[tuple[OfferKind, float, Claim]] = []
        self.durations: list[tuple[Claim, float]] = []
        self.budgets: list[tuple[float, Claim]] = []
        self.loose_money: list[Claim] = []
        self.audience_spend_at: tuple[int, int] | None = None

    def context(self, claim: Claim) -> _Context:
        start, end = claim.span
        clause_start, clause_end = next(
            ((a, b) for a, b in self.clauses if a <= start < max(b, a + 1)), (0, len(self.text))
        )
        left = self.masked[clause_start:start]
        left = left[left.rfind(_MASK) + 1 :]
        return _Context(
            left=left,
            right=self.masked[end:clause_end],
            clause=self.masked[clause_start:clause_end],
            clause_start=clause_start,
        )

    # -- roles ------------------------------------------------------------------------------

    def read(self) -> RequestFacts:
        facts = self.facts
        previous: Claim | None = None
        for claim in self.claims:
            ctx = self.context(claim)
            handler = getattr(self, f"_on_{claim.kind}", None)
            if previous is not None and self._part_of_mechanism(previous, claim):
                self._keep(claim)
                facts.unsupported[-1] = self.text[previous.span[0] : claim.span[1]]
            elif handler is not None:
                handler(claim, ctx)
            previous = claim
        self._settle_discount()
        self._settle_durations()
        self._settle_budget()
        self._settle_flags()
        return facts

    def _part_of_mechanism(self, previous: Claim, claim: Claim) -> bool:
        """"第二件半价", "buy 2 get 1 50% off": a discount that belongs to a multi-buy."""
        if previous.kind != "other_discount" or not self.facts.unsupported:
            return False
        if claim.kind not in ("percent_off", "amount_off"):
            return False
        gap = self.text[previous.span[1] : claim.span[0]]
        return len(gap.strip()) <= 1 and not markers.CLAUSE_BREAK.search(gap)

    def _keep(self, claim: Claim) -> None:
        self.facts.quantity_spans.append(claim.span)

    def _is_old_value(self, ctx: _Context) -> bool:
        """"instead of 15%", "change 15% to 10%": the value being replaced, not the new one."""
        return bool(
            markers.OLD_VALUE_LEFT.search(ctx.left) or markers.OLD_VALUE_RIGHT.match(ctx.right)
        )

    def _on_percent_off(self, claim: Claim, ctx: _Context) -> None:
        self._keep(claim)
        if claim.value is None:
            return
        share = re.search(r"(?<![a-z])(?:top|bottom)\s*$", ctx.left, _I)
        if share or markers.SHARE_OF_AUDIENCE.match(ctx.right):
            self.facts.top_spenders = True
            self.facts.asks.append(Ask(
                "audience.max_size",
                f"Audience size: \"{claim.raw}\" is a share of customers; how many households "
                "at most should receive the coupon?",
            ))
            return
        if self._is_old_value(ctx):
            return
        self.discounts.append(("percent_off", claim.value, claim))
        self.facts.offer_spans.append(claim.span)

    def _cap(self, claim: Claim, ctx: _Context) -> bool:
        """"up to $5", "max $5 off", "capped at $5", 最多减5美元: the cap of a percent offer."""
        if claim.value is None or markers.BUDGET_LEFT.search(ctx.left):
            return False
        if self._spend_cap(ctx):  # "spend at most $400", "up to $400 total": the budget
            return False
        if not is_cap_amount(self.text, claim.span):
            return False
        if self.facts.max_discount is not None and self.facts.max_discount != claim.value:
            self.facts.asks.append(Ask(
                "offer.max_discount",
                f"Discount cap: the request states ${format_number(self.facts.max_discount)} and "
                f"\"{claim.raw}\"; which is the most one coupon may take off?",
            ))
            return True
        self.facts.max_discount = claim.value
        self.facts.offer_spans.append(claim.span)
        return True

    def _on_amount_off(self, claim: Claim, ctx: _Context) -> None:
        self._keep(claim)
        if self._cap(claim, ctx):
            return
        if claim.value is not None and not self._is_old_value(ctx):
            self.discounts.append(("amount_off", claim.value, claim))
            self.facts.offer_spans.append(claim.span)

    def _on_min_spend(self, claim: Claim, ctx: _Context) -> None:
        self._keep(claim)
        if claim.value is None or self._is_old_value(ctx):
            return
        if self._spend_cap(ctx):
            self.budgets.append((claim.value, claim))
            return
        if claim.value == 0:
            self.facts.no_minimum = True
            self.facts.offer_spans.append(claim.span)
            return
        if self._audience_spend(ctx):
            self._set_audience_spend(claim.value, claim)
            return
        self._set_min_spend(claim.value, claim)

    @staticmethod
    def _spend_cap(ctx: _Context) -> bool:
        """"cap the spend at $400", "spend no more than $400", "up to $400 total": a budget."""
        return bool(markers.SPEND_CAP_LEFT.search(ctx.left)
                    or markers.BUDGET_TOTAL_RIGHT.match(ctx.right))

    def _audience_spend(self, ctx: _Context) -> bool:
        """Past spend of the audience ("spent $300 in the last 60 days", 消费满500元的用户)."""
        described = bool(markers.AUDIENCE_SPEND_RIGHT.match(ctx.right))
        if re.search(r"[满滿]\s*$", ctx.left):  # 满100减15 is the coupon's own condition
            return described
        return described or bool(markers.AUDIENCE_SPEND_LEFT.search(ctx.left))

    def _set_min_spend(self, value: float, claim: Claim) -> None:
        if self.facts.min_spend is not None and self.facts.min_spend != value:
            self.facts.asks.append(Ask(
                "offer.min_spend",
                f"Minimum spend: the request states ${format_number(self.facts.min_spend)} and "
                f"\"{claim.raw}\"; which is the coupon's minimum spend?",
            ))
            return
        self.facts.min_spend = value
        self.facts.offer_spans.append(claim.span)

    def _set_audience_spend(self, value: float, claim: Claim) -> None:
        self.facts.audience_min_spend = value
        self.audience_spend_at = claim.span

    def _on_budget(self, claim: Claim, ctx: _Context) -> None:
        self._keep(claim)
        if claim.value is not None and not self._is_old_value(ctx):
            self.budgets.append((claim.value, claim))

    def _on_money(self, claim: Claim, ctx: _Context) -> None:
        """An amount the quantity scanner left unplaced: read its role from the request's words."""
        self._keep(claim)
        if claim.value is None or self._is_old_value(ctx) or self._cap(claim, ctx):
            return
        if (markers.BUDGET_LEFT.search(ctx.left) or markers.BUDGET_RIGHT.match(ctx.right)
                or self._spend_cap(ctx)):
            self.budgets.append((claim.value, claim))
        elif self._audience_spend(ctx) and not markers.AMOUNT_RIGHT.match(ctx.right):
            self._set_audience_spend(claim.value, claim)
        elif markers.AMOUNT_RIGHT.match(ctx.right):
            self.discounts.append(("amount_off", claim.value, claim))
            self.facts.offer_spans.append(claim.span)
        elif markers.MIN_SPEND_LEFT.search(ctx.left):
            self._set_min_spend(claim.value, claim)
        else:
            self.loose_money.append(claim)

    def _on_other_number(self, claim: Claim, ctx: _Context) -> None:
        """A bare number: "1500 budget", "max 250", "7d", "10 off" (which is ambiguous)."""
        if claim.value is None or self._is_old_value(ctx):
            return
        if markers.BUDGET_RIGHT.match(ctx.right) or markers.BUDGET_LEFT.search(ctx.left):
            self._keep(claim)
            self.budgets.append((claim.value, claim))
        elif markers.DAYS_SUFFIX.match(ctx.right):
            self._keep(claim)
            self.durations.append((claim, claim.value))
        elif markers.MIN_SPEND_LEFT.search(ctx.left):
            self._keep(claim)
            self._set_min_spend(claim.value, claim)
        elif markers.SIZE_LEFT.search(ctx.left) and claim.value >= 1 and claim.value.is_integer():
            self._keep(claim)
            self._set_max_size(claim.value, claim, ctx)
        elif markers.HOUSEHOLDS_RIGHT.match(ctx.right) and claim.value.is_integer() and (
            claim.value >= 1
        ):
            self._keep(claim)  # "300 loyal dog owners": a count the quantity scanner did not place
            self._set_max_size(claim.value, claim, ctx)
        elif markers.OFF_RIGHT.match(ctx.right):
            self._keep(claim)
            self.facts.asks.append(Ask(
                "offer.value",
                f"Discount: is \"{claim.raw} off\" {claim.raw}% or ${claim.raw} off?",
            ))

    def _on_count(self, claim: Claim, ctx: _Context) -> None:
        self._keep(claim)
        if claim.value is None or self._is_old_value(ctx):
            return
        self._set_max_size(claim.value, claim, ctx)

    def _set_max_size(self, value: float, claim: Claim, ctx: _Context) -> None:
        if re.search(r"(?<![a-z])top\s*$", ctx.left, _I):
            self.facts.top_spenders = True
        if markers.TOP_SPENDERS.search(claim.raw):
            self.facts.top_spenders = True
        size = int(value)
        if self.facts.max_size is not None and self.facts.max_size != size:
            self.facts.asks.append(Ask(
                "audience.max_size",
                f"Audience size: the request states {self.facts.max_size} and {size} "
                "households; which is the cap?",
            ))
            return
        self.facts.max_size = size

    def _on_duration_days(self, claim: Claim, ctx: _Context) -> None:
        self._keep(claim)
        if claim.value is not None and not self._is_old_value(ctx):
            self.durations.append((claim, claim.value))

    def _on_deadline(self, claim: Claim, ctx: _Context) -> None:
        self._keep(claim)
        self.facts.deadline = claim.raw

    def _on_other_discount(self, claim: Claim, ctx: _Context) -> None:
        self._keep(claim)
        self.facts.unsupported.append(claim.raw)

    # -- settling ---------------------------------------------------------------------------

    def _settle_discount(self) -> None:
        facts = self.facts
        if not self.discounts:
            return
        kind, value, claim = self.discounts[0]
        facts.offer_kind, facts.offer_value = kind, value
        others = {(k, v) for k, v, _ in self.discounts[1:]} - {(kind, value)}
        if others:
            shown = ", ".join(f"\"{c.raw}\"" for _, _, c in self.discounts)
            facts.asks.append(Ask(
                "offer.value",
                f"Discount: the request states several discounts ({shown}); which one should "
                "the coupon give?",
            ))

    def _duration_role(self, claim: Claim, ctx: _Context) -> str:
        right = ctx.right.split(_MASK, 1)[0]
        if markers.VALIDITY_RIGHT.match(right):
            return "validity"
        if markers.LAPSED_RIGHT.match(right):
            return "lapsed"
        if markers.ACTIVE_RIGHT.match(right):
            return "active"
        positions: dict[str, int] = {}
        left = f"{ctx.left} {claim.raw}"  # "in the past week": the marker is inside the claim
        for role, pattern in (
            ("validity", markers.VALIDITY_LEFT),
            ("lapsed", markers.LAPSED_LEFT),
            ("active", markers.ACTIVE_LEFT),
        ):
            hits = [m.end() for m in pattern.finditer(left)]
            if hits:
                positions[role] = hits[-1]
        if "lapsed" in positions and positions.get("validity", -1) < positions["lapsed"]:
            return "lapsed"
        if positions:
            return max(positions, key=lambda role: positions[role])
        return "unassigned"

    def _settle_durations(self) -> None:
        facts = self.facts
        unassigned: list[tuple[Claim, float]] = []
        for claim, days in self.durations:
            ctx = self.context(claim)
            role = self._duration_role(claim, ctx)
            whole = max(1, int(math.ceil(days - 1e-9)))
            if role == "unassigned" and facts.lapsed_days is None and self._window_of_lapse(ctx):
                facts.lapsed_days = whole
                facts.notes.append(
                    f"\"{claim.raw}\" after the lapsed audience read as its lapse window (no "
                    f"purchase in {whole} days); say "
                    f"\"{validity_phrase(claim.raw, facts.language)}\" if it is the validity"
                )
            elif role == "lapsed" and facts.lapsed_days is None:
                facts.lapsed_days = whole
            elif role == "active" and self._spend_window(claim, ctx):
                facts.spend_window_days = whole
            elif role == "active" and facts.active_days is None:
                facts.active_days = whole
            elif role == "validity" and facts.valid_days is None:
                self._set_validity(days, claim)
            else:
                unassigned.append((claim, days))
        self._unit_windows()
        if unassigned and facts.valid_days is None:
            claim, days = unassigned[-1]
            self._set_validity(days, claim)
            unassigned = unassigned[:-1]
        for claim, _ in unassigned:
            facts.asks.append(Ask(
                "offer.valid_days",
                f"Validity: what is \"{claim.raw}\" in the request (the validity or an audience "
                "window)?",
            ))

    def _window_of_lapse(self, ctx: _Context) -> bool:
        """"lapsed bakery customers, 45 days": a duration alone in its clause, right after a
        clause naming a lapsed audience without a number of its own, is that audience's window."""
        alone = ctx.left + ctx.right.split(_MASK, 1)[0]
        if alone.strip(" :：()（）-"):
            return False
        previous = [(a, b) for a, b in self.clauses if b <= ctx.clause_start]
        if not previous:
            return False
        start, end = previous[-1]
        before = self.masked[start:end]
        return _MASK not in before and bool(markers.LAPSED_AUDIENCE.search(before))

    def _spend_window(self, claim: Claim, ctx: _Context) -> bool:
        """A window right next to the audience's past spend ("spent $300 in the last 60 days")."""
        return self._near_audience_spend(claim.span)

    def _near_audience_spend(self, span: tuple[int, int]) -> bool:
        """A window right next to the audience's past spend ("过去半年消费超过1000元")."""
        spend = self.audience_spend_at
        if spend is None:
            return False
        between = self.text[min(spend[1], span[1]) : max(spend[0], span[0])]
        return len(between) <= 24 and not markers.CLAUSE_BREAK.search(between)

    def _set_validity(self, days: float, claim: Claim) -> None:
        whole = max(1, int(math.ceil(days - 1e-9)))
        if whole != days:  # "36 hours", and "0 days" (a coupon is valid for a day at least)
            self.facts.notes.append(
                f"validity \"{claim.raw}\" rounded up to {whole} whole day{'s' * (whole != 1)}"
            )
        self.facts.valid_days = whole

    def _unit_windows(self) -> None:
        """"bought soup in the last month": a window with a unit and no number."""
        facts = self.facts
        for match in markers.UNIT_WINDOW.finditer(self.masked):
            if match.group("zh"):
                days = parse_duration_days(markers.ZH_WINDOW_WORDS.get(match.group("zh"), ""))
            else:
                days = parse_duration_days(f"1 {match.group('unit')}")
            if days is None:
                continue
            left = self.masked[max(0, match.start() - 40) : match.start()]
            left = re.split(r"[.;,!?，。；]", left)[-1]
            if markers.LAPSED_LEFT.search(left) and facts.lapsed_days is None:
                facts.lapsed_days = int(days)
            elif facts.audience_min_spend is not None and facts.spend_window_days is None and (
                markers.AUDIENCE_SPEND_LEFT.search(left) or self._near_audience_spend(match.span())
            ):
                facts.spend_window_days = int(days)
            elif facts.active_days is None and not markers.LAPSED_LEFT.search(left):
                facts.active_days = int(days)
            else:
                continue
            facts.quantity_spans.append(match.span())

    def _settle_budget(self) -> None:
        facts = self.facts
        if self.budgets:
            value, claim = self.budgets[0]
            facts.budget = value
            if len({v for v, _ in self.budgets}) > 1:
                shown = ", ".join(f"\"{c.raw}\"" for _, c in self.budgets)
                facts.asks.append(Ask(
                    "budget", f"Budget: the request states several budgets ({shown}); which one?"
                ))
        for claim in self.loose_money:
            ctx = self.context(claim)
            alone = not re.sub(r"[\s\x00:：.,;]|total|campaign|overall|总共|总计", "",
                               ctx.clause, flags=_I)
            if facts.budget is None and alone and facts.offer_value is not None:
                facts.budget = claim.value
                facts.notes.append(f"\"{claim.raw}\" standing alone read as the campaign budget")
            elif facts.offer_value is None and facts.offer_kind is None and claim.value:
                facts.asks.append(Ask(
                    "offer.value",
                    f"Discount: is \"{claim.raw}\" the amount off, the minimum spend or the "
                    "budget?",
                ))
            else:
                facts.asks.append(Ask(
                    "budget", f"Budget: what is \"{claim.raw}\" in the request?"
                ))

    def _settle_flags(self) -> None:
        facts = self.facts
        if markers.TOP_SPENDERS.search(self.masked):
            facts.top_spenders = True
        if facts.lapsed_days is None and markers.LAPSED_WORDS.search(self.text):
            facts.lapsed_mentioned = True
        if markers.EXPORT_ONLY.search(self.text):
            facts.budget_mode = "export_only"


def read_request(text: str) -> RequestFacts:
    """The quantities of an operator's request, each in its role (see the module docstring)."""
    return _Reader(text).read()
