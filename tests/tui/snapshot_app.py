"""The app as the snapshot tests see it (posting's tests/posting_snapshot_app.py pattern).

snap_compare imports this file fresh for every snapshot, so every snapshot starts from the
same seeded store: an older dispatched campaign, an older rejected one with a Chinese request
(CJK alignment in the table), and whatever the snapshot's run_before proposes next (id 3).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from coupondesk.tui.app import make_app

from coupondesk.settings import Settings
from tests.tui.fakes import ZH_REQUEST, FakeDesk, make_proposal

settings = Settings(operator="alice", llm_backend="fake",
                    home=Path("/tmp/coupondesk-snapshot-home"), database_url="sqlite://")
desk = FakeDesk(settings)
desk.add(make_proposal(1, "10% off SOUP for soup buyers, budget $500", audience_size=150),
         operator="bob")
desk.store.campaigns[1].row.status = "dispatched"
desk.store.campaigns[1].row.issued = 150
desk.store.campaigns[1].row.approvers = ["bob"]
desk.add(make_proposal(2, ZH_REQUEST, percent=10, audience_size=300), operator="王芳")
desk.store.campaigns[2].row.status = "rejected"
desk.store.campaigns[2].row.rejected_reason = "预算不够"
desk.store.campaigns[2].row.valid_from = date(2017, 12, 1)

app = make_app(settings, desk, needs_setup=lambda: False)
