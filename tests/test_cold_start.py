"""A command's cold start loads what the command needs: on a database already at the schema's
head, neither Alembic (the migration machinery) nor the feeds' HTTP client is imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from briefing.db import make_engine
from briefing.migrations import head, newest_file_revision, stored_revision, upgrade
from briefing.settings import PROJECT_ROOT

SCRIPT = (
    "import sys, runpy\n"
    "sys.argv = ['bot.py', 'say', '/brief trade 2024']\n"
    "try:\n"
    "    runpy.run_path('bot.py', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('LOADED', sorted(m.split('.')[0] for m in sys.modules))\n"
)


def _loaded(database_url: str) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answer, _, loaded = done.stdout.rpartition("LOADED")
    return answer, loaded


def test_the_newest_revision_file_is_alembics_head() -> None:
    assert newest_file_revision() == head()


def test_a_command_on_a_database_at_the_head_loads_no_migration_or_http_library(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # as a bot's earlier start left it
        assert stored_revision(engine) == head()
    finally:
        engine.dispose()
    answer, loaded = _loaded(database_url)
    assert "$244.8 bn" in answer
    for library in ("alembic", "mako", "httpx", "tenacity"):
        assert f"'{library}'" not in loaded, library


def test_a_new_database_is_still_brought_to_the_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new.db"
    answer, loaded = _loaded(url)
    assert "$244.8 bn" in answer
    assert "'alembic'" in loaded  # the schema was made by the migrations
    engine = make_engine(url)
    try:
        assert stored_revision(engine) == head()
    finally:
        engine.dispose()
