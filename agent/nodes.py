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
from coupondesk.tools.policy.quantities import format_number
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
    from coupondesk.tools.policy.guardrails import recent_coupon_counts, stacking_conflicts
    from coupondesk.tools.queries.profiles import segment_summary
    from coupondesk.tools.queries.segments import select_audience

    started = time.perf_counter()
    ctx = runtime.context
    parsed = _plan_of(state)
    campaign_id = state["campaign_id"]
    with Session(ctx.engine) as session:
        matched = select_audience(session, parsed.audience, today=ctx.today)
        recent = recent_coupon_counts(session, matched, ctx.policy, ctx.today, campaign_id)
        capped = {h for h, n in recent.items() if n >= ctx.policy.frequency.max_coupons}
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
            "recent_coupons": {str(h): n for h, n in recent.items() if h not in capped},
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
    timed = _timed_candidates(ctx, parsed, state, candidates)
    candidates = timed.candidates
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
    if timed.left_out_by_allowance:
        message += (f"; {timed.left_out_by_allowance:,} left out at their contact allowance")
    return {
        "candidates": [c.__dict__ for c in candidates],
        "timing": {"mode": timed.mode, "note": timed.note,
                   "left_out_by_allowance": timed.left_out_by_allowance},
        "events": [_event(runtime, "score", message)],
        "timings": _timed("score", started),
    }


def _timed_candidates(ctx: AgentContext, parsed: CampaignPlan, state: CampaignState,
                      candidates: list[Candidate]) -> Any:
    """Send offsets from the scorer's timing model and the cadence allowance (send_schedule)."""
    from coupondesk.tools.campaigns.send_schedule import apply_timing

    mode = parsed.send_timing or ctx.policy.timing.mode
    schedule = getattr(ctx.scorer, "schedule", None)
    timings = None
    if candidates and callable(schedule):
        timings = schedule([c.household_id for c in candidates], parsed.offer, today=ctx.today,
                           window_days=ctx.policy.timing.send_window_days)
    recent = {int(h): int(n) for h, n in (state.get("audience") or {})
              .get("recent_coupons", {}).items()}
    return apply_timing(candidates, timings, recent_coupons=recent, policy=ctx.policy,
                        requested_mode=mode if parsed.send_timing else None)


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
        budget_mode=parsed.budget_mode or ctx.policy.budget.default_mode,
        refusal_risk=ctx.policy.budget.refusal_risk,
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
    if parsed.depth_choice.mode != "fixed":
        return _allocate_depths(state, runtime, parsed, candidates, config, max_size, started)
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
        f"{budget} (stopped by {result.stopped_by}"
        + (f"; P(redeemed discount > budget) {result.refusal_risk:.1%}"
           if result.refusal_risk is not None and parsed.budget is not None else "")
        + ")"
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
            "binding": result.binding,
            "budget_mode": result.budget_mode,
            "refusal_risk": result.refusal_risk,
            "worst_case_per_coupon": result.worst_case_per_coupon,
            "lift": result.lift,
            "max_size": max_size,
            "gain_curve": result.gain_curve,
        },
        "events": [_event(runtime, "allocate", message)],
        "timings": _timed("allocate", started),
    }


def _allocate_depths(state: CampaignState, runtime: Runtime[AgentContext], parsed: CampaignPlan,
                     candidates: list[Candidate], config: AllocationConfig,
                     max_size: int | None, started: float) -> Update:
    """A range or best depth: one depth per household by the uplift dual (tools/uplift)."""
    from coupondesk.tools.outcomes.uplift_training import load_learner
    from coupondesk.tools.uplift.per_household import allocate_per_household

    # The depth response learned from the campaigns' outcomes, or None: the stated prior.
    learned = load_learner(runtime.context.settings.models_dir)
    done = allocate_per_household(candidates, parsed, runtime.context.policy, config,
                                  campaign_id=state["campaign_id"], max_size=max_size,
                                  learned=learned)
    figures = done.figures
    mix = ", ".join(
        f"{row['households']:,} at {format_number(float(row['value']))}"
        + ("%" if row["kind"] == "percent_off" else " off") for row in figures["depth_mix"])
    message = (
        f"{len(done.recipients):,} recipients + {len(done.holdout):,} holdout by depth "
        f"({mix or 'none'}); expected cost {money(round(figures['expected_cost'], 2))}, "
        f"{figures['expected_incremental_buyers']:.1f} incremental buyers (stopped by "
        f"{figures['stopped_by']}; depth response "
        f"{'learned' if figures['learned'] else 'the stated prior'})"
    )
    return {
        "allocation": {**figures, "recipients": done.recipients, "holdout": done.holdout,
                       "depth_assumptions": done.assumptions},
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

    # Per-household depths: copy is drafted and checked for each depth given, each variant
    # tagged with the depth it states (dispatch sends a household a variant of its own depth).
    used = sorted({float(row["value"])
                   for row in (state.get("allocation") or {}).get("depth_mix", [])})
    depths: list[float | None] = [*used] if used else [None]
    per_depth = total if depths == [None] else max(1, total // len(depths))
    variants: list[Any] = []
    tags: list[float | None] = []
    for depth in depths:
        offer = parsed.offer if depth is None else parsed.offer.model_copy(
            update={"value": depth})
        drafted = write_copy(
            offer,
            description,
            llm=ctx.llm,
            policy=ctx.policy,
            language=parsed.language,
            n_variants=per_depth,
            on_variant=variant_ready,
        )
        variants.extend(drafted)
        tags.extend([depth] * len(drafted))
    rows = [
        CopyVariant(
            text=v.text,
            source=v.source,
            ok=v.verdict.ok,
            violations=v.verdict.violations,
            redrafted=v.redrafted,
            depth=depth,
        ).model_dump(mode="json")
        for v, depth in zip(variants, tags, strict=True)
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
    variants = state.get("copy_variants", [])
    depths = {v.get("depth") for v in variants}
    passing = bool(variants) and all(
        any(v["ok"] for v in variants if v.get("depth") == d) for d in depths)
    if not passing and state.get("copy_rounds", 0) < runtime.context.max_copy_rounds:
        return "draft_copy"
    return "propose"


# --------------------------------------------------------------------------- propose / review


def _with_send_dates(stored: Any, today: Any, timed: bool) -> dict[str, Any]:
    """The stored allocation with each recipient's send day (offsets are days after today)."""
    from coupondesk.tools.campaigns.send_schedule import send_day

    if not stored:
        return {}
    if not timed:
        return dict(stored)
    recipients = [
        {**r, "send_at": send_day(today, r.get("send_offset_days", 0)).isoformat()}
        for r in stored["recipients"]
    ]
    return {**stored, "recipients": recipients}


def build_proposal(state: CampaignState, ctx: AgentContext) -> Proposal:
    """Everything the operator reviews, from the state (also for a blocked plan)."""
    from coupondesk.tools.policy.guardrails import requires_two_operators

    parsed = _plan_of(state)
    stored = state.get("allocation")
    timing = state.get("timing")
    timed = bool(timing) and timing["mode"] == "per_household"
    allocation = AllocationSummary.model_validate(_with_send_dates(stored, ctx.today, timed))
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
            budget_mode=parsed.budget_mode or ctx.policy.budget.default_mode,
            segment_summary=summary, approvals_required=2 if two else 1,
            timings=dict(state.get("timings", {})),
        )
    mode = parsed.budget_mode or ctx.policy.budget.default_mode
    config = allocation_config(ctx, parsed)
    stored_figures: dict[str, Any] = dict(stored) if stored else {}
    notes = [budget_mode_note(mode, parsed, ctx, stored_figures)]
    if timing and timing["note"]:
        notes.append(timing["note"])
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
        send_timing="per_household" if timed else "at_once", notes=notes,
        budget_mode=mode, refusal_risk=stored_figures.get("refusal_risk"),
        stopped_by=str(stored_figures.get("stopped_by", "")),
        stopped_by_text=stop_sentence(parsed, ctx, stored_figures, len(allocation.recipients)),
        timings=dict(state.get("timings", {})),
    )


def budget_mode_note(
    mode: str, parsed: CampaignPlan, ctx: AgentContext, allocation: dict[str, Any]
) -> str:
    """Which budget rule applies, with the refusal figure (listed under the assumptions)."""
    said = "the request says so" if parsed.budget_mode else "policy default"
    risk = allocation.get("refusal_risk")
    figure = (
        f"; P(redeemed discount > budget) = {risk:.1%} for this cut (exact Poisson-binomial over "
        "each household's P(redeem) and expected discount)" if risk is not None else ""
    )
    if mode == "service":
        return (f"budget enforced at redemption by the coupondesk service ({said}): a redemption "
                f"past the budget is refused, so the cut is sized on expected cost keeping "
                f"P(redeemed discount > budget) <= {ctx.policy.budget.refusal_risk:.0%}{figure}; "
                "say \"export only\" when the codes are redeemed elsewhere")
    multiple = format_number(ctx.policy.budget.liability_multiple)
    return (f"export-only budget ({said}): the codes are redeemed outside coupondesk, so the "
            f"worst-case rule applies (recipients x the largest discount <= {multiple} x the "
            f"budget){figure}")


def stop_sentence(
    parsed: CampaignPlan, ctx: AgentContext, allocation: dict[str, Any], recipients: int
) -> str:
    """What ended the cut, in words (tools.campaigns.stop_reason)."""
    from coupondesk.tools.campaigns.stop_reason import describe_stop

    return describe_stop(
        stopped_by=str(allocation.get("stopped_by", "")),
        recipients=recipients,
        eligible=int(allocation.get("eligible", 0)),
        holdout=len(allocation.get("holdout", [])),
        expected_cost=float(allocation.get("expected_cost", 0.0)),
        budget=parsed.budget,
        binding=str(allocation.get("binding", "")),
        refusal_risk=allocation.get("refusal_risk"),
        risk_limit=ctx.policy.budget.refusal_risk,
        lift=dict(allocation.get("lift") or {}),
        per_coupon=float(allocation.get("worst_case_per_coupon", 0.0)),
        liability_multiple=ctx.policy.budget.liability_multiple,
        requested_size=parsed.audience.max_size,
        policy_size=ctx.policy.audience.max_size,
    )


def propose(state: CampaignState, runtime: Runtime[AgentContext]) -> Update:
    """Store the proposal (status proposed, or blocked when it has violations or open questions)
    so the operator can decide, now or after a restart."""
    from coupondesk.tools.campaigns.records import save_proposal

    started = time.perf_counter()
    ctx = runtime.context
    proposal = build_proposal(state, ctx)
    proposal.status = "blocked" if proposal.blocking else "proposed"
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
        "status": proposal.status,
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
    from coupondesk.tools.campaigns.dispatch import DispatchRefused, mark_approved
    from coupondesk.tools.campaigns.dispatch import dispatch as issue_codes
    from coupondesk.tools.errors import RefusedError

    started = time.perf_counter()
    ctx = runtime.context
    campaign_id = state["campaign_id"]
    operator = (state.get("decision") or {}).get("operator") or ctx.operator
    required = int(state["proposal"].get("approvals_required", 1))
    try:
        if not mark_approved(ctx.engine, campaign_id, policy=ctx.policy,
                             required_approvals=required):
            raise RefusedError(
                f"campaign {campaign_id} needs {required} approvals of this exact proposal"
            )
        result = issue_codes(
            ctx.engine,
            campaign_id,
            operator=operator,
            policy=ctx.policy,
            today=ctx.today,
            required_approvals=required,
        )
    except RefusedError as refused:
        blocked = isinstance(refused, DispatchRefused)
        return {
            "result": {"refused": refused.message,
                       "violations": refused.rules if blocked else []},
            "status": "blocked" if blocked else state.get("status", "proposed"),
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
