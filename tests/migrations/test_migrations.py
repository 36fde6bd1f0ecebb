"""The schema as migrations: the models and the revisions agree, a database of 0.1.0 (the last
version without migrations) upgrades with every row intact, and replicas started at once on a
new database all come up (one upgrades under the lock, the others wait and find it done)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.operations import Operations
from sqlalchemy import Engine, MetaData, Table, inspect, select, text

from briefing.db import make_engine
from briefing.delivery.ledger import DeliveryStatus, Ledger
from briefing.delivery.planner import Planner
from briefing.delivery.poster import ChannelRef
from briefing.delivery.subscriptions import SubscriptionStore
from briefing.migrations import (
    BASELINE,
    config,
    current,
    head,
    locked,
    pending,
    scripts,
    upgrade,
)
from briefing.migrations.__main__ import differences
from briefing.migrations.__main__ import main as migrations_main
from briefing.platforms.console import CONSOLE_CHANNEL
from briefing.settings import PROJECT_ROOT
from briefing.trade.tables import current_frame
from tests.conftest import FIXTURES, empty_database
from tests.fakes.fake_slack import FakeSlack

SCHEMA_0_1_0 = FIXTURES / "schema"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    with empty_database(tmp_path, "empty") as url:
        yield url


@pytest.fixture
def empty_engine(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def test_the_models_and_the_migrations_agree(empty_engine: Engine) -> None:
    assert upgrade(empty_engine) == [s.revision for s in reversed(list(scripts().walk_revisions()))]
    assert current(empty_engine) == head()
    assert differences(empty_engine) == []  # a model change without its revision fails here


def test_one_line_of_revisions_starting_at_the_baseline() -> None:
    # Two revisions with one parent (two branches that each added one) must be put in a line
    # before they merge: `upgrade head` needs a single head.
    assert len(scripts().get_heads()) == 1
    assert scripts().get_base() == BASELINE
    for script in scripts().walk_revisions():
        assert re.fullmatch(r"\d{4}", script.revision), script.revision
        assert Path(str(script.path)).name.startswith(f"m{script.revision}_")


def test_a_second_upgrade_does_nothing_and_takes_no_lock(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert upgrade(empty_engine) == []
    assert pending(empty_engine) == []


def test_the_schema_tool_checks_and_prints_sql(capsys: pytest.CaptureFixture[str]) -> None:
    assert migrations_main(["check"]) == 0
    assert "agree" in capsys.readouterr().out
    assert migrations_main(["sql", "--dialect", "postgresql", "--from", BASELINE]) == 0
    printed = capsys.readouterr().out
    assert "ALTER TABLE deliveries ADD COLUMN chart_status VARCHAR(10)" in printed
    assert "CREATE TABLE replay_signatures" in printed


# -- a database of 0.1.0 -----------------------------------------------------------------------


def create_0_1_0(engine: Engine, *, oauth: bool) -> None:
    """The tables exactly as 0.1.0's ``metadata.create_all`` made them (no alembic_version)."""
    dialect = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    ddl = (SCHEMA_0_1_0 / f"schema_0_1_0_{dialect}.sql").read_text()
    with engine.begin() as conn:
        for statement in (s.strip() for s in ddl.split(";")):
            if not statement or (not oauth and re.search(r"\bslack_\w+", statement)):
                continue
            conn.execute(text(statement))


def fill_0_1_0(engine: Engine, *, oauth: bool) -> dict[str, list[dict[str, Any]]]:
    """Rows as 0.1.0 wrote them, through its own columns (reflected, not today's models)."""
    due_now = NOW - timedelta(minutes=10)
    # The day before today's run (at 00:05 UTC "today's" run is still yesterday's date).
    yesterday = (due_now - timedelta(days=1)).date()
    rows: dict[str, list[dict[str, Any]]] = {
        "data_generation": [{"id": 1, "generation": 7}],
        "subscriptions": [
            {
                "platform": "slack",
                "workspace_id": "T1",
                "channel_id": "C1",
                "digest_time": due_now.strftime("%H:%M"),
                "tz": "UTC",
                "topics": "digest,sanctions",
                "status": "active",
                "paused_reason": None,
                "created_by": "UADMIN",
                "created_at": NOW - timedelta(days=30),
                "updated_at": NOW - timedelta(days=30),
            },
            {
                "platform": "discord",
                "workspace_id": "G1",
                "channel_id": "901",
                "digest_time": "08:00",
                "tz": "Europe/Berlin",
                "topics": "digest",
                "status": "paused",
                "paused_reason": "http_403_missing_access",
                "created_by": "777",
                "created_at": NOW - timedelta(days=20),
                "updated_at": NOW - timedelta(days=2),
            },
        ],
        "subscription_audit": [
            {
                "id": 1,
                "at": NOW - timedelta(days=30),
                "platform": "slack",
                "workspace_id": "T1",
                "channel_id": "C1",
                "user_id": "UADMIN",
                "action": "subscribe",
                "details": "08:00 UTC; topics digest, sanctions",
            }
        ],
        "delivery_runs": [
            {
                "run_id": f"sub:slack:T1:C1:{yesterday}",
                "kind": "digest",
                "schedule_id": "sub:slack:T1:C1",
                "period": yesterday.isoformat(),
                "due_at": due_now - timedelta(days=1),
                "status": "planned",
                "planned_at": due_now - timedelta(days=1),
                "planned_by": "host:1",
            },
            {  # today's: 0.1.0 died between the run and its delivery
                "run_id": f"sub:slack:T1:C1:{due_now.date()}",
                "kind": "digest",
                "schedule_id": "sub:slack:T1:C1",
                "period": due_now.date().isoformat(),
                "due_at": due_now,
                "status": "planned",
                "planned_at": due_now,
                "planned_by": "host:1",
            },
            {
                "run_id": "alert:ofac:2026-11-20",
                "kind": "alert",
                "schedule_id": "alert",
                "period": "ofac:2026-11-20",
                "due_at": NOW - timedelta(hours=2),
                "status": "planned",
                "planned_at": NOW - timedelta(hours=2),
                "planned_by": "host:1",
            },
        ],
        "deliveries": [
            {
                "delivery_id": f"sub:slack:T1:C1:{yesterday}",
                "run_id": f"sub:slack:T1:C1:{yesterday}",
                "kind": "digest",
                "topic": "digest",
                "platform": "slack",
                "workspace_id": "T1",
                "channel_id": "C1",
                "local_day": yesterday,
                "label": f"{due_now:%H:%M} UTC",
                "update_id": None,
                "status": "sent",
                "due_at": due_now - timedelta(days=1),
                "expires_at": due_now - timedelta(days=1) + timedelta(hours=6),
                "next_attempt_at": due_now - timedelta(days=1),
                "attempts": 1,
                "lease_owner": None,
                "lease_until": None,
                "attempt_started_at": due_now - timedelta(days=1),
                "in_doubt_since": None,
                "message_id": "1795900000.000100",
                "last_error": None,
                "created_at": due_now - timedelta(days=1),
                "finished_at": due_now - timedelta(days=1),
            },
            {
                "delivery_id": "alert:ofac:2026-11-20:slack:T1:C1",
                "run_id": "alert:ofac:2026-11-20",
                "kind": "alert",
                "topic": "sanctions",
                "platform": "slack",
                "workspace_id": "T1",
                "channel_id": "C1",
                "local_day": None,
                "label": None,
                "update_id": "ofac:2026-11-20",
                "status": "pending",
                "due_at": NOW - timedelta(hours=2),
                "expires_at": NOW + timedelta(hours=22),
                "next_attempt_at": NOW + timedelta(hours=1),
                "attempts": 2,
                "lease_owner": None,
                "lease_until": None,
                "attempt_started_at": NOW - timedelta(minutes=30),
                "in_doubt_since": NOW - timedelta(minutes=30),
                "message_id": None,
                "last_error": "internal_error",
                "created_at": NOW - timedelta(hours=2),
                "finished_at": None,
            },
        ],
        "delivery_state": [
            {"name": "planner_watermark", "at": NOW - timedelta(minutes=20)},
            {"name": "legacy_imported", "at": NOW - timedelta(days=30)},
        ],
        "digest_days": [
            {"schedule_id": "console", "local_day": yesterday, "fired_at": NOW - timedelta(days=1)}
        ],
        "updates": [
            {
                "update_id": "ofac:2026-11-20",
                "topic": "sanctions",
                "title": "New sanctions designations — OFAC",
                "lines_json": '[{"text": "2 added.", "source": null}]',
                "data_date": date(2026, 11, 20),
                "detected_at": NOW - timedelta(hours=2),
            }
        ],
        "sanctions_snapshots": [
            {
                "id": 1,
                "source_key": "ofac_sdn",
                "source_title": "U.S. Treasury OFAC SDN list",
                "source_short": "OFAC SDN",
                "source_url": "https://sanctionslist.ofac.treas.gov/",
                "list_date": date(2024, 2, 23),
                "date_basis": "publication",
                "ingested_at": NOW - timedelta(days=3),
                "entry_count": 1,
                "content_hash": "ab" * 32,
                "files": "sdn.csv",
                "entries_kept": True,
            }
        ],
        "sanctions_entries": [
            {
                "snapshot_id": 1,
                "entity_key": "ofac:47995",
                "name": "WUHAN MAIWE COMMUNICATION CO LTD",
                "entity_type": "entity",
                "programmes": "RUSSIA-EO14024",
                "russia_programmes": "RUSSIA-EO14024",
                "countries": "China",
                "china_link": True,
                "link_place": "China",
                "link_reason": "USCC in remarks",
                "aliases": "",
                "addresses": "Wuhan",
                "remarks": "",
                "details": "{}",
                "listed_on": date(2024, 2, 23),
                "first_seen": date(2024, 2, 23),
            }
        ],
        "trade_figures": [
            {
                "dataset": "customs",
                "period": "2024",
                "flow": "total",
                "hs_chapter": "",
                "revision": 1,
                "value_usd_bn": 244.81,
                "published_on": date(2025, 1, 13),
                "source_title": "China customs (GACC)",
                "source_url": None,
                "origin": "customs_releases.csv:2",
                "ingested_at": NOW - timedelta(days=3),
            }
        ],
    }
    if oauth:
        rows["slack_installations"] = [
            {
                "id": 1,
                "client_id": "111.222",
                "app_id": "AFAKE",
                "team_id": "T1",
                "bot_token": "gAAAAAB-ciphertext-of-the-bot-token",
                "bot_id": "BFAKE",
                "bot_user_id": "UBOT",
                "user_id": "UINSTALLER",
                "is_enterprise_install": False,
                "installed_at": (NOW - timedelta(days=30)).replace(tzinfo=None),
            }
        ]
        rows["slack_bots"] = [
            {
                "id": 1,
                "client_id": "111.222",
                "app_id": "AFAKE",
                "team_id": "T1",
                "bot_token": "gAAAAAB-ciphertext-of-the-bot-token",
                "bot_id": "BFAKE",
                "bot_user_id": "UBOT",
                "is_enterprise_install": False,
                "installed_at": (NOW - timedelta(days=30)).replace(tzinfo=None),
            }
        ]
    old = MetaData()
    with engine.begin() as conn:
        for name, table_rows in rows.items():
            conn.execute(Table(name, old, autoload_with=conn).insert(), table_rows)
    return rows


def snapshot(engine: Engine, names: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of each table, in key order, through the columns 0.1.0 had."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in names:
            table = Table(name, MetaData(), autoload_with=conn)
            found[name] = [
                tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
    return found


@pytest.mark.parametrize("oauth", [True, False], ids=["oauth-mode", "token-mode"])
def test_a_database_of_0_1_0_upgrades_with_every_row_intact(
    empty_engine: Engine, oauth: bool
) -> None:
    create_0_1_0(empty_engine, oauth=oauth)
    rows = fill_0_1_0(empty_engine, oauth=oauth)
    before = snapshot(empty_engine, sorted(rows))
    assert current(empty_engine) is None  # 0.1.0 had no alembic_version

    applied = upgrade(empty_engine)

    assert applied == [s.revision for s in pending_from_base()]
    assert current(empty_engine) == head()
    # Every row is still there, column for column (the columns 0.1.0 had); the console's
    # digest days are in the ledger now (0007), the current trade figures in their history
    # (0010).
    kept = sorted(set(rows) - {"digest_days", "trade_figures"})
    after = {name: [row[: len(before[name][0])] for row in rs
                    if not str(row[0]).startswith("sub:console:")] for name, rs in
             snapshot(empty_engine, kept).items()}  # fmt: skip
    assert after == {name: before[name] for name in kept}
    (console_day,) = rows["digest_days"]
    imported = Ledger(empty_engine).row(
        f"sub:console:console:console:{console_day['local_day'].isoformat()}"
    )
    assert imported is not None
    assert imported["status"] == DeliveryStatus.SENT.value
    assert snapshot(empty_engine, ["trade_figure_history"]) == {
        "trade_figure_history": before["trade_figures"]
    }
    with empty_engine.connect() as conn:
        assert [tuple(row) for row in current_frame(conn, ["customs"]).itertuples(index=False)] == [
            row[:-1] for row in before["trade_figures"]
        ]
    assert {len(v) for v in before.values()} != {0}
    # The new columns and tables are there, with what an old row means.
    ledger = Ledger(empty_engine)
    sent = ledger.row(rows["deliveries"][0]["delivery_id"])
    assert sent is not None
    assert (sent["chart_status"], sent["chart_attempts"], sent["message_id"]) == (
        None,
        0,
        "1795900000.000100",
    )
    tables = set(inspect(empty_engine).get_table_names())
    assert {"replay_signatures", "rate_limits", "slack_bots", "slack_oauth_states"} <= tables
    assert differences(empty_engine) == []  # now exactly what the models say

    # And the bot picks up where 0.1.0 stopped: today's run that lost its delivery gets it.
    report = Planner(empty_engine).plan(NOW)
    orphan = rows["delivery_runs"][1]["run_id"]
    assert orphan in report.planned
    assert ledger.status_of(orphan) == DeliveryStatus.PENDING.value
    assert ledger.orphan_digest_runs(NOW - timedelta(days=7)) == []


def pending_from_base() -> list[Any]:
    return list(reversed(list(scripts().walk_revisions())))


def test_an_upgrade_that_fails_leaves_the_previous_schema_whole(
    empty_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(empty_engine, BASELINE)

    original = Operations.create_table

    def create_then_fail(self: Operations, name: str, *args: Any, **kwargs: Any) -> Any:
        result = original(self, name, *args, **kwargs)
        if name == "replay_signatures":
            raise RuntimeError("the disk filled up")
        return result

    monkeypatch.setattr(Operations, "create_table", create_then_fail)
    with pytest.raises(RuntimeError, match="disk"):
        upgrade(empty_engine)
    # One transaction: nothing of revision 0002 is left half done.
    assert current(empty_engine) == BASELINE
    tables = set(inspect(empty_engine).get_table_names())
    assert "rate_limits" not in tables
    assert "replay_signatures" not in tables
    columns = {c["name"] for c in inspect(empty_engine).get_columns("deliveries")}
    assert "chart_status" not in columns
    monkeypatch.undo()
    assert upgrade(empty_engine) == [r.revision for r in pending_from_base()[1:]]
    assert current(empty_engine) == head()


def test_a_database_newer_than_this_version_is_left_alone(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(Exception, match="9999"):
        upgrade(empty_engine)


# -- replicas started at once ------------------------------------------------------------------

REPLICAS = 4
ANNOUNCED = re.compile(r"Slack events at (http://127\.0\.0\.1:\d+)/slack/events")


@pytest.mark.slow
def test_replicas_started_at_once_on_a_new_database_all_come_up(
    empty_url: str, empty_engine: Engine, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DELIVERY_"))}
    procs: list[subprocess.Popen[str]] = []
    with FakeSlack() as fake:
        env.update(
            DATABASE_URL=empty_url,
            CHART_DIR=str(tmp_path / "charts"),
            SLACK_BOT_TOKEN="xoxb-replicas",
            SLACK_SIGNING_SECRET="replicas-signing-secret",
            SLACK_API_URL=fake.api_url,
            PLATFORM="console",
            LOG_LEVEL="INFO",
        )
        try:
            # The test holds the schema lock while they start: every one of them must wait.
            with locked(empty_engine):
                for i in range(REPLICAS):
                    log = (tmp_path / f"r{i}.log").open("w")
                    procs.append(
                        subprocess.Popen(
                            [sys.executable, str(PROJECT_ROOT / "bot.py"), "run",
                             "--platform", "slack", "--http", "--port", "0",
                             "--host", "127.0.0.1"],
                            stdout=log, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
                        )
                    )  # fmt: skip
                time.sleep(3)
                early = [p for p in range(REPLICAS) if ANNOUNCED.search(read(tmp_path, p))]
                assert early == [], "a replica came up while the schema lock was held"
                assert all(p.poll() is None for p in procs), logs(tmp_path)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                up = [p for p in range(REPLICAS) if ANNOUNCED.search(read(tmp_path, p))]
                if len(up) == REPLICAS or any(p.poll() is not None for p in procs):
                    break
                time.sleep(0.2)
            assert all(p.poll() is None for p in procs), logs(tmp_path)  # none exited
            assert len(up) == REPLICAS, logs(tmp_path)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
    assert current(empty_engine) == head()
    upgraded = sum("upgrading the database from" in read(tmp_path, p) for p in range(REPLICAS))
    assert upgraded == 1, logs(tmp_path)  # one did it; the others found it done


def read(folder: Path, replica: int) -> str:
    path = folder / f"r{replica}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def logs(folder: Path) -> str:
    return "\n".join(f"--- r{i}\n{read(folder, i)[-3000:]}" for i in range(REPLICAS))


def test_the_console_digest_days_move_into_the_ledger_once(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0006")
    today = NOW.date()
    yesterday = today - timedelta(days=1)
    fired = NOW - timedelta(hours=3)
    with empty_engine.begin() as conn:
        conn.execute(
            text("INSERT INTO digest_days VALUES (:s, :d, :at)"),
            [
                {"s": "console", "d": yesterday, "at": fired - timedelta(days=1)},
                {"s": "console", "d": today, "at": fired},
                {"s": "sub:slack:T1:C1", "d": today, "at": fired},
                {"s": "sub:slack:T1:C2", "d": today, "at": fired},
                {"s": "sub:slack:T1:C9", "d": today, "at": fired},  # no subscription (any more)
                {"s": "test:Europe/Berlin:08:00", "d": today, "at": fired},  # not a channel's
            ],
        )
    for channel_id in ("C1", "C2"):
        SubscriptionStore(empty_engine).subscribe(
            ChannelRef("slack", "T1", channel_id),
            at=fired.time().replace(second=0, microsecond=0),
            tz="UTC",
            topics=frozenset({"digest"}),
            by_user="U1",
            now=NOW - timedelta(days=5),
        )
    # C2's digest of today is in the ledger already (planned, not yet posted): it stays so.
    ledger = Ledger(empty_engine)
    ledger.insert_planned(
        [
            {
                "run_id": f"sub:slack:T1:C2:{today}",
                "kind": "digest",
                "schedule_id": "sub:slack:T1:C2",
                "period": today.isoformat(),
                "due_at": fired,
                "status": "planned",
                "planned_at": fired,
                "planned_by": "planner",
            }
        ],
        [
            {
                "delivery_id": f"sub:slack:T1:C2:{today}",
                "run_id": f"sub:slack:T1:C2:{today}",
                "kind": "digest",
                "topic": "digest",
                "platform": "slack",
                "workspace_id": "T1",
                "channel_id": "C2",
                "local_day": today,
                "label": "08:00 UTC",
                "update_id": None,
                "status": "pending",
                "due_at": fired,
                "expires_at": fired + timedelta(hours=6),
                "next_attempt_at": fired,
                "created_at": fired,
                "finished_at": None,
                "last_error": None,
            }
        ],
        name="test",
    )

    assert upgrade(empty_engine)[0] == "0007"  # and every later revision

    assert "digest_days" not in inspect(empty_engine).get_table_names()
    assert differences(empty_engine) == []
    statuses = {
        delivery_id: ledger.status_of(delivery_id)
        for delivery_id in (
            f"sub:console:console:console:{yesterday}",
            f"sub:console:console:console:{today}",
            f"sub:slack:T1:C1:{today}",
            f"sub:slack:T1:C2:{today}",
        )
    }
    assert statuses == {
        f"sub:console:console:console:{yesterday}": DeliveryStatus.SENT.value,
        f"sub:console:console:console:{today}": DeliveryStatus.SENT.value,
        f"sub:slack:T1:C1:{today}": DeliveryStatus.SENT.value,
        f"sub:slack:T1:C2:{today}": DeliveryStatus.PENDING.value,
    }
    console = ledger.row(f"sub:console:console:console:{today}")
    assert console is not None
    assert (console["platform"], console["workspace_id"], console["channel_id"]) == (
        "console",
        "console",
        "console",
    )
    assert ledger.status_of(f"sub:slack:T1:C9:{today}") is None
    assert ledger.counts() == {DeliveryStatus.SENT.value: 3, DeliveryStatus.PENDING.value: 1}

    # The console, subscribed for today's digest time, does not print today's digest again.
    SubscriptionStore(empty_engine).subscribe(
        CONSOLE_CHANNEL,
        at=fired.time().replace(second=0),
        tz="UTC",
        topics=frozenset({"digest"}),
        by_user="settings",
        now=NOW - timedelta(days=2),
    )
    report = Planner(empty_engine).plan(NOW)
    assert not [p for p in report.planned if p.startswith("sub:console")]

    # Down again: the console's days are back in digest_days.
    with locked(empty_engine) as conn:
        command.downgrade(config(conn), "0006")
    with empty_engine.connect() as conn:
        back = conn.execute(text("SELECT schedule_id, local_day FROM digest_days")).all()
    assert sorted((s, str(d)[:10]) for s, d in back) == [
        ("console", str(yesterday)),
        ("console", str(today)),
    ]


def test_the_current_trade_figures_are_read_from_their_history(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0009")
    at = NOW - timedelta(days=2)

    def figure(period: str, revision: int, value: float) -> dict[str, Any]:
        return {
            "dataset": "comtrade",
            "period": period,
            "flow": "exports",
            "hs_chapter": "TOTAL",
            "revision": revision,
            "value_usd_bn": value,
            "published_on": date(2025, 1, revision),
            "source_title": "UN Comtrade",
            "source_url": None,
            "origin": f"comtrade.csv, row {revision}",
            "ingested_at": at,
        }

    columns = ", ".join(figure("2024", 1, 0.0))
    values = ", ".join(f":{name}" for name in figure("2024", 1, 0.0))
    history = [figure("2024", 1, 115.49), figure("2024", 2, 115.62), figure("2023", 1, 110.9)]
    # 2023 was revised in trade_figures without its history row (as a database of 0.1.0 could
    # hold); 2022 is in trade_figures only.
    current = [history[1], figure("2023", 2, 111.0), figure("2022", 1, 105.0)]
    with empty_engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO trade_figure_history ({columns}) VALUES ({values})"), history
        )
        conn.execute(text(f"INSERT INTO trade_figures ({columns}) VALUES ({values})"), current)

    assert upgrade(empty_engine) == ["0010"]

    assert "trade_figures" not in inspect(empty_engine).get_table_names()
    assert differences(empty_engine) == []
    with empty_engine.connect() as conn:
        found = current_frame(conn, ["comtrade"])
        rows = conn.execute(text("SELECT period, revision FROM trade_figure_history")).all()
    assert sorted(zip(found["period"], found["revision"], found["value_usd_bn"], strict=True)) == [
        ("2022", 1, 105.0),
        ("2023", 2, 111.0),
        ("2024", 2, 115.62),
    ]
    assert sorted(tuple(row) for row in rows) == [
        ("2022", 1),
        ("2023", 1),
        ("2023", 2),
        ("2024", 1),
        ("2024", 2),
    ]

    # Down again: trade_figures holds each key's latest row.
    with locked(empty_engine) as conn:
        command.downgrade(config(conn), "0009")
    with empty_engine.connect() as conn:
        back = conn.execute(
            text("SELECT period, revision, value_usd_bn FROM trade_figures ORDER BY period")
        ).all()
    assert [tuple(row) for row in back] == [
        ("2022", 1, 105.0),
        ("2023", 2, 111.0),
        ("2024", 2, 115.62),
    ]
