"""Shared fixtures: a database per test (SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.db import make_engine
from briefing.migrations import upgrade as upgrade_schema
from briefing.settings import PROJECT_ROOT, Settings, load_settings

# No test fetches a real feed: the bots the tests start (in this process or as subprocesses,
# which inherit the environment) schedule none unless a test names its own, on 127.0.0.1.
os.environ["FEEDS"] = "none"

# Every real file a test reads lives inside the repository, each folder with its provenance.
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
OFAC_SNAPSHOTS = PROJECT_ROOT / "data" / "sanctions" / "ofac"
OFAC_WATCHMAN = FIXTURES / "sanctions" / "ofac_watchman"
OPENSANCTIONS_FTM = FIXTURES / "sanctions" / "opensanctions"
EU_FSD_CODES = FIXTURES / "sanctions" / "eu_fsd" / "fsd_programme_codes.csv"
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the current schema revision, made once and copied for each test
    (the app then finds it at the head and migrates nothing)."""
    path = tmp_path_factory.mktemp("template") / "brief.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    return path


@contextmanager
def empty_database(tmp_path: Path, name: str = "brief") -> Iterator[str]:
    """A database with no tables: a new PostgreSQL schema (TEST_DATABASE_URL), dropped at the
    end, or a new SQLite file under ``tmp_path``."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A fresh database with no rows: a PostgreSQL schema of its own, or a SQLite file (a copy
    of a database at the current schema revision)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        path = tmp_path / "brief.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(database_url=database_url, chart_dir=tmp_path / "charts", _env_file=None)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def brief(settings: Settings, engine: Engine) -> Briefing:
    return Briefing.load(settings, engine)


@pytest.fixture
def ctx(brief: Briefing) -> Context:
    return Context(
        brief=brief, today=TODAY, caller=Caller(platform="console", user_id="U1", is_admin=True)
    )
