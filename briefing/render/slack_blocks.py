"""Slack Block Kit rendering: a :class:`Reply` as blocks plus the plain ``text`` fallback.

Pure functions that know Slack's limits: at most 50 blocks, section text ≤ 3000 characters,
header ≤ 150, context ≤ 10 elements, and a whole message kept well under Slack's ~12k. Long
replies are split across sections and, past the budget, cut with a line saying how many were
left out. Every piece of data or user text is escaped (``&``, ``<``, ``>``) and every mrkdwn
object is ``verbatim`` so no text can mention ``@channel``, a user or a group, or forge a link;
the only ``<…>`` sequences in the output are the source links built here from http(s) URLs.

Charts are not embedded: the adapter uploads the PNG (``files_upload_v2``) and the blocks name
the chart so the message reads well without it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from briefing.render.lines import one_line, sourced_line
from briefing.render.links import web_url
from briefing.render.text import render_text
from briefing.replies import Line, Reply, ReplyKind, Section, format_date

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_CHARS = 3000
MAX_BUTTON_VALUE_CHARS = 2000
# JSON size of the ``blocks`` array; with the fallback text the message stays well under ~12k.
BLOCKS_JSON_BUDGET = 8500

SHARE_ACTION_ID = "brief_share"
SHARE_BUTTON_TEXT = "Share in channel"
MORE_ACTION_ID = "brief_more"
MORE_BUTTON_TEXT = "More"
DEFAULT_TITLE = "China–Russia Brief"

_MAX_SOURCES_CHARS = 1500
_MAX_FOOTER_CHARS = 500
_MAX_LABEL_CHARS = 300
_MAX_CHART_TITLE_CHARS = 300
# Room kept back for the "… N more lines" note.
_TRUNCATION_RESERVE = 150
_ELLIPSIS = "…"


def escape(text: str) -> str:
    """Slack's escaping for data and user text: ``&``, ``<`` and ``>`` as HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_truncated(text: str, limit: int) -> str:
    """``escape(text)``, cut (never inside an entity) so the result is at most ``limit`` long."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    if limit <= 0:
        return ""
    out: list[str] = []
    size = 0
    for char in text:
        piece = escape(char)
        if size + len(piece) > limit - len(_ELLIPSIS):
            break
        out.append(piece)
        size += len(piece)
    return "".join(out).rstrip() + _ELLIPSIS


def _json_len(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False))


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn names or URLs in our text into mentions or links.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _link(url: str | None, title: str, limit: int) -> str:
    """``<url|title>`` for an http(s) URL, else the escaped title alone."""
    label = escape_truncated(one_line(title) or "source", limit)
    address = web_url(url)
    if address is None:
        return label
    # Percent-encode anything that could end the link early or start a new one.
    safe_url = quote(address, safe=":/?#[]@!$&'()*+,;=%~")
    return f"<{escape(safe_url)}|{label}>"


def _render_line(line: Line, bullet: bool, limit: int) -> str:
    return sourced_line(
        line,
        bullet=bullet,
        limit=limit,
        cut=escape_truncated,
        measure=len,
        emphasis="_",
        label_limit=_MAX_LABEL_CHARS,
    )


def _section_block(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _context_block(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:MAX_CONTEXT_ELEMENTS]]}


def _header_block(title: str) -> dict[str, Any]:
    text = escape_truncated(one_line(title), MAX_HEADER_CHARS) or DEFAULT_TITLE
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _sources_block(reply: Reply) -> dict[str, Any] | None:
    sources = reply.sources
    elements: list[str] = []
    if sources:
        text = "Sources: "
        for i, source in enumerate(sources):
            piece = _link(source.url, source.title, 200)
            joiner = "" if i == 0 else " · "
            rest = len(sources) - i
            more = f" · and {rest} more"
            if len(text) + len(joiner) + len(piece) + len(more) > _MAX_SOURCES_CHARS:
                text += more
                break
            text += joiner + piece
        elements.append(text)
    data_as_of = reply.data_as_of
    if data_as_of is not None:
        elements.append(f"Data as of {format_date(data_as_of)}")
    return _context_block(*elements) if elements else None


def _tail_blocks(reply: Reply, share_value: str | None) -> list[dict[str, Any]]:
    tail: list[dict[str, Any]] = []
    if reply.chart is not None:
        chart_title = escape_truncated(one_line(reply.chart.title), _MAX_CHART_TITLE_CHARS)
        tail.append(_context_block(f":bar_chart: Chart: {chart_title or 'attached'}"))
    sources = _sources_block(reply)
    if sources is not None:
        tail.append(sources)
    show_footer = reply.kind not in (ReplyKind.USAGE_ERROR, ReplyKind.REFUSAL)
    if reply.footer and show_footer:
        footer = escape_truncated(one_line(reply.footer), _MAX_FOOTER_CHARS)
        if footer:
            tail.append(_context_block(footer))
    buttons = []
    if reply.more and 0 < len(reply.more) <= MAX_BUTTON_VALUE_CHARS:
        # The command that shows more (``trade 2023``), answered privately when pressed.
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": MORE_BUTTON_TEXT, "emoji": True},
                "action_id": MORE_ACTION_ID,
                "value": reply.more,
            }
        )
    if share_value is not None:
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": SHARE_BUTTON_TEXT, "emoji": True},
                "action_id": SHARE_ACTION_ID,
                "value": share_value,
            }
        )
    if buttons:
        tail.append({"type": "actions", "elements": buttons})
    return tail


def _body_blocks(
    sections: tuple[Section, ...], max_blocks: int, budget: int
) -> tuple[list[dict[str, Any]], int]:
    """Section blocks for ``sections`` within ``max_blocks`` and ``budget`` (JSON characters).

    A section longer than Slack's 3000 characters continues in the next block. Returns the
    blocks and how many lines did not fit.
    """
    overhead = _json_len(_section_block(""))
    # A line never fills a block on its own and a few always fit in the budget.
    line_limit = max(min(MAX_SECTION_CHARS - 210, budget // 3), 40)
    texts: list[str] = []
    used = 0
    shown = 0

    def size(parts: list[str]) -> int:
        return overhead + _json_len("\n".join(parts)) - 2

    def close(parts: list[str]) -> None:
        nonlocal used
        text = "\n".join(parts)
        if text.strip():
            texts.append(text)
            used += size(parts)

    full = False
    for section in sections:
        heading = one_line(section.heading or "")
        chunk = [f"*{escape_truncated(heading, 200)}*"] if heading else []
        has_line = False
        for line in section.lines:
            rendered = _render_line(line, bullet=bool(heading), limit=line_limit)
            if has_line and len("\n".join([*chunk, rendered])) > MAX_SECTION_CHARS:
                close(chunk)
                chunk, has_line = [], False
            candidate = [*chunk, rendered]
            if len(texts) + 1 > max_blocks or used + size(candidate) > budget:
                full = True
                break
            chunk, has_line = candidate, True
            shown += 1
        if has_line:
            close(chunk)
        if full:
            break
    dropped = sum(len(s.lines) for s in sections) - shown
    return [_section_block(t) for t in texts], dropped


def render_fallback(reply: Reply) -> str:
    """The message's ``text``: plain text for notifications and clients without blocks."""
    # Notifications and block-less clients show this; the links live in the blocks.
    text = escape_truncated(render_text(reply, with_urls=False), MAX_FALLBACK_CHARS)
    return text if text.strip() else escape(DEFAULT_TITLE)


def render_blocks(
    reply: Reply, *, share_value: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """``(blocks, fallback_text)`` for ``reply``.

    ``share_value`` adds a "Share in channel" button (``action_id`` :data:`SHARE_ACTION_ID`)
    carrying that value; the adapter supplies a short token that identifies the reply.
    """
    if share_value is not None and not 0 < len(share_value) <= MAX_BUTTON_VALUE_CHARS:
        raise ValueError(f"share_value must be 1–{MAX_BUTTON_VALUE_CHARS} characters")
    header = _header_block(reply.title)
    tail = _tail_blocks(reply, share_value)
    fixed = _json_len([header, *tail])
    body_budget = BLOCKS_JSON_BUDGET - fixed - _TRUNCATION_RESERVE
    max_body_blocks = MAX_BLOCKS - 1 - len(tail) - 1
    body, dropped = _body_blocks(reply.sections, max_body_blocks, body_budget)
    if dropped:
        noun = "line" if dropped == 1 else "lines"
        body.append(_section_block(f"_… {dropped} more {noun} — use a narrower query_"))
    return [header, *body, *tail], render_fallback(reply)
