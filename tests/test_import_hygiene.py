"""The core (agent, tools, models, prompts) never pulls in Textual or the TUI."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "coupondesk.agent",
    "coupondesk.tools",
    "coupondesk.models",
    "coupondesk.prompts",
    "coupondesk.settings",
    "coupondesk.tools.db.schema",
    "coupondesk.tools.data.ingest",
    "coupondesk.tools.data.importer",
    "coupondesk.tools.data.frames",
    "coupondesk.tools.data.setup",
    "coupondesk.cli",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.') "
        "or m == 'coupondesk.tui' or m.startswith('coupondesk.tui.')); print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{module} imported {result.stdout.strip()}"


def test_every_core_package_module_is_textual_free() -> None:
    """Import every module under the core packages in one process, then check."""
    code = r"""
import importlib, pkgutil, sys
for package in ("coupondesk.agent", "coupondesk.tools", "coupondesk.models", "coupondesk.prompts"):
    mod = importlib.import_module(package)
    for info in pkgutil.walk_packages(mod.__path__, package + "."):
        if ".migrations" in info.name:
            continue
        importlib.import_module(info.name)
bad = sorted(m for m in sys.modules
             if m.split(".")[0] == "textual" or m.startswith(("coupondesk.tui", "tui")))
print(",".join(bad))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""
