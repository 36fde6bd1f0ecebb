"""The layers hold: the platform adapters are handed the command table by the entry point
(``bot.py``) and never import the handlers themselves, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

from briefing.settings import PROJECT_ROOT

PLATFORMS = PROJECT_ROOT / "briefing" / "platforms"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_no_platform_module_imports_the_handlers() -> None:
    modules = sorted(PLATFORMS.rglob("*.py"))
    assert len(modules) >= 10  # the scan sees the adapters
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "handlers"
        )
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_scan_finds_an_import_inside_a_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from handlers import dispatch\n    import handlers.help\n")
    assert imported_modules(sample) == {"handlers", "handlers.help"}
