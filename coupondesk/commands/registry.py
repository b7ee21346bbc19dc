"""Which command modules make up the CLI. A module missing here is simply not offered."""

from __future__ import annotations

import importlib
import logging

import click

logger = logging.getLogger(__name__)

COMMAND_MODULES = (
    "coupondesk.commands.app",
    "coupondesk.commands.data",
    "coupondesk.commands.models",
    "coupondesk.commands.guardrails",
    "coupondesk.commands.campaigns",
    "coupondesk.commands.plan",
    "coupondesk.commands.outcomes",
    "coupondesk.commands.service",
    "coupondesk.commands.export",
)


def all_commands() -> list[click.Command]:
    """Every click command exported (as COMMANDS) by the command modules that exist."""
    commands: list[click.Command] = []
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                logger.debug("command module %s is not installed; its commands are not offered",
                             name)
                continue
            raise
        commands.extend(module.COMMANDS)
    return commands
