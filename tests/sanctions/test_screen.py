"""The screening matcher on its own: tiers, the family-name rule, common words, numbers,
run-together names, explanations — and what a search reply shows a reviewer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from briefing.appstate import Briefing, Context
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from briefing.sanctions.identifiers import birth_years, identifiers
from briefing.sanctions.normalise import name_tokens
from briefing.sanctions.screen import NameIndex, Party, Tier, word_similarity
from handlers import dispatch
from tests.conftest import FIXTURES, OFAC_SNAPSHOTS, OFAC_WATCHMAN

NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CONSOLIDATED = FIXTURES / "sanctions" / "ofac_consolidated"


def _tag(i: int) -> str:
    return chr(65 + i // 26) + chr(65 + i % 26)


PARTIES = [
    Party(("ZHANG, Wei",), person=True),
    Party(("ZHANG, Xiaoming",), person=True),
    Party(("LAVROV, Sergei Viktorovich",), person=True),
    Party(("SINA BANK",), person=False),
    Party(("ANGLO-CARIBBEAN CO., LTD.",), person=False),
    Party(("HAO FAN 2",), person=False),
    Party(("HAO FAN 6",), person=False),
    Party(("CADY TECH HK LIMITED",), person=False),
    Party(("NORD GOLD PLC",), person=False),
    Party(("PRIVATE MILITARY COMPANY 'WAGNER'", "WAGNER GROUP"), person=False),
    # Filler so that "bank", "trading", "group" are common words, as on the real list.
    *(Party((f"{w} BANK",), person=False) for w in ("ALPHA", "BETA", "GAMMA", "DELTA")),
    *(Party((f"ZORBA{_tag(i)} TRADING GROUP",), person=False) for i in range(60)),
    *(Party((f"QUILL{_tag(i)} BANK",), person=False) for i in range(60)),
]


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(PARTIES)


def names(index: NameIndex, query: str, **hints: bool) -> list[tuple[str, Tier]]:
    return [(PARTIES[h.party].names[0], h.tier) for h in index.screen(query, **hints)]


def test_a_person_needs_the_family_name(index: NameIndex) -> None:
    assert names(index, "Wang Wei") == []  # ZHANG, Wei: another family
    assert names(index, "Xiaomi Corporation") == []  # like "Xiaoming", but no family name
    assert names(index, "Wei Zhang")[0] == ("ZHANG, Wei", Tier.MATCH)
    hit = index.screen("Serej Lavrov")[0]
    assert hit.tier is Tier.MATCH
    assert "family name lavrov aligned" in hit.explain()
    assert "serej≈sergei" in hit.explain()


def test_common_words_and_places_never_carry_a_hit(index: NameIndex) -> None:
    assert index.is_common("bank")
    assert index.is_common("china")
    assert names(index, "Bank of China") == []
    assert names(index, "Caribbean Trading Limited") == []  # Caribbean: a region
    assert names(index, "Trading Group") == []


def test_tiers_and_what_differs(index: NameIndex) -> None:
    assert names(index, "Cady Technology Hong Kong Ltd") == [("CADY TECH HK LIMITED", Tier.MATCH)]
    assert names(index, "PMC Wagner")[0] == ("PRIVATE MILITARY COMPANY 'WAGNER'", Tier.MATCH)
    assert names(index, "Nordgold")[0] == ("NORD GOLD PLC", Tier.MATCH)
    assert names(index, "HAO FAN 2") == [("HAO FAN 2", Tier.MATCH)]
    other = index.screen("Hao Fan 3")  # another vessel of the series: a look, not a match
    assert {(PARTIES[h.party].names[0], h.tier) for h in other} == {
        ("HAO FAN 2", Tier.POSSIBLE),
        ("HAO FAN 6", Tier.POSSIBLE),
    }
    assert all("numbers differ" in h.explain() for h in other)
    assert index.screen("Hao Fan 3", include_possible=False) == []


def test_an_alias_and_a_kind_hint(index: NameIndex) -> None:
    hit = index.screen("Wagner Group")[0]
    assert hit.name == "WAGNER GROUP"
    assert not hit.primary
    assert hit.tier is Tier.MATCH
    as_person = index.screen("Wagner Group", person=True)[0]
    assert as_person.tier is Tier.POSSIBLE
    assert "listed as not a person" in as_person.explain()


def test_word_similarity() -> None:
    assert word_similarity("putin", "putin") == 1.0
    assert word_similarity("poutine", "putin") == 0.9  # sounds alike, starts alike
    assert word_similarity("china", "sina") == 0.0
    assert word_similarity("2", "6") == 0.0
    assert word_similarity("abc", "abd") == 0.0  # three letters: one letter is a lot


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("CADY TECH HK LIMITED", ("cady", "tech", "hk")),
        ("Cady Technology (Hong Kong) Company Ltd.", ("cady", "tech", "hk")),
        ("TOVARYSTVO Z OBMEZHENOIU VIDPOVIDALNISTIU KRAFT", ("kraft",)),
        ("Faberlic Europe Sp. z o.o.", ("faberlic", "europe")),
        ("Korvessa Industrial Sdn. Bhd.", ("korvessa", "ind")),
        ("JSCARGUMENT", ("argument",)),
        ("M/V Sandino", ("sandino",)),
    ],
)
def test_legal_forms_and_abbreviations(text: str, tokens: tuple[str, ...]) -> None:
    assert name_tokens(text) == tokens


def test_identifiers_from_remarks() -> None:
    remarks = (
        "DOB 30 Jul 1957; alt. DOB 1958; POB Jeddah, Saudi Arabia; nationality Saudi Arabia; "
        "Passport 98044 (Syria); Unified Social Credit Code (USCC) 9142010030349268X3 (China); "
        "Secondary sanctions risk: section 1(b); Linked To: SOMEONE."
    )
    found = [str(i) for i in identifiers(remarks)]
    assert found == [
        "DOB 30 Jul 1957",
        "DOB 1958",
        "POB Jeddah, Saudi Arabia",
        "nationality Saudi Arabia",
        "passport 98044 (Syria)",
        "USCC 9142010030349268X3 (China)",
    ]
    assert birth_years(identifiers(remarks)) == {1957, 1958}
    assert [str(i) for i in identifiers("", "DOB 1966-09-15; INN 7707083893")] == [
        "DOB 1966-09-15",
        "INN 7707083893",
    ]


def load(brief: Briefing, *paths: Path, as_of: date | None = None) -> None:
    ingest(brief, list(paths), IngestOptions(as_of=as_of, today=date(2024, 3, 1)), NOW)


def test_a_reply_shows_tier_reason_identifiers_aliases_addresses_and_link(ctx: Context) -> None:
    load(ctx.brief, OFAC_WATCHMAN / "sdn.csv", as_of=date(2024, 2, 1))
    text = render_text(dispatch("sanctions Dmitry Khoroshev", ctx))
    lines = text.splitlines()
    assert lines[0] == "1 match on the U.S. Treasury OFAC SDN list (list of 1 Feb 2024)"
    assert lines[2] == "Match: KHOROSHEV, Dmitry Yuryevich — individual — CYBER2"
    assert lines[3].startswith("why: aligned dmitry, khoroshev")
    assert "family name khoroshev aligned" in lines[3]
    assert "identifiers: DOB 17 Apr 1993; POB Russian Federation" in text
    assert "aliases: KHOROSHEV, Dmitriy Yurevich;" in text
    assert "LOCKBITSUPP" in text
    assert (
        "OFAC entry 48603, list of 1 Feb 2024: "
        "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=48603"
    ) in text


def test_counts_are_honest_and_all_shows_every_one(ctx: Context) -> None:
    load(ctx.brief, OFAC_SNAPSHOTS / "sdn_2024-02-23.csv")
    reply = dispatch("sanctions sberbank", ctx)
    text = render_text(reply)
    total = int(text.split(" entries match “sberbank”")[0].split("\n")[-1])
    assert total >= 15
    assert "showing 5 — add --all" in text
    assert sum(1 for s in reply.sections if s.heading) == 5
    everything = dispatch("sanctions sberbank --all", ctx)
    assert sum(1 for s in everything.sections if s.heading) == total
    assert "showing" not in render_text(everything)
    title = everything.title
    assert title.endswith("on the U.S. Treasury OFAC SDN list (list of 23 Feb 2024)")
    assert "match" in title
    assert "possible match" in title


@pytest.mark.parametrize(
    "name",
    ["Huawei Technologies Co., Ltd.", "Bank of China", "Lenovo Group Limited", "Wang Wei"],
)
def test_well_known_unlisted_names_get_no_hit(ctx: Context, name: str) -> None:
    load(ctx.brief, OFAC_SNAPSHOTS / "sdn_2024-02-23.csv")
    reply = dispatch(f"sanctions {name}", ctx)
    assert reply.kind is ReplyKind.NO_DATA, render_text(reply)
    assert "Neither a match nor a possible match" in render_text(reply)


def test_the_consolidated_list_is_a_list_of_its_own(ctx: Context) -> None:
    load(ctx.brief, CONSOLIDATED / "cons_prim.csv", as_of=date(2024, 2, 1))
    text = render_text(dispatch("sanctions national bank of iran", ctx))
    assert "U.S. Treasury OFAC Consolidated (non-SDN) list (list of 1 Feb 2024)" in text
    assert "Match: BANK MELLI IRAN — entity — IRAN" in text
    assert "why: the alias “NATIONAL BANK OF IRAN”" in text
    assert "linked to Hong Kong (address in Hong Kong (Central))" in text
    assert "addresses: Tehran, Iran; Paris 75008, France; Central, Hong Kong (+" in text
    assert "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=10576" in text
    tejarat = render_text(dispatch("sanctions bank tejarat", ctx))
    assert "linked to China (address in China (Beijing 100016))" in tejarat
    assert "identifiers: SWIFT/BIC BTEJ IR TH" in tejarat
    stats = render_text(dispatch("sanctions stats", ctx))
    assert "13 entries" in stats
