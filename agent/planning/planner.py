"""Request -> CampaignPlan: rules read the numbers, the catalog reads the merchandise, the LLM
(capable endpoints only) fills what both left open, and every gap is shown, never guessed.

The pipeline, one module per step:
- coupondesk.agent.planning.parsing: each quantity's role (discount, minimum spend, validity,
  budget, lapsed/active window, audience spend, size cap), on top of
  coupondesk.tools.policy.quantities' spans;
- coupondesk.agent.planning.scope_phrases: the merchandise phrases and whom each is about
  (coupon or audience);
- coupondesk.agent.planning.scope_resolution: phrase -> catalog departments/categories via
  coupondesk.tools.catalog.lookup;
- coupondesk.agent.planning.plan_llm: a capable endpoint's structured reading, validated, used
  only for fields the rules left empty;
- here: assembly, policy defaults (listed under `assumptions`), questions and errors.
Revisions ("make it 10%") live in coupondesk.agent.planning.revision and reuse the same readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from coupondesk.agent.planning.demographics import DemographicReading, read_demographics
from coupondesk.agent.planning.depth_words import read_depth_choice
from coupondesk.agent.planning.parsing import Ask, RequestFacts, read_request
from coupondesk.agent.planning.plan_llm import ask_llm, ground_llm_plan
from coupondesk.agent.planning.scope_phrases import ScopePhrase, ScopeReading, find_scope_phrases
from coupondesk.agent.planning.scope_resolution import Scope, ScopeResolver
from coupondesk.agent.planning.send_words import read_send_timing
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import Audience, CampaignPlan, DepthChoice, PlanIssue
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.llm import ChatModel
from coupondesk.tools.policy.quantities import format_number
from coupondesk.tools.policy.rules import Policy
from coupondesk.tools.queries.segments import DEFAULT_SPEND_WINDOW_DAYS
from sqlalchemy.orm import Session

DEFAULT_NOTES: dict[str, str] = {
    "offer.valid_days": "no validity given",
    "offer.scope": "the request names no product",
    "audience.spend_window_days": "spend measured over the last",
    "offer.max_discount": "no cap given",
}
"""How each default's assumption starts, so a revision that sets the field retires it."""
MAX_REQUEST_CHARS = 2000
"""A request is a sentence or two; anything longer is not a campaign request."""


@dataclass
class Findings:
    """What the operator is told besides the plan: assumptions, questions, errors."""

    notes: list[str] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)
    issues: list[PlanIssue] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def ask(self, field_name: str, question: str) -> None:
        asked = Ask.about(field_name, question)
        if asked.text not in (a.text for a in self.asks):
            self.asks.append(asked)

    def issue(self, rule: str, message: str) -> None:
        if not any(i.rule == rule and i.message == message for i in self.issues):
            self.issues.append(PlanIssue(rule=rule, message=message))


_EMPTY_TEXT = {
    "request": "the request is empty: describe the campaign, e.g. "
               "\"15% off coffee for lapsed buyers, budget $500, valid 7 days\"",
    "change": "the change is empty: say what to change, e.g. \"make it 10%\" or "
              "\"only 200 households\"",
}


def clean_request(text: str, *, kind: Literal["request", "change"] = "request") -> str:
    """The request (or a revision's change) as one line of plain text; empty or oversized
    text is refused.

    Callers run this before they write anything or resume a paused thread, so bad input
    never leaves a half-made campaign or a broken review behind.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise BadInputError(_EMPTY_TEXT[kind])
    if len(cleaned) > MAX_REQUEST_CHARS:
        raise BadInputError(f"the {kind} is {len(cleaned):,} characters; keep it under "
                            f"{MAX_REQUEST_CHARS:,}")
    return cleaned


def default_valid_days(policy: Policy) -> int:
    """The policy's default validity when it has one, else one week, inside its min..max."""
    days = policy.offer.default_valid_days
    return max(policy.offer.min_valid_days, min(policy.offer.max_valid_days, days))


# --------------------------------------------------------------------------- scopes


@dataclass
class Scopes:
    """The coupon's and the audience's merchandise, resolved against the catalog."""

    offer: Scope
    audience: Scope
    audience_not_bought: bool


def resolve_scopes(
    reading: ScopeReading, resolver: ScopeResolver, found: Findings, *, revision: bool = False
) -> Scopes:
    """Catalog names for each role; phrases with no role cue may only fill an empty offer scope.

    In a revision ("switch to cookies") a phrase without a cue is about the coupon.
    """
    offer = resolver.phrases(reading.of_role("offer"))
    audience_phrases = reading.of_role("audience")
    audience = resolver.phrases(audience_phrases)
    unknown = reading.of_role("unknown")
    if unknown and offer.empty and not offer.unresolved:
        extra = resolver.phrases(unknown, strict=not revision)
        if not extra.empty:
            used = [p.text for p in unknown if p.text not in extra.unresolved]
            offer = extra
            offer.unresolved = []
            names = ", ".join([*extra.categories, *extra.departments])
            found.note(f"\"{', '.join(used)}\" taken as what the coupon covers ({names})")
        elif not reading.storewide and not revision:
            _ask_about_unplaced(unknown, resolver, found, audience=audience)
    for note in [*offer.notes, *audience.notes]:
        found.note(note)
    for phrase in offer.unresolved:
        found.ask("offer.scope", offer.question(phrase, whose="the coupon cover"))
    for phrase in audience.unresolved:
        found.ask("audience.scope",
                  audience.question(phrase, whose="the audience have bought"))
    not_bought = any(p.not_bought for p in audience_phrases)
    return Scopes(offer=offer, audience=audience, audience_not_bought=not_bought)


def _ask_about_unplaced(
    unknown: list[ScopePhrase], resolver: ScopeResolver, found: Findings, *, audience: Scope
) -> None:
    """Phrases with no role cue that no confident reading placed ("haircare 15% off"): when
    one of them is close to catalog names, the coupon's scope is asked, not assumed."""
    for phrase in unknown:
        closest = resolver.candidates(phrase.text)
        if not closest:
            continue
        listed = "; ".join(f"{m.name} ({m.level})" for m in closest)
        fallback = ("what the audience bought" if not audience.empty else "the whole store")
        found.ask("offer.scope", f"\"{phrase.text}\" may name merchandise (closest: {listed}); "
                                 f"should the coupon cover one of these, or {fallback}?")
        return


def _offer_scope(
    scopes: Scopes, reading: ScopeReading, found: Findings
) -> tuple[list[str], list[str]]:
    """The coupon's departments and categories; empty = storewide (said or assumed, not silent)."""
    offer, audience = scopes.offer, scopes.audience
    if not offer.empty:
        return offer.departments, offer.categories
    if reading.storewide or offer.unresolved:
        return [], []
    if not audience.empty:
        names = ", ".join([*audience.categories, *audience.departments])
        found.note(f"the request names no product for the coupon: it covers what the audience "
                   f"is defined by ({names}); say \"store-wide\" to change")
        return audience.departments, audience.categories
    if not any(a.field == "offer.scope" for a in found.asks):
        found.note("the request names no product: the coupon is store-wide")
    return [], []


# --------------------------------------------------------------------------- assembly


def _offer(facts: RequestFacts, scope: tuple[list[str], list[str]], policy: Policy,
           found: Findings) -> Offer:
    kind = facts.offer_kind or "percent_off"
    value = facts.offer_value or 0.0
    if facts.offer_value is None and not any(a.field == "offer.value" for a in facts.asks):
        found.ask("offer.value", "the request states no discount; how much off (e.g. \"15% off\" "
                                 "or \"$5 off\")?")
    valid_days = facts.valid_days
    if valid_days is None:
        valid_days = default_valid_days(policy)
        if facts.deadline:
            found.ask("offer.valid_days", f"the request says \"{facts.deadline}\"; for how many "
                                          f"days should the coupon be valid (now {valid_days})?")
        found.note(f"no validity given: using {valid_days} days (policy default)")
    min_spend = None if facts.no_minimum else facts.min_spend
    if facts.no_minimum:
        found.note("no minimum spend (the request says so)")
    departments, categories = scope
    offer = Offer(kind=kind, value=value, min_spend=min_spend, valid_days=valid_days,
                  departments=departments, categories=categories)
    return settle_cap(offer, facts.max_discount, policy, found)


def settle_cap(offer: Offer, stated: float | None, policy: Policy, found: Findings) -> Offer:
    """The offer with its cap: the stated one, else the policy default for a percent offer.

    A cap on an amount off is refused (it is its own cap); a default cap that would not bind
    (the offer can never take that much) is not applied.
    """
    from coupondesk.tools.policy.guardrails import uncapped_discount_per_coupon

    if offer.kind == "amount_off":
        if stated is not None:
            found.issue("max_discount", "offer.max_discount: a cap applies only to a percent "
                                        f"off; ${format_number(offer.value)} off is its own cap")
        return offer.model_copy(update={"max_discount": None})
    if stated is not None and stated <= 0:
        found.issue("max_discount", f"offer.max_discount: the cap must be a positive amount, not "
                                    f"${format_number(stated)}")
        return offer.model_copy(update={"max_discount": None})
    if stated is not None:
        return offer.model_copy(update={"max_discount": stated})
    if offer.max_discount is not None or offer.value <= 0:
        return offer
    default = policy.offer.default_max_discount
    if default is None or default >= uncapped_discount_per_coupon(offer, policy):
        return offer
    found.note(f"no cap given: at most ${format_number(default)} off per coupon (policy "
               f"default; say \"up to $N\" to change)")
    return offer.model_copy(update={"max_discount": default})


def note_demographics(demographics: DemographicReading, found: Findings) -> None:
    """The demographic readings as assumptions; bands this data lacks as questions."""
    for note in demographics.notes:
        found.note(note)
    for phrase in demographics.unknown:
        found.ask("audience.demographics", f"\"{phrase}\": this data has no such demographic "
                                           "band; drop it or describe the audience otherwise?")


def _audience(
    facts: RequestFacts, scopes: Scopes, demographics: DemographicReading, found: Findings,
    policy: Policy,
) -> Audience:
    scope = scopes.audience
    lapsed_in_scope = scopes.audience_not_bought and not scope.empty
    lapsed_days = facts.lapsed_days
    if lapsed_days is None and (facts.lapsed_mentioned or scopes.audience_not_bought):
        lapsed_days = policy.audience.default_lapsed_days
        where = f"no {'/'.join(scope.categories + scope.departments)} purchase" if (
            lapsed_in_scope) else "no purchase"
        found.note(f"lapsed = {where} in the last {lapsed_days} days (policy default; say "
                   f"\"lapsed 60 days\" to change)")
    if (facts.audience_min_spend is not None or facts.top_spenders) and (
        facts.spend_window_days is None and facts.active_days is None
    ):
        found.note(f"spend measured over the last {DEFAULT_SPEND_WINDOW_DAYS} days (default "
                   "window)")
    return Audience(
        lapsed_days=lapsed_days,
        lapsed_in_scope=lapsed_in_scope and lapsed_days is not None,
        active_days=facts.active_days,
        departments=scope.departments,
        categories=scope.categories,
        min_spend=facts.audience_min_spend,
        spend_window_days=facts.spend_window_days,
        max_size=facts.max_size,
        top_spenders=facts.top_spenders,
        demographics=demographics.filter,
    )


def review_plan(plan: CampaignPlan, policy: Policy) -> Findings:
    """Problems that follow from the plan's values and the policy (rerun after a revision).

    Rule ids are the policy's without the "plan." prefix (the graph adds it).
    """
    found = Findings()
    unsupported = any(e.rule == "offer_unsupported" for e in plan.errors)
    if plan.offer.value <= 0 and not unsupported:
        found.issue("offer_missing", "no discount: the coupon needs a percent or an amount off")
    if plan.budget is None:
        if policy.budget.require_budget:
            found.ask("budget", "no budget given; what is the most this campaign may cost "
                                "(e.g. \"budget $1,500\")?")
    elif plan.budget > policy.budget.max_budget:
        found.issue("budget_max", f"budget ${plan.budget:,.0f} is above the policy cap of "
                                  f"${policy.budget.max_budget:,.0f}")
    from coupondesk.tools.policy.guardrails import budget_problem, cap_problem

    cap = cap_problem(plan.offer, policy)
    if cap is not None:
        found.issue("max_discount", cap)
    below = budget_problem(plan.offer, plan.budget, policy)
    if below is not None:
        found.issue("budget_below_coupon", below)
    size = plan.audience.max_size
    if size is not None and size > policy.audience.max_size:
        found.issue("audience_max", f"{size:,} households is above the policy's maximum of "
                                    f"{policy.audience.max_size:,}")
    if size is not None and size < policy.audience.min_size:
        found.issue("audience_min", f"{size:,} households is below the policy's minimum of "
                                    f"{policy.audience.min_size:,} (no targeting of tiny groups)")
    return found


_REVIEW_RULES = frozenset({"offer_missing", "budget_max", "audience_max", "audience_min",
                           "max_discount", "budget_below_coupon"})
BAD_INPUT_RULES = frozenset({"max_discount", "budget_below_coupon"})
"""Plan issues that are bad input (a cap or budget that cannot be meant): `plan` and `propose`
refuse them with one line naming the field and write nothing; a revision shows them."""


def refuse_bad_terms(plan: CampaignPlan) -> None:
    """Raise the first bad-input issue of a plan as a one-line BadInputError."""
    for issue in plan.errors:
        if issue.rule in BAD_INPUT_RULES:
            raise BadInputError(issue.message)


def finish(plan: CampaignPlan, policy: Policy, found: Findings) -> CampaignPlan:
    """The plan with its assumptions, questions and errors: the plan's own (a revised plan
    keeps what its revision did not answer), the reader's, and a fresh review's."""
    errors: list[PlanIssue] = []
    for issue in [*plan.errors, *found.issues]:
        stale = issue.rule in _REVIEW_RULES and issue not in found.issues
        if not stale and issue not in errors:
            errors.append(issue)
    review = review_plan(plan.model_copy(update={"errors": errors}), policy)
    questions = [*plan.questions, *(a.text for a in found.asks), *(a.text for a in review.asks)]
    return plan.model_copy(update={
        "assumptions": list(dict.fromkeys([*plan.assumptions, *found.notes])),
        "questions": list(dict.fromkeys(questions)),
        "errors": [*errors, *review.issues],
    })


def _unsupported(facts: RequestFacts, found: Findings) -> None:
    if not facts.unsupported:
        return
    what = ", ".join(f"\"{u}\"" for u in facts.unsupported)
    if facts.offer_value is None:
        found.issue("offer_unsupported", f"{what} cannot be issued: coupondesk coupons are a "
                                         "percent or an amount off")
    else:
        found.ask("offer.value", f"the request also mentions {what}, which coupondesk cannot "
                                 "issue; go ahead with the percent/amount off only?")


# --------------------------------------------------------------------------- the LLM

_FACT_FIELDS: dict[str, str] = {
    "offer.value": "offer_value",
    "offer.min_spend": "min_spend",
    "offer.valid_days": "valid_days",
    "budget": "budget",
    "audience.lapsed_days": "lapsed_days",
    "audience.active_days": "active_days",
    "audience.min_spend": "audience_min_spend",
    "audience.spend_window_days": "spend_window_days",
    "audience.max_size": "max_size",
}
"""Plan field -> RequestFacts attribute, for the fields an LLM reading may fill."""


def fill_from_llm(
    facts: RequestFacts,
    scopes: Scopes,
    reading: ScopeReading,
    *,
    text: str,
    llm: ChatModel | None,
    session: Session,
    today: date,
    found: Findings,
) -> None:
    """Fill what the rules left empty from a capable endpoint's validated reading (noted).

    A field the rules read keeps the rules' value; the coupon's scope is only filled when
    the request named no merchandise and did not say store-wide.
    """
    if llm is None or not llm.capable:
        return
    from coupondesk.tools.catalog.lookup import catalog_names

    names = catalog_names(session)
    departments = [e.name for e in names.departments]
    categories = [e.name for e in names.categories]
    llm_plan = ask_llm(llm, text, today=today, departments=departments, categories=categories)
    if llm_plan is None:
        found.note("the LLM gave no usable reading; the plan is from the rules alone")
        return
    values = ground_llm_plan(llm_plan, text).values
    taken: list[str] = []
    for name, attribute in _FACT_FIELDS.items():
        if name in values and getattr(facts, attribute) is None:
            value = values[name]
            whole = name.endswith("days") or name == "audience.max_size"
            setattr(facts, attribute, int(value) if whole else float(value))
            taken.append(f"{name}={value}")
    if facts.offer_kind is None and "offer.kind" in values and facts.offer_value is not None:
        facts.offer_kind = values["offer.kind"]
        taken.append(f"offer.kind={values['offer.kind']}")
    if values.get("audience.top_spenders") and not facts.top_spenders:
        facts.top_spenders = True
        taken.append("audience.top_spenders=True")
    offer, audience = scopes.offer, scopes.audience
    if offer.empty and not offer.unresolved and not reading.storewide:
        offer.departments = list(values.get("offer.departments", []))
        offer.categories = list(values.get("offer.categories", []))
        if not offer.empty:
            taken.append(f"offer scope={[*offer.categories, *offer.departments]}")
    if audience.empty and not audience.unresolved:
        audience.departments = list(values.get("audience.departments", []))
        audience.categories = list(values.get("audience.categories", []))
        if not audience.empty:
            taken.append(f"audience scope={[*audience.categories, *audience.departments]}")
    if taken:
        settled = {item.partition("=")[0] for item in taken}
        found.asks = [a for a in found.asks if a.field not in settled]
        found.note("read by the LLM (checked against the request and the catalog): "
                   + ", ".join(taken))


# --------------------------------------------------------------------------- entry point


def plan_request(
    request: str,
    *,
    session: Session,
    policy: Policy,
    llm: ChatModel | None = None,
    today: date,
) -> CampaignPlan:
    """The CampaignPlan an operator's request (English or Chinese) describes.

    Deterministic without a capable LLM. Missing or ambiguous information becomes a question
    or a listed policy default; blocking problems go to `errors`. The request text is data:
    it is read, never followed.
    """
    text = clean_request(request)
    facts = read_request(text)
    found = Findings(notes=list(facts.notes), asks=list(facts.asks), issues=list(facts.issues))
    demographics = read_demographics(text, session)
    note_demographics(demographics, found)
    reading = find_scope_phrases(text, quantity_spans=[*facts.quantity_spans, *demographics.spans],
                                 offer_spans=facts.offer_spans, language=facts.language)
    scopes = resolve_scopes(reading, ScopeResolver(session), found)
    fill_from_llm(facts, scopes, reading, text=text, llm=llm, session=session, today=today,
                  found=found)
    _unsupported(facts, found)
    depth_choice, depth_kind = read_depth_choice(text)
    if depth_kind is not None:
        facts.offer_kind = depth_kind
    if depth_choice.mode == "best" and facts.offer_value is None:
        facts.offer_value = 0.0  # set to the deepest allowed depth below; nothing to ask
    offer = _offer(facts, _offer_scope(scopes, reading, found), policy, found)
    offer = depth_range_offer(offer, depth_choice, policy, found)
    if depth_choice.mode == "best":
        offer = settle_cap(offer, facts.max_discount, policy, found)  # now it has a depth
    plan = CampaignPlan(
        request=text,
        offer=offer,
        audience=_audience(facts, scopes, demographics, found, policy),
        budget=facts.budget,
        depth_choice=depth_choice,
        budget_mode=facts.budget_mode,
        language=facts.language,
        send_timing=read_send_timing(text),
    )
    planned = finish(plan, policy, found)
    refuse_bad_terms(planned)
    return planned


def depth_range_offer(offer: Offer, choice: DepthChoice, policy: Policy, found: Findings) -> Offer:
    """With a range or best depth, the offer's value becomes the deepest depth of the menu cut
    to the range and the caps (what the caps and the liability check see), and the menu is
    stated under assumptions."""
    from coupondesk.tools.uplift.menu import depth_menu

    if choice.mode == "fixed":
        return offer
    try:
        menu = depth_menu(policy, offer.kind, departments=offer.departments,
                          categories=offer.categories, lo=choice.lo, hi=choice.hi,
                          min_spend=offer.min_spend, valid_days=offer.valid_days)
    except BadInputError as exc:
        found.issue("depth_range", str(exc))
        return offer

    def written(value: float) -> str:
        return (f"{format_number(value)}%" if offer.kind == "percent_off"
                else f"${format_number(value)}")

    depths = ", ".join(written(a.value) for a in menu)
    asked = ("the best depth" if choice.mode == "best"
             else f"a depth between {written(choice.lo or 0)} and {written(choice.hi or 0)}")
    found.note(f"depth per household: the request asks for {asked}; each household gets one "
               f"of {depths} (policy menu within the caps) or no coupon")
    return offer.model_copy(update={"value": max(a.value for a in menu)})


def precheck_request(request: str, policy: Policy) -> None:
    """Refuse a request whose cap or budget is bad input before anything is written.

    Reads only the request's numbers (no database): the cap against the discount, the budget
    against one coupon's discount, with the same rules plan_request applies.
    """
    facts = read_request(clean_request(request))
    if facts.offer_value is None:
        return
    found = Findings()
    offer = Offer(kind=facts.offer_kind or "percent_off", value=facts.offer_value,
                  min_spend=None if facts.no_minimum else facts.min_spend, valid_days=7)
    offer = settle_cap(offer, facts.max_discount, policy, found)
    plan = CampaignPlan(offer=offer, budget=facts.budget)
    refuse_bad_terms(finish(plan, policy, found))
