"""OFAC SDN ingest and diff on the real files: the 20 → 23 Feb 2024 pair and the linked set."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from briefing.appstate import Briefing, Context
from briefing.daily_digest import build_digest
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions, IngestResult
from briefing.render.text import render_text
from briefing.sanctions import ofac
from briefing.sanctions.model import OFAC_SDN_URL
from briefing.sanctions.search import sanctions
from briefing.sanctions.store import ENTRY_COLUMNS
from briefing.sanctions.tables import entries_table, snapshots_table
from briefing.updates import updates_between
from handlers import dispatch
from tests.conftest import OFAC_SNAPSHOTS, OFAC_WATCHMAN

SNAPSHOTS = OFAC_SNAPSHOTS
SDN_0220 = SNAPSHOTS / "sdn_2024-02-20.csv"
SDN_0223 = SNAPSHOTS / "sdn_2024-02-23.csv"
WATCHMAN = OFAC_WATCHMAN
NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

# The ten additions of 23 Feb 2024 whose remarks tie them to China (none to Hong Kong).
CHINA_LINKED_ADDED = {
    "COREBAI MICROELECTRONICS BEIJING COMPANY LIMITED",
    "GUANGZHOU AUSAY TECHNOLOGY CO., LIMITED",
    "GUANGZHOU HESEN IMPORT AND EXPORT CO., LTD",
    "JIANGXI LIANSHENG TECHNOLOGY CO., LTD",
    "KUDRYAVTSEV, Gennady Ivanovich",
    "NEW IDEA GUANGZHOU TECHNOLOGY CO. LTD.",
    "SHENZHEN BIGUANG TRADING CO., LTD",
    "WUHAN MAIWE COMMUNICATION CO LTD",
    "YILUFA ELECTRONICS LIMITED",
    "ZHEJIANG OULONG ELECTRIC CO LTD",
}


def load(brief: Briefing, *paths: Path, as_of: date | None = None) -> list[IngestResult]:
    options = IngestOptions(as_of=as_of, today=date(2024, 3, 1))
    return ingest(brief, list(paths), options, NOW)


def test_the_raw_files_hold_the_counts_the_tests_assert() -> None:
    """Independent of the parser: 553 ent_nums only in the later file, 552 of them under
    RUSSIA-EO14024, none dropped, 8 rows that differ."""

    def rows(path: Path) -> dict[str, tuple[str, ...]]:
        text = path.read_bytes().rstrip(b"\x1a").decode("latin-1")
        return {r[0]: tuple(r) for r in csv.reader(text.splitlines()) if r}

    before, after = rows(SDN_0220), rows(SDN_0223)
    assert (len(before), len(after)) == (13_931, 14_484)
    added = after.keys() - before.keys()
    assert len(added) == 553
    assert sum("RUSSIA-EO14024" in after[k][3] for k in added) == 552
    assert not before.keys() - after.keys()
    assert sum(before[k] != after[k] for k in before.keys() & after.keys()) == 8


def test_parse_reads_every_row_and_the_ctrl_z_ending() -> None:
    groups, orphans = ofac.group_files([SDN_0223])
    assert not orphans
    assert groups[0].add is None  # only sdn.csv was scraped for the snapshots
    entries, digest = ofac.parse(groups[0])
    assert len(entries) == 14_484
    assert len(digest) == 64
    wuhan = next(e for e in entries if e.entity_key == "47995")
    assert wuhan.name == "WUHAN MAIWE COMMUNICATION CO LTD"
    assert wuhan.entity_type == "entity"
    assert wuhan.programmes == ("RUSSIA-EO14024",)
    assert wuhan.russia_programmes == ("RUSSIA-EO14024",)
    assert (wuhan.link_place, wuhan.link_reason) == (
        "China",
        "USCC 9142010030349268X3 in remarks",
    )
    multi = next(e for e in entries if "] [" not in e.programmes and len(e.programmes) > 3)
    assert all("]" not in p and "[" not in p for p in multi.programmes)
    assert not any(e.entity_key == "\x1a" or not e.name for e in entries)


def test_pair_diff_counts_and_update(brief: Briefing) -> None:
    first = load(brief, SDN_0220)[0]
    assert first.records == 13_931
    assert first.as_of == date(2024, 2, 20)
    assert "baseline" in first.summary
    assert first.updates == ()  # the first list is a baseline, not 13,931 additions

    second = load(brief, SDN_0223)[0]
    assert second.as_of == date(2024, 2, 23)
    assert "553 added (552 under RUSSIA-EO14024), 8 changed, 0 removed" in second.summary
    (update,) = second.updates
    assert update.update_id == "sanctions:ofac-sdn:2024-02-23"
    assert update.topic == "sanctions"
    assert update.data_date == date(2024, 2, 23)
    assert update.title == (
        "OFAC added 553 designations (552 under RUSSIA-EO14024; 10 linked to China/Hong Kong)"
    )
    summary, *rest = update.lines
    assert summary.text.startswith("553 added (552 under RUSSIA-EO14024), 8 changed, 0 removed")
    assert summary.source is not None
    assert summary.source.title == "U.S. Treasury OFAC SDN list"
    assert summary.source.url == OFAC_SDN_URL
    assert summary.source.as_of == date(2024, 2, 23)
    # China-linked names come first, each with its programme and source.
    linked = rest[:10]
    assert {line.text.split(" — ")[0] for line in linked} == CHINA_LINKED_ADDED
    assert all(" — RUSSIA-EO14024 — linked to China" in line.text for line in linked)
    assert all(line.source == summary.source for line in linked)
    texts = [line.text for line in update.lines]
    assert any(t.startswith("Other Russia-programme additions: 542") for t in texts)
    changed = [t for t in texts if t.startswith("Changed: ")]
    assert len(changed) == 7  # the eighth (a Cabo Verde entry's remarks) is outside the topic
    assert (
        "Changed: MINISTRY OF DEFENSE AND ARMED FORCES LOGISTICS — now also under RUSSIA-EO14024; "
        "remarks updated"
    ) in texts
    assert texts[-1] == (
        "Outside Russia programmes and China/Hong Kong links: 1 added, 1 changed, 0 removed "
        "(counted, not listed)."
    )
    stored = updates_between(brief.engine, date(2024, 2, 1), date(2024, 2, 29), topic="sanctions")
    assert [u.update_id for u in stored] == [update.update_id]
    assert stored[0].lines == update.lines


def test_reingesting_the_same_file_is_a_no_op(brief: Briefing) -> None:
    load(brief, SDN_0220)
    again = load(brief, SDN_0220)[0]
    assert again.records == 0
    assert "unchanged" in again.summary
    assert again.updates == ()
    with brief.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(snapshots_table)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(entries_table)).scalar_one() == 13_931


def test_first_seen_carries_over_and_additions_get_the_list_date(ctx: Context) -> None:
    load(ctx.brief, SDN_0220)
    load(ctx.brief, SDN_0223)
    index = sanctions(ctx.brief).index(ctx.today)
    by_key = {e.entity_key: e for _, e in index.entries()}
    assert by_key["47995"].first_seen == date(2024, 2, 23)  # added on the 23rd
    assert by_key["10392"].first_seen is None  # already on the baseline: date unknown
    text = render_text(dispatch("sanctions wuhan maiwe", ctx))
    assert "first seen 23 Feb 2024" in text


def test_digest_shows_the_ofac_update_only_after_its_date(ctx: Context) -> None:
    load(ctx.brief, SDN_0220, as_of=date(2024, 2, 20))
    load(ctx.brief, SDN_0223, as_of=date(2024, 2, 23))
    after = render_text(build_digest(ctx.brief, date(2024, 2, 24)))
    assert "OFAC added 553 designations (552 under RUSSIA-EO14024" in after
    assert "U.S. Treasury OFAC SDN list" in after
    before = render_text(build_digest(ctx.brief, date(2024, 2, 22)))
    assert "OFAC added" not in before
    assert "13,931" not in before  # the baseline is not news


def test_backfilling_an_older_list_reports_the_later_one(brief: Briefing) -> None:
    """Loading the 23rd first, then the 20th: the 20th becomes the 23rd's baseline."""
    first = load(brief, SDN_0223)[0]
    assert first.updates == ()
    older = load(brief, SDN_0220)[0]
    assert [u.update_id for u in older.updates] == ["sanctions:ofac-sdn:2024-02-23"]
    assert older.updates[0].title.startswith("OFAC added 553 designations")


def test_watchman_set_links_aliases_addresses_and_comments(brief: Briefing) -> None:
    # Passing sdn.csv alone picks up add.csv, alt.csv and sdn_comments.csv beside it.
    result = load(brief, WATCHMAN / "sdn.csv", as_of=date(2024, 5, 1))[0]
    assert result.records == 17
    assert result.summary.startswith("sdn.csv, add.csv, alt.csv, sdn_comments.csv: loaded 17 ")
    entries = {e.entity_key: e for _, e in sanctions(brief).index(date(2024, 5, 1)).entries()}
    assert len(entries) == 17
    assert sum(bool(e.russia_programmes) for e in entries.values()) == 3  # 2 EO14024 + UKRAINE
    khoroshev = entries["48603"]
    assert khoroshev.aliases[:3] == (
        "KHOROSHEV, Dmitriy Yurevich",
        "YURIEVICH, Dmitry",
        "KHOROSHEV, Dmitrii Yuryevich",
    )
    assert "LOCKBITSUPP" in khoroshev.aliases  # from the remarks' a.k.a.
    aircraft = entries["19709"]
    assert aircraft.addresses == (
        "50 St. Leonards Road, Bexhill on Sea, East Sussex, United Kingdom",
        "74 High Street, Battle, East Sussex, United Kingdom",
    )
    assert aircraft.aliases == ("AIRCRAFT AVIONICS PARTS AND SUPPORT LTD.",)
    suex = entries["33151"]
    # sdn_comments.csv continues the truncated remarks mid-word.
    assert "XBT 1B64QRxfaa35MVkf7sDjuGUYAP5izQt7Qi;" in suex.remarks
    assert suex.remarks.endswith("a.k.a. 'SUCCESSFUL EXCHANGE'.")
    assert "SUCCESSFUL EXCHANGE" in suex.aliases
    assert suex.countries[:2] == ("Russia", "Czech Republic")
    tasca = entries["52327"]
    assert tasca.link_place == "Hong Kong"  # "Linked To: BRECALIN HONG KONG CO LTD."
    assert entries["10278"].link_place is None


def test_watchman_files_passed_together_group_into_one_list(brief: Briefing) -> None:
    paths = [WATCHMAN / n for n in ("alt.csv", "sdn.csv", "sdn_comments.csv", "add.csv")]
    groups, orphans = ofac.group_files(paths)
    assert not orphans
    assert len(groups) == 1
    assert groups[0].paths == tuple(
        WATCHMAN / n for n in ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
    )


def test_stats_count_programmes_and_china_links(ctx: Context) -> None:
    load(ctx.brief, SDN_0223)
    reply = dispatch("sanctions stats", ctx)
    text = render_text(reply)
    index = sanctions(ctx.brief).index(ctx.today)
    entries = [e for _, e in index.entries()]
    linked = [e for e in entries if e.china_link]
    places = Counter(e.link_place for e in linked)
    assert f"Linked to China or Hong Kong: {len(linked):,} ({places['China']:,} China" in text
    russia = sum(1 for e in entries if e.russia_programmes)
    assert f"Under Russia-related programmes: {russia:,}" in text
    assert "RUSSIA-EO14024 4,105" in text
    assert "14,484 entries" in text
    assert reply.data_as_of == date(2024, 2, 23)


@pytest.mark.parametrize("name", ["sdn_2024-02-23.csv", "SDN.CSV", "sdn.csv"])
def test_sdn_names_are_claimed(name: str) -> None:
    assert ofac.role_of(Path(name)) is not None
    assert ofac.role_of(Path("address.csv")) is None
    assert ofac.role_of(Path("sdnx.csv")) is None


def test_list_date_falls_back_to_today_and_progress_is_reported(brief: Briefing) -> None:
    calls: list[tuple[str, int | None, int]] = []
    options = IngestOptions(
        today=date(2024, 4, 2),
        progress=lambda label, total, done: calls.append((label, total, done)),
    )
    (result,) = ingest(brief, [WATCHMAN / "sdn.csv"], options, NOW)
    assert result.as_of == date(2024, 4, 2)  # no --as-of, no date in the name or folder
    assert "(today)" in result.summary
    labels = {label for label, _, _ in calls}
    assert labels == {"OFAC sdn.csv", "Storing sdn.csv, add.csv, alt.csv, sdn_comments.csv"}
    finals = {label: (total, done) for label, total, done in calls}
    assert all(total == done == 17 for total, done in finals.values())


def test_old_lists_keep_their_metadata_but_not_their_entries(
    brief: Briefing, tmp_path: Path
) -> None:
    lines = (WATCHMAN / "sdn.csv").read_bytes().split(b"\r\n")
    paths = []
    for day, keep in ((1, 17), (2, 16), (3, 15), (4, 14)):
        path = tmp_path / f"sdn_2024-01-0{day}.csv"
        path.write_bytes(b"\r\n".join([*lines[:keep], b""]))
        paths.append(path)
        load(brief, path)
    with brief.engine.connect() as conn:
        kept = conn.execute(
            select(snapshots_table.c.list_date, snapshots_table.c.entries_kept).order_by(
                snapshots_table.c.list_date
            )
        ).all()
        stored = conn.execute(select(func.count()).select_from(entries_table)).scalar_one()
    assert [k for _, k in kept] == [False, True, True, True]
    assert stored == 16 + 15 + 14
    again = load(brief, paths[0])[0]
    assert "unchanged" in again.summary  # the hash outlives the entries


def test_a_forced_replacement_records_its_own_update(brief: Briefing, tmp_path: Path) -> None:
    lines = (WATCHMAN / "sdn.csv").read_bytes().split(b"\r\n")
    first, second = tmp_path / "a" / "sdn.csv", tmp_path / "b" / "sdn.csv"
    for path, keep in ((first, 17), (second, 15)):
        path.parent.mkdir()
        path.write_bytes(b"\r\n".join([*lines[:keep], b""]))
    load(brief, WATCHMAN / "sdn.csv", as_of=date(2024, 1, 1))
    (loaded,) = load(brief, first, as_of=date(2024, 1, 2))
    assert [u.update_id for u in loaded.updates] == ["sanctions:ofac-sdn:2024-01-02"]
    options = IngestOptions(as_of=date(2024, 1, 2), force=True, today=date(2024, 3, 1))
    (replaced,) = ingest(brief, [second], options, NOW)
    assert "replaced the list of 2 Jan 2024" in replaced.summary
    (update,) = replaced.updates
    assert update.update_id.startswith("sanctions:ofac-sdn:2024-01-02:")
    # 10 of the 15 kept rows had aliases, addresses or long remarks from the companions.
    assert update.lines[0].text.startswith("0 added, 10 changed, 2 removed")
    stored = updates_between(brief.engine, date(2024, 1, 1), date(2024, 1, 2), topic="sanctions")
    assert {u.update_id for u in stored} == {"sanctions:ofac-sdn:2024-01-02", update.update_id}


# The stored columns the reader derives from each bundled list (every column but the
# fingerprint, each value's repr in order), as a digest: a change to the OFAC reader, its remark
# parsing or its column-wise paths must leave them as they are (or change these on purpose).
_DERIVED = {
    "sdn_2024-02-20.csv": (13_931, "aee334ab82fbbffc27022dcc385be428e5302a326873066a8ed7e3fecf44bbc8"),
    "sdn_2024-02-23.csv": (14_484, "49b3c8c2c0c72aa8563d90b3d75fc17e3b20911169f95393268a3f33b56d9284"),
    "sdn.csv": (17, "81fbc612c4fc1a677c0498a70b26bf1f639d9d2640ff3f03ff9dea282895a4b7"),
}  # fmt: skip


@pytest.mark.parametrize(
    "files",
    [
        ofac.OfacFiles(SDN_0220),
        ofac.OfacFiles(SDN_0223),
        ofac.group_files(sorted(WATCHMAN.glob("*.csv")))[0][0],  # with add, alt and comments
    ],
    ids=["sdn_2024-02-20", "sdn_2024-02-23", "watchman-linked-set"],
)
def test_the_parse_derives_the_stored_columns_it_always_did(files: ofac.OfacFiles) -> None:
    rows, _ = ofac.parse_rows(files)
    frame = rows.frame()
    digest = hashlib.sha256()
    for name in ENTRY_COLUMNS:
        if name == "fingerprint":
            continue
        cells = "\x1f".join(map(repr, frame[name].tolist()))
        digest.update(name.encode() + b"\0" + cells.encode() + b"\0")
    assert (len(frame), digest.hexdigest()) == _DERIVED[files.sdn.name]
    # Fingerprints: one per entry, the same when the files are read again.
    assert len(set(rows.fingerprints)) == len(frame)
    assert rows.fingerprints == ofac.parse_rows(files)[0].fingerprints
