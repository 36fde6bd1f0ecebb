"""Discord embeds: a reply's figures, sources and date within every Discord limit, escaped."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.appstate import Context
from briefing.render.discord_embeds import (
    BLANK,
    MAX_CONTENT,
    MAX_DESCRIPTION,
    MAX_EMBEDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIELDS,
    MAX_FOOTER,
    MAX_TITLE,
    MAX_TOTAL,
    chart_filename,
    embeds_size,
    escape,
    render_content,
    render_embeds,
    size,
    to_discord_embeds,
)
from briefing.replies import Chart, Line, Reply, ReplyKind, Section, Source, simple
from handlers import dispatch
from tests.fakes.fake_discord import iter_strings

# A mention Discord would render or ping: @everyone, @here, users, nicknames, roles.
LIVE_MENTION = re.compile(r"@everyone|@here|<@!?\d+>|<@&\d+>", re.IGNORECASE)
CUSTOMS = Source("China customs", "https://english.customs.gov.cn/", date(2025, 1, 13))


def check_limits(embeds: list[dict[str, Any]]) -> None:
    """Every limit Discord enforces on the embeds of one message."""
    assert 1 <= len(embeds) <= MAX_EMBEDS
    for embed in embeds:
        assert size(embed.get("title", "")) <= MAX_TITLE
        assert size(embed.get("description", "")) <= MAX_DESCRIPTION
        assert size(embed.get("footer", {}).get("text", "")) <= MAX_FOOTER
        fields = embed.get("fields", [])
        assert len(fields) <= MAX_FIELDS
        for item in fields:
            assert 0 < size(item["name"]) <= MAX_FIELD_NAME
            assert 0 < size(item["value"]) <= MAX_FIELD_VALUE
            assert item["name"].strip() or item["name"] == BLANK
            assert item["value"].strip()
        assert embed.get("title") or embed.get("description") or fields
    assert embeds_size(embeds) <= MAX_TOTAL


def long_reply(
    lines: int, *, text: str = "Exports to Russia rose", chart: Chart | None = None
) -> Reply:
    rows = tuple(Line(f"{text} {i}", CUSTOMS) for i in range(lines))
    return Reply(
        title="China–Russia trade, 2024 (China customs, USD)",
        sections=(
            Section(None, (Line("Total $244.8 bn, +1.9% on 2023 (a record)", CUSTOMS),)),
            Section("Month by month", rows),
        ),
        footer="/brief trade 2024-12 · /brief digest",
        chart=chart,
    )


def test_an_answer_shows_title_figures_sources_and_the_data_date() -> None:
    embeds = render_embeds(long_reply(3))
    check_limits(embeds)
    assert len(embeds) == 1
    embed = embeds[0]
    assert embed["title"] == "China–Russia trade, 2024 (China customs, USD)"
    assert "Total $244.8 bn" in embed["description"]
    assert "*China customs, 13 Jan 2025*" in embed["description"]
    names = [f["name"] for f in embed["fields"]]
    assert names == ["Month by month", "Sources"]
    assert embed["fields"][0]["value"].count("\n") == 2
    assert (
        "[China customs, 13 Jan 2025](https://english.customs.gov.cn/)"
        in (embed["fields"][1]["value"])
    )
    assert (
        embed["footer"]["text"] == "Data as of 13 Jan 2025 · /brief trade 2024-12 · /brief digest"
    )


def test_a_long_reply_is_split_and_then_cut_with_a_count_of_what_was_left_out() -> None:
    embeds = render_embeds(long_reply(400))
    check_limits(embeds)
    values = [f["value"] for e in embeds for f in e.get("fields", [])]
    shown = sum(v.count("Exports to Russia rose") for v in values)
    assert 0 < shown < 400
    note = [v for v in values if "more lines" in v]
    assert note == [f"*… {400 - shown} more lines — try a narrower query*"]
    # Continuation fields are unnamed; the section's name is on its first field only.
    names = [f["name"] for e in embeds for f in e.get("fields", [])]
    assert names[0] == "Month by month"
    assert set(names[1:-1]) == {BLANK}
    assert names[-1] == "Sources"


def test_many_short_lines_spread_over_fields_and_embeds() -> None:
    embeds = render_embeds(long_reply(2000, text="x"))
    check_limits(embeds)
    assert sum(len(e.get("fields", [])) for e in embeds) > 2


def test_more_than_25_sections_continue_in_a_second_embed() -> None:
    sections = tuple(
        Section(f"Chapter {i}", (Line(f"HS {i}: $1.{i} bn", CUSTOMS),)) for i in range(40)
    )
    embeds = render_embeds(Reply(title="Trade by HS chapter", sections=sections))
    check_limits(embeds)
    assert len(embeds) == 2
    assert embeds[0]["title"] == "Trade by HS chapter"
    assert "title" not in embeds[1]
    names = [f["name"] for e in embeds for f in e["fields"]]
    assert names == [f"Chapter {i}" for i in range(40)] + ["Sources"]
    assert "footer" in embeds[1]
    assert "footer" not in embeds[0]


def test_one_huge_line_is_cut_inside_its_field() -> None:
    reply = Reply(title="t", sections=(Section("Big", (Line("word " * 3000, CUSTOMS),)),))
    embeds = render_embeds(reply)
    check_limits(embeds)
    value = embeds[0]["fields"][0]["value"]
    assert value.endswith("… — *China customs, 13 Jan 2025*")


def test_markdown_and_mentions_in_data_are_escaped() -> None:
    hostile = "**bold** _it_ ~~s~~ `code` ||spoiler|| [click](https://evil.example) > quote"
    reply = Reply(
        title="@everyone # look",
        sections=(
            Section(None, (Line(hostile), Line("- not a list"), Line("1. not a list either"))),
            Section("<@123456789012345678> and @here", (Line("<@&42> role, <@!7> nick"),)),
        ),
        footer="ping @everyone",
    )
    embeds = render_embeds(reply)
    check_limits(embeds)
    description = embeds[0]["description"]
    assert "\\*\\*bold\\*\\*" in description
    assert "\\_it\\_" in description
    assert "\\~\\~s\\~\\~" in description
    assert "\\`code\\`" in description
    assert "\\|\\|spoiler\\|\\|" in description
    assert "\\[click\\](https://evil.example)" in description
    assert "\\> quote" in description
    assert "\\- not a list" in description
    assert "1\\. not a list either" in description
    assert embeds[0]["title"] == f"@{BLANK}everyone \\# look"
    for text in iter_strings(embeds):
        assert not LIVE_MENTION.search(text), text


def test_source_links_are_only_http_and_cannot_break_out() -> None:
    sources = (
        Source("Good", "https://example.com/a_(b) c?q=1"),
        Source("Script", "javascript:alert(1)"),
        Source("Pinger", "https://example.com/@everyone/<@1>"),
    )
    reply = Reply(title="t", sections=(Section(None, tuple(Line(s.title, s) for s in sources)),))
    value = render_embeds(reply)[0]["fields"][-1]["value"]
    assert "[Good](https://example.com/a_%28b%29%20c?q=1)" in value
    assert "javascript" not in value
    assert "Script" in value
    assert "[Pinger](https://example.com/%40everyone/%3C%401%3E)" in value


def test_errors_and_refusals_have_no_footer_line() -> None:
    reply = simple("Only admins can change this.", "Ask an admin.", kind=ReplyKind.REFUSAL)
    reply = Reply(title=reply.title, sections=reply.sections, kind=reply.kind, footer="/brief x")
    embeds = render_embeds(reply)
    assert "footer" not in embeds[0]
    assert embeds[0]["color"] != render_embeds(long_reply(1))[0]["color"]


def test_a_chart_is_an_attachment_image_on_the_last_embed(tmp_path: Path) -> None:
    chart = Chart(tmp_path / "trade 2024 (monthly).png", "Monthly trade", "Bars of monthly trade")
    assert chart_filename(chart) == "trade_2024__monthly.png"
    embeds = render_embeds(long_reply(300, chart=chart))
    check_limits(embeds)
    assert embeds[-1]["image"] == {"url": "attachment://trade_2024__monthly.png"}
    assert all("image" not in e for e in embeds[:-1])


def test_content_is_escaped_and_within_2000() -> None:
    text = render_content("@everyone " + "*" * 5000)
    assert size(text) <= MAX_CONTENT
    assert not LIVE_MENTION.search(text)
    assert text.endswith("…")


def test_discord_embed_objects_round_trip() -> None:
    embeds = render_embeds(long_reply(5))
    objects = to_discord_embeds(embeds)
    assert all(isinstance(e, discord.Embed) for e in objects)
    assert objects[0].title == embeds[0]["title"]
    assert [f.name for f in objects[0].fields] == ["Month by month", "Sources"]
    assert sum(len(e) for e in objects) <= MAX_TOTAL


def test_every_command_reply_renders_within_limits(ctx: Context) -> None:
    for text in (
        "help",
        "trade 2024",
        "trade 2023-01..2024-06 exports",
        "digest",
        "sources",
        "ask what share of Russia's car market do Chinese brands have?",
        "subscriptions",
    ):
        embeds = render_embeds(dispatch(text, ctx))
        check_limits(embeds)


# -- property: arbitrary text ---------------------------------------------------------------

_MARKUP = st.sampled_from(
    [
        "@everyone",
        "@here",
        "<@123>",
        "<@!123>",
        "<@&123>",
        "**",
        "__",
        "||",
        "`",
        "\\",
        "\n",
        "> ",
        "# ",
        "- ",
        "1. ",
        "[a](http://x)",
        "<",
        ">",
        "@",
        "&",
        "!",
        "\u200b",
        "😀",
    ]
)
_TEXT = st.lists(st.one_of(st.text(max_size=60), _MARKUP), max_size=40).map("".join)
_SOURCES = st.builds(
    Source,
    title=_TEXT,
    url=st.one_of(st.none(), st.just("https://example.com/x"), _TEXT),
    as_of=st.one_of(st.none(), st.dates()),
)
_LINES = st.lists(st.builds(Line, text=_TEXT, source=st.one_of(st.none(), _SOURCES)), max_size=60)
_SECTIONS = st.lists(
    st.builds(Section, heading=st.one_of(st.none(), _TEXT), lines=_LINES.map(tuple)), max_size=8
)
_REPLIES = st.builds(
    Reply,
    title=_TEXT,
    sections=_SECTIONS.map(tuple),
    kind=st.sampled_from(list(ReplyKind)),
    as_of=st.one_of(st.none(), st.dates()),
    footer=st.one_of(st.none(), _TEXT),
)


@settings(max_examples=300, deadline=None)
@given(_REPLIES)
def test_any_reply_fits_every_limit_and_mentions_nobody(reply: Reply) -> None:
    embeds = render_embeds(reply)
    check_limits(embeds)
    for text in iter_strings(embeds):
        assert not LIVE_MENTION.search(text), text


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_escaped_text_has_no_live_mention_and_no_bare_markdown(text: str) -> None:
    escaped = escape(text)
    assert not LIVE_MENTION.search(escaped)
    # Each markdown character is preceded by a backslash that is not itself escaped.
    unescaped = re.compile(r"(?<!\\)[*_~`|\[\]<>#]")
    assert not unescaped.search(escaped.replace("\\\\", "")), escaped
