"""Agent benchmark: request -> proposal seconds on the configured database, split by node.

First the cold start is timed on its own (loading the local LLM, loading the scoring models and
building the households' state for the planning day: what the TUI does in the background at
start). Then each request runs twice in the same process, with everything warm: with the
configured LLM backend (the local SmolLM2 by default) and with the deterministic path (the
fake backend: template copy, no model), so the LLM's share of the time is measured, not
guessed. Needs `coupondesk setup` (full data + trained models). Every proposal is rejected
afterwards so the benchmark leaves no pending campaigns.

    .venv/bin/python bench/agent_latency.py ["REQUEST" ...]
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DEFAULT_REQUESTS = [
    "win back lapsed coffee buyers with 15% off, budget $2,000, valid one week",
    "$3 off orders over $25 in the deli for deli shoppers, 14 days, max 250 households, "
    "budget $400",
    "给45天未购物的用户发放全场满100减15优惠券，预算3000元，有效期10天",
]
STEPS = ["plan", "audience", "score", "allocate", "copy", "check", "propose"]


def run(desk: Any, request: str) -> tuple[float, dict[str, float], int]:
    started = time.perf_counter()
    proposal = desk.propose(request, operator="bench")
    elapsed = time.perf_counter() - started
    desk.reject(proposal.campaign_id, operator="bench", reason="benchmark run")
    return elapsed, proposal.timings, proposal.audience_size


def main() -> None:
    from coupondesk.agent.service import CampaignDesk
    from coupondesk.tools.llm.fake import FakeChatModel

    from coupondesk.settings import load_settings

    requests = sys.argv[1:] or DEFAULT_REQUESTS
    settings = load_settings()
    desk = CampaignDesk(settings)
    started = time.perf_counter()
    wait = getattr(desk.llm, "wait_until_loaded", None)
    desk.llm.warm_up()
    llm_seconds = wait() if wait is not None else 0.0
    print(f"LLM backend {settings.llm.backend}: load {llm_seconds:.1f} s")
    started = time.perf_counter()
    desk.scorer.warm(desk.today)  # type: ignore[attr-defined]
    warm_seconds = time.perf_counter() - started
    print(f"scoring models for {desk.today}: {warm_seconds:.1f} s")
    baseline = CampaignDesk(settings, llm=FakeChatModel(), scorer=desk.scorer, today=desk.today)

    print(f"\n{'request':<46}{'run':<8}{'total':>7}" + "".join(f"{s:>9}" for s in STEPS))
    for request in requests:
        for label, which in (("LLM", desk), ("no-LLM", baseline)):
            total, timings, size = run(which, request)
            steps = "".join(f"{timings.get(s, 0.0):>9.2f}" for s in STEPS)
            print(f"{request[:44]:<46}{label:<8}{total:>7.1f}{steps}   {size} codes")


if __name__ == "__main__":
    main()
