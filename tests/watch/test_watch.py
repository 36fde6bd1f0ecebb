"""Watchlists in process: add, remove, list, export and import with the admin rule, the audit
log and row-numbered CSV errors; statuses with the screening tiers; rescreening on a new list
version (newly matched, by alias, details changed, delisted, nothing changed) on the real OFAC
lists of 20 and 23 Feb 2024 and lists derived from them."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from briefing import ingest_dispatch
from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.delivery.poster import ChannelRef
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.platforms.console import ConsoleFiles
from briefing.render.text import render_text
from briefing.sanctions import ofac
from briefing.sanctions.diff import diff_lists
from briefing.sanctions.model import OFAC_SDN
from briefing.watch.alerts import watch_reply
from briefing.watch.entries import (
    CsvError,
    WatchEntry,
    WatchSpec,
    add_entries,
    decode,
    parse_csv,
    validate,
)
from briefing.watch.screening import (
    WatchHit,
    compare,
    current_lists,
    list_index,
    rescreen,
    screen_and_store,
    screen_entry,
)
from briefing.watch.tables import watch_rescreens_table
from handlers import dispatch
from tests.conftest import OFAC_SNAPSHOTS, TODAY

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EARLIER = OFAC_SNAPSHOTS / "sdn_2024-02-20.csv"
NEWER = OFAC_SNAPSHOTS / "sdn_2024-02-23.csv"
CONSOLE = ChannelRef("console", "console", "console")

COUNTERPARTIES = """name,type,country,dob,ref
Jiangxi Liansheng Technology Co Ltd,entity,CN,,C-104
VAZ Impuls,entity,RU,,C-105
Instar Logistics,entity,RU,,C-106
Ministry of Defense and Armed Forces Logistics,entity,,,C-110
Sunrise Textile Trading GmbH,entity,DE,,C-107
Maria Schmidt,person,AT,1981-04-02,C-109
"""


def load(brief: Briefing, path: Path, now: datetime = NOW) -> None:
    day = date.fromisoformat(path.stem.removeprefix("sdn_"))
    ingest(brief, [path], IngestOptions(as_of=day, today=day), now)


def derived(tmp_path: Path, day: str, *, without: tuple[str, ...]) -> Path:
    """The 23 Feb 2024 list with the given entries (by ent_num) taken out, dated ``day``."""
    kept = [
        line
        for line in NEWER.read_bytes().split(b"\r\n")
        if not any(line.startswith(f"{key},".encode()) for key in without)
    ]
    assert len(kept) == len(NEWER.read_bytes().split(b"\r\n")) - len(without)
    path = tmp_path / day / f"sdn_{day}.csv"
    path.parent.mkdir()
    path.write_bytes(b"\r\n".join(kept))
    return path


def say(ctx: Context, text: str) -> str:
    return render_text(dispatch(text, ctx))


@pytest.fixture
def console(ctx: Context) -> Context:
    return dataclasses.replace(ctx, now=NOW, files=ConsoleFiles())


def write_csv(tmp_path: Path, text: str, name: str = "counterparties.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_rows_are_checked_one_by_one_with_their_row_numbers() -> None:
    parsed = parse_csv(
        "Name;Type;Country;DOB;Ref\n"
        "Acme Trading;entity;CN;;A-1\n"
        ";entity;;;A-2\n"
        "Ivan Petrov;human;;;A-3\n"
        "Ivan Petrov;person;RU;1970-13;A-4\n"
        "Ivan Petrov;person;ZZ;;A-5\n"
        "\n"
        "acme  trading;entity;CN;;A-1\n"
        "Anna Berg;person;SE;1980-02-29;\n"
        '"Quote ""Inside"" Ltd";entity;;;A-7\n'
        "Too;many;values;here;x;y\n"
    )
    assert [(row, spec.name) for row, spec in parsed.specs] == [
        (2, "Acme Trading"),
        (9, "Anna Berg"),
        (10, 'Quote "Inside" Ltd'),
    ]
    assert [(e.row, e.message) for e in parsed.errors] == [
        (3, "the name is empty"),
        (4, "type 'human' is not one of person, entity, vessel"),
        (5, "date of birth '1970-13' is not a date"),
        (6, "country 'ZZ' is not a two-letter ISO country code (RU, CN, HK)"),
        (8, "the same name and ref as row 2"),
        (11, "6 values where the header has 5"),
    ]
    assert parsed.rows == 9


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"company,country\nAcme,CN\n", "no name column"),
        (b"name,colour\nAcme,red\n", "unknown column(s) colour"),
        ("name\nZürich Handel AG\n".encode("latin-1"), "not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(CsvError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_csv(decode(data, "list.csv"), "list.csv")


# -- commands ------------------------------------------------------------------------------------


def test_add_list_export_remove_with_statuses_and_the_audit_log(
    brief: Briefing, console: Context
) -> None:
    assert "watches no names yet" in say(console, "watch list")
    text = say(console, "watch add Ministry of Defense and Armed Forces Logistics --ref C-110")
    assert "not screened — no sanctions list is loaded" in text
    load(brief, EARLIER)

    text = say(console, "watch add Sergei Lavrov --type person --dob 1950 --ref P-1")
    assert "Watching Sergei Lavrov (ref P-1)" in text
    assert "match — LAVROV, Sergei Viktorovich (individual, entry 35233)" in text
    assert "year of birth 1950 agrees (listed DOB 21 Mar 1950)" in text
    assert "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=35233" in text

    # A date of birth that differs demotes a match to a possible match, and says so.
    text = say(console, 'watch add "Sergei Lavrov" --type person --dob 1961-07-04 --ref P-2')
    assert "possible match — LAVROV, Sergei Viktorovich" in text
    assert "DOB 1961-07-04 differs from the listed DOB 21 Mar 1950; so at most a possible" in text

    # A listed type that differs from the one asked for demotes a match the same way.
    text = say(console, "watch add Ebano --type entity --ref V-1")
    assert "possible match — EBANO (vessel" in text
    assert "listed as a vessel, not an entity; so at most a possible match" in text
    assert "Stopped watching" in say(console, "watch remove --ref V-1")

    text = say(console, "watch add Sunrise Textile Trading GmbH --type entity --country DE")
    assert "clear on the U.S. Treasury OFAC SDN list, list of 20 Feb 2024" in text
    assert "is already on this channel's watchlist" in say(
        console, "watch add sunrise textile trading gmbh --type entity"
    )

    listing = say(console, "watch list")
    assert listing.startswith(
        "This channel watches 4 names: 2 with a match, 1 with a possible match"
    )
    lines = listing.splitlines()
    first = [ln for ln in lines if ln.lstrip("• ").startswith("#")]
    # Matches first, then possible matches, then clear. The name added before any list was
    # loaded was screened when the first list came (a baseline: no alert).
    assert (
        "#1 Ministry of Defense and Armed Forces Logistics (ref C-110): match — MINISTRY"
        in (first[0])
    )
    assert "Sergei Lavrov (ref P-1): match" in first[1]
    assert "Sergei Lavrov (ref P-2): possible match" in first[2]
    assert any("Sunrise Textile Trading GmbH: clear" in ln for ln in lines)

    export = say(console, "watch export").splitlines()
    assert "name,type,country,dob,ref,status,list,list_date,entry,link" in export
    assert (
        "Sergei Lavrov,person,,1950,P-1,match,U.S. Treasury OFAC SDN list,2024-02-20,"
        '"LAVROV, Sergei Viktorovich (35233)",'
        "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=35233"
    ) in export

    assert "Stopped watching" in say(console, "watch remove --ref P-2")
    assert "Stopped watching #" in say(console, "watch remove sunrise textile trading gmbh")
    assert "nothing under #999" in say(console, "watch remove #999")
    assert "watches 2 names" in say(console, "watch list")
    assert all(r["changes"] == 0 for r in rescreens(brief))

    log = say(console, "subscriptions --log")
    assert "watch add · console · by U1 — Sergei Lavrov (ref P-1)" in log
    assert "watch remove · console · by U1 — Sergei Lavrov (ref P-2)" in log


def test_only_admins_change_a_watchlist_anyone_may_look(
    brief: Briefing, console: Context, tmp_path: Path
) -> None:
    member = dataclasses.replace(
        console, caller=Caller(platform="console", user_id="U2", is_admin=False)
    )
    path = write_csv(tmp_path, COUNTERPARTIES)
    for command in ("watch add Acme", "watch remove Acme", f"watch import {path}"):
        reply = dispatch(command, member)
        assert reply.kind.value == "refusal", command
        assert "Only workspace admins" in reply.title
    assert "watches no names yet" in say(member, "watch list")
    assert "watch add" not in say(console, "subscriptions --log")


def test_import_keeps_good_rows_reports_bad_ones_and_strict_imports_none(
    brief: Briefing, console: Context, tmp_path: Path
) -> None:
    load(brief, EARLIER)
    bad = COUNTERPARTIES + "Ivan Petrov,person,RU,1970-02-30,C-111\n,entity,,,C-112\n"
    path = write_csv(tmp_path, bad)

    strict = dispatch(f"watch import {path} --strict", console)
    assert strict.kind.value == "usage_error"
    assert strict.title == (
        "Nothing imported from counterparties.csv: 2 of 8 rows are bad (--strict imports all "
        "rows or none)"
    )
    text = render_text(strict)
    assert "row 8: date of birth '1970-02-30' is not a date" in text
    assert "row 9: the name is empty" in text
    assert "watches no names yet" in say(console, "watch list")

    text = say(console, f"watch import {path}")
    assert text.startswith(
        "Imported 6 names from counterparties.csv (kept the 6 good rows, skipped 2 bad): "
        "1 with a match, 2 with a possible match"
    )
    assert "row 8: date of birth '1970-02-30' is not a date" in text
    assert "good rows are kept and bad rows reported; add --strict" in text
    # Importing the same file again adds nothing twice.
    again = say(console, f"watch import {path}")
    assert again.startswith("Imported 0 names")
    assert "6 already watched" in again
    assert "watch import · console · by U1 — counterparties.csv: 6 good rows, 2 bad" in say(
        console, "subscriptions --log"
    )
    assert "no such file" in say(console, f"watch import {tmp_path / 'missing.csv'}")


def test_names_that_must_not_match_stay_clear(brief: Briefing, console: Context) -> None:
    load(brief, EARLIER)
    for name in (
        "Sunrise Textile Trading GmbH",
        "Lenovo Group Limited",
        "Maria Schmidt --type person --dob 1981",
        "Siemens Healthineers AG --type entity",
    ):
        text = say(console, f"watch add {name}")
        assert "clear on the U.S. Treasury OFAC SDN list" in text, text


@pytest.mark.parametrize(
    "name",
    [
        "Nordic Paper AB",  # MEHRAN PAPER MILL: "paper" alone
        "Volga Timber Company",  # MYANMA TIMBER ENTERPRISE
        "Nordic Chemicals AB",  # A-TEAM CHEMICALS COMPANY LTD.
        "Amur Gold Mining",  # HIGHLAND GOLD MINING LIMITED: two trade words, still no party
        "Asia Pharma Ltd",  # CITY PHARMA SARL
        "Baltic Tobacco Company",  # LIMITED LIABILITY COMPANY INTER TOBACCO
    ],
)
def test_a_trade_word_alone_is_never_a_possible_match(
    brief: Briefing, console: Context, name: str
) -> None:
    load(brief, NEWER)
    text = say(console, f"watch add {name} --type entity")
    assert "clear on the U.S. Treasury OFAC SDN list" in text, text


@pytest.mark.parametrize(
    ("name", "listed"),
    [
        ("Mehran Paper", "MEHRAN PAPER MILL"),
        ("Myanma Timber", "MYANMA TIMBER ENTERPRISE"),
        ("A-Team Chemicals", "A-TEAM CHEMICALS COMPANY LTD."),
        ("Inter Tobacco", "LIMITED LIABILITY COMPANY INTER TOBACCO"),
    ],
)
def test_the_same_trade_word_with_the_name_still_matches(
    brief: Briefing, console: Context, name: str, listed: str
) -> None:
    load(brief, NEWER)
    text = say(console, f"watch add {name} --type entity")
    assert f"match — {listed} (entity" in text, text


# -- rescreening ---------------------------------------------------------------------------------


def rescreens(brief: Briefing) -> list[dict[str, object]]:
    with brief.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(watch_rescreens_table)).mappings()]


def test_a_new_list_version_rescreens_every_watchlist(
    brief: Briefing, console: Context, tmp_path: Path
) -> None:
    load(brief, EARLIER)
    say(console, f"watch import {write_csv(tmp_path, COUNTERPARTIES)}")
    in_other = dataclasses.replace(
        console,
        caller=Caller(
            platform="slack", user_id="UA", workspace_id="T1", channel_id="C2", is_admin=True
        ),
    )
    say(in_other, "watch add Sunrise Textile Trading GmbH")

    load(brief, NEWER, NOW + timedelta(minutes=1))
    rows = {(r["channel_id"], r["list_date"]): r for r in rescreens(brief)}
    assert rows[("console", date(2024, 2, 23))]["changes"] == 4
    assert rows[("C2", date(2024, 2, 23))]["changes"] == 0  # nothing changed: no alert

    key = f"ofac-sdn|{rows[('console', date(2024, 2, 23))]['version']}"
    reply = watch_reply(brief.engine, key, CONSOLE)
    assert reply is not None
    text = render_text(reply)
    assert reply.title == (
        "Watchlist: 4 changes for this channel's names on the U.S. Treasury OFAC SDN list of "
        "23 Feb 2024"
    )
    sections = {s.heading: [ln.text for ln in s.lines] for s in reply.sections}
    assert list(sections)[:2] == ["Newly matched (2)", "Match details changed (2)"]
    jiangxi, vaz = sections["Newly matched (2)"]
    assert jiangxi.startswith(
        "Jiangxi Liansheng Technology Co Ltd (ref C-104) → JIANGXI LIANSHENG TECHNOLOGY CO., "
        "LTD — entity — RUSSIA-EO14024 (added to the list); why: aligned jiangxi, liansheng, "
        "technology"
    )
    assert jiangxi.endswith("https://sanctionssearch.ofac.treas.gov/Details.aspx?id=46650")
    # Only by its alias: the primary name shares one word with it.
    assert vaz.startswith(
        "VAZ Impuls (ref C-105) → LIMITED LIABILITY COMPANY VELIKOLUKSKY BATTERY PLANT IMPULS"
    )
    assert "why: the alias “VAZ IMPULS” — aligned vaz, impuls" in vaz
    changed = sections["Match details changed (2)"]
    assert any(
        ln.startswith("Instar Logistics (ref C-106) → INSTAR LODZHISTIKS, OOO")
        and "now also under RUSSIA-EO14024" in ln
        for ln in changed
    )
    assert any(
        "MINISTRY OF DEFENSE AND ARMED FORCES LOGISTICS" in ln
        and "now also under RUSSIA-EO14024" in ln
        for ln in changed
    )
    assert "Sunrise" not in text
    assert "Maria Schmidt" not in text
    assert "Compared with the list of 20 Feb 2024" in text
    assert "Sources: U.S. Treasury OFAC SDN list <https://sanctionslist.ofac.treas.gov/>" in text

    # The statuses moved to the new version.
    listing = say(console, "watch list")
    assert "VAZ Impuls (ref C-105): match — LIMITED LIABILITY COMPANY VELIKOLUKSKY" in listing
    assert "list of 20 Feb 2024" not in listing

    # A delisting: Instar taken off in a list derived from 23 Feb.
    load(brief, derived(tmp_path, "2024-02-24", without=("23543",)), NOW + timedelta(minutes=2))
    rows = {(r["channel_id"], r["list_date"]): r for r in rescreens(brief)}
    row = rows[("console", date(2024, 2, 24))]
    assert row["changes"] == 1
    reply = watch_reply(brief.engine, f"ofac-sdn|{row['version']}", CONSOLE)
    assert reply is not None
    assert reply.sections[0].heading == "Delisted (1)"
    (line,) = reply.sections[0].lines
    assert line.text.startswith("Instar Logistics (ref C-106) → INSTAR LODZHISTIKS, OOO")
    assert "no longer on the list (was a " in line.text
    assert "clear on the U.S. Treasury OFAC SDN list, list of 24 Feb 2024" in say(
        console, "watch list"
    )

    # A new version that changes nothing a watched name hits: no alert anywhere.
    load(brief, derived(tmp_path, "2024-02-26", without=("23543", "36")), NOW)
    new = [r for r in rescreens(brief) if r["list_date"] == date(2024, 2, 26)]
    assert len(new) == 2
    assert all(r["changes"] == 0 for r in new)


def test_loading_the_same_version_again_rescreens_nothing(
    brief: Briefing, console: Context
) -> None:
    load(brief, EARLIER)
    say(console, "watch add VAZ Impuls")
    load(brief, NEWER)
    before = rescreens(brief)
    load(brief, NEWER, NOW + timedelta(hours=1))  # unchanged: the same list already loaded
    assert rescreens(brief) == before
    assert TODAY  # the console context's day


def _variants(name: str, rng: random.Random) -> list[str]:
    """The ways a desk writes a listed name: as listed, words reordered, two letters swapped,
    a letter dropped, the legal form changed, lower case."""
    words = name.split()
    out = [name, name.lower(), " ".join(reversed(words))]
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) > 6:
        i = rng.choice(letters[1:-2])
        out.append(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
        j = rng.choice(letters[1:-1])
        out.append(name[:j] + name[j + 1 :])
    out.append(f"{name} Ltd")
    return out


def test_names_not_screened_again_could_not_have_changed(
    brief: Briefing, console: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rescreen skips names no added or changed entry can hit: screening every skipped
    name in full on the new list finds no hit on any added or changed entry."""
    rng = random.Random(23)
    groups, _ = ofac.group_files([EARLIER])
    old, _ = ofac.parse(groups[0], None)
    groups, _ = ofac.group_files([NEWER])
    new, _ = ofac.parse(groups[0], None)
    diff = diff_lists(OFAC_SDN, date(2024, 2, 20), old, new, date(2024, 2, 23))
    touched = {e.entity_key for e in diff.added} | {c.after.entity_key for c in diff.changed}
    names: list[str] = []
    for entry in rng.sample(diff.added, 25):
        names.extend(_variants(entry.name, rng))
        names.extend(entry.aliases)
    names += [e.name for e in rng.sample(old, 60)]
    names += [
        f"{rng.choice(('Amber', 'Lotus', 'Falcon', 'Orion', 'Harbor'))} "
        f"{rng.choice(('Machinery', 'Electronics', 'Logistics', 'Energy', 'Trading'))} "
        f"{rng.choice(('LLC', 'GmbH', 'Co Ltd', 'OOO', 'JSC'))}"
        for _ in range(60)
    ]
    load(brief, EARLIER)
    specs = list({validate(n).key: validate(n) for n in names}.values())
    added = add_entries(brief.engine, CONSOLE, specs, by_user="U1", now=NOW).entries

    screen_and_store(brief.engine, added, NOW)
    before = {s.source.key: s for s in current_lists(brief.engine)}["ofac-sdn"]
    day = date(2024, 2, 23)
    # Load without the hook's rescreen, then rescreen here to see what it screened.
    with monkeypatch.context() as patched:
        patched.setattr(ingest_dispatch, "rescreen_new_lists", lambda *a, **k: [])
        ingest(brief, [NEWER], IngestOptions(as_of=day, today=day), NOW)
    after = {s.source.key: s for s in current_lists(brief.engine)}["ofac-sdn"]
    report = rescreen(brief.engine, after, before, NOW)
    assert 0 < report.screened < len(added)
    index = list_index(brief.engine, after)
    skipped = [e for e in added if e.entry_id not in report.screened_ids]
    missed = [(e.name, h.name) for e in skipped for h in screen_entry(index, e) if h.key in touched]
    assert missed == []
    # The check has something to find: most variants of the added entries hit them, and a
    # good part of the names was skipped.
    hitting = [e for e in added if any(h.key in touched for h in screen_entry(index, e))]
    assert len(hitting) >= 100
    assert len(skipped) >= 50


def test_identifiers_added_to_a_hit_are_news_other_remarks_are_not() -> None:
    entry = WatchEntry(1, CONSOLE, WatchSpec("Sergei Lavrov"), "U1", NOW)
    base = WatchHit("35233", "match", 90.0, "LAVROV", "why", "LAVROV", "individual")
    with_dob = dataclasses.replace(base, identifiers=("DOB 21 Mar 1950",))
    with_passport = dataclasses.replace(
        base, identifiers=("DOB 21 Mar 1950", "passport 100000000 (Russia)")
    )
    listed = {"35233"}
    (item,) = compare(entry, [with_dob], [with_passport], listed, touched={"35233"})
    assert (item.kind, item.detail) == ("changed", "identifiers added: passport 100000000 (Russia)")
    # The same identifiers (the remarks changed elsewhere: a risk note): nothing to tell.
    assert compare(entry, [with_dob], [with_dob], listed, touched={"35233"}) == []
    # A hit stored before identifiers were kept is not told they were "added".
    assert compare(entry, [base], [with_passport], listed, touched={"35233"}) == []
