"""The campaign graph's wiring (nodes live in agent/nodes.py, state in agent/state.py).

    plan ─┬─> audience -> score -> allocate -> draft_copy -> check ─┬─> propose -> review
          │                                        ^               │                │
          │                                        └── redraft ────┘                │
          └─(errors / questions / forbidden offer)──────────────────> propose       │
    review ─ approve -> dispatch ─┬─> report -> END                                 │
           │                      └─ refused ─> review                              │
           ├ revise  -> plan   (the change applied to the plan, everything re-run)  │
           └ reject  -> report                                                      │
"""

from __future__ import annotations

from typing import Any

from coupondesk.agent import nodes
from coupondesk.agent.context import AgentContext
from coupondesk.agent.state import CampaignState
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph


def build_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> Any:
    """Compile the campaign graph; dependencies arrive per run as an AgentContext."""
    graph = StateGraph(CampaignState, context_schema=AgentContext)
    for name, node in nodes.NODES.items():
        graph.add_node(name, node)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", nodes.route_after_plan, ["audience", "propose"])
    graph.add_edge("audience", "score")
    graph.add_edge("score", "allocate")
    graph.add_edge("allocate", "draft_copy")
    graph.add_edge("draft_copy", "check")
    graph.add_conditional_edges("check", nodes.route_after_check, ["draft_copy", "propose"])
    graph.add_edge("propose", "review")
    graph.add_conditional_edges(
        "review", nodes.route_after_review, ["dispatch", "plan", "report"]
    )
    graph.add_conditional_edges("dispatch", nodes.route_after_dispatch, ["review", "report"])
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)
