"""Slack Block Kit rendering: Slack's limits, escaping, validation with slack_sdk's models."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from briefing.appstate import Briefing
from briefing.daily_digest import build_digest
from briefing.render.slack_blocks import (
    BLOCKS_JSON_BUDGET,
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FALLBACK_CHARS,
    MAX_HEADER_CHARS,
    MAX_SECTION_CHARS,
    SHARE_ACTION_ID,
    escape,
    render_blocks,
)
from briefing.render.text import render_text
from briefing.replies import Chart, Line, Reply, ReplyKind, Section, Source, simple

Blocks = list[dict[str, Any]]

HOSTILE = (
    "<!channel>",
    "<!here>",
    "<@U123>",
    "<!subteam^S1>",
    "<https://evil.example|click>",
    "<#C999>",
    "a & b",
    "*bold* _it_ ~s~ `code`",
)
# The only "<…>" the renderer may write: a link to an http(s) URL with an escaped label.
OUR_LINK = re.compile(r"<https?://[^\s<>|]+\|[^<>]*>")


def texts(blocks: Blocks) -> list[tuple[str, str]]:
    """Every (text type, text) in the blocks, text objects of elements included."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                found.append((node["type"], node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def assert_within_limits(blocks: Blocks, fallback: str) -> None:
    assert 1 <= len(blocks) <= MAX_BLOCKS
    for raw in blocks:
        Block.parse(raw).validate_json()  # type: ignore[union-attr]
        if raw["type"] == "header":
            assert 0 < len(raw["text"]["text"]) <= MAX_HEADER_CHARS
        if raw["type"] == "section":
            assert raw["text"]["text"].strip()
            assert len(raw["text"]["text"]) <= MAX_SECTION_CHARS
            assert len(raw.get("fields", [])) <= 10
        if raw["type"] == "context":
            assert 0 < len(raw["elements"]) <= MAX_CONTEXT_ELEMENTS
            assert all(e["text"].strip() for e in raw["elements"])
        assert raw["type"] != "image"
    assert len(json.dumps(blocks, ensure_ascii=False)) <= BLOCKS_JSON_BUDGET
    assert len(json.dumps(blocks, ensure_ascii=False)) + len(fallback) < 12_000
    assert 0 < len(fallback) <= MAX_FALLBACK_CHARS


def assert_no_markup_from_data(blocks: Blocks, fallback: str) -> None:
    for kind, text in texts(blocks):
        data = OUR_LINK.sub("", text) if kind == "mrkdwn" else text
        assert "<" not in data, text
        assert ">" not in data, text
    assert "<" not in fallback
    assert ">" not in fallback
    for raw in blocks:
        for element in raw.get("elements", []):
            if element.get("type") == "mrkdwn":
                assert element["verbatim"] is True
        if raw["type"] == "section":
            assert raw["text"]["verbatim"] is True


def long_reply(lines: int, width: int = 200) -> Reply:
    source = Source("China customs", "https://example.org/gacc", date(2025, 1, 13))
    body = tuple(Line(f"line {i} " + "x" * width, source) for i in range(lines))
    return Reply(title="Many lines", sections=(Section("Rows", body),), footer="/brief help")


def test_digest_renders_valid_blocks_with_sources_and_as_of(brief: Briefing) -> None:
    reply = build_digest(brief, date(2024, 3, 8))
    blocks, fallback = render_blocks(reply)

    assert_within_limits(blocks, fallback)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": reply.title, "emoji": True},
    }
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert sections[0].startswith(f"*{reply.sections[0].heading}*\n• ")
    assert " — _China customs (GACC), as reported by Sputnik, 7 Mar 2024_" in sections[0]
    context = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    sources = next(t for t in context if t.startswith("Sources: "))
    assert sources.startswith("Sources: <https://sputnikglobe.com/")
    assert "|China customs (GACC), as reported by Sputnik>" in sources
    assert "Data as of 7 Mar 2024" in context
    assert context[-1] == "/brief help · /brief trade · /brief sources"
    assert all(b["type"] != "actions" for b in blocks)
    assert fallback == escape(render_text(reply, with_urls=False))  # links live in the blocks


def test_mentions_and_links_in_data_render_literally() -> None:
    hostile = " ".join(HOSTILE)
    reply = Reply(
        title=f"Title {hostile}",
        sections=(
            Section(
                f"Heading {hostile}",
                (
                    Line(f"Line {hostile}", Source(f"Outlet {hostile}", "https://ok.example/a")),
                    Line(hostile, Source("Bad url", "https://evil.example/x|y>z <!here>")),
                    Line("scheme", Source("Not a web link", "javascript:alert(1)")),
                ),
            ),
        ),
        footer=f"Footer {hostile}",
        chart=Chart(Path("chart.png"), f"Chart {hostile}", "alt"),
    )
    blocks, fallback = render_blocks(reply)

    assert_within_limits(blocks, fallback)
    assert_no_markup_from_data(blocks, fallback)
    everything = json.dumps(blocks, ensure_ascii=False) + fallback
    for needle in ("<!channel>", "<!here>", "<@U123>", "<!subteam^S1>", "<#C999>", "|click>"):
        assert needle not in everything
    assert "&lt;!channel&gt;" in everything
    assert "&lt;@U123&gt;" in everything
    assert "&lt;!subteam^S1&gt;" in everything
    assert "&lt;https://evil.example|click&gt;" in everything
    assert "a &amp; b" in everything
    context = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    sources = next(t for t in context if t.startswith("Sources:"))
    assert "<https://ok.example/a|Outlet &lt;!channel&gt;" in sources
    # A URL cannot end the link early or smuggle a mention; a non-web URL is no link at all.
    assert "<https://evil.example/x%7Cy%3Ez%20%3C!here%3E|Bad url>" in sources
    assert "Not a web link" in sources
    assert "javascript" not in sources


def test_long_reply_is_split_and_truncated_with_a_note() -> None:
    reply = long_reply(400)
    blocks, fallback = render_blocks(reply)

    assert_within_limits(blocks, fallback)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    note = sections[-1]
    match = re.fullmatch(r"_… (\d+) more lines — use a narrower query_", note)
    assert match is not None
    shown = sum(s.count("\n• ") + s.startswith("• ") for s in sections[:-1])
    assert shown + int(match.group(1)) == 400
    assert shown > 10
    # The tail survives the cut: sources, data date, footer.
    context = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert "Data as of 13 Jan 2025" in context
    assert context[-1] == "/brief help"


def test_a_section_longer_than_3000_chars_continues_in_the_next_block() -> None:
    blocks, fallback = render_blocks(long_reply(25, width=250))
    assert_within_limits(blocks, fallback)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) >= 3
    assert sections[0].startswith("*Rows*")
    assert not sections[1].startswith("*Rows*")
    assert not any("more lines" in s for s in sections)


def test_one_huge_line_is_cut_not_dropped() -> None:
    reply = simple("Huge", "y" * 20_000)
    blocks, fallback = render_blocks(reply)
    assert_within_limits(blocks, fallback)
    section = blocks[1]["text"]["text"]
    assert section.startswith("yyy")
    assert section.endswith("…")
    assert fallback.endswith("…")


def test_many_sections_stay_within_50_blocks() -> None:
    sections = tuple(Section(f"Part {i}", (Line(f"row {i}"),)) for i in range(120))
    blocks, fallback = render_blocks(Reply(title="Parts", sections=sections))
    assert_within_limits(blocks, fallback)
    assert "more lines — use a narrower query" in blocks[-1]["text"]["text"]


def test_long_title_is_cut_to_150_without_splitting_an_entity() -> None:
    title = "Trade & sanctions " * 20
    blocks, _ = render_blocks(Reply(title=title))
    header = blocks[0]["text"]["text"]
    assert len(header) <= MAX_HEADER_CHARS
    assert header.endswith("…")
    assert re.search(r"&(?!amp;)", header) is None


def test_many_sources_fit_one_context_block() -> None:
    lines = tuple(
        Line(f"fact {i}", Source(f"Outlet {i} " + "n" * 60, f"https://example.org/{i}"))
        for i in range(40)
    )
    blocks, fallback = render_blocks(Reply(title="Sources", sections=(Section(None, lines),)))
    assert_within_limits(blocks, fallback)
    sources = next(
        e["text"]
        for b in blocks
        if b["type"] == "context"
        for e in b["elements"]
        if e["text"].startswith("Sources:")
    )
    assert re.search(r" · and \d+ more$", sources)


def test_share_button_only_when_a_value_is_given() -> None:
    reply = simple("Answer", "text")
    without, _ = render_blocks(reply)
    assert all(b["type"] != "actions" for b in without)

    with_button, _ = render_blocks(reply, share_value="trade 2024")
    actions = with_button[-1]
    assert actions["type"] == "actions"
    button = actions["elements"][0]
    assert button["action_id"] == SHARE_ACTION_ID == "brief_share"
    assert button["value"] == "trade 2024"
    assert button["text"]["text"] == "Share in channel"
    Block.parse(actions).validate_json()  # type: ignore[union-attr]

    with pytest.raises(ValueError, match="share_value"):
        render_blocks(reply, share_value="x" * 2001)


def test_chart_is_named_not_embedded() -> None:
    reply = Reply(
        title="Chart",
        sections=(Section(None, (Line("see chart"),)),),
        chart=Chart(Path("/tmp/c.png"), "Monthly trade 2022–2024", "bars"),
    )
    blocks, fallback = render_blocks(reply)
    assert_within_limits(blocks, fallback)
    assert all(b["type"] not in ("image", "file") for b in blocks)
    assert any("Chart: Monthly trade 2022–2024" in t for _, t in texts(blocks))


def test_refusal_has_no_footer_and_empty_title_gets_a_default() -> None:
    refusal = Reply(
        title="Only admins can do that.",
        sections=(Section(None, (Line("Ask an admin."),)),),
        kind=ReplyKind.REFUSAL,
        footer="/brief help",
    )
    blocks, _ = render_blocks(refusal)
    assert [b["type"] for b in blocks] == ["header", "section"]
    assert blocks[1]["text"]["text"] == "Ask an admin."

    blocks, fallback = render_blocks(Reply(title="  "))
    assert blocks[0]["text"]["text"] == "China–Russia Brief"
    assert fallback.strip()


# -- property: any text in any field gives valid blocks within every limit ----------------------

_chars = st.characters(codec="utf-8")  # no lone surrogates: not valid in a Slack payload
_text = st.one_of(
    st.text(_chars, max_size=300),
    st.lists(st.sampled_from(HOSTILE) | st.text(_chars, max_size=20), max_size=8).map("".join),
    st.text(_chars, min_size=2000, max_size=5000),
)
_url = st.one_of(
    st.none(),
    st.text(_chars, max_size=60),
    st.text(_chars, max_size=60).map(lambda s: "https://example.org/" + s),
    st.sampled_from(["https://evil|click", "http://a.example/<!here>", "https://x.example/>"]),
)
_source = st.one_of(
    st.none(),
    st.builds(Source, title=_text, url=_url, as_of=st.none() | st.dates()),
)
_line = st.builds(Line, text=_text, source=_source)
_section = st.builds(
    Section,
    heading=st.none() | _text,
    lines=st.lists(_line, max_size=40).map(tuple),
)
_reply = st.builds(
    Reply,
    title=_text,
    sections=st.lists(_section, max_size=8).map(tuple),
    kind=st.sampled_from(ReplyKind),
    as_of=st.none() | st.dates(),
    footer=st.none() | _text,
    chart=st.none() | st.builds(Chart, path=st.just(Path("c.png")), title=_text, alt_text=_text),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reply=_reply, share=st.none() | st.text(_chars, min_size=1, max_size=200))
def test_any_reply_renders_valid_escaped_blocks(reply: Reply, share: str | None) -> None:
    blocks, fallback = render_blocks(reply, share_value=share)
    assert_within_limits(blocks, fallback)
    assert_no_markup_from_data(blocks, fallback)
    assert (blocks[-1]["type"] == "actions") == (share is not None)
