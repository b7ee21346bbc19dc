"""The layer order in pyproject.toml ([tool.importlinter]) holds: `lint-imports` keeps it.

The folders install as coupondesk.agent, coupondesk.tools, ... through package-dir, which
import-linter cannot see in an editable install, so the check runs on a copy laid out as the
installed namespace.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _namespace_copy(target: Path) -> Path:
    """The sources under one `coupondesk` folder, as the wheel installs them."""
    mapping = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-dir"]
    for name, folder in mapping.items():
        shutil.copytree(
            ROOT / folder,
            target.joinpath(*name.split(".")),
            ignore=shutil.ignore_patterns("__pycache__"),
            dirs_exist_ok=True,
        )
    return target


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(PYPROJECT)],
        capture_output=True, text=True, cwd=tree, env={"PYTHONPATH": str(tree), "PATH": ""},
    )


def test_layer_contracts_are_kept(tmp_path: Path) -> None:
    result = _lint_imports(_namespace_copy(tmp_path))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_a_tools_module_importing_the_agent_breaks_the_contract(tmp_path: Path) -> None:
    tree = _namespace_copy(tmp_path)
    (tree / "coupondesk" / "tools" / "upward.py").write_text(
        "from coupondesk.agent import service\n"
    )
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "coupondesk.tools.upward -> coupondesk.agent.service" in result.stdout


FIND_CYCLES = """
import sys
import grimp

graph = grimp.build_graph("coupondesk")
package = sys.argv[1]
modules = sorted(m for m in graph.modules if m.startswith(package + "."))
cycles = []
for module in modules:
    for imported in sorted(graph.find_modules_directly_imported_by(module)):
        if imported.startswith(package + ".") and imported != module:
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                cycles.append(" -> ".join((module, *back)))
print("\\n".join(cycles))
"""


def test_models_have_no_import_cycle(tmp_path: Path) -> None:
    """evaluate -> registry -> serving -> train -> evaluate once made every import order fragile."""
    tree = _namespace_copy(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", FIND_CYCLES, "coupondesk.models"],
        capture_output=True, text=True, cwd=tree, env={"PYTHONPATH": str(tree), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "", "import cycles:\n" + result.stdout
