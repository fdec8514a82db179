"""What the package declares is what it imports; the dev-only localstripe launcher stays out of production."""

from __future__ import annotations

import ast
import importlib.metadata
import logging
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from server.billing import provider
from server.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    """``"litestar[standard]>=2.25,<3"`` → ``"litestar"`` (normalized as PyPI does)."""
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name is not None, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def _imported_distributions(*folders: str) -> dict[str, set[str]]:
    """Distribution → the files that import it, for every third-party import under ``folders``."""
    dists = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names or top in ("server", "sync", "haulport_dev"):
                        continue
                    if (path.parent / f"{top}.py").is_file():  # a sibling run as a script imports its neighbour
                        continue
                    for dist in dists.get(top, [top]):
                        found.setdefault(_name(dist), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_runtime_import_is_declared_and_every_dependency_is_imported():
    declared = {_name(r) for r in PROJECT["dependencies"]}
    imported = _imported_distributions("server", "sync")
    undeclared = {dist: sorted(files) for dist, files in imported.items() if dist not in declared}
    assert not undeclared, f"imported by server/ or sync/ but not in [project].dependencies: {undeclared}"
    unused = declared - set(imported)
    assert not unused, f"declared but never imported by server/ or sync/: {sorted(unused)}"


def test_the_dev_launcher_imports_only_what_the_dev_extra_declares():
    declared = {_name(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["dev"]}
    imported = _imported_distributions("haulport_dev")
    assert set(imported) <= declared, sorted(set(imported) - declared)
    assert "localstripe" not in {_name(r) for r in PROJECT["dependencies"]}


def test_the_installed_package_ships_no_dev_tools():
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert include == ["server*", "sync*"]
    assert not list((ROOT / "server").rglob("localstripe*"))


def test_a_production_server_never_imports_localstripe():
    """Every module of server/ and sync/ imported, and an app made: neither localstripe nor its launcher
    is loaded (they exist only in a checkout with the dev extra)."""
    script = """
import importlib, pkgutil, sys
import server, sync
for package in (server, sync):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".db.migrations." in info.name:
            continue
        importlib.import_module(info.name)
from server.app import create_app
from server.settings import load_settings
create_app(load_settings(secret_key="x" * 40, stripe_secret_key="sk_live_x", stripe_webhook_secret="whsec_" + "y" * 32))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("haulport_dev", "localstripe"))
print("LOADED", loaded)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "LOADED []" in done.stdout, done.stdout


def test_dev_mode_without_the_dev_extra_says_how_to_get_test_payments(monkeypatch, caplog):
    monkeypatch.setattr(provider, "local_stripe", lambda: None)
    settings = load_settings(dev_mode=True, stripe_secret_key="")
    with caplog.at_level(logging.WARNING, logger="haulport.billing"):
        stripe = provider.StripeProvider(settings)
    assert stripe.mode == "off" and not stripe.available
    assert "pip install -e '.[dev]'" in caplog.text


def test_dev_mode_with_the_dev_extra_uses_the_launcher_from_the_checkout():
    runner = provider.local_stripe()  # the tests run with the dev extra installed (scripts/install.sh)
    assert runner is not None
    assert runner.__name__ == "haulport_dev.localstripe_runner"
    stripe = provider.StripeProvider(load_settings(dev_mode=True, stripe_secret_key=""))
    assert stripe.mode == "localstripe" and stripe.test_mode


def test_the_lock_file_pins_every_declared_requirement():
    """``requirements.lock`` (what scripts/install.sh installs) was compiled from this pyproject.toml:
    refresh it with the pip-compile command in CONTRIBUTING.md after changing a requirement."""
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {_name(line) for line in lock.splitlines() if "==" in line and not line.startswith((" ", "#"))}
    extras = PROJECT["optional-dependencies"]
    declared = {_name(r) for r in PROJECT["dependencies"] + extras["dev"] + extras["test"]}
    assert declared <= pinned, f"not in requirements.lock: {sorted(declared - pinned)}"
    assert "pip-compile" in lock and "--extra=dev --extra=test" in lock
