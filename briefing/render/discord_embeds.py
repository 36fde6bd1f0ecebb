"""Discord rendering: a :class:`Reply` as embed dicts (and :class:`discord.Embed` objects).

Pure functions that know Discord's limits: a message carries at most 10 embeds; an embed's title
is ≤ 256 characters, its description ≤ 4096, it has ≤ 25 fields (name ≤ 256, value ≤ 1024) and a
footer ≤ 2048; all embeds of one message together hold ≤ 6000 characters; plain content ≤ 2000.
Sizes are counted in UTF-16 code units, which is never less than the character count Discord
applies, so the limits hold whichever way a character is counted.

Layout: the title on the first embed, leading sections without a heading in its description,
each headed section as fields (a long section continues in further fields, then in further
embeds), then a "Sources" field of links, the "Data as of" date and the reply's footer in the
footer, and the chart as ``attachment://NAME.png`` image on the last embed. What does not fit is
cut at a line boundary and a "… N more lines" field says so.

Every piece of data or user text is escaped: Discord markdown (``* _ ~ ` | > # [ ] < \\``, and
``-``, ``+``, ``1.`` at the start of a line) gets a backslash, which Discord hides; ``@everyone``,
``@here`` and ``@<digits>`` get a zero-width space after the ``@`` so no text renders or pings
as a mention. The adapters also send ``allowed_mentions`` with nothing allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from briefing.render.lines import one_line, sourced_line
from briefing.render.links import web_url
from briefing.replies import Chart, Line, Reply, ReplyKind, Section, format_date

if TYPE_CHECKING:
    import discord

MAX_EMBEDS = 10
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_TOTAL = 6000
MAX_CONTENT = 2000

DEFAULT_TITLE = "China–Russia Brief"
# Field names may not be empty; a zero-width space reads as "no name".
BLANK = "\u200b"
ELLIPSIS = "…"

# The embed's left bar, by kind of reply.
COLORS: dict[ReplyKind, int] = {
    ReplyKind.ANSWER: 0x2F6FB0,
    ReplyKind.DIGEST: 0x2F6FB0,
    ReplyKind.ALERT: 0xC0392B,
    ReplyKind.NO_DATA: 0x7F8C8D,
    ReplyKind.HELP: 0x7F8C8D,
    ReplyKind.USAGE_ERROR: 0xD68910,
    ReplyKind.REFUSAL: 0xD68910,
}

# A line never needs more than one field on its own.
_MAX_LINE = 1000
_MAX_LABEL = 200
_MAX_HEADING = 200
_MAX_SOURCES = 1000
_MAX_LINK = 500
# Room kept back for the "… N more lines" field.
_NOTE_RESERVE = 100
# Body embeds stop one short of the maximum so the tail always has an embed to go to.
_MAX_BODY_EMBEDS = MAX_EMBEDS - 1

_ALWAYS_ESCAPED = frozenset("\\*_~`|>#[]<")
_MENTION_AFTER_AT = re.compile(r"(?:everyone|here|[!&]|\d)", re.IGNORECASE)


def size(text: str) -> int:
    """Length in UTF-16 code units: at least the character count, however Discord counts."""
    return len(text.encode("utf-16-le")) // 2


def _escape_pieces(text: str, *, markdown: bool = True) -> Iterator[tuple[str, str]]:
    """``(original char, escaped form)`` for each character of ``text``.

    Escaping per character means a cut between two pieces never leaves half an escape behind.
    """
    line_start = True  # only whitespace so far on this line
    digits_only = False  # only whitespace then digits so far on this line
    for i, char in enumerate(text):
        piece = char
        if char == "@" and _MENTION_AFTER_AT.match(text, i + 1):
            piece = "@" + BLANK
        elif markdown and (
            char in _ALWAYS_ESCAPED
            or (char in "-+" and line_start)
            or (char in ".)" and digits_only)
        ):
            piece = "\\" + char
        yield char, piece
        if char == "\n":
            line_start, digits_only = True, False
        elif char.isspace():
            pass
        elif char.isdigit() and (line_start or digits_only):
            line_start, digits_only = False, True
        else:
            line_start, digits_only = False, False


def escape(text: str) -> str:
    """Discord markdown and mentions escaped, for any data or user text."""
    return "".join(piece for _, piece in _escape_pieces(text))


def defuse_mentions(text: str) -> str:
    """Mentions made inert but markdown left alone: for the footer, which shows no markdown."""
    return "".join(piece for _, piece in _escape_pieces(text, markdown=False))


def _cut(text: str, limit: int, *, markdown: bool = True) -> str:
    """``text`` escaped (or only defused), cut with ``…`` so its :func:`size` is ≤ ``limit``."""
    pieces = list(_escape_pieces(text, markdown=markdown))
    whole = "".join(p for _, p in pieces)
    if size(whole) <= limit:
        return whole
    if limit < size(ELLIPSIS):
        return ""
    out: list[str] = []
    used = 0
    room = limit - size(ELLIPSIS)
    for _, piece in pieces:
        if used + size(piece) > room:
            break
        out.append(piece)
        used += size(piece)
    return "".join(out).rstrip() + ELLIPSIS


def escape_truncated(text: str, limit: int) -> str:
    """:func:`escape` of ``text``, cut with ``…`` to at most ``limit`` (UTF-16 units)."""
    return _cut(text, limit)


def render_content(text: str) -> str:
    """Plain message content (≤ 2000), escaped: for short notes such as errors and DMs."""
    return _cut(text, MAX_CONTENT) or BLANK


def _nonblank(text: str) -> str:
    return text if text.strip() else BLANK


def _link(url: str | None, label: str) -> str:
    """``[label](url)`` for an http(s) URL, else the label alone; ``label`` is already escaped."""
    address = web_url(url)
    if address is None:
        return label
    # Percent-encode whatever could end the link early, open markdown or form a mention.
    safe_url = quote(address, safe=":/?#=&%+,;~!$'*")
    return f"[{label}]({safe_url})"


def render_line(line: Line, *, bullet: bool, limit: int = _MAX_LINE) -> str:
    """One reply line: ``• text — *source, date*`` when it cites a source."""
    return _nonblank(
        sourced_line(
            line,
            bullet=bullet,
            limit=limit,
            cut=_cut,
            measure=size,
            emphasis="*",
            label_limit=_MAX_LABEL,
        )
    )


def sources_text(reply: Reply, limit: int = _MAX_SOURCES) -> str | None:
    """The cited sources as links joined by `` · ``; ``and N more`` past ``limit``."""
    sources = reply.sources
    if not sources:
        return None
    text = ""
    for i, source in enumerate(sources):
        label = _cut(one_line(source.label()), _MAX_LABEL) or "source"
        piece = _link(source.url, label)
        if size(piece) > _MAX_LINK:
            piece = label  # an absurdly long address is not worth the room
        joiner = "" if i == 0 else " · "
        more = f" · and {len(sources) - i} more"
        if size(text) + size(joiner) + size(piece) + size(more) > limit:
            return text + more if text else f"{len(sources)} sources"
        text += joiner + piece
    return text


def footer_text(reply: Reply) -> str | None:
    """``Data as of 14 Jan 2026 · /brief digest · …``; errors and refusals get none."""
    parts: list[str] = []
    data_as_of = reply.data_as_of
    if data_as_of is not None:
        parts.append(f"Data as of {format_date(data_as_of)}")
    if reply.footer and reply.kind not in (ReplyKind.USAGE_ERROR, ReplyKind.REFUSAL):
        parts.append(one_line(reply.footer))
    if not parts:
        return None
    # The footer shows no markdown, so only mentions are made inert.
    return _cut(" · ".join(parts), 300, markdown=False) or None


def chart_filename(chart: Chart) -> str:
    """A name Discord accepts for the attachment (letters, digits, ``._-``), ending ``.png``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", chart.path.stem).strip("._") or "chart"
    return f"{stem[:60]}.png"


@dataclass
class _Page:
    description: list[str] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)

    def description_size(self) -> int:
        return size("\n".join(self.description))


@dataclass
class _Layout:
    """Places lines into descriptions and fields within the per-embed and total limits."""

    budget: int
    pages: list[_Page] = field(default_factory=lambda: [_Page()])
    used: int = 0
    in_description: bool = True
    open_field: dict[str, Any] | None = None

    @property
    def page(self) -> _Page:
        return self.pages[-1]

    def _new_field(self, name: str, value: str, *, max_pages: int) -> bool:
        cost = size(name) + size(value)
        if self.used + cost > self.budget:
            return False
        if len(self.page.fields) >= MAX_FIELDS:
            if len(self.pages) >= max_pages:
                return False
            self.pages.append(_Page())
        new = {"name": name, "value": value, "inline": False}
        self.page.fields.append(new)
        self.used += cost
        self.open_field = new
        self.in_description = False
        return True

    def start_section(self) -> None:
        self.open_field = None

    def add_line(self, text: str, heading: str | None) -> bool:
        """Add a rendered line; ``heading`` names a new field. False when it does not fit."""
        if self.in_description and heading is None:
            cost = size(text) + (1 if self.page.description else 0)
            if self.used + cost > self.budget:
                return False
            if self.page.description_size() + cost <= MAX_DESCRIPTION:
                self.page.description.append(text)
                self.used += cost
                return True
        if self.open_field is not None:
            cost = 1 + size(text)
            value = str(self.open_field["value"])
            if size(value) + cost <= MAX_FIELD_VALUE:
                if self.used + cost > self.budget:
                    return False
                self.open_field["value"] = f"{value}\n{text}"
                self.used += cost
                return True
        return self._new_field(heading or BLANK, text, max_pages=_MAX_BODY_EMBEDS)

    def add_tail_field(self, name: str, value: str) -> None:
        """A field after the body (note, sources): always fits, the budget kept room for it."""
        if len(self.page.fields) >= MAX_FIELDS:
            self.pages.append(_Page())
        self.page.fields.append({"name": name, "value": value, "inline": False})


def _body(layout: _Layout, sections: tuple[Section, ...]) -> int:
    """Lay out the sections; return how many lines did not fit."""
    shown = 0
    full = False
    for section in sections:
        heading_text = one_line(section.heading or "")
        heading = _cut(heading_text, _MAX_HEADING) if heading_text else None
        if heading is not None:
            layout.in_description = False
        layout.start_section()
        first = True
        for line in section.lines:
            rendered = render_line(line, bullet=heading is not None)
            if not layout.add_line(rendered, heading if first else None):
                full = True
                break
            first = False
            shown += 1
        if full:
            break
    return sum(len(s.lines) for s in sections) - shown


def render_embeds(reply: Reply) -> list[dict[str, Any]]:
    """The embeds (as Discord API dicts) of one message for ``reply``, within every limit.

    When ``reply.chart`` is set the last embed shows ``attachment://`` + :func:`chart_filename`;
    the adapter attaches the PNG under that name.
    """
    title = _cut(one_line(reply.title), MAX_TITLE) or DEFAULT_TITLE
    sources = sources_text(reply)
    footer = footer_text(reply)
    fixed = size(title) + (size("Sources") + size(sources) if sources else 0)
    fixed += size(footer) if footer else 0
    layout = _Layout(budget=MAX_TOTAL - fixed - _NOTE_RESERVE)
    dropped = _body(layout, reply.sections)
    if dropped:
        noun = "line" if dropped == 1 else "lines"
        layout.add_tail_field(BLANK, f"*… {dropped} more {noun} — try a narrower query*")
    if sources:
        layout.add_tail_field("Sources", sources)

    color = COLORS.get(reply.kind, COLORS[ReplyKind.ANSWER])
    embeds: list[dict[str, Any]] = []
    for i, page in enumerate(layout.pages):
        embed: dict[str, Any] = {"type": "rich", "color": color}
        if i == 0:
            embed["title"] = title
        description = "\n".join(page.description)
        if description.strip():
            embed["description"] = description
        if page.fields:
            embed["fields"] = page.fields
        embeds.append(embed)
    last = embeds[-1]
    if reply.chart is not None:
        last["image"] = {"url": f"attachment://{chart_filename(reply.chart)}"}
    if footer:
        last["footer"] = {"text": footer}
    return embeds


def embeds_size(embeds: list[dict[str, Any]]) -> int:
    """The characters Discord counts towards the 6000 of one message."""
    total = 0
    for embed in embeds:
        total += size(str(embed.get("title", ""))) + size(str(embed.get("description", "")))
        total += size(str(embed.get("footer", {}).get("text", "")))
        total += size(str(embed.get("author", {}).get("name", "")))
        for item in embed.get("fields", ()):
            total += size(str(item["name"])) + size(str(item["value"]))
    return total


def to_discord_embeds(embeds: list[dict[str, Any]]) -> list[discord.Embed]:
    """The dicts as :class:`discord.Embed` objects, for discord.py's send methods."""
    # Cold start: discord.py loads only to send to Discord.
    import discord  # noqa: PLC0415

    return [discord.Embed.from_dict(embed) for embed in embeds]
