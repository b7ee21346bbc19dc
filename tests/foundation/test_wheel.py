"""The wheel installs under one namespace beside another distribution's `tools`, with its data.

The installed copy is what users run, so it is built and imported from a fresh venv that sees
the dependencies (a .pth file pointing at this venv's site-packages) but not the repository.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]
DATA_PATTERNS = ("*.toml", "*.j2", "*.tcss", "*.mako")


def _source_packages() -> set[str]:
    """Every folder with an __init__.py under a mapped top-level folder, as an import name."""
    found: set[str] = set()
    for name, folder in PACKAGE_DIRS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *relative.parts]))
    return found


def _data_files() -> set[str]:
    """Paths inside the wheel that the package data must provide (files, not modules)."""
    wanted: set[str] = set()
    for name, folder in PACKAGE_DIRS.items():
        base = ROOT / folder
        files = [p for pattern in DATA_PATTERNS for p in base.rglob(pattern)]
        files += list(base.glob("db/migrations/versions/*.py"))
        for path in files:
            if "__pycache__" in path.parts:
                continue
            wanted.add("/".join([*name.split("."), *path.relative_to(base).parts]))
    return wanted


def test_every_package_folder_is_listed() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert _source_packages() - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - _source_packages() == set(), "listed packages that have no folder"


def test_data_files_are_known() -> None:
    """The data check below is not vacuous: policy, synonyms, migrations, prompts, styles."""
    wanted = _data_files()
    for expected in (
        "coupondesk/tools/policy/policy.toml",
        "coupondesk/tools/catalog/synonyms.toml",
        "coupondesk/tools/db/migrations/script.py.mako",
        "coupondesk/tools/db/migrations/versions/0001_initial_schema.py",
        "coupondesk/prompts/copy_hook.md.j2",
        "coupondesk/tui/app.tcss",
    ):
        assert expected in wanted


def _copy_source(target: Path) -> Path:
    """A copy of the buildable tree, so the build leaves nothing in the checkout."""
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench", "docs"
    )
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


TINY_TOOLS = '"""Another distribution\'s top-level `tools` package."""\nWHO = "someone else"\n'

IMPORT_BOTH = """
import pathlib, sys
import tools
assert tools.WHO == "someone else", tools.__file__
import coupondesk
import coupondesk.tools.campaigns.dispatch
import coupondesk.tools.db.migrate as migrate
import coupondesk.agent.graph
import coupondesk.models.registry
import coupondesk.prompts
from coupondesk.tools.policy.rules import load_policy
from sqlalchemy import create_engine
site_dir = pathlib.Path(sys.argv[1]).resolve()
assert pathlib.Path(coupondesk.__file__).resolve().is_relative_to(site_dir), coupondesk.__file__
assert not any(p and pathlib.Path(p).resolve() == pathlib.Path(sys.argv[2]) for p in sys.path)
load_policy()
engine = create_engine("sqlite:///" + sys.argv[3])
migrate.upgrade(engine)
assert migrate.is_current(engine)
names = coupondesk.prompts.template_names()
assert "terms_en.j2" in names, names
terms = coupondesk.prompts.render("terms_en.j2", kind="percent_off", value="15", min_spend=None,
                                  cap=None, days=7, scope="cheese")
assert terms.startswith("15% off cheese"), terms
print("ok")
"""


@pytest.mark.slow
def test_wheel_installs_beside_another_tools_package(tmp_path: Path) -> None:
    source = _copy_source(tmp_path / "src")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", str(source), "-w", str(wheels)],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    )
    (wheel,) = wheels.glob("coupondesk-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _data_files() - names == set(), "package data missing from the wheel"
    top_level = {name.split("/")[0] for name in names}
    assert {"tools", "agent", "models", "prompts", "tui"} & top_level == set()

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    venv_site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    # The dependencies, seen through a path entry (their .pth files, incl. the editable
    # install of this checkout, are not processed from there).
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (venv_site / "project_deps.pth").write_text("\n".join(deps) + "\n")
    (venv_site / "tools").mkdir()
    (venv_site / "tools" / "__init__.py").write_text(TINY_TOOLS)

    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--disable-pip-version-check", str(wheel)],
        check=True, capture_output=True, text=True, cwd=elsewhere, env=env,
    )
    result = subprocess.run(
        [str(python), "-c", IMPORT_BOTH, str(venv_site), str(ROOT), str(tmp_path / "w.db")],
        capture_output=True, text=True, cwd=elsewhere, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
