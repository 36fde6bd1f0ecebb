"""Hostile input: the command parser and every handler fed arbitrary text (unicode, control
characters, strings up to 10k characters, Slack's own escape sequences), as admin and not.

Nothing may raise; every reply must render to Block Kit within Slack's limits; and a mention
or link smuggled into the text (``<!channel>``, ``<@U123>``, ``<https://evil.example|click>``…)
must come out escaped wherever the reply echoes it. Example counts are set per test; together
they run 10,700 examples.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.platforms.slack.app import MAX_SHARE_VALUE, parse_share
from briefing.render.slack_blocks import escape, render_blocks
from briefing.render.text import render_text
from briefing.replies import Chart, Line, Reply, ReplyKind, Section, Source
from briefing.seed import seed_bundled
from handlers import COMMANDS, dispatch, split
from handlers.subscribe import ParseError, SubscribeRequest, parse_request, parse_time, parse_zone
from tests.conftest import TODAY
from tests.fakes.fake_slack import iter_texts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
INJECTIONS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<@U123|boss>",
    "<!subteam^S123>",
    "<!subteam^S123|@team>",
    "<https://evil.example|click>",
    "<http://evil.example>",
    "<mailto:a@evil.example|mail>",
    "<#C123>",
    "<#C123|general>",
    "<!date^1392734382^{date}|x>",
)
SLACK_BITS = (
    *INJECTIONS,
    "&amp;",
    "&lt;",
    "&gt;",
    "&",
    "<",
    ">",
    "*bold*",
    "_it_",
    "~x~",
    "`code`",
    "```",
    ">quote",
    "\\",
    "|",
    "@channel",
    "@here",
)
# Words the handlers look for, so the fuzz reaches past the first "I can't read that".
VOCABULARY = (
    "2024",
    "2023..2024",
    "2024-12",
    "2023-01..2024-06",
    "2024-13",
    "1899",
    "99999",
    "exports",
    "imports",
    "total",
    "chapters",
    "movers",
    "hs",
    "87",
    "vehicles",
    "chapter",
    "trade",
    "new",
    "since",
    "2024-02-20",
    "stats",
    "search",
    "daily",
    "08:00",
    "7pm",
    "25:00",
    "Europe/Berlin",
    "Mars/Olympus",
    "utc",
    "digest",
    "sanctions",
    "alerts",
    "--log",
    "--share",
    "what",
    "was",
    "in",
    "?",
)
COMMAND_WORDS = ("", *sorted({n for c in COMMANDS for n in (c.name, *c.aliases)}))

huge_text = st.builds(
    lambda piece, times: (piece * times)[:10_000],
    st.text(min_size=1, max_size=40),
    st.integers(min_value=1, max_value=10_000),
)
token_soup = st.lists(
    st.one_of(st.sampled_from(SLACK_BITS), st.sampled_from(VOCABULARY), st.text(max_size=12)),
    max_size=25,
).map(" ".join)
hostile_text = st.one_of(
    st.text(max_size=300),  # any unicode, control characters and NUL included
    token_soup,
    huge_text,
    st.sampled_from(SLACK_BITS),
)
command_text = st.builds(
    lambda head, rest, sep: f"{head}{sep}{rest}",
    st.sampled_from(COMMAND_WORDS),
    hostile_text,
    st.sampled_from((" ", "  ", "\t", "\n", " \u00a0")),
)

FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

_ANGLED = re.compile(r"<([^>]*)>")
# <https://host/path|label>: a URL with no space, bar or angle bracket, then an escaped label.
_LINK = re.compile(r"^https?://[^\s|<>]+(\|[^<>]*)?$")
_users = itertools.count(1)


def assert_within_block_kit(blocks: list[dict[str, Any]], fallback: str) -> None:
    """Slack's limits, checked with slack_sdk's own Block Kit models and by hand."""
    assert 1 <= len(blocks) <= 50
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()  # raises SlackObjectFormationError past a limit
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= 150
        if raw["type"] == "context":
            assert len(raw["elements"]) <= 10
        if raw["type"] == "actions":
            for element in raw["elements"]:
                assert 0 < len(element["value"]) <= 2000
    for text in iter_texts(blocks):
        assert len(text) <= 3000
    assert len(fallback.strip()) > 0
    assert len(fallback) <= 3000
    # "Well under ~12k characters" for the whole message (characters, not JSON escapes).
    assert sum(len(s) for s in strings_in(blocks)) + len(fallback) < 12_000


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def assert_no_live_mention(
    blocks: list[dict[str, Any]], fallback: str, *, data_links: bool = False
) -> None:
    """No mention, channel, group or forged link survives: the only ``<…>`` left are the
    renderer's own links to the reply's sources (``data_links``: sources that came with the
    data, not from the user), each one well formed."""
    for text in [*iter_texts(blocks), fallback]:
        for raw in INJECTIONS:
            assert raw not in text
        for match in _ANGLED.finditer(text):
            inside = match.group(1)
            assert _LINK.match(inside), text
            if not data_links:
                assert "evil.example" not in inside
    assert "<" not in fallback  # plain text: everything escaped
    assert ">" not in fallback


def render_checked(reply: Reply, text: str) -> tuple[list[dict[str, Any]], str]:
    share = text if 0 < len(text) <= MAX_SHARE_VALUE and reply.kind is ReplyKind.ANSWER else None
    blocks, fallback = render_blocks(reply, share_value=share)
    assert_within_block_kit(blocks, fallback)
    assert_no_live_mention(blocks, fallback)
    return blocks, fallback


def slack_context(ctx: Context, *, admin: bool) -> Context:
    # A new user each time: the per-user limit on slow commands must not hide the handlers.
    caller = Caller(
        platform="slack",
        user_id=f"U{next(_users)}",
        workspace_id="T1",
        channel_id="C1",
        is_admin=admin,
        user_name="fuzz",
    )
    return dataclasses.replace(ctx, caller=caller, now=NOW, today=TODAY)


# -- the parsers ------------------------------------------------------------------------------


@settings(FUZZ, max_examples=3000)
@given(text=st.one_of(command_text, hostile_text))
def test_split_always_picks_a_registered_command(text: str) -> None:
    command, rest = split(text)
    assert command in COMMANDS
    stripped = text.strip()
    if not stripped:
        assert (command.name, rest) == ("help", "")
    elif command.name == "ask" and stripped.split(" ", 1)[0].lower() != "ask":
        assert rest == stripped  # bare text is a question
    else:
        assert rest == rest.strip()
        assert rest in stripped


@settings(FUZZ, max_examples=1000)
@given(text=st.one_of(command_text, hostile_text))
def test_parse_share_only_removes_the_flag(text: str) -> None:
    cleaned, share = parse_share(text)
    assert share == ("--share" in text.split())
    assert cleaned.split() == [w for w in text.split() if w != "--share"]


@settings(FUZZ, max_examples=1800)
@given(text=st.one_of(token_soup, hostile_text))
def test_the_subscribe_parser_reads_or_explains(text: str) -> None:
    try:
        request = parse_request(text)
    except ParseError as exc:
        message = exc.message
        assert message
        return
    assert isinstance(request, SubscribeRequest)
    if request.tz is not None:
        ZoneInfo(request.tz)
    if request.topics is not None:
        assert request.topics <= {"digest", "sanctions", "trade"}
    for word in text.split():
        try:
            parse_time(word)
            parse_zone(word)
        except ParseError:
            pytest.fail(f"{word!r} parsed in the request but not alone")


# -- every handler, through dispatch ------------------------------------------------------------


@settings(FUZZ, max_examples=2000)
@given(text=command_text)
def test_any_command_as_an_admin_answers_within_slack_limits(ctx: Context, text: str) -> None:
    reply = dispatch(text, slack_context(ctx, admin=True))
    render_checked(reply, text)


@settings(FUZZ, max_examples=2000)
@given(text=command_text)
def test_any_command_as_anyone_answers_within_slack_limits(ctx: Context, text: str) -> None:
    reply = dispatch(text, slack_context(ctx, admin=False))
    render_checked(reply, text)


@settings(FUZZ, max_examples=300)
@given(text=st.builds(lambda rest: f"sanctions {rest}", hostile_text))
def test_sanctions_searches_of_real_lists_answer_within_slack_limits(
    seeded: Briefing, ctx: Context, text: str
) -> None:
    reply = dispatch(text, slack_context(dataclasses.replace(ctx, brief=seeded), admin=False))
    render_checked(reply, text)


@pytest.fixture
def seeded(brief: Briefing) -> Briefing:
    """The bundled OFAC lists loaded, so searches have names to match and echo."""
    seed_bundled(brief, NOW)
    brief.refresh()
    return brief


# -- the renderer on its own ------------------------------------------------------------------

# Mostly short lines (a reply has many), some huge.
line_text = st.one_of(
    st.text(max_size=120),
    token_soup,
    st.sampled_from(INJECTIONS),
    st.text(max_size=400),
    st.text(max_size=60),
    token_soup,
    st.sampled_from(INJECTIONS),
    huge_text,
)
sources = st.builds(
    Source,
    title=line_text,
    url=st.one_of(
        st.none(),
        st.sampled_from(
            (
                "https://example.org/a?b=1&c=<2>",
                "https://evil.example|click",
                "javascript:alert(1)",
                "http://x>y<z",
                "ftp://files.example/x",
                "https://ok.example/path with space|and>more",
            )
        ),
        st.text(max_size=60),
    ),
    as_of=st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1))),
)
lines = st.builds(Line, text=line_text, source=st.one_of(st.none(), sources))
replies = st.builds(
    Reply,
    title=line_text,
    sections=st.lists(
        st.builds(
            Section,
            heading=st.one_of(st.none(), line_text),
            lines=st.lists(lines, max_size=25).map(tuple),
        ),
        max_size=8,
    ).map(tuple),
    footer=st.one_of(st.none(), line_text),
    kind=st.sampled_from(list(ReplyKind)),
)


@settings(FUZZ, max_examples=600)
@given(reply=replies, share=st.one_of(st.none(), st.text(min_size=1, max_size=2000)))
def test_any_reply_renders_within_slack_limits_with_no_live_mention(
    reply: Reply, share: str | None
) -> None:
    blocks, fallback = render_blocks(reply, share_value=share)
    assert_within_block_kit(blocks, fallback)
    assert_no_live_mention(blocks, fallback, data_links=True)


# -- mention injection, command by command ----------------------------------------------------


@pytest.mark.parametrize("injection", INJECTIONS)
def test_an_echoed_mention_is_shown_literally(ctx: Context, injection: str) -> None:
    """Every command, given the injection as its argument: where the reply echoes it, Slack gets
    it escaped (shown as typed, notifying no one); it is never live."""
    echoed = 0
    for name in COMMAND_WORDS:
        for admin in (True, False):
            text = f"{name} {injection}".strip()
            reply = dispatch(text, slack_context(ctx, admin=admin))
            blocks, fallback = render_checked(reply, text)
            if injection in render_text(reply):
                echoed += 1
                shown = " ".join([*iter_texts(blocks), fallback])
                assert escape(injection) in shown, (text, shown)
    assert echoed > 0  # bare text, `ask`, `sanctions`, `trade`… do quote what they did not read


def test_a_chart_reply_with_hostile_title_renders_escaped(tmp_path: Any) -> None:
    png = tmp_path / "c.png"
    png.write_bytes(b"\x89PNG")
    reply = Reply(
        title="<!channel> chart",
        sections=(Section("<@U123>", (Line("<#C123> & <!here>"),)),),
        chart=Chart(path=png, title="<https://evil.example|click>", alt_text="<!everyone>"),
    )
    blocks, fallback = render_blocks(reply)
    assert_within_block_kit(blocks, fallback)
    assert_no_live_mention(blocks, fallback)
