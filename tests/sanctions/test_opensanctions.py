"""OpenSanctions ingest: FtM entities (the ZALA and EU FSF fixtures) and targets.simple.csv."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

from briefing.appstate import Briefing, Context
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions, IngestResult
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from briefing.sanctions import opensanctions
from briefing.sanctions.search import sanctions
from briefing.sanctions.store import frame_entries
from briefing.settings import PROJECT_ROOT
from handlers import dispatch
from tests.conftest import EU_FSD_CODES, OPENSANCTIONS_FTM

OS = OPENSANCTIONS_FTM
ZALA = OS / "zala_entities.ftm.json"
EU_T1 = OS / "eu_fsf_t1_entities.ftm.json"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "sanctions"
SIMPLE_0220 = FIXTURES / "default_2024-02-20.targets.simple.csv"
SIMPLE_0223 = FIXTURES / "default_2024-02-23.targets.simple.csv"
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def load(brief: Briefing, *paths: Path, as_of: date | None = None) -> list[IngestResult]:
    return ingest(brief, list(paths), IngestOptions(as_of=as_of, today=date(2026, 5, 1)), NOW)


def test_ftm_sanction_entities_give_programmes_dates_and_authorities() -> None:
    parsed = opensanctions.parse_ftm(ZALA)
    assert parsed.dataset == "zala"  # its targets come from many datasets: named from the file
    assert parsed.file_date == date(2026, 4, 29)  # newest last_change
    entries = {e.entity_key: e for e in parsed.entries}
    assert len(entries) == 14  # targets and sanctioned parties; addresses and links are not
    cst = entries["NK-abdzbEBkqyT29GyREbiURZ"]
    assert cst.name == "LLC CST"
    assert cst.entity_type == "entity"
    # OFAC's code as written; other authorities by OpenSanctions' programme id.
    assert "RUSSIA-EO14024" in cst.programmes
    assert {"AU-RUSSIA", "EU-UKR", "GB-RUS", "SECO-UKRAINE", "NZ-RSA2022"} <= set(cst.programmes)
    assert {"RUSSIA-EO14024", "EU-UKR", "GB-RUS"} <= set(cst.russia_programmes)
    assert "UA-SA1644" not in cst.russia_programmes  # Ukraine's own list: not a Russia regime
    assert cst.listed_on == date(2021, 10, 30)  # earliest listingDate/startDate
    assert cst.first_seen == date(2023, 4, 20)
    assert "Department of Foreign Affairs and Trade — AU-RUSSIA (listed 2023-02-24)" in cst.remarks
    assert "Zala Aero" in cst.aliases
    assert any("Izhevsk" in a for a in cst.addresses)  # address props and Address entities
    assert "RU" in cst.countries
    person = entries["NK-aU5ybkbRFJucf8YMwsJvDw"]
    assert person.entity_type == "individual"
    assert "DOB 1965-09-21" in person.details
    assert "NK-56Edov9bas9puzaChH5pBy" not in entries  # not a target, no sanction names it


def test_eu_t1_file_is_the_eu_fsf_dataset(brief: Briefing) -> None:
    (result,) = load(brief, EU_T1)
    assert result.source == "opensanctions:eu_fsf"
    assert result.records == 6
    assert result.as_of == date(2024, 3, 28)  # newest last_change in the file
    assert "file contents" in result.summary
    index = sanctions(brief).index(date(2026, 5, 1))
    (snapshot,) = index.snapshots
    assert snapshot.source.title == "OpenSanctions eu_fsf dataset (CC BY-NC 4.0)"


def test_eu_t1_search_is_transliteration_tolerant(ctx: Context) -> None:
    load(ctx.brief, EU_T1)
    for query in ("Tatyana Zhuravleva", "ЖУРАВЛЕВА Татьяна", "zjuravleva tatiana vladimirovna"):
        reply = dispatch(f"sanctions {query}", ctx)
        text = render_text(reply)
        assert reply.kind is ReplyKind.ANSWER, query
        assert text.splitlines()[2].startswith("Match: Tatiana Vladimirovna ZJURAVLEVA"), query
        assert "CC BY-NC 4.0" in text  # the licence travels with OpenSanctions data


def test_zala_search_finds_cyrillic_names_from_latin_queries(ctx: Context) -> None:
    load(ctx.brief, ZALA)
    text = render_text(dispatch("sanctions zala aero", ctx))
    assert "Зала Аеро" in text or "LLC CST" in text
    text = render_text(dispatch("sanctions Kalashnikov Concern JSC", ctx))
    assert "JSC Kalashnikov Concern — entity —" in text
    assert "OpenSanctions zala" in text


def test_simple_csv_reads_by_header_and_splits_multi_values() -> None:
    parsed = opensanctions.parse_simple(SIMPLE_0223)
    assert parsed.dataset == "default"
    entries = {e.entity_key: e for e in parsed.entries}
    assert len(entries) == 10
    wuhan = entries["ofac-47995"]
    assert wuhan.programmes == ("RUSSIA-EO14024", "US-RUSHAR")  # sanctions + program_ids column
    assert wuhan.russia_programmes == ("RUSSIA-EO14024", "US-RUSHAR")
    assert wuhan.listed_on == date(2024, 2, 23)
    assert (wuhan.link_place, wuhan.link_reason) == ("China", "country China")
    assert "Identifiers 9142010030349268X3" in wuhan.details
    veb = entries["ofac-18295"]
    assert veb.link_place == "Hong Kong"
    cst = entries["NK-abdzbEBkqyT29GyREbiURZ"]
    # A quoted alias holding ';'-free text with embedded quotes survives the split.
    assert 'Limited Liability Company "CST"' in cst.aliases
    assert "ООО ЦСТ" in cst.aliases


def test_simple_csv_stored_rows_read_as_the_entries_the_reader_gives(tmp_path: Path) -> None:
    """The bulk path (rows derived column-wise for storage) and the reader agree entry for
    entry, the file's date and dataset too."""
    for path in (SIMPLE_0220, SIMPLE_0223):
        whole = opensanctions.parse_simple(path)
        rows = opensanctions.parse_simple_rows(path)
        stored = frame_entries(rows.rows.frame())
        assert stored == whole.entries
        assert rows.rows.keys == [e.entity_key for e in whole.entries]
        assert (rows.file_date, rows.dataset) == (whole.file_date, whole.dataset)
        # A row's fingerprint ignores last_seen (it moves every day), not what it is read from.
        with path.open(encoding="utf-8", newline="") as handle:
            records = list(csv.DictReader(handle))
        moved = tmp_path / path.name
        with moved.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]), quoting=csv.QUOTE_ALL)
            writer.writeheader()
            for record in records:
                writer.writerow({**record, "last_seen": "2024-03-01T06:00:00"})
        assert opensanctions.parse_simple_rows(moved).rows.fingerprints == rows.rows.fingerprints
        records[0]["name"] += " Renamed"
        with moved.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(records[0]), quoting=csv.QUOTE_ALL)
            writer.writeheader()
            writer.writerows(records)
        changed = opensanctions.parse_simple_rows(moved).rows.fingerprints
        assert changed[0] != rows.rows.fingerprints[0]
        assert changed[1:] == rows.rows.fingerprints[1:]


def test_simple_csv_pair_diffs_added_removed_changed(brief: Briefing) -> None:
    (first,) = load(brief, SIMPLE_0220)
    assert first.source == "opensanctions:default"
    assert first.as_of == date(2024, 2, 20)  # the date in the file name
    assert first.updates == ()
    (second,) = load(brief, SIMPLE_0223)
    (update,) = second.updates
    assert update.update_id == "sanctions:opensanctions:default:2024-02-23"
    assert update.title == (
        "OpenSanctions default added 2 designations (2 under RUSSIA-EO14024; "
        "2 linked to China/Hong Kong)"
    )
    texts = [line.text for line in update.lines]
    assert texts[0].startswith("2 added (2 under RUSSIA-EO14024), 1 changed, 1 removed")
    assert texts[1].startswith(
        "GUANGZHOU AUSAY TECHNOLOGY CO., LIMITED — RUSSIA-EO14024, US-RUSHAR"
    )
    assert "Changed: LLC CST — aliases updated" in texts
    assert "Removed: GOLD MILES LIMITED — RUSSIA-EO14024" in texts
    assert update.lines[0].source is not None
    assert "CC BY-NC 4.0" in update.lines[0].source.title


def test_simple_csv_tolerates_extra_and_missing_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "targets.simple.csv"
    path.write_text(
        '"id","schema","name","countries","sanctions","new_column"\n'
        '"x-1","Company","HONG KONG SOMETHING LIMITED","hk","UKR - reason","zzz"\n',
        encoding="utf-8",
    )
    assert opensanctions.looks_like_simple(path)
    parsed = opensanctions.parse_simple(path)
    (entry,) = parsed.entries
    assert entry.programmes == ("UKR",)
    assert entry.russia_programmes == ("UKR",)
    assert entry.link_place == "Hong Kong"
    assert parsed.dataset == tmp_path.name


def test_ftm_and_simple_files_are_claimed_by_their_formats() -> None:
    assert opensanctions.looks_like_ftm(ZALA)
    assert opensanctions.looks_like_simple(SIMPLE_0220)
    assert not opensanctions.looks_like_simple(EU_FSD_CODES)
    assert not opensanctions.looks_like_ftm(SIMPLE_0220)
