"""The package boundaries of docs/architecture.md, checked on the source's imports (AST), the
same way ruff's banned-api rule keeps Rasa out of clinic/.

* The domain never imports a channel: it reaches patients through `clinic.notify`.
* The WhatsApp channel never imports the composition root or the processes built on it.
* Only the composition root and the process entry points wire channels to the domain.
* clinic/ never imports the Rasa-facing layers (actions/, connectors/).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLINIC = ROOT / "clinic"

#: Where channels and the domain meet: the composition root and the processes it serves.
WIRING = {"clinic.services", "clinic.worker", "clinic.cli"}
#: Development tools that speak WhatsApp's wire format on purpose.
TOOLS = ("clinic.simulator", "clinic.ops", "clinic.emulators")
CHANNELS = ("clinic.whatsapp",)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


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


def within(name: str, packages: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in packages)


MODULES = {module_name(path): path for path in sorted(CLINIC.rglob("*.py"))}
DOMAIN = sorted(
    name
    for name in MODULES
    if not within(name, CHANNELS) and not within(name, TOOLS) and name not in WIRING
)


def test_the_domain_list_covers_the_core() -> None:
    """The rule below must not pass by checking nothing."""
    for core in (
        "clinic.booking",
        "clinic.appointments",
        "clinic.reminders",
        "clinic.scheduling.availability",
        "clinic.patients",
        "clinic.audit",
        "clinic.notify",
        "clinic.practice.model",
    ):
        assert core in DOMAIN


@pytest.mark.parametrize("name", DOMAIN)
def test_the_domain_imports_no_channel(name: str) -> None:
    bad = {m for m in imports(MODULES[name]) if within(m, CHANNELS)}
    assert not bad, f"{name} imports {sorted(bad)}: go through clinic.notify instead"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if within(n, CHANNELS)))
def test_the_channel_does_not_import_the_composition_root(name: str) -> None:
    bad = {m for m in imports(MODULES[name]) if within(m, WIRING)}
    assert not bad, f"{name} imports {sorted(bad)}: the root builds the channel, not the reverse"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_core_does_not_import_the_rasa_layers(name: str) -> None:
    bad = {m for m in imports(MODULES[name]) if within(m, ("actions", "connectors"))}
    assert not bad, f"{name} imports {sorted(bad)}"


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    """The AST reading itself: a domain module importing the channel is caught."""
    module = tmp_path / "bad.py"
    module.write_text("from clinic.whatsapp import messages\nimport clinic.whatsapp.graph\n")
    assert {m for m in imports(module) if within(m, CHANNELS)} == {
        "clinic.whatsapp",
        "clinic.whatsapp.messages",
        "clinic.whatsapp.graph",
    }


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
