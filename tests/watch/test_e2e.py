"""Watchlists end to end over real HTTP: admins import CSV files shared in Slack (the bot reads
them with files.info and the private URL, all against the fake Slack on 127.0.0.1); the newer
real OFAC list is loaded through the ingest path; the delivery ledger posts exactly one alert
per channel and list version — the expected one — and nothing when nothing changed, including
for a delisting in a list derived from the real one."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

import handlers
from briefing.appstate import Briefing
from briefing.delivery.ledger import DeliveryStatus, Ledger
from briefing.delivery.service import deliver_alerts
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.platforms.slack.app import SlackCommands, build_app
from briefing.platforms.slack.client import make_client
from briefing.platforms.slack.poster import SlackPoster, delivery_client
from briefing.platforms.slack.server import HttpServer, make_wsgi_app
from tests.conftest import OFAC_SNAPSHOTS, TODAY
from tests.fakes.commands import table_of
from tests.fakes.fake_slack import TEAM_ID, FakeSlack, iter_texts, signed_post, slash_body

pytestmark = pytest.mark.slow

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
MORNING = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=UTC)
EARLIER = OFAC_SNAPSHOTS / "sdn_2024-02-20.csv"
NEWER = OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"
ADMIN = "UADMIN"

# Counterparties on the 20 Feb 2024 list (the Ministry and Instar: their programmes change on
# 23 Feb), on neither (Jiangxi Liansheng, and VAZ Impuls — an alias only — added on 23 Feb),
# and clean names.
DESK_CSV = """name,type,country,dob,ref
Jiangxi Liansheng Technology Co Ltd,entity,CN,,C-104
Instar Logistics,entity,RU,,C-106
Ministry of Defense and Armed Forces Logistics,entity,,,C-110
Sunrise Textile Trading GmbH,entity,DE,,C-107
Maria Schmidt,person,AT,1981-04-02,C-109
"""
OTHER_CSV = """name;ref
VAZ Impuls;V-1
Siemens Healthineers AG;V-2
"""


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        server.admins.add(ADMIN)
        yield server


@pytest.fixture
def slack_brief(brief: Briefing, fake: FakeSlack) -> Briefing:
    settings = brief.settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_api_url": fake.api_url,
        }
    )
    return dataclasses.replace(brief, settings=settings)


@pytest.fixture
def bot_url(slack_brief: Briefing) -> Iterator[str]:
    commands = SlackCommands(
        slack_brief, make_client(slack_brief.settings), table_of(), clock=lambda: MORNING
    )
    server = HttpServer(make_wsgi_app(build_app(commands, signing_secret=SECRET)), "127.0.0.1", 0)
    server.start_in_thread()
    yield server.url
    server.close()
    commands.close()


def load(brief: Briefing, path: Path, now: datetime) -> None:
    day = date.fromisoformat(path.stem.removeprefix("sdn_"))
    ingest(brief, [path], IngestOptions(as_of=day, today=day), now)


def derived(tmp_path: Path, day: str, *, without: tuple[str, ...]) -> Path:
    lines = NEWER.read_bytes().split(b"\r\n")
    kept = [ln for ln in lines if not any(ln.startswith(f"{k},".encode()) for k in without)]
    path = tmp_path / day / f"sdn_{day}.csv"
    path.parent.mkdir()
    path.write_bytes(b"\r\n".join(kept))
    return path


def slash(url: str, fake: FakeSlack, text: str, *, user: str, channel: str) -> str:
    """A signed slash command; the text of the answer posted to its response_url."""
    before = len(fake.calls_to("response"))
    body = slash_body(text, response_url=fake.response_url(), user_id=user, channel_id=channel)
    assert signed_post(url, body, SECRET).status == 200
    calls = fake.wait_for("response", before + 1, timeout_s=60)
    params = calls[before].params
    blocks = params.get("blocks")
    return " ".join(iter_texts(blocks)) if blocks else str(params.get("text"))


def posted(fake: FakeSlack, channel: str) -> list[str]:
    """The text of every message the delivery posted in ``channel``."""
    out = []
    for call in fake.calls_to("chat.postMessage"):
        if call.params.get("channel") != channel:
            continue
        blocks = call.params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        out.append(" ".join(iter_texts(blocks)) if blocks else str(call.params.get("text")))
    return out


def deliver(brief: Briefing, now: datetime) -> Any:
    poster = SlackPoster(delivery_client(brief.settings, timeout_s=5))
    return deliver_alerts(brief, poster, now)


def test_watchlists_from_slack_files_alert_once_per_channel_and_list_version(
    slack_brief: Briefing, fake: FakeSlack, bot_url: str, tmp_path: Path
) -> None:
    brief = slack_brief
    load(brief, EARLIER, MORNING - timedelta(hours=1))

    # The desk's admin uploads a CSV to C1 and gives its link with the command.
    desk = fake.share_file("desk.csv", DESK_CSV.encode(), channel="C1", user=ADMIN)
    text = slash(bot_url, fake, f"watch import <{fake.file_link(desk)}>", user=ADMIN, channel="C1")
    assert "Imported 5 names from desk.csv (all 5 rows good): 1 with a match" in text
    (info,) = fake.calls_to("files.info")
    assert info.params["file"] == desk.file_id
    (download,) = fake.calls_to("files-pri")
    assert download.headers["authorization"] == "Bearer xoxb-test-token"

    # Another channel's admin uploads one and runs the command with no link: the newest file
    # they shared there is taken.
    fake.share_file(
        "other.csv",
        OTHER_CSV.encode(),
        channel="C2",
        user=ADMIN,
        created=int(MORNING.timestamp()) - 60,
    )
    text = slash(bot_url, fake, "watch import", user=ADMIN, channel="C2")
    assert "Imported 2 names from other.csv (all 2 rows good): 0 with a match" in text

    # A member cannot change a watchlist; anyone may read it.
    text = slash(bot_url, fake, f"watch import {desk.file_id}", user="UMEMBER", channel="C1")
    assert "Only workspace admins or the bot's configured admins can change" in text
    text = slash(bot_url, fake, "watch list", user="UMEMBER", channel="C2")
    assert "This channel watches 2 names: 0 with a match, 0 with a possible match" in text
    assert "VAZ Impuls (ref V-1): clear on the U.S. Treasury OFAC SDN list" in text

    # Nothing to tell yet.
    assert deliver(brief, MORNING).posted == []

    # The newer real list arrives through the ingest path.
    load(brief, NEWER, MORNING + timedelta(minutes=1))
    report = deliver(brief, MORNING + timedelta(minutes=2))
    version = sorted(report.posted)
    assert len(version) == 2
    assert all(d.startswith("watch:ofac-sdn|2024-02-23:") for d in version)

    (c1,) = posted(fake, "C1")
    assert "Watchlist: 3 changes for this channel's names on the U.S. Treasury OFAC SDN list" in c1
    assert "Newly matched (1)" in c1
    assert "Jiangxi Liansheng Technology Co Ltd (ref C-104) → JIANGXI LIANSHENG TECHNOLOGY" in c1
    assert "Match details changed (2)" in c1
    assert "Instar Logistics (ref C-106) → INSTAR LODZHISTIKS, OOO" in c1
    assert "now also under RUSSIA-EO14024" in c1
    assert "Sunrise" not in c1
    assert "Maria Schmidt" not in c1
    assert "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=46650" in c1

    (c2,) = posted(fake, "C2")
    assert "Watchlist: 1 change for this channel's names" in c2
    assert "VAZ Impuls (ref V-1) → LIMITED LIABILITY COMPANY VELIKOLUKSKY BATTERY PLANT" in c2
    assert "the alias “VAZ IMPULS”" in c2
    assert "Siemens" not in c2

    # Once: planning and delivering again posts nothing more.
    assert deliver(brief, MORNING + timedelta(minutes=3)).posted == []
    ledger = Ledger(brief.engine)
    assert {ledger.status_of(d) for d in version} == {DeliveryStatus.SENT.value}

    # A delisting (Instar taken off a list derived from 23 Feb): C1 is told, C2 is not.
    load(brief, derived(tmp_path, "2024-02-24", without=("23543",)), MORNING + timedelta(hours=1))
    report = deliver(brief, MORNING + timedelta(hours=1, minutes=1))
    assert len(report.posted) == 1
    c1_first, c1_second = posted(fake, "C1")
    assert c1_first == c1
    assert "Delisted (1)" in c1_second
    assert "Instar Logistics (ref C-106) → INSTAR LODZHISTIKS, OOO" in c1_second
    assert "no longer on the list" in c1_second
    assert len(posted(fake, "C2")) == 1

    # A version that changes nothing any watched name hits: no post anywhere.
    load(
        brief,
        derived(tmp_path, "2024-02-26", without=("23543", "36")),
        MORNING + timedelta(hours=2),
    )
    assert deliver(brief, MORNING + timedelta(hours=2, minutes=1)).posted == []
    assert len(posted(fake, "C1")) == 2
    assert len(posted(fake, "C2")) == 1
    assert TEAM_ID  # every channel above is in the fake's one workspace


def test_batch_screening_of_a_slack_file_sends_results_privately_with_progress(
    slack_brief: Briefing,
    fake: FakeSlack,
    bot_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handlers.screen, "PROGRESS_EVERY_S", 0.0)
    load(slack_brief, NEWER, MORNING - timedelta(hours=1))
    rows = "\n".join(
        [
            "name,country,notes",
            "Jiangxi Liansheng Technology Co Ltd,CN,supplier",
            "VAZ Impuls,RU,buyer",
            "Sunrise Textile Trading GmbH,DE,",
            "Bad Country Ltd,QQ,",
        ]
    )
    shared = fake.share_file("batch.csv", rows.encode(), channel="C1", user="UMEMBER")
    slash(bot_url, fake, f"screen {fake.file_link(shared)}", user="UMEMBER", channel="C1")
    calls = fake.wait_for("response", 3, timeout_s=60)  # two progress notes, then the answer
    text = " ".join(iter_texts(calls[2].params["blocks"]))
    assert (
        "Screened 3 rows of batch.csv: 2 matches, 0 possible matches, 1 clear; 1 bad row "
        "skipped. Results batch-screened.csv sent to you in a direct message."
    ) in text
    assert "row 5: country 'QQ' is not a two-letter ISO country code" in text
    notes = [c for c in fake.calls_to("response") if "rows done" in str(c.params.get("text"))]
    assert [n.params["text"] for n in notes] == [
        "Screening batch.csv: 1 of 3 rows done…",
        "Screening batch.csv: 2 of 3 rows done…",
    ]
    (upload,) = fake.calls_to("files.getUploadURLExternal")
    assert upload.params["filename"] == "batch-screened.csv"
    (complete,) = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == "DUMEMBER"  # the caller's direct message
    (sent,) = fake.calls_to("upload")
    assert int(sent.params["bytes"]) > 300
