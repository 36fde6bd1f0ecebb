"""One party across lists: the OFAC SDN list and OpenSanctions data name the same companies;
a party is one result in search, one line in a watchlist's status and alert, one row (with
every list that names it) in batch screening — and two parties with similar names stay two."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from briefing.appstate import Briefing, Context
from briefing.delivery.poster import ChannelRef
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.platforms.console import ConsoleFiles
from briefing.render.text import render_text
from briefing.sanctions.parties import PartyMap, own_id
from briefing.settings import PROJECT_ROOT
from briefing.watch.alerts import watch_reply
from briefing.watch.entries import WatchEntry, WatchSpec
from briefing.watch.screening import Item, WatchHit, by_party
from handlers import dispatch
from tests.conftest import OFAC_SNAPSHOTS, OPENSANCTIONS_FTM

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SDN_0220 = OFAC_SNAPSHOTS / "sdn_2024-02-20.csv"
SDN_0223 = OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"
ZALA = OPENSANCTIONS_FTM / "zala_entities.ftm.json"
EU_T1 = OPENSANCTIONS_FTM / "eu_fsf_t1_entities.ftm.json"
SIMPLE_0223 = (
    PROJECT_ROOT / "tests" / "fixtures" / "sanctions" / "default_2024-02-23.targets.simple.csv"
)
CONSOLE = ChannelRef("console", "console", "console")


def load(brief: Briefing, path: Path, day: date, now: datetime = NOW) -> None:
    ingest(brief, [path], IngestOptions(as_of=day, today=day), now)


def say(ctx: Context, text: str) -> str:
    return render_text(dispatch(text, ctx))


@pytest.fixture
def console(ctx: Context, tmp_path: Path) -> Context:
    return dataclasses.replace(ctx, now=NOW, files=ConsoleFiles(tmp_path / "results"))


def test_referents_join_entries_into_parties_and_nothing_else_does() -> None:
    parties = PartyMap(
        [
            ("NK-cst", ["ofac-45928", "ofac-45934", "gb-hmt-15734"]),
            ("NK-other", ["ofac-1"]),
            ("NK-cst-2", ["gb-hmt-15734"]),  # a second entity sharing a referent: same party
        ]
    )
    assert parties.key("ofac-sdn", "45928") == parties.key("ofac-sdn", "45934") == "NK-cst"
    assert parties.key("opensanctions:zala", "NK-cst-2") == "NK-cst"
    assert parties.key("ofac-cons", "1") == "NK-other"  # one numbering for both OFAC lists
    assert parties.key("ofac-sdn", "777") == "ofac-777"  # nothing links it: its own party
    assert parties.members("NK-cst") >= {"NK-cst", "NK-cst-2", "ofac-45928", "ofac-45934"}
    assert own_id("opensanctions:us_ofac_sdn", "ofac-45934") == "ofac-45934"


def test_a_party_on_two_lists_is_one_result_with_both_lists_and_their_dates(
    brief: Briefing, console: Context
) -> None:
    load(brief, SDN_0223, date(2024, 2, 23))
    load(brief, EU_T1, date(2024, 2, 23))
    text = say(console, "sanctions inter tobacco")
    # Two entries (OFAC's 32733 and the EU FSF entity whose referents name ofac-32733): one
    # result, both lists with their dates, each entry's tier and why kept.
    assert text.startswith("1 match on 2 sanctions lists")
    assert text.count("\nMatch: ") == 1
    assert (
        "Match: LIMITED LIABILITY COMPANY INTER TOBACCO — entity — BELARUS-EO14038 — on 2 lists"
        in text
    )
    assert (
        "one party on 2 lists: US OFAC SDN (entry 32733, list of 23 Feb 2024); "
        "EU financial sanctions (FSF) (first seen 20 Apr 2023)"
    ) in text
    assert "why: aligned inter, tobacco; score 100" in text
    assert (
        "also a match, the same party: OpenSanctions eu_fsf entry NK-2GdmHtZTeNXjNVrBGEXZNj "
        "RAB „Inter Tobacco“; why: the alias “LLC “Inter Tobacco”” — aligned inter, tobacco"
    ) in text


def test_two_ofac_entries_of_one_party_and_its_other_lists_are_one_result(
    brief: Briefing, console: Context
) -> None:
    load(brief, SDN_0223, date(2024, 2, 23))
    load(brief, ZALA, date(2024, 2, 23))
    text = say(dataclasses.replace(console, today=date(2024, 2, 24)), "sanctions zala aero")
    sections = [ln for ln in text.splitlines() if ln.startswith(("Match: ", "Possible match: "))]
    # LLC CST (OpenSanctions, alias "Zala Aero") and OFAC's entries 45934 (LIMITED LIABILITY
    # COMPANY ZALA AERO) and 45928 (A LEVEL AEROSYSTEMS CST LLC, not itself a hit) are one
    # party; the Ukrainian-registered JSC "Зала Аеро" has a similar name but no id in common
    # with it: two results, not three or one.
    assert len(sections) == 2
    assert sections[0].startswith("Match: LLC CST — entity")
    assert sections[1].startswith('Match: Акціонерне товариство "Зала Аеро"')
    assert "US OFAC SDN (entries 45928, 45934, list of 23 Feb 2024)" in text
    assert "UK FCDO (listed 8 Feb 2023)" in text
    assert "Ukraine NSDC (listed 30 Oct 2021)" in text
    # Nothing dated after the as-of date (24 Feb 2024 here) is shown.
    assert "Japan MOF (listed 21 Jun 2024)" not in text
    assert "also a match, the same party: OFAC entry 45934 LIMITED LIABILITY COMPANY ZALA AERO" in (
        text
    )


def test_an_opensanctions_row_with_an_ofac_id_is_the_ofac_entry(
    brief: Briefing, console: Context
) -> None:
    load(brief, SDN_0223, date(2024, 2, 23))
    load(brief, SIMPLE_0223, date(2024, 2, 23))
    text = say(console, "sanctions wuhan maiwe")
    assert text.startswith("1 match on 2 sanctions lists")
    assert "one party on 2 lists: US OFAC SDN (entry " in text


def test_similar_names_of_different_parties_stay_two_results(
    brief: Briefing, console: Context
) -> None:
    load(brief, SDN_0223, date(2024, 2, 23))
    load(brief, ZALA, date(2024, 2, 23))
    text = say(console, "sanctions Zakharov")
    heads = [ln for ln in text.splitlines() if ln.startswith(("Match: ", "Possible match: "))]
    # Alexander ZAKHAROV and his relatives are listed by OFAC and OpenSanctions: each is one
    # result (a person on two lists), and no two persons are merged on their shared name.
    names = [h.split(" — ")[0] for h in heads]
    assert len(names) == len(set(names))
    assert (
        sum("Aleksandr Vyacheslavovich" in h or "Alexander Vyacheslavovich" in h for h in heads)
        == 1
    )


def test_a_watch_alert_names_a_party_once_with_every_list(
    brief: Briefing, console: Context, tmp_path: Path
) -> None:
    # The 23 Feb list without Inter Tobacco (32733), as the list before it.
    kept = [line for line in SDN_0223.read_bytes().split(b"\r\n") if not line.startswith(b"32733,")]
    earlier = tmp_path / "sdn_2024-02-22.csv"
    earlier.write_bytes(b"\r\n".join(kept))
    load(brief, earlier, date(2024, 2, 22))
    load(brief, EU_T1, date(2024, 2, 22))
    say(console, "watch add Inter Tobacco --type entity --ref IT-1")
    listing = say(console, "watch list")
    # Before: only the EU list names it.
    assert "match — RAB „Inter Tobacco“" in listing

    load(brief, SDN_0223, date(2024, 2, 23), NOW + timedelta(minutes=1))
    listing = say(console, "watch list")
    lines = [ln for ln in listing.splitlines() if "Inter Tobacco (ref IT-1)" in ln]
    assert len(lines) == 1  # one party, one line, with both lists
    assert "LIMITED LIABILITY COMPANY INTER TOBACCO (entity, entry 32733)" in lines[0]
    assert "the same party on the OpenSanctions eu_fsf dataset" in lines[0]

    with brief.engine.connect() as conn:
        version = list(
            conn.execute(
                sql("SELECT source_key, version, changes FROM watch_rescreens WHERE changes > 0")
            )
        )
    assert [(r[0], r[2]) for r in version] == [("ofac-sdn", 1)]
    reply = watch_reply(brief.engine, f"ofac-sdn|{version[0][1]}", CONSOLE)
    assert reply is not None
    (section, *_) = reply.sections
    assert section.heading == "Newly matched (1)"
    (line,) = section.lines
    assert line.text.startswith(
        "Inter Tobacco (ref IT-1) → LIMITED LIABILITY COMPANY INTER TOBACCO — entity — "
        "BELARUS-EO14038 (added to the list); why: aligned inter, tobacco"
    )
    assert (
        "listed by: US OFAC SDN (entry 32733, list of 23 Feb 2024); EU financial sanctions "
        "(FSF) (first seen 20 Apr 2023)"
    ) in line.text


def test_hits_on_two_entries_of_one_party_are_one_alert_line() -> None:
    entry = WatchEntry(1, CONSOLE, WatchSpec("Zala Aero"), "U1", NOW)

    def hit(key: str, party: str, tier: str = "match") -> WatchHit:
        return WatchHit(key, tier, 90.0, key, "why", f"NAME {key}", "entity", party=party)

    items = [
        Item("possible", entry, hit("45928", "NK-cst", "possible match"), "added to the list"),
        Item("match", entry, hit("45934", "NK-cst"), "added to the list"),
        Item("match", entry, hit("99", "ofac-99")),
    ]
    merged = by_party(items, lambda party: f"lists of {party}")
    assert [(i.kind, i.hit.key, [o.hit.key for o in i.others]) for i in merged] == [
        ("match", "45934", ["45928"]),
        ("match", "99", []),
    ]
    assert merged[0].lists == "lists of NK-cst"


def test_the_screening_csv_names_every_list_of_the_party(
    brief: Briefing, console: Context, tmp_path: Path
) -> None:
    load(brief, SDN_0223, date(2024, 2, 23))
    load(brief, EU_T1, date(2024, 2, 23))
    batch = tmp_path / "batch.csv"
    batch.write_text("name,ref\nInter Tobacco,I-1\nSunrise Textile Trading GmbH,S-1\n")
    say(console, f"screen {batch}")
    (result,) = (tmp_path / "results").glob("batch-screened*.csv")
    rows = list(csv.DictReader(io.StringIO(result.read_text(encoding="utf-8"))))
    assert list(rows[0])[-1] == "lists"
    assert rows[0]["tier"] == "match"
    assert rows[0]["lists"] == (
        "US OFAC SDN (entry 32733, list of 23 Feb 2024); EU financial sanctions (FSF) "
        "(first seen 20 Apr 2023)"
    )
    assert rows[1]["tier"] == "clear"
    assert rows[1]["lists"] == ""
