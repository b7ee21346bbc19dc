"""Guardrails: the checks between a generated offer, plan or copy and a customer.

Three entry points, each returning a typed Verdict (rule id, message, offending value) and
never raising for a violation, so the agent can feed violations back to a redraft and the
TUI can show them:

- check_offer: the offer against the policy's depth, condition, validity and scope rules.
- check_copy: customer text against the offer it advertises. The copy must state exactly the
  offer's discount, minimum spend and validity and no other number, price or discount; it
  must not contain banned phrases, contacts, text addressed to a machine, or the wrong
  language. Quantities are read by coupondesk.tools.policy.quantities, so every number in the
  text is accounted for: a number the scanner cannot place is itself a violation (strict by design:
  a false pass reaches a customer, a false fail only costs a redraft).
- check_plan: a whole campaign against the database (frequency caps, stacking) and the
  money rules (budget, worst-case liability, audience size, two-operator threshold).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.campaigns.plan import CampaignPlan
from coupondesk.tools.language import Language, detect_language
from coupondesk.tools.policy.copy_scan import (
    find_banned_phrases,
    find_contacts,
    find_machine_text,
    language_problem,
)
from coupondesk.tools.policy.quantities import Claim, find_claims, format_number, normalize_text
from coupondesk.tools.policy.rules import Policy, is_finite
from coupondesk.tools.policy.verdict import Verdict, Violation
from sqlalchemy import func, select
from sqlalchemy.orm import Session

_TOLERANCE = 0.005  # half a cent / half a hundredth of a percent


def _close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= _TOLERANCE


def _is_multiple(value: float, step: float) -> bool:
    ratio = value / step
    return abs(ratio - round(ratio)) <= 1e-6 * max(1.0, abs(ratio))


def describe_discount(offer: Offer) -> str:
    """The offer's discount in words for messages: "12% off" or "$3 off"."""
    if offer.kind == "percent_off":
        return f"{format_number(offer.value)}% off"
    return f"${format_number(offer.value)} off"


# --------------------------------------------------------------------------- offers


def check_offer(offer: Offer, policy: Policy) -> Verdict:
    """Every offer rule of the policy (offer.* rule ids), all violations at once."""
    rules = policy.offer
    found: list[Violation] = []

    def add(rule: str, message: str, value: object) -> None:
        found.append(Violation(rule=rule, message=message, value=value))

    if offer.kind not in rules.allowed_kinds:
        add("offer.kind", f"offer kind {offer.kind} is not allowed by the policy", offer.kind)
    value_ok = is_finite(offer.value) and offer.value > 0
    if not value_ok:
        add("offer.value_positive", "the discount must be a positive number", offer.value)
    min_spend = offer.min_spend
    if min_spend is not None and not (is_finite(min_spend) and min_spend >= 0):
        add("offer.value_positive", "the minimum spend must be a non-negative number", min_spend)
        min_spend = None
    has_min = min_spend is not None and min_spend > 0

    if value_ok and offer.kind == "percent_off":
        if offer.value > rules.max_percent:
            add("offer.max_percent",
                f"{format_number(offer.value)}% off is above the "
                f"{format_number(rules.max_percent)}% cap",
                offer.value)
        if not _is_multiple(offer.value, rules.percent_step):
            add("offer.value_step",
                f"percent off must be a multiple of {format_number(rules.percent_step)}",
                offer.value)
        for label, limit in policy.scope_limits(offer.departments, offer.categories):
            if limit.max_percent is not None and offer.value > limit.max_percent:
                add("offer.scope_max_percent",
                    f"{format_number(offer.value)}% off is above the "
                    f"{format_number(limit.max_percent)}% cap of {label}", offer.value)
    if value_ok and offer.kind == "amount_off":
        if offer.value > rules.max_amount:
            add("offer.max_amount",
                f"${format_number(offer.value)} off is above the "
                f"${format_number(rules.max_amount)} cap",
                offer.value)
        if not _is_multiple(offer.value, rules.amount_step):
            add("offer.value_step",
                f"amount off must be a multiple of {format_number(rules.amount_step)}", offer.value)
        for label, limit in policy.scope_limits(offer.departments, offer.categories):
            if limit.max_amount is not None and offer.value > limit.max_amount:
                add("offer.scope_max_amount",
                    f"${format_number(offer.value)} off is above the "
                    f"${format_number(limit.max_amount)} cap of {label}", offer.value)
        if offer.value > rules.min_spend_required_above and not has_min:
            add("offer.min_spend_required",
                f"${format_number(offer.value)} off needs a minimum spend (above "
                f"${format_number(rules.min_spend_required_above)} off)", offer.value)
        if has_min and min_spend is not None:
            cap = rules.max_amount_share_of_min_spend * min_spend
            if offer.value > cap + 1e-9:
                add("offer.amount_share",
                    f"${format_number(offer.value)} off is more than "
                    f"{format_number(rules.max_amount_share_of_min_spend * 100)}% of the "
                    f"${format_number(min_spend)} minimum spend", offer.value)
    if has_min and min_spend is not None and min_spend > rules.max_min_spend:
        add("offer.min_spend_max",
            f"a ${format_number(min_spend)} minimum spend is above the "
            f"${format_number(rules.max_min_spend)} cap", min_spend)
    if offer.valid_days < rules.min_valid_days:
        add("offer.validity_min",
            f"valid {offer.valid_days} days; the policy needs at least {rules.min_valid_days}",
            offer.valid_days)
    if offer.valid_days > rules.max_valid_days:
        add("offer.validity_max",
            f"valid {offer.valid_days} days; the policy allows at most {rules.max_valid_days}",
            offer.valid_days)
    excluded_departments = {d.casefold() for d in rules.excluded_departments}
    for department in offer.departments:
        if department.casefold() in excluded_departments:
            add("offer.excluded_department",
                f"department {department} is excluded from coupons", department)
    excluded_categories = {c.casefold() for c in rules.excluded_categories}
    for category in offer.categories:
        if category.casefold() in excluded_categories:
            add("offer.excluded_category",
                f"category {category} is excluded from coupons", category)
    return Verdict(violations=found)


# --------------------------------------------------------------------------- copy

_STOREWIDE = re.compile(
    r"(?<![A-Za-z])(?:store[\s-]?wide|site[\s-]?wide|entire\s+store|whole\s+store|all\s+items|"
    r"all\s+products|every\s+item|(?:off|on)\s+everything|anything\s+in\s+(?:the\s+)?store)"
    r"(?![A-Za-z])|全场|全場|全店|全品类|全品類|所有商品|全部商品|任意商品",
    re.IGNORECASE,
)


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The text with the spans replaced by spaces (same length, so offsets stay valid)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)


def _claim_violations(claims: Sequence[Claim], offer: Offer) -> list[Violation]:
    """Each stated quantity against the offer, then what the copy failed to state."""
    found: list[Violation] = []
    offer_min = offer.min_spend if offer.min_spend else None
    terms = describe_discount(offer)
    discount_stated = min_stated = validity_stated = False
    for claim in claims:
        value = claim.value
        if claim.approximate and claim.kind in ("percent_off", "amount_off", "duration_days"):
            rule = "copy.validity_mismatch" if claim.kind == "duration_days" else (
                "copy.discount_mismatch")
            found.append(Violation(
                rule=rule,
                message=f"the copy hedges a term ({claim.raw!r} with 'at least', 'or more', "
                        f"'about', 起, 左右...); the offer is exactly {terms}, "
                        f"{offer.valid_days} days",
                value=claim.raw))
            continue
        if claim.kind in ("percent_off", "amount_off"):
            if claim.kind == offer.kind and _close(value, offer.value):
                discount_stated = True
            else:
                found.append(Violation(
                    rule="copy.discount_mismatch",
                    message=f"the copy states {claim.raw!r}; the offer is {terms}",
                    value=claim.raw))
        elif claim.kind == "min_spend":
            if value == 0:
                if offer_min is not None:
                    found.append(Violation(
                        rule="copy.min_spend_mismatch",
                        message=f"the copy says there is no minimum ({claim.raw!r}); the offer "
                                f"needs a ${format_number(offer_min)} spend",
                        value=claim.raw))
            elif offer_min is None:
                found.append(Violation(
                    rule="copy.min_spend_unexpected",
                    message=f"the copy claims a minimum spend ({claim.raw!r}); the offer has none",
                    value=claim.raw))
            elif _close(value, offer_min):
                min_stated = True
            else:
                found.append(Violation(
                    rule="copy.min_spend_mismatch",
                    message=f"the copy states a minimum spend of {claim.raw!r}; the offer's is "
                            f"${format_number(offer_min)}",
                    value=claim.raw))
        elif claim.kind == "duration_days":
            if _close(value, offer.valid_days):
                validity_stated = True
            else:
                found.append(Violation(
                    rule="copy.validity_mismatch",
                    message=f"the copy states {claim.raw!r}; the offer is valid "
                            f"{offer.valid_days} days",
                    value=claim.raw))
        elif claim.kind == "deadline":
            found.append(Violation(
                rule="copy.validity_mismatch",
                message=f"the copy states a validity ({claim.raw!r}) other than the offer's "
                        f"{offer.valid_days} days",
                value=claim.raw))
        else:
            what = {
                "money": "a price or amount", "budget": "a budget", "count": "a count",
                "other_discount": "another discount or reward",
            }.get(claim.kind, "a number")
            found.append(Violation(
                rule="copy.other_claim",
                message=f"the copy states {what} that is not part of the offer: {claim.raw!r}",
                value=claim.raw))
    if not discount_stated:
        found.append(Violation(
            rule="copy.discount_missing",
            message=f"the copy does not state the offer's discount ({terms})", value=None))
    if offer_min is not None and not min_stated:
        found.append(Violation(
            rule="copy.min_spend_missing",
            message=f"the copy does not state the ${format_number(offer_min)} minimum spend",
            value=None))
    if not validity_stated:
        found.append(Violation(
            rule="copy.validity_missing",
            message=f"the copy does not state the validity ({offer.valid_days} days)",
            value=None))
    return found


def check_copy(
    text: str, offer: Offer, policy: Policy, *, language: Language | None = None
) -> Verdict:
    """Customer copy against its offer and the policy's copy rules (copy.* rule ids).

    `language` is the requested language; None skips the language rule (the length limit
    then follows the detected language).
    """
    rules = policy.copy_rules
    stripped = text.strip()
    if not stripped:
        return Verdict(violations=[Violation(rule="copy.empty", message="the copy is empty")])
    found: list[Violation] = []
    measured_language = language or detect_language(text)
    limit = rules.max_chars(measured_language)
    if len(stripped) > limit:
        found.append(Violation(
            rule="copy.max_length",
            message=f"the copy has {len(stripped)} characters; the limit is {limit}",
            value=len(stripped)))
    if language is not None:
        problem = language_problem(text, language)
        if problem:
            found.append(Violation(rule="copy.language", message=problem, value=language))
    for raw in find_machine_text(text, rules.machine_patterns):
        found.append(Violation(
            rule="copy.machine_text",
            message=f"the copy contains text addressed to a machine: {raw!r}", value=raw))
    for phrase, raw in find_banned_phrases(text, rules.banned_phrases):
        found.append(Violation(
            rule="copy.banned_phrase", message=f"banned phrase {phrase!r} ({raw!r})", value=raw))
    contacts = find_contacts(
        text, allowed_domains=rules.allowed_domains,
        allowed_phone_numbers=rules.allowed_phone_numbers,
    )
    for contact in contacts:
        if not contact.allowed:
            label = {"email": "an e-mail address", "url": "a URL", "phone": "a phone number"}
            found.append(Violation(
                rule=f"copy.{contact.kind}",
                message=f"the copy contains {label[contact.kind]} not on the allow-list: "
                        f"{contact.raw!r}",
                value=contact.raw))
    if not offer.storewide:
        match = _STOREWIDE.search(normalize_text(text))
        if match:
            found.append(Violation(
                rule="copy.scope_mismatch",
                message=f"the copy claims a storewide scope ({match.group(0)!r}); the offer "
                        "covers selected departments/categories only",
                value=match.group(0)))
    claims = find_claims(_blank(text, (c.span for c in contacts)))
    found.extend(_claim_violations(claims, offer))
    return Verdict(violations=found)


# --------------------------------------------------------------------------- plans


def max_discount_per_coupon(offer: Offer, policy: Policy) -> float:
    """The most one redemption can cost: the amount, or the percent of the assumed basket.

    A percent offer has no natural bound, so the policy names the basket it assumes
    (percent_liability_basket); a minimum spend above that basket raises it.
    """
    if offer.kind == "amount_off":
        return float(offer.value)
    basket = max(policy.budget.percent_liability_basket, offer.min_spend or 0.0)
    return basket * float(offer.value) / 100.0


def offer_liability(offer: Offer, recipients: int, policy: Policy) -> float:
    """Worst case of a campaign: every recipient redeems at the maximum discount."""
    return recipients * max_discount_per_coupon(offer, policy)


_ID_CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _ID_CHUNK):
        yield list(ids[start : start + _ID_CHUNK])


def _sample(ids: Iterable[int], n: int = 10) -> list[int]:
    return sorted(ids)[:n]


def frequency_capped(
    session: Session, household_ids: Sequence[int], policy: Policy, today: date,
    campaign_id: int | None = None,
) -> set[int]:
    """Households that already hold max_coupons coupons issued in the last window_days days.

    One more coupon would break the frequency cap, so the audience step leaves them out and
    check_plan reports any that remain. Void coupons do not count; neither do the coupons of
    `campaign_id` itself (a re-check before a retried dispatch must be stable).
    """
    from coupondesk.tools.db.schema import IssuedCoupon

    rules = policy.frequency
    window_start = today - timedelta(days=rules.window_days - 1)
    over: set[int] = set()
    for chunk in _chunks(sorted({int(h) for h in household_ids})):
        query = (
            select(IssuedCoupon.household_id, func.count())
            .where(IssuedCoupon.household_id.in_(chunk))
            .where(IssuedCoupon.valid_from >= window_start)
            .where(IssuedCoupon.valid_from <= today)
            .where(IssuedCoupon.status != "void")
            .group_by(IssuedCoupon.household_id)
            .having(func.count() >= rules.max_coupons)
        )
        if campaign_id is not None:
            query = query.where(IssuedCoupon.campaign_id != campaign_id)
        over.update(int(row[0]) for row in session.execute(query))
    return over


class _Scope:
    """An offer's coverage, for the overlap test of the stacking rule."""

    def __init__(self, departments: Iterable[str], categories: Iterable[str]) -> None:
        self.departments = {d.casefold() for d in departments if d}
        self.categories = {c.casefold() for c in categories if c}

    @property
    def storewide(self) -> bool:
        return not self.departments and not self.categories


def _category_departments(session: Session, categories: set[str]) -> dict[str, set[str]]:
    """Which departments each category is sold in, from the catalog (casefolded names)."""
    from coupondesk.tools.db.schema import Product

    if not categories:
        return {}
    mapping: dict[str, set[str]] = {c: set() for c in categories}
    rows = session.execute(
        select(Product.product_category, Product.department)
        .where(func.lower(Product.product_category).in_(sorted(categories)))
        .distinct()
    )
    for category, department in rows:
        if category and department:
            mapping.setdefault(category.casefold(), set()).add(department.casefold())
    return mapping


def _overlaps(a: _Scope, b: _Scope, departments_of: dict[str, set[str]]) -> bool:
    """True when some product could be covered by both scopes.

    A category unknown to the catalog is assumed to overlap any department: when the scope
    cannot be resolved, stacking is refused rather than allowed.
    """
    if a.storewide or b.storewide:
        return True
    if a.departments & b.departments or a.categories & b.categories:
        return True
    for one, other in ((a, b), (b, a)):
        for category in one.categories:
            if not other.departments:
                continue
            known = departments_of.get(category)
            if not known or known & other.departments:
                return True
    return False


def stacking_conflicts(
    session: Session, household_ids: Sequence[int], offer: Offer, today: date,
    campaign_id: int | None = None,
) -> set[int]:
    """Households holding an active coupon whose scope overlaps `offer` during its validity.

    Active means status "issued" and a validity window that meets the new coupon's
    (today .. today + valid_days - 1). Scopes overlap when either is storewide, they share a
    department or category, or a category is sold in the other's department (per the
    catalog; an unresolvable category counts as overlapping).
    """
    from coupondesk.tools.db.schema import IssuedCoupon

    new_scope = _Scope(offer.departments, offer.categories)
    new_end = today + timedelta(days=max(offer.valid_days, 1) - 1)
    active: list[tuple[int, _Scope]] = []
    for chunk in _chunks(sorted({int(h) for h in household_ids})):
        query = (
            select(IssuedCoupon.household_id, IssuedCoupon.departments, IssuedCoupon.categories)
            .where(IssuedCoupon.household_id.in_(chunk))
            .where(IssuedCoupon.status == "issued")
            .where(IssuedCoupon.valid_to >= today)
            .where(IssuedCoupon.valid_from <= new_end)
        )
        if campaign_id is not None:
            query = query.where(IssuedCoupon.campaign_id != campaign_id)
        for household_id, coupon_departments, coupon_categories in session.execute(query):
            scope = _Scope(coupon_departments or [], coupon_categories or [])
            active.append((int(household_id), scope))
    if not active:
        return set()
    categories = set(new_scope.categories)
    for _, held in active:
        categories |= held.categories
    departments_of = _category_departments(session, categories)
    return {hh for hh, held in active if _overlaps(new_scope, held, departments_of)}


def check_plan(
    plan: CampaignPlan,
    policy: Policy,
    session: Session,
    *,
    audience_household_ids: Sequence[int],
    today: date,
    expected_cost: float | None,
    worst_case_liability: float | None = None,
    campaign_id: int | None = None,
) -> Verdict:
    """A campaign as proposed: its offer, audience, money, and the coupons already out there.

    `worst_case_liability` defaults to offer_liability(offer, audience size); `campaign_id`
    (when the campaign is already recorded) keeps its own coupons out of the cap and stacking
    counts, so re-checking before a retried dispatch is stable.
    """
    verdict = check_offer(plan.offer, policy)
    found: list[Violation] = []
    notes: list[Violation] = []
    money = policy.budget
    household_ids = sorted({int(h) for h in audience_household_ids})
    size = len(household_ids)

    if size < policy.audience.min_size:
        found.append(Violation(
            rule="plan.audience_min",
            message=f"{size} recipients; the policy needs at least {policy.audience.min_size} "
                    "(no targeting of tiny groups)",
            value=size))
    if size > policy.audience.max_size:
        found.append(Violation(
            rule="plan.audience_max",
            message=f"{size} recipients; the policy allows at most {policy.audience.max_size}",
            value=size))
    if plan.audience.max_size is not None and size > plan.audience.max_size:
        found.append(Violation(
            rule="plan.audience_max",
            message=f"{size} recipients; the plan asked for at most {plan.audience.max_size}",
            value=size))

    budget = plan.budget
    if budget is None or not math.isfinite(budget) or budget <= 0:
        if money.require_budget:
            found.append(Violation(
                rule="plan.budget_missing", message="the campaign has no budget", value=budget))
        budget = None
    elif budget > money.max_budget:
        found.append(Violation(
            rule="plan.budget_max",
            message=f"budget ${format_number(budget)} is above the "
                    f"${format_number(money.max_budget)} cap",
            value=budget))
    if budget is not None and expected_cost is not None and expected_cost > budget + 1e-6:
        found.append(Violation(
            rule="plan.budget_exceeded",
            message=f"expected cost ${expected_cost:,.2f} is above the budget "
                    f"${format_number(budget)}",
            value=round(expected_cost, 2)))
    liability = (
        worst_case_liability if worst_case_liability is not None
        else offer_liability(plan.offer, size, policy)
    )
    if budget is not None and liability > money.liability_multiple * budget + 1e-6:
        found.append(Violation(
            rule="plan.liability",
            message=f"worst-case liability ${liability:,.2f} is above "
                    f"{format_number(money.liability_multiple)} x the budget "
                    f"(${money.liability_multiple * budget:,.2f})",
            value=round(liability, 2)))

    if household_ids:
        capped = frequency_capped(session, household_ids, policy, today, campaign_id)
        if capped:
            found.append(Violation(
                rule="plan.frequency_cap",
                message=f"{len(capped)} households already received "
                        f"{policy.frequency.max_coupons} coupons in the last "
                        f"{policy.frequency.window_days} days",
                value={"households": len(capped), "sample": _sample(capped)}))
        stacked = (
            set() if policy.stacking.allow_overlapping
            else stacking_conflicts(session, household_ids, plan.offer, today, campaign_id)
        )
        if stacked:
            found.append(Violation(
                rule="plan.stacking",
                message=f"{len(stacked)} households already hold an active coupon whose scope "
                        "overlaps this offer",
                value={"households": len(stacked), "sample": _sample(stacked)}))

    threshold = money.two_operator_threshold
    amount = budget if budget is not None else expected_cost
    if threshold is not None and amount is not None and amount > threshold:
        notes.append(Violation(
            rule="plan.two_operator",
            message=f"${amount:,.2f} is above the ${threshold:,.2f} threshold: two different "
                    "operators must approve",
            value=amount))
    return verdict.merged(Verdict(violations=found, notes=notes))


def requires_two_operators(
    plan: CampaignPlan, policy: Policy, *, expected_cost: float | None = None
) -> bool:
    """True when the campaign's budget (or expected cost) is above the two-operator threshold."""
    threshold = policy.budget.two_operator_threshold
    amount = plan.budget if plan.budget is not None else expected_cost
    return threshold is not None and amount is not None and amount > threshold
