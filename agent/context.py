"""What the graph's nodes need from the outside world, injected per run (never global).

The CLI, the TUI and the tests each build an AgentContext: the same graph runs against the real
database, models and LLM, or against a slice database and a scripted LLM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from coupondesk.tools.campaigns.allocation import AllocationConfig, Candidate
from coupondesk.tools.campaigns.offer import Offer
from coupondesk.tools.llm import ChatModel
from coupondesk.tools.policy.rules import Policy
from sqlalchemy import Engine

from coupondesk.settings import Settings


class CandidateScorer(Protocol):
    """Scores households for an offer (the serving acceptance + behaviour models)."""

    def candidates(
        self, household_ids: Sequence[int], offer: Offer, *, today: date
    ) -> list[Candidate]:
        """One Candidate per household that could be scored."""
        ...


@dataclass
class AgentContext:
    """Run-scoped dependencies of the campaign graph."""

    settings: Settings
    engine: Engine
    policy: Policy
    llm: ChatModel
    scorer: CandidateScorer
    today: date
    allocation: AllocationConfig = field(default_factory=AllocationConfig)
    max_copy_rounds: int = 2
    """The check -> redraft loop runs at most this many drafting rounds."""

    @property
    def operator(self) -> str:
        return self.settings.operator
