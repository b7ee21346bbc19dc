"""The campaign graph's nodes: one small step each, returning a partial state update.

Each node reads typed models out of the JSON state, calls the plain typed tools (the same ones
the CLI, TUI and tests call), and reports a one-line fact to the operator through the stream
writer as it finishes ("1,204 households lapsed 30+ days", "scored in 0.8 s").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from coupondesk.agent.context import AgentContext
from coupondesk.agent.describe import describe_audience, describe_offer, money
from coupondesk.agent.state import CampaignState, Event
from coupondesk.tools.campaigns.allocation import AllocationConfig, Candidate, allocate
from coupondesk.tools.campaigns.plan import CampaignPlan
from coupondesk.tools.campaigns.proposal import AllocationSummary, CopyVariant, Proposal
from coupondesk.tools.policy.verdict import Violation
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from sqlalchemy.orm import Session

Update = dict[str, Any]


def _event(runtime: Runtime[AgentContext], step: str, message: str) -> Event:
    """Send one progress line to whoever is streaming, and keep it in the state."""
    event: Event = {"step": step, "message": message}
    writer = runtime.stream_writer
    if writer is not None:
        writer(event)
    return event


def _timed(step: str, started: float) -> dict[str, float]:
    return {step: round(time.perf_counter() - started, 4)}


def _plan_of(state: CampaignState) -> CampaignPlan:
    return CampaignPlan.model_validate(state["plan"])


# --------------------------------------------------------------------------- plan


def plan(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Read the request (or apply the operator's latest revision) into a CampaignPlan."""
    from coupondesk.agent.planning.planner import plan_request
    from coupondesk.agent.planning.revision import revise_plan
    from coupondesk.tools.policy.guardrails import check_offer

    started = time.perf_counter()
    ctx = runtime.context
    decision = state.get("decision") or {}
    with Session(ctx.engine) as session:
        if decision.get("action") == "revise" and state.get("plan"):
            parsed = revise_plan(
                _plan_of(state),
                decision.get("text", ""),
                session=session,
                policy=ctx.policy,
                llm=ctx.llm,
            )
            what = f"revised: {decision.get('text', '')}"
        else:
            parsed = plan_request(
                state["request"], session=session, policy=ctx.policy, llm=ctx.llm, today=ctx.today
            )
            what = "planned"
    verdict = check_offer(parsed.offer, ctx.policy)
    line = f"{what}: {describe_offer(parsed.offer)} for {describe_audience(parsed.audience)}"
    if parsed.budget is not None:
        line += f", budget {money(parsed.budget)}"
    return {
        "plan": parsed.to_json_dict(),
        "offer_violations": [v.model_dump(mode="json") for v in verdict.violations],
        "decision": {},
        "status": "draft",
        "events": [_event(runtime, "plan", line)],
        "timings": _timed("plan", started),
    }


def route_after_plan(state: CampaignState) -> Literal["audience", "propose"]:
    """A plan with errors, open questions or a forbidden offer goes straight to review."""
    parsed = _plan_of(state)
    if parsed.errors or parsed.questions or state.get("offer_violations"):
        return "propose"
    return "audience"


# --------------------------------------------------------------------------- audience


def audience(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Who qualifies: the audience filters, minus households the contact rules protect."""
    from coupondesk.tools.policy.guardrails import frequency_capped, stacking_conflicts
    from coupondesk.tools.queries.profiles import segment_summary
    from coupondesk.tools.queries.segments import select_audience

    started = time.perf_counter()
    ctx = runtime.context
    parsed = _plan_of(state)
    campaign_id = state["campaign_id"]
    with Session(ctx.engine) as session:
        matched = select_audience(session, parsed.audience, today=ctx.today)
        capped = frequency_capped(session, matched, ctx.policy, ctx.today, campaign_id)
        stacked = stacking_conflicts(session, matched, parsed.offer, ctx.today, campaign_id)
        eligible = [h for h in matched if h not in capped and h not in stacked]
        summary = segment_summary(session, eligible, today=ctx.today) if eligible else None
    description = describe_audience(parsed.audience)
    message = f"{len(matched):,} households {description.removeprefix('households ')}"
    dropped = []
    if capped:
        dropped.append(f"{len(capped):,} at the frequency cap")
    if stacked:
        dropped.append(f"{len(stacked):,} holding an overlapping coupon")
    if dropped:
        message += f"; {' and '.join(dropped)} left out: {len(eligible):,} eligible"
    return {
        "audience": {
            "eligible": eligible,
            "matched": len(matched),
            "frequency_capped": len(capped),
            "stacking": len(stacked),
            "description": description,
            "summary": _plain(summary),
        },
        "events": [_event(runtime, "audience", message)],
        "timings": _timed("audience", started),
    }


def _plain(value: Any) -> dict[str, Any]:
    """A pydantic model or dataclass as JSON-plain data for the state."""
    if value is None:
        return {}
    if hasattr(value, "model_dump"):
        return dict(value.model_dump(mode="json"))
    import dataclasses
    import json

    if dataclasses.is_dataclass(value):
        return json.loads(json.dumps(dataclasses.asdict(value), default=str))  # type: ignore[arg-type]
    return dict(value)


# --------------------------------------------------------------------------- score


def score(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Acceptance and behaviour scores for every eligible household (serving models)."""
    ctx = runtime.context
    parsed = _plan_of(state)
    eligible = state["audience"]["eligible"]
    # A request that arrives while the models are still loading waits here; that wait is
    # reported apart so "scored in" stays the scoring time.
    started = time.perf_counter()
    warm = getattr(ctx.scorer, "warm", None)
    if eligible and callable(warm):
        warm(ctx.today)
    waited = time.perf_counter() - started
    started = time.perf_counter()
    candidates = ctx.scorer.candidates(eligible, parsed.offer, today=ctx.today) if eligible else []
    elapsed = time.perf_counter() - started
    if candidates:
        mean = sum(c.p_redeem for c in candidates) / len(candidates)
        message = (
            f"scored {len(candidates):,} households in {elapsed:.1f} s (mean P(redeem) {mean:.1%})"
        )
        if waited >= 1.0:
            message += f" after {waited:.0f} s loading the models"
    else:
        message = "no eligible households to score"
    return {
        "candidates": [c.__dict__ for c in candidates],
        "events": [_event(runtime, "score", message)],
        "timings": _timed("score", started),
    }


# --------------------------------------------------------------------------- allocate


def allocation_config(ctx: AgentContext, parsed: CampaignPlan) -> AllocationConfig:
    """The ranking's economics, with the policy's liability limits and the plan's holdout."""
    from coupondesk.tools.policy.guardrails import max_discount_per_coupon

    base = ctx.allocation
    return AllocationConfig(
        margin_rate=base.margin_rate,
        send_cost=base.send_cost,
        max_amount_off=base.max_amount_off,
        liability_multiple=ctx.policy.budget.liability_multiple,
        worst_case_per_coupon=max_discount_per_coupon(parsed.offer, ctx.policy),
        holdout_share=parsed.holdout_share,
        rank_by="past_spend" if parsed.audience.top_spenders else "value_per_cost",
    )


def allocate_offers(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Rank by expected value per unit cost and fill the budget; hold out the control group."""
    started = time.perf_counter()
    ctx = runtime.context
    parsed = _plan_of(state)
    candidates = [Candidate(**c) for c in state.get("candidates", [])]
    config = allocation_config(ctx, parsed)
    max_size = parsed.audience.max_size
    policy_max = ctx.policy.audience.max_size
    max_size = min(max_size, policy_max) if max_size is not None else policy_max
    result = allocate(
        candidates,
        parsed.offer,
        campaign_id=state["campaign_id"],
        budget=parsed.budget,
        max_size=max_size,
        config=config,
    )
    budget = f" of {money(parsed.budget)}" if parsed.budget is not None else ""
    cost = money(round(result.expected_cost, 2))
    message = (
        f"{len(result.recipients):,} recipients + {len(result.holdout):,} holdout; expected "
        f"{result.expected_redemptions:,.0f} redemptions costing {cost}"
        f"{budget} (stopped by {result.stopped_by})"
    )
    return {
        "allocation": {
            "recipients": [r.__dict__ for r in result.recipients],
            "holdout": [r.household_id for r in result.holdout],
            "expected_cost": result.expected_cost,
            "expected_redemptions": result.expected_redemptions,
            "expected_value": result.expected_value,
            "worst_case_liability": result.worst_case_liability,
            "eligible": result.eligible,
            "stopped_by": result.stopped_by,
            "gain_curve": result.gain_curve,
        },
        "events": [_event(runtime, "allocate", message)],
        "timings": _timed("allocate", started),
    }


# --------------------------------------------------------------------------- copy


def draft_copy(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Copy variants: the LLM's words, the template's facts, each checked (redrafts bounded)."""
    from coupondesk.tools.copy.copywriter import draft_copy as write_copy

    started = time.perf_counter()
    ctx = runtime.context
    parsed = _plan_of(state)
    description = state.get("audience", {}).get("description") or describe_audience(parsed.audience)
    total = ctx.settings.copywriter.variants
    done: list[int] = []

    def variant_ready(variant: Any) -> None:
        done.append(1)
        mark = "passes" if variant.verdict.ok else "FAILS"
        _event(
            runtime,
            "copy",
            f"variant {len(done)} of {total} ({variant.source}, {mark}): {variant.text}",
        )

    variants = write_copy(
        parsed.offer,
        description,
        llm=ctx.llm,
        policy=ctx.policy,
        language=parsed.language,
        n_variants=total,
        on_variant=variant_ready,
    )
    rows = [
        CopyVariant(
            text=v.text,
            source=v.source,
            ok=v.verdict.ok,
            violations=v.verdict.violations,
            redrafted=v.redrafted,
        ).model_dump(mode="json")
        for v in variants
    ]
    redrafted = sum(1 for v in variants if v.redrafted)
    templated = sum(1 for v in variants if v.source == "template")
    passed = sum(1 for v in variants if v.verdict.ok)
    message = (
        f"copy: {len(variants)} variants, {passed} pass the policy, {redrafted} redrafted, "
        f"{templated} from the template"
    )
    return {
        "copy_variants": rows,
        "copy_rounds": state.get("copy_rounds", 0) + 1,
        "events": [_event(runtime, "copy", message)],
        "timings": _timed("copy", started),
    }


# --------------------------------------------------------------------------- check


def check(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Hold the whole campaign against the policy: offer, audience, money, contact rules."""
    from coupondesk.tools.policy.guardrails import check_plan

    started = time.perf_counter()
    ctx = runtime.context
    parsed = _plan_of(state)
    allocation = state["allocation"]
    recipients = [r["household_id"] for r in allocation["recipients"]]
    with Session(ctx.engine) as session:
        verdict = check_plan(
            parsed,
            ctx.policy,
            session,
            audience_household_ids=recipients,
            today=ctx.today,
            expected_cost=allocation["expected_cost"],
            worst_case_liability=allocation["worst_case_liability"],
            campaign_id=state["campaign_id"],
        )
    violations = [v.model_dump(mode="json") for v in verdict.violations]
    if violations:
        message = "policy: " + "; ".join(f"{v['rule']}: {v['message']}" for v in violations)
    else:
        message = "policy: offer, audience, budget, frequency and stacking rules all pass"
    return {
        "violations": violations,
        "events": [_event(runtime, "check", message)],
        "timings": _timed("check", started),
    }


def route_after_check(
    state: CampaignState, runtime: Runtime[AgentContext]
) -> Literal["draft_copy", "propose"]:
    """Redraft when no copy variant passed and rounds remain; otherwise propose."""
    passing = any(v["ok"] for v in state.get("copy_variants", []))
    if not passing and state.get("copy_rounds", 0) < runtime.context.max_copy_rounds:
        return "draft_copy"
    return "propose"


# --------------------------------------------------------------------------- propose / review


def build_proposal(state: CampaignState, ctx: AgentContext) -> Proposal:
    """Everything the operator reviews, from the state (also for a blocked plan)."""
    from coupondesk.tools.policy.guardrails import requires_two_operators

    parsed = _plan_of(state)
    stored = state.get("allocation")
    allocation = AllocationSummary.model_validate(stored or {})
    audience = state.get("audience")
    description = audience["description"] if audience else ""
    summary = audience["summary"] if audience else {}
    expected_cost = stored["expected_cost"] if stored else None
    two = requires_two_operators(parsed, ctx.policy, expected_cost=expected_cost)
    offer_violations = [Violation(**v) for v in state.get("offer_violations", [])]
    if parsed.errors or parsed.questions or offer_violations:
        return Proposal.blocked(
            campaign_id=state["campaign_id"], plan=parsed, violations=offer_violations,
            valid_from=ctx.today, allocation=allocation, audience_description=description,
            segment_summary=summary, approvals_required=2 if two else 1,
            timings=dict(state.get("timings", {})),
        )
    config = allocation_config(ctx, parsed)
    pricing = (
        f"pricing: gross margin {config.margin_rate:.0%}, {money(config.send_cost)} to send "
        f"a coupon; {parsed.holdout_share:.0%} of the cut held out as a control group"
    )
    return Proposal.from_allocation(
        campaign_id=state["campaign_id"], plan=parsed, allocation=allocation,
        copies=[CopyVariant(**v) for v in state.get("copy_variants", [])],
        violations=[Violation(**v) for v in state.get("violations", [])],
        valid_from=ctx.today, audience_description=description, segment_summary=summary,
        approvals_required=2 if two else 1, pricing=pricing,
        timings=dict(state.get("timings", {})),
    )


def propose(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Store the proposal (status proposed) so the operator can decide, now or after a restart."""
    from coupondesk.tools.campaigns.records import save_proposal

    started = time.perf_counter()
    ctx = runtime.context
    proposal = build_proposal(state, ctx)
    with Session(ctx.engine) as session, session.begin():
        digest = save_proposal(session, proposal, actor=state.get("operator") or ctx.operator)
    if proposal.blocking:
        rules = ", ".join(v.rule for v in proposal.violations) or "questions open"
        message = f"proposal {proposal.campaign_id} needs changes before approval ({rules})"
    else:
        message = (
            f"proposal {proposal.campaign_id} ready: {proposal.audience_size:,} codes, expected "
            f"cost {money(round(proposal.expected_cost, 2))}; waiting for approval"
        )
    return {
        "proposal": {**proposal.model_dump(mode="json"), "hash": digest},
        "status": "proposed",
        "events": [_event(runtime, "propose", message)],
        "timings": _timed("propose", started),
    }


def review(state: CampaignState) -> Update:
    """Pause for the operator: approve, revise (free text) or reject (with a reason)."""
    proposal = state["proposal"]
    decision = interrupt(
        {
            "campaign_id": state["campaign_id"],
            "proposal_hash": proposal.get("hash"),
            "actions": ["approve", "revise", "reject"],
        }
    )
    if not isinstance(decision, dict) or decision.get("action") not in (
        "approve",
        "revise",
        "reject",
    ):
        decision = {"action": "reject", "reason": f"unreadable decision {decision!r}"}
    return review_update(decision)


def review_update(decision: dict[str, Any]) -> Update:
    """What the review step writes for a decision (also used to restart a crashed revision)."""
    update: Update = {"decision": decision}
    if decision["action"] == "revise":
        update["revisions"] = [str(decision.get("text", ""))]
        update["copy_rounds"] = 0
    return update


def route_after_review(state: CampaignState) -> Literal["dispatch", "plan", "report"]:
    """approve -> dispatch, revise -> plan, reject -> report."""
    action = (state.get("decision") or {}).get("action")
    if action == "approve":
        return "dispatch"
    if action == "revise":
        return "plan"
    return "report"


# --------------------------------------------------------------------------- dispatch / report


def dispatch(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Issue the codes of the approved proposal; a refusal returns to review with the reason."""
    from coupondesk.tools.campaigns.dispatch import dispatch as issue_codes
    from coupondesk.tools.campaigns.dispatch import mark_approved
    from coupondesk.tools.errors import RefusedError

    started = time.perf_counter()
    ctx = runtime.context
    campaign_id = state["campaign_id"]
    operator = (state.get("decision") or {}).get("operator") or ctx.operator
    required = int(state["proposal"].get("approvals_required", 1))
    try:
        if not mark_approved(ctx.engine, campaign_id, required_approvals=required):
            raise RefusedError(
                f"campaign {campaign_id} needs {required} approvals of this exact proposal"
            )
        result = issue_codes(
            ctx.engine,
            campaign_id,
            operator=operator,
            required_approvals=required,
            period_limit=ctx.policy.budget.monthly_limit,
        )
    except RefusedError as refused:
        return {
            "result": {"refused": refused.message},
            "decision": {},
            "events": [_event(runtime, "dispatch", f"dispatch refused: {refused.message}")],
            "timings": _timed("dispatch", started),
        }
    message = (
        f"campaign {campaign_id} already dispatched; nothing issued"
        if result.already_dispatched
        else f"dispatched campaign {campaign_id}: {result.issued:,} codes issued"
    )
    return {
        "result": {
            "issued": result.issued,
            "already_dispatched": result.already_dispatched,
            "budget_account": result.budget_account,
        },
        "status": "dispatched",
        "events": [_event(runtime, "dispatch", message)],
        "timings": _timed("dispatch", started),
    }


def route_after_dispatch(state: CampaignState) -> Literal["review", "report"]:
    """A refused dispatch goes back to review so the operator can revise or reject."""
    return "review" if "refused" in (state.get("result") or {}) else "report"


def report(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Close the thread: record a rejection, or summarise what was dispatched."""
    from coupondesk.tools.campaigns.records import reject

    ctx = runtime.context
    decision = state.get("decision") or {}
    if decision.get("action") == "reject":
        operator = decision.get("operator") or ctx.operator
        reason = decision.get("reason") or "no reason given"
        with Session(ctx.engine) as session, session.begin():
            reject(session, state["campaign_id"], operator=operator, reason=reason)
        return {
            "status": "rejected",
            "events": [
                _event(runtime, "report", f"campaign {state['campaign_id']} rejected: {reason}")
            ],
        }
    issued = (state.get("result") or {}).get("issued", 0)
    return {
        "status": "dispatched",
        "events": [
            _event(
                runtime, "report", f"campaign {state['campaign_id']} done: {issued:,} codes issued"
            )
        ],
    }


NODES: dict[str, Callable[..., Update]] = {
    "plan": plan,
    "audience": audience,
    "score": score,
    "allocate": allocate_offers,
    "draft_copy": draft_copy,
    "check": check,
    "propose": propose,
    "review": review,
    "dispatch": dispatch,
    "report": report,
}
