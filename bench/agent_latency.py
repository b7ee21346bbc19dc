"""Agent benchmark: request -> proposal seconds on the configured database, split by node.

Runs each request twice in the same process: with the configured LLM backend (the local
SmolLM2 by default) and with the deterministic template-only path (the fake backend, which
makes every LLM step fall back), so the LLM's share of the time is measured, not guessed.
Needs `coupondesk setup` (full data + trained models) first. Proposals are rejected afterwards
so the benchmark leaves no pending campaigns.

    .venv/bin/python bench/agent_latency.py ["REQUEST" ...]
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

DEFAULT_REQUESTS = [
    "win back lapsed coffee buyers with 15% off, budget $2,000, valid one week",
    "$3 off orders over $25 in the deli for deli shoppers, 14 days, max 250 households",
    "给45天未购物的用户发放全场满100减15优惠券，预算3000元，有效期10天",
]
STEPS = ["plan", "audience", "score", "allocate", "copy", "check", "propose"]


def run(desk, request: str) -> tuple[float, dict[str, float], int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    proposal = desk.propose(request, operator="bench")
    elapsed = time.perf_counter() - started
    desk.reject(proposal.campaign_id, operator="bench", reason="benchmark run")
    return elapsed, proposal.timings, proposal.audience_size


def main() -> None:
    from agent.service import CampaignDesk
    from tools.llm.fake import FakeChatModel
    from tools.settings import load_settings

    requests = sys.argv[1:] or DEFAULT_REQUESTS
    settings = load_settings()
    desk = CampaignDesk(settings)
    baseline = CampaignDesk(settings, llm=FakeChatModel(), scorer=desk.scorer)
    started = time.perf_counter()
    desk.llm.warm_up() if hasattr(desk.llm, "warm_up") else None
    print(f"LLM backend: {settings.llm_backend}; warm-up call returned in "
          f"{time.perf_counter() - started:.1f}s")
    header = f"{'request':<44}{'LLM':>8}{'no-LLM':>8}  " + "".join(f"{s:>9}" for s in STEPS)
    print(header)
    for request in requests:
        with_llm, timings, size = run(desk, request)
        without, _t, _s = run(baseline, request)
        steps = "".join(f"{timings.get(s, 0.0):>9.2f}" for s in STEPS)
        print(f"{request[:42]:<44}{with_llm:>8.1f}{without:>8.1f}  {steps}   ({size} codes)")


if __name__ == "__main__":
    main()
