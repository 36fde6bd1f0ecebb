"""`/brief sanctions`: fuzzy search, what is new, stats, the ask hook, and the lazy index."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from briefing.appstate import Briefing, Context
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from briefing.sanctions import search as search_module
from briefing.sanctions.list_replies import answer_sanctions_question
from briefing.sanctions.normalise import name_key
from briefing.sanctions.search import SanctionsData, _haystack, _identifier_words, sanctions
from briefing.settings import PROJECT_ROOT
from handlers import dispatch, find
from tests.conftest import OFAC_SNAPSHOTS, OFAC_WATCHMAN

SNAPSHOTS = OFAC_SNAPSHOTS
WATCHMAN = OFAC_WATCHMAN
NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def load(brief: Briefing, *paths: Path, as_of: date | None = None) -> None:
    ingest(brief, list(paths), IngestOptions(as_of=as_of, today=date(2024, 3, 1)), NOW)


def top(ctx: Context, query: str) -> str:
    reply = dispatch(f"sanctions {query}", ctx)
    assert reply.kind is ReplyKind.ANSWER, (query, render_text(reply))
    heading = next(s.heading for s in reply.sections if s.heading)
    tier, _, rest = heading.partition(": ")
    assert tier in ("Match", "Possible match"), heading
    return rest


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("WUHAN MAIWE COMMUNICATION CO., LTD.", "wuhan maiwe communication"),
        ("Общество с ограниченной ответственностью «Инстар Лоджистикс»", "instar lodjistix"),
        ("INSTAR LODZHISTIKS, OOO", "instar lodjistix"),
        ("Instar Logistics LLC", "instar logistix"),
        ("Tatyana ZHURAVLEVA", "tatiana iuravleva"),
        ("Tatiana ZJURAVLEVA", "tatiana iuravleva"),
        ("Dmitrii Yuryevich", "dmitry iurievich"),
        ("Dmitriy Iurievich", "dmitry iurievich"),
        ("Фёдор", "fedor"),
        ("Tzvetkov", "tsvetkov"),
        ("CO LTD", "co ltd"),  # nothing but legal forms: kept rather than emptied
    ],
)
def test_name_keys_fold_spelling_variants(text: str, key: str) -> None:
    assert name_key(text) == key


def test_fuzzy_search_on_the_full_sdn_list(ctx: Context) -> None:
    load(ctx.brief, SNAPSHOTS / "sdn_2024-02-23.csv")
    wuhan = "WUHAN MAIWE COMMUNICATION CO LTD — entity — RUSSIA-EO14024"
    cases = {
        "wuhan maiwe": wuhan,  # part of the name
        "maiwe wuhan": wuhan,  # word order
        "Wuhan-Maiwe Communication Co., Ltd.": wuhan,  # punctuation, legal form
        "WUHAN MAIWE COMMUNICATION LIMITED": wuhan,  # another legal form
        "wuhan maiwee": wuhan,  # a typo
        "9142010030349268X3": wuhan,  # its USCC code
        "Guangzhou Ausay Technology Company Limited": "GUANGZHOU AUSAY TECHNOLOGY CO., LIMITED",
        "instar logistics": "INSTAR LODZHISTIKS, OOO",  # ks/cs, zh: back-transliteration
        "ООО Инстар Лоджистикс": "INSTAR LODZHISTIKS, OOO",  # Cyrillic query
        "Хасиков Бату Сергеевич": "KHASIKOV, Batu Sergeyevich",
        "Kudryavtsev Gennadiy": "KUDRYAVTSEV, Gennady Ivanovich",  # iy/y
        "Kalashnikov Concern JSC": "JOINT STOCK COMPANY CONCERN KALASHNIKOV",
        "new idea guangzhou": "NEW IDEA GUANGZHOU TECHNOLOGY CO. LTD.",  # not `sanctions new`
    }
    for query, expected in cases.items():
        assert top(ctx, query).startswith(expected), query
    text = render_text(dispatch("sanctions wuhan maiwe", ctx))
    assert text.splitlines()[0] == (
        "1 match on the U.S. Treasury OFAC SDN list (list of 23 Feb 2024)"
    )
    assert "linked to China (USCC 9142010030349268X3 in remarks)" in text
    assert "OFAC entry 47995, list of 23 Feb 2024" in text
    assert "https://sanctionslist.ofac.treas.gov/" in text


def test_no_match_says_so_and_suggests_what_to_try(ctx: Context) -> None:
    load(ctx.brief, WATCHMAN / "sdn.csv", as_of=date(2024, 2, 1))
    reply = dispatch("sanctions zyxwv qqq", ctx)
    text = render_text(reply)
    assert reply.kind is ReplyKind.NO_DATA
    assert text.startswith("No match for “zyxwv qqq” on the sanctions lists I hold.")
    assert "U.S. Treasury OFAC SDN list (list of 1 Feb 2024, 17 entries)" in text
    assert "Check the spelling" in text
    assert "/brief sanctions stats" in text
    short = dispatch("sanctions ab", ctx)
    assert short.kind is ReplyKind.USAGE_ERROR


def test_nothing_loaded_is_explained(ctx: Context) -> None:
    for command in ("sanctions wuhan", "sanctions new", "sanctions stats"):
        reply = dispatch(command, ctx)
        assert reply.kind is ReplyKind.NO_DATA
        assert "No sanctions list is loaded yet." in render_text(reply)


def test_aliases_match_and_are_shown(ctx: Context) -> None:
    load(ctx.brief, WATCHMAN / "sdn.csv", as_of=date(2024, 2, 1))
    text = render_text(dispatch("sanctions lockbitsupp", ctx))
    assert "KHOROSHEV, Dmitry Yuryevich — individual — CYBER2" in text
    assert "why: the alias “LOCKBITSUPP” — aligned lockbitsupp" in text
    text = render_text(dispatch("sanctions Dialog Regiony ANO", ctx))
    assert "AUTONOMOUS NON-PROFIT ORGANIZATION DIALOG REGIONS" in text


def test_new_and_new_since_and_stats(ctx: Context) -> None:
    load(ctx.brief, SNAPSHOTS / "sdn_2024-02-20.csv")
    first_only = render_text(dispatch("sanctions new", ctx))
    assert "The first list loaded (13,931 entries)" in first_only
    load(ctx.brief, SNAPSHOTS / "sdn_2024-02-23.csv")
    reply = dispatch("sanctions new", ctx)
    text = render_text(reply)
    assert reply.title == "Sanctions list changes"
    assert "553 added (552 under RUSSIA-EO14024), 8 changed, 0 removed" in text
    assert "Added, linked to China/Hong Kong (10):" in text
    assert "• WUHAN MAIWE COMMUNICATION CO LTD — RUSSIA-EO14024 — linked to China" in text
    assert "Added under Russia programmes (542):" in text
    assert "…and 522 more" in text
    assert "Changed (7):" in text
    assert reply.data_as_of == date(2024, 2, 23)
    since = render_text(dispatch("sanctions new since 2024-02-20", ctx))
    assert "553 added" in since
    none_since = dispatch("sanctions new since 2024-02-23", ctx)
    assert none_since.title == "No sanctions designation changed since 23 Feb 2024"
    assert "No newer list since 23 Feb 2024." in render_text(none_since)
    bad = dispatch("sanctions new since yesterday", ctx)
    assert bad.kind is ReplyKind.USAGE_ERROR
    # As of a day between the lists, the 20 Feb list is the one in force.
    earlier = Context(brief=ctx.brief, today=date(2024, 2, 21))
    assert "13,931 entries" in render_text(dispatch("sanctions stats", earlier))
    assert dispatch("sanctions wuhan maiwe", earlier).kind is ReplyKind.NO_DATA


def test_ask_hook_answers_sanctions_questions_only(ctx: Context) -> None:
    load(ctx.brief, WATCHMAN / "sdn.csv", as_of=date(2024, 2, 1))
    brief, today = ctx.brief, ctx.today
    reply = answer_sanctions_question(brief, "Is Dmitry Khoroshev sanctioned?", today)
    assert reply is not None
    assert "KHOROSHEV, Dmitry Yuryevich" in render_text(reply)
    reply = answer_sanctions_question(brief, "Are there sanctions on NS Leader?", today)
    assert reply is not None
    assert (
        render_text(reply).splitlines()[2].startswith("Match: NS LEADER — vessel — RUSSIA-EO14024")
    )
    reply = answer_sanctions_question(brief, "how many entries are on the OFAC list?", today)
    assert reply is not None
    assert "17 entries" in render_text(reply)
    reply = answer_sanctions_question(brief, "what's new on the SDN list?", today)
    assert reply is not None
    assert "The first list loaded" in render_text(reply)
    assert answer_sanctions_question(brief, "what was China–Russia trade in 2024?", today) is None


def test_index_is_built_on_first_sanctions_query_and_dropped_by_refresh(ctx: Context) -> None:
    brief = ctx.brief
    load(brief, WATCHMAN / "sdn.csv", as_of=date(2024, 2, 1))
    assert brief._sanctions is None  # the ingest refreshed the briefing
    dispatch("trade 2024", ctx)
    dispatch("help", ctx)
    assert brief._sanctions is None  # other commands never load the lists
    dispatch("sanctions khoroshev", ctx)
    data = brief._sanctions
    assert isinstance(data, SanctionsData)
    dispatch("sanctions suex", ctx)
    assert sanctions(brief) is data  # cached
    brief.refresh()
    assert brief._sanctions is None
    assert sanctions(brief) is not data


def test_sanctions_is_registered_cheap_with_its_help() -> None:
    command = find("sanctions")
    assert command is not None
    assert not command.expensive
    assert command.usage.startswith("sanctions NAME [--all] | history [china|hong kong|russia")


def test_a_cold_trade_command_does_not_load_the_sanctions_stack(database_url: str) -> None:
    """`python bot.py say "/brief trade 2024"` imports neither the search index nor pandas'
    sanctions parsers, and reads no sanctions table."""

    script = (
        "import sys, runpy\n"
        "sys.argv = ['bot.py', 'say', '/brief trade 2024']\n"
        "try:\n"
        "    runpy.run_path('bot.py', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('briefing.sanctions'))\n"
        "print('LOADED', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "SEED_BUNDLED_LISTS": "false",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "$244.8 bn" in done.stdout
    loaded = done.stdout.rsplit("LOADED", 1)[1]
    for module in (
        "search",
        "list_replies",
        "ofac",
        "opensanctions",
        "formats",
        "store",
        "parties",
    ):
        assert f"briefing.sanctions.{module}'" not in loaded, loaded


@pytest.mark.parametrize("block", [65_536, 2])  # one array, or several joined
def test_identifier_words_found_column_wise_are_those_found_entry_by_entry(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "_HAYSTACK_BLOCK", block)
    pieces = [
        "", " ", "abc", "A1", "Tax ID No. 7714136948 (Russia);", "DOB 12 Jan 1970",
        "pass.\tno 99", "a\nb2 c3", "İstanbul 34", "ΣΑ1", "aaaa9bbbb", "\u00a0x1\u2003y",
        "x\x1cy2", "z\x85q3 \u3000", "ŉ5 ǅ7 ß4", "\t\r\n", "٣ ９", "日本2号",
    ]  # fmt: skip
    rng = random.Random(16)
    for _ in range(500):
        size = rng.randint(0, 5)
        remarks = [" ".join(rng.sample(pieces, rng.randint(0, 4))) for _ in range(size)]
        details = [" ".join(rng.sample(pieces, rng.randint(0, 3))) for _ in range(size)]
        texts = [_identifier_words(f"{r} {d}") for r, d in zip(remarks, details, strict=True)]
        text, starts = _haystack(remarks, details)
        assert text == "\0".join(texts)
        assert starts.tolist() == [sum(len(t) + 1 for t in texts[:i]) for i in range(size)]
