"""Snapshot tests (pytest-textual-snapshot) at 80x24 and 140x45: chat with a proposal, the
approve dialog, the campaigns screen. Update with `pytest tests/tui --snapshot-update` after
looking at the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import settle, type_and_send
from tests.tui.fakes import RANGE_REQUEST, REQUEST

APP_PATH = Path(__file__).with_name("snapshot_app.py")
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((140, 45), id="140x45")]


async def with_proposal(pilot: Pilot[Any]) -> None:
    await type_and_send(pilot, REQUEST)
    await settle(pilot)


async def with_depth_mix(pilot: Pilot[Any]) -> None:
    await type_and_send(pilot, RANGE_REQUEST)
    await settle(pilot)
    # The panel scrolled to the depth mix (the recipients with their depths follow it).
    pilot.app.screen.query_one("#p-depth-mix").scroll_visible(animate=False, top=True)
    await pilot.pause()


async def approve_dialog(pilot: Pilot[Any]) -> None:
    await with_proposal(pilot)
    await pilot.press("ctrl+y")
    await pilot.pause()


async def campaigns(pilot: Pilot[Any]) -> None:
    await with_proposal(pilot)
    await pilot.press("f2")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_chat_with_proposal(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(APP_PATH, terminal_size=size, run_before=with_proposal)


def test_chat_with_depth_mix(snap_compare: Any) -> None:
    assert snap_compare(APP_PATH, terminal_size=(140, 45), run_before=with_depth_mix)


@pytest.mark.parametrize("size", SIZES)
def test_approve_dialog(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(APP_PATH, terminal_size=size, run_before=approve_dialog)


@pytest.mark.parametrize("size", SIZES)
def test_campaigns_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(APP_PATH, terminal_size=size, run_before=campaigns)
