"""The acceptance scripts cannot rot: each scenario of docs/recette/ has an automated twin
(`@pytest.mark.recette(N)`), and each twin names a scenario that exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def scenarios() -> set[int]:
    text = (ROOT / "docs" / "recette" / "README.md").read_text(encoding="utf-8")
    headings = {int(n) for n in re.findall(r"^## R(\d{2}) — ", text, re.M)}
    listed = {int(n) for n in re.findall(r"^\| R(\d{2}) \|", text, re.M)}
    assert headings == listed, "the table and the sections disagree"
    return headings


def twins() -> dict[int, list[str]]:
    """Scenario number -> the tests marked with it, read from the sources (no import)."""
    found: dict[int, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func) == "pytest.mark.recette"
                ):
                    for arg in decorator.args:
                        assert isinstance(arg, ast.Constant) and isinstance(arg.value, int)
                        found.setdefault(arg.value, []).append(f"{path.name}::{node.name}")
    return found


def test_every_scenario_has_an_automated_twin_and_every_twin_a_scenario() -> None:
    numbers = scenarios()
    assert 20 <= len(numbers) <= 40  # a script a practice can run in an afternoon
    assert numbers == set(range(1, len(numbers) + 1))  # numbered without gaps
    marked = twins()
    assert numbers - set(marked) == set(), "scenarios without a twin"
    assert set(marked) - numbers == set(), "twins of scenarios that do not exist"
