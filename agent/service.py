"""CampaignDesk: the operations the CLI and the TUI offer, over one graph and one database.

propose / revise / approve / reject drive the campaign graph through its review interrupt;
campaigns / show read coupondesk's records; ask answers free questions. Heavy dependencies
(the local LLM, the scoring models) are created on first use, so approving or listing never
waits for a model to load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from coupondesk.agent.checkpoint import open_checkpointer
from coupondesk.agent.context import AgentContext, CandidateScorer
from coupondesk.agent.graph import build_graph
from coupondesk.agent.state import Event
from coupondesk.tools.campaigns.dispatch_rules import approvals_needed
from coupondesk.tools.campaigns.proposal import Proposal
from coupondesk.tools.campaigns.records import (
    CampaignRow,
    audit_trail,
    campaign_row,
    get_campaign,
    list_campaigns,
    load_proposal,
    record_approval,
)
from coupondesk.tools.db.migrate import is_current
from coupondesk.tools.db.session import check_reachable, make_engine
from coupondesk.tools.errors import BadInputError, NotFoundError, NotReadyError, RefusedError
from coupondesk.tools.llm import ChatModel
from coupondesk.tools.outcomes.readout import Readout
from coupondesk.tools.policy.rules import Policy
from coupondesk.tools.scoring.serving_scorer import ModelScorer
from langgraph.types import Command
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from coupondesk.settings import Settings

if TYPE_CHECKING:
    from coupondesk.tools.outcomes.export import ExportResult

EventSink = Callable[[Event], None]
logger = logging.getLogger(__name__)


@dataclass
class ApprovalOutcome:
    """What an approve call did."""

    campaign_id: int
    status: str
    issued: int = 0
    approvers: list[str] = field(default_factory=list)
    approvals_required: int = 1
    message: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """The `approve --json` document."""
        return {
            "campaign_id": self.campaign_id, "status": self.status, "issued": self.issued,
            "approvers": self.approvers, "approvals_required": self.approvals_required,
            "message": self.message,
        }


class CampaignDesk:
    """One operator session's access to campaigns (a CLI call, or the TUI's lifetime)."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        llm: ChatModel | None = None,
        scorer: CandidateScorer | None = None,
        policy: Policy | None = None,
        today: date | None = None,
    ) -> None:
        self.settings = settings
        self._owns_engine = engine is None
        self.engine = engine or make_engine(settings.resolved_database_url)
        self._llm = llm
        self._scorer = scorer
        self._policy = policy
        self._today = today

    # ------------------------------------------------------------------ dependencies

    def ensure_ready(self) -> None:
        """The database is reachable and migrated; otherwise say how to fix it."""
        check_reachable(self.engine)
        if not is_current(self.engine):
            raise NotReadyError("the database is not set up; run `coupondesk setup`")

    @cached_property
    def policy(self) -> Policy:
        """The discount policy (loaded once per desk; a broken file fails the first use)."""
        return self._policy or self.settings.guardrails.load_policy()

    @cached_property
    def llm(self) -> ChatModel:
        """The chat model, created on first use (the local one loads its weights lazily)."""
        if self._llm is not None:
            return self._llm
        from coupondesk.tools.llm import make_llm

        return make_llm(self.settings.llm.options())

    @cached_property
    def scorer(self) -> CandidateScorer:
        """The injected scorer, or the desk's one ModelScorer (models load on first use)."""
        models = self.settings.models
        return self._scorer or ModelScorer(self.settings.models_dir, self.engine,
                                           chunk_households=models.chunk_households,
                                           ray_address=models.resolved_ray_address,
                                           ray_workers=models.ray_workers)

    def close(self) -> None:
        """Release what the desk owns: the scorer's models and the engine's connections."""
        scorer = self.__dict__.get("scorer")
        if isinstance(scorer, ModelScorer):
            scorer.close()
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> CampaignDesk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @cached_property
    def today(self) -> date:
        """The planning date: injected, configured, or the day after the data's last sale."""
        if self._today is not None:
            return self._today
        if self.settings.today is not None:
            return self.settings.today
        from coupondesk.tools.queries.segments import data_today

        with Session(self.engine) as session:
            return data_today(session)

    def warm_up(self) -> None:
        """Start loading the local LLM and the scoring models in the background.

        The TUI calls this once the database is ready, so the operator's first request does
        not wait ~40 s for the model and ~10 s for the households' history.
        """
        import threading

        def warm() -> None:
            try:
                self.llm.warm_up()
                scorer = self.scorer
                if isinstance(scorer, ModelScorer):
                    scorer.warm(self.today)
            except Exception:  # best effort: the real call reports the problem to the operator
                logger.warning("warming up the LLM and the scoring models failed", exc_info=True)

        threading.Thread(target=warm, name="coupondesk-warm-up", daemon=True).start()

    def operator_name(self, operator: str | None) -> str:
        """Who acts: the name given (trimmed), or the configured operator when none is given.

        A blank name is refused, never replaced by the configured one: an approval recorded
        under someone who did not give it would count as a second operator.
        """
        name = (self.settings.operator if operator is None else operator).strip()
        if not name:
            raise BadInputError("the operator name is empty: pass --operator NAME or set "
                                "COUPONDESK_OPERATOR")
        return name

    def context(self) -> AgentContext:
        """The run-scoped dependencies every graph run gets (see coupondesk.agent.context)."""
        return AgentContext(
            settings=self.settings, engine=self.engine, policy=self.policy, llm=self.llm,
            scorer=self.scorer, today=self.today,
        )

    # ------------------------------------------------------------------ graph runs

    def _run(
        self, campaign_id: int, graph_input: Any, on_event: EventSink | None
    ) -> dict[str, Any]:
        """Run the thread until it pauses for review or ends; returns the final state values."""
        config = {"configurable": {"thread_id": str(campaign_id)}}
        with open_checkpointer(self.settings) as saver:
            graph = build_graph(saver)
            for mode, chunk in graph.stream(
                graph_input, config, context=self.context(), stream_mode=["custom", "updates"]
            ):
                if mode == "custom" and on_event is not None:
                    on_event(chunk)
            return dict(graph.get_state(config).values)

    def _paused_for_review(self, campaign_id: int) -> bool:
        config = {"configurable": {"thread_id": str(campaign_id)}}
        with open_checkpointer(self.settings) as saver:
            snapshot = build_graph(saver).get_state(config)
        return "review" in tuple(snapshot.next)

    def propose(
        self, request: str, *, operator: str | None = None, on_event: EventSink | None = None
    ) -> Proposal:
        """Plan, score, allocate, draft and check a campaign; stops at the approval point."""
        from coupondesk.agent.planning.planner import clean_request, precheck_request
        from coupondesk.tools.campaigns.records import create_campaign

        self.ensure_ready()
        clean_request(request)  # bad input is refused before the campaign row exists
        precheck_request(request, self.policy)
        request = request.strip()
        who = self.operator_name(operator)
        self._ensure_models()
        with Session(self.engine) as session, session.begin():
            campaign_id = create_campaign(session, request=request, operator=who)
        self._run_recording_failure(
            campaign_id, {"campaign_id": campaign_id, "request": request, "operator": who},
            on_event, who,
        )
        return self._proposal(campaign_id)

    def _ensure_models(self) -> None:
        """Fail before creating anything when the production scorer has no trained models."""
        if isinstance(self.scorer, ModelScorer):
            from coupondesk.models.registry import has_model

            if not all(has_model(self.settings.models_dir, n) for n in ("acceptance", "behaviour")):
                raise NotReadyError(
                    f"no trained models in {self.settings.models_dir}; run `coupondesk train` "
                    "(or `coupondesk setup`)"
                )

    def _run_recording_failure(
        self, campaign_id: int, graph_input: Any, on_event: EventSink | None, actor: str
    ) -> dict[str, Any]:
        """Run the graph; if a step fails, the campaign's audit log says which and why."""
        from coupondesk.tools.campaigns.records import audit
        from coupondesk.tools.errors import CoupondeskError

        try:
            return self._run(campaign_id, graph_input, on_event)
        except CoupondeskError as error:
            with Session(self.engine) as session, session.begin():
                audit(session, actor=actor, action="failed", campaign_id=campaign_id,
                      error=error.message)
            raise

    def revise(
        self, campaign_id: int, change: str, *, operator: str | None = None,
        on_event: EventSink | None = None,
    ) -> Proposal:
        """Apply the operator's change in words and re-run everything after the plan."""
        from coupondesk.agent.planning.planner import clean_request

        self.ensure_ready()
        clean_request(change, kind="change")  # else the resumed thread would die in plan
        who = self.operator_name(operator)
        self._require_status(campaign_id, ("proposed", "blocked", "approved"), "revised")
        decision = {"action": "revise", "text": change, "operator": who}
        graph_input = self._revision_input(campaign_id, decision)
        self._run_recording_failure(campaign_id, graph_input, on_event, who)
        return self._proposal(campaign_id)

    def _revision_input(self, campaign_id: int, decision: dict[str, str]) -> Any:
        """The graph input that applies a revision: resume the review, or restart a dead run.

        A run that failed part-way (a crash while scoring, Ctrl-C during a revision) leaves
        the thread stopped at the failed step instead of at review, while the stored proposal
        still stands. Writing the decision as the review's answer puts the thread back on its
        path, so the operator's retry re-plans instead of being refused from then on.
        """
        from coupondesk.agent.nodes import review_update

        config = {"configurable": {"thread_id": str(campaign_id)}}
        with open_checkpointer(self.settings) as saver:
            graph = build_graph(saver)
            snapshot = graph.get_state(config)
            if "review" in tuple(snapshot.next):
                return Command(resume=decision)
            if not snapshot.next or not snapshot.values.get("proposal"):
                raise RefusedError(f"campaign {campaign_id} is not waiting for a decision")
            graph.update_state(config, review_update(decision), as_node="review")
        return None  # continue the thread from the decision just written

    def approve(
        self, campaign_id: int, *, operator: str | None = None, on_event: EventSink | None = None
    ) -> ApprovalOutcome:
        """Record an approval of the exact proposal; dispatch once enough operators approved."""
        self.ensure_ready()
        who = self.operator_name(operator)
        with Session(self.engine) as session:
            status = get_campaign(session, campaign_id).status
        if status == "dispatched":
            row = self.row(campaign_id)
            return ApprovalOutcome(
                campaign_id, "dispatched", 0, row.approvers,
                self._proposal(campaign_id).approvals_required,
                message=f"campaign {campaign_id} was already dispatched ({row.issued:,} codes); "
                "nothing issued",
            )
        if status == "rejected":
            raise RefusedError(f"campaign {campaign_id} was rejected; it cannot be approved")
        proposal = self._proposal(campaign_id)
        if status != "approved":  # record_approval refuses a blocked or draft campaign
            with Session(self.engine) as session, session.begin():
                _digest, names = record_approval(session, campaign_id, operator=who)
        else:  # approved earlier, dispatch refused (e.g. budget account full): retry
            names = self.row(campaign_id).approvers
        needed = approvals_needed(proposal, self.policy)
        if len(names) < needed:
            return ApprovalOutcome(
                campaign_id, "proposed", 0, names, needed,
                message=f"approved by {', '.join(names)}; {needed - len(names)} more approval "
                "by a different operator needed before dispatch",
            )
        decision = {"action": "approve", "operator": who}
        if self._paused_for_review(campaign_id):
            state = self._run(campaign_id, Command(resume=decision), on_event)
            result = state.get("result") or {}
            if "refused" in result:
                raise RefusedError(result["refused"])
            issued = int(result.get("issued", 0))
        else:
            issued = self._dispatch_without_thread(campaign_id, who, needed)
        return ApprovalOutcome(
            campaign_id, "dispatched", issued, names, needed,
            message=f"{issued:,} codes issued",
        )

    def _dispatch_without_thread(self, campaign_id: int, operator: str, needed: int) -> int:
        """Dispatch from the stored proposal when the agent thread is gone (checkpoints lost)."""
        from coupondesk.tools.campaigns.dispatch import dispatch, mark_approved

        if not mark_approved(self.engine, campaign_id, policy=self.policy,
                             required_approvals=needed):
            raise RefusedError(f"campaign {campaign_id} needs {needed} approvals")
        result = dispatch(
            self.engine, campaign_id, operator=operator, policy=self.policy, today=self.today,
            required_approvals=needed,
        )
        return result.issued

    def reject(self, campaign_id: int, *, operator: str | None = None, reason: str) -> CampaignRow:
        """Reject the campaign; it will never issue a code."""
        from coupondesk.tools.campaigns.records import reject

        self.ensure_ready()
        who = self.operator_name(operator)
        reason = reason.strip()
        if not reason:
            raise BadInputError("a reason is required to reject a campaign")
        self._require_status(
            campaign_id, ("draft", "proposed", "blocked", "approved", "rejected"), "rejected"
        )
        if self._paused_for_review(campaign_id):
            self._run(
                campaign_id,
                Command(resume={"action": "reject", "operator": who, "reason": reason}),
                None,
            )
        else:
            with Session(self.engine) as session, session.begin():
                reject(session, campaign_id, operator=who, reason=reason)
        return self.row(campaign_id)

    # ------------------------------------------------------------------ records

    def _require_status(self, campaign_id: int, allowed: tuple[str, ...], verb: str) -> None:
        with Session(self.engine) as session:
            status = get_campaign(session, campaign_id).status
        if status not in allowed:
            raise RefusedError(f"campaign {campaign_id} is {status}; it cannot be {verb}")

    def _proposal(self, campaign_id: int) -> Proposal:
        with Session(self.engine) as session:
            proposal = load_proposal(session, campaign_id)
            status = get_campaign(session, campaign_id).status
        if proposal is None:
            raise NotFoundError(f"campaign {campaign_id} has no proposal yet")
        proposal.status = status
        return proposal

    def proposal(self, campaign_id: int) -> Proposal:
        """The stored proposal of a campaign."""
        return self._proposal(campaign_id)

    def row(self, campaign_id: int) -> CampaignRow:
        """One campaign's summary row (status, approvers, issued codes)."""
        with Session(self.engine) as session:
            return campaign_row(session, campaign_id)

    def campaigns(self) -> list[CampaignRow]:
        """Every campaign, newest first."""
        self.ensure_ready()
        with Session(self.engine) as session:
            return list_campaigns(session)

    def show(self, campaign_id: int) -> dict[str, Any]:
        """A campaign with its proposal, approvals and audit trail (the `show --json` document)."""
        self.ensure_ready()
        with Session(self.engine) as session:
            row = campaign_row(session, campaign_id)
            proposal = load_proposal(session, campaign_id)
            trail = audit_trail(session, campaign_id)
        return {
            **row.model_dump(mode="json"),
            "proposal": proposal.to_cli_json() if proposal else None,
            "audit": [entry.model_dump(mode="json") for entry in trail],
        }

    def results(self, campaign_id: int) -> Readout:
        """The campaign's readout against its holdout (NotReadyError while nothing came back)."""
        from coupondesk.tools.outcomes.readout import campaign_readout

        self.ensure_ready()
        with Session(self.engine) as session:
            return campaign_readout(session, campaign_id)

    def ask(self, question: str) -> dict[str, Any]:
        """Answer a free question from the query tools (see agent/questions.py)."""
        from coupondesk.agent.questions import answer_question

        if not question.strip():
            raise BadInputError("the question is empty")
        self.ensure_ready()
        with Session(self.engine) as session:
            return answer_question(question, session=session, llm=self.llm, today=self.today,
                                   default_lapsed_days=self.policy.audience.default_lapsed_days)

    def export(self, campaign_id: int, *, fmt: str = "csv") -> ExportResult:
        """Write a dispatched campaign's codes to $COUPONDESK_HOME/exports/campaign-ID.FORMAT."""
        from coupondesk.tools.outcomes.export import FORMATS, default_export_path, export_campaign

        if fmt not in FORMATS:
            raise BadInputError(f"export format {fmt!r}: use one of {', '.join(FORMATS)}")
        self.ensure_ready()
        path = default_export_path(self.settings.home, campaign_id, fmt)  # type: ignore[arg-type]
        with Session(self.engine) as session:
            result, _content = export_campaign(session, campaign_id, fmt, path)  # type: ignore[arg-type]
        return result
