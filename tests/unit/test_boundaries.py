"""The layers of docs/architecture.md. import-linter checks them on every import (`make lint`,
contracts in pyproject.toml); here, that those contracts can fail, and the one rule they cannot
say: no action module imports another's."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute, including `from x import y` as x and x.y."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_catch_a_wrong_arrow(tmp_path: Path) -> None:
    """A copy of the tree with two wrong imports: the domain reaching an adapter, and the
    WhatsApp channel reaching the handoff rules around the gate. Both are named; the real
    tree passes (what `make lint` runs)."""
    for part in ("clinic", "actions", "connectors", "devtools"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert lint_imports(tmp_path).returncode == 0
    with (tmp_path / "clinic/domain/clock.py").open("a") as clock:
        clock.write("from clinic.adapters import metrics  # noqa\n")
    with (tmp_path / "clinic/adapters/whatsapp/service.py").open("a") as channel:
        channel.write("from clinic.services import handoff  # noqa\n")
    broken = lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "clinic.domain.clock -> clinic.adapters.metrics" in broken.stdout
    assert "the domain has no SQL, no HTTP and no Rasa BROKEN" in broken.stdout  # prometheus
    assert "clinic.adapters.whatsapp.service -> clinic.services.handoff" in broken.stdout
    assert "only through the gate's interface BROKEN" in broken.stdout


def action_modules() -> dict[str, Path]:
    """actions/ modules that define an action (a class over ClinicAction or the form base)."""
    found = {}
    for path in sorted((ROOT / "actions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(base, ast.Name) and base.id in ("ClinicAction", "ClinicFormValidation")
                for base in node.bases
            ):
                found[f"actions.{path.stem}"] = path
    return found


def test_no_action_module_imports_another() -> None:
    """Shared replies and tracker readers live in helper modules, not in another action's."""
    modules = action_modules()
    assert {"actions.book", "actions.offer", "actions.manage"} <= set(modules)
    for name, path in modules.items():
        bad = {m for m in imports(path) if m in modules and m != name}
        assert not bad, f"{name} imports {sorted(bad)}"
