"""Replies about the sanctions lists: search, what is new, counts, and plain-word questions.

Every line that states something from a list cites that list with its date; OpenSanctions
material carries its CC BY-NC 4.0 notice.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from briefing.appstate import Briefing
from briefing.replies import Line, Reply, ReplyKind, Section, Source, format_date, usage_error
from briefing.sanctions.charts import history_chart_data, render_history_chart
from briefing.sanctions.diff import ListDiff, link_label, programmes_label
from briefing.sanctions.history import (
    Change,
    HistoryError,
    SanctionsHistory,
    busiest,
    designations_in,
    entity_history,
    first_added,
    load_history,
    parse_scope,
    summarise,
)
from briefing.sanctions.model import OFAC_SDN_KEY, OPENSANCTIONS_NOTICE, Entry, Snapshot, entry_url
from briefing.sanctions.normalise import name_key
from briefing.sanctions.parties import describe_listings, group_by_party, listings_of
from briefing.sanctions.search import Match, SanctionsData, SanctionsIndex, sanctions
from briefing.sanctions.topic import CHINA, HONG_KONG

MAX_NEW_NAMES = 20
MAX_NEW_CHANGES = 20
TOP_PROGRAMMES = 8


def _list_label(snap: Snapshot) -> str:
    return (
        f"{snap.source.title} (list of {format_date(snap.list_date)}, {snap.entry_count:,} entries)"
    )


def _licence_lines(snapshots: list[Snapshot] | tuple[Snapshot, ...]) -> tuple[Line, ...]:
    if any(s.source.is_opensanctions for s in snapshots):
        return (Line(OPENSANCTIONS_NOTICE),)
    return ()


def _nothing_loaded(command: str) -> Reply:
    return Reply(
        title="No sanctions list is loaded yet.",
        sections=(
            Section(
                None,
                (
                    Line(
                        "An operator loads one with `python bot.py ingest sdn.csv` (OFAC's SDN "
                        "list) or an OpenSanctions export (entities.ftm.json, "
                        "targets.simple.csv)."
                    ),
                    Line(f"`{command} help sanctions` explains the search."),
                ),
            ),
        ),
        kind=ReplyKind.NO_DATA,
    )


# --- search ----------------------------------------------------------------------------


SHOWN_MATCHES = 5
MAX_ALIASES = 6
MAX_ADDRESSES = 3
MAX_IDENTIFIERS = 8


def _place(address: str) -> str:
    """City and country of a stored address ("PO Box 1, 144 Mirdamad Blvd, Tehran, Iran" →
    "Tehran, Iran")."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    return ", ".join(parts[-2:])


def _more(shown: int, total: int) -> str:
    return f" (+{total - shown} more)" if total > shown else ""


def _first_seen(match: Match, history: SanctionsHistory | None, as_of: date) -> str | None:
    """When the entry was first seen: stored with the entry, else (OFAC SDN) from the change
    history."""
    if match.entry.first_seen:
        return f"first seen {format_date(match.entry.first_seen)}"
    if history is None or match.snapshot.source.key != OFAC_SDN_KEY:
        return None
    day = first_added(history, match.entry.entity_key, as_of)
    if day is None:
        return None
    if day == history.baseline:
        return f"on the SDN list since before {format_date(day)} (change history)"
    return f"first seen {format_date(day)} (SDN change history)"


def _match_section(match: Match, history: SanctionsHistory | None, as_of: date) -> Section:
    entry, snap = match.entry, match.snapshot
    tier = "Match" if match.is_match else "Possible match"
    heading = f"{tier}: {entry.name} — {entry.entity_type} — {programmes_label(entry)}"
    lines: list[Line] = []
    if match.via_identifier:
        lines.append(Line(f"why: {match.why}"))
    elif match.via_alias:
        lines.append(Line(f"why: the alias “{match.matched}” — {match.why}"))
    else:
        lines.append(Line(f"why: {match.why}"))
    facts = []
    if entry.link_place:
        facts.append(link_label(entry))
    seen = _first_seen(match, history, as_of)
    if seen:
        facts.append(seen)
    if entry.listed_on:
        facts.append(f"listed {format_date(entry.listed_on)}")
    if facts:
        lines.append(Line(" · ".join(facts)))
    found = match.identifiers
    if found:
        shown = "; ".join(str(i) for i in found[:MAX_IDENTIFIERS])
        lines.append(Line(f"identifiers: {shown}{_more(MAX_IDENTIFIERS, len(found))}"))
    if entry.aliases:
        shown = "; ".join(entry.aliases[:MAX_ALIASES])
        lines.append(Line(f"aliases: {shown}{_more(MAX_ALIASES, len(entry.aliases))}"))
    places = list(dict.fromkeys(_place(a) for a in entry.addresses if _place(a)))
    if places:
        shown = "; ".join(places[:MAX_ADDRESSES])
        lines.append(Line(f"addresses: {shown}{_more(MAX_ADDRESSES, len(places))}"))
    elif entry.countries:
        lines.append(Line(f"countries: {', '.join(c for c in entry.countries[:4] if c)}"))
    other = [p for p in entry.programmes if p not in entry.russia_programmes]
    if entry.russia_programmes and other:
        lines.append(Line(f"also under: {', '.join(other[:6])}"))
    where = f"{snap.source.short} entry {entry.entity_key}, list of {format_date(snap.list_date)}"
    link = match.url
    lines.append(Line(f"{where}: {link}" if link else where, snap.source.cite(snap.list_date)))
    return Section(heading, tuple(lines))


def _party_section(
    group: list[Match],
    index: SanctionsIndex,
    history: SanctionsHistory | None,
    as_of: date,
    *,
    parties: bool,
) -> Section:
    """The best match of a party, with every list that names it (when more than one does)
    and the other entries of the party that matched, each with its own tier and why."""
    best = group[0]
    section = _match_section(best, history, as_of)
    if not parties:
        return section
    listings = listings_of(index.party_members(best), as_of)
    lines = list(section.lines)
    extra: list[Line] = []
    if len(listings) > 1:
        extra.append(Line(f"one party on {len(listings)} lists: {describe_listings(listings)}"))
    for other in group[1:]:
        tier = "match" if other.is_match else "possible match"
        alias = f"the alias “{other.matched}” — " if other.via_alias else ""
        extra.append(
            Line(
                f"also a {tier}, the same party: {other.snapshot.source.short} entry "
                f"{other.entry.entity_key} {other.entry.name}; why: {alias}{other.why}",
                other.snapshot.source.cite(other.snapshot.list_date),
            )
        )
    heading = section.heading
    if len(listings) > 1 and heading:
        heading = f"{heading} — on {len(listings)} lists"
    return Section(heading, (lines[0], *extra, *lines[1:]))


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else ("es" if word.endswith("h") else "s"))


def _count_title(matches: list[Match]) -> str:
    confident = sum(1 for m in matches if m.is_match)
    possible = len(matches) - confident
    parts = []
    if confident:
        parts.append(_plural(confident, "match"))
    if possible:
        parts.append(_plural(possible, "possible match"))
    return " and ".join(parts)


def search_reply(
    brief: Briefing,
    query: str,
    as_of: date,
    command: str = "/brief",
    *,
    show_all: bool = False,
) -> Reply:
    """Screening of names, aliases and identifiers on the lists in force on ``as_of``: matches,
    then possible matches, each with why it matched and what identifies the entry. The first
    :data:`SHOWN_MATCHES` are shown unless ``show_all``; the title counts them all."""
    data = sanctions(brief)
    lists = data.in_force(as_of)
    if not lists:
        return _nothing_loaded(command)
    query = " ".join(query.split())
    if len(name_key(query).replace(" ", "")) < 3 and not any(c.isdigit() for c in query):
        return usage_error(
            "Give me at least three letters of a name.",
            f"For example `{command} sanctions wuhan maiwe` or `{command} sanctions stats`.",
        )
    index = data.index(as_of)
    found = index.screen(query)
    if not found:
        return Reply(
            title=f"No match for “{query}” on the sanctions lists I hold.",
            sections=(
                Section(
                    None,
                    (
                        Line("Searched: " + "; ".join(_list_label(s) for s in lists) + "."),
                        Line(
                            "Neither a match nor a possible match: no listed name or alias "
                            "shares enough of this name (word order, punctuation, legal forms "
                            "such as CO LTD, LLC, OOO, JSC, and common transliterations are "
                            "allowed for). Check the spelling, or try the name as the list "
                            "would write it."
                        ),
                        Line(f"`{command} sanctions stats` shows what the lists hold."),
                    ),
                ),
            ),
            kind=ReplyKind.NO_DATA,
            extra_sources=tuple(s.source.cite(s.list_date) for s in lists),
        )
    # One party, one result: the entries of several lists that name the same party (by
    # OpenSanctions' referents, or one id) are grouped under its best match.
    groups = group_by_party(found, index.party_key)
    matches = [group[0] for group in groups]
    parties = len(index.snapshots) > 1 or any(s.source.is_opensanctions for s in index.snapshots)
    shown_groups = groups if show_all else groups[:SHOWN_MATCHES]
    shown = [group[0] for group in shown_groups]
    used = list(dict.fromkeys(m.snapshot for m in found))
    count = _count_title(matches)
    if len(used) == 1:
        title = f"{count} on the {used[0].source.title} (list of {format_date(used[0].list_date)})"
    else:
        title = f"{count} on {len(used)} sanctions lists"
    sections: list[Section] = []
    if len(shown) < len(matches):
        sections.append(
            Section(
                None,
                (
                    Line(
                        f"{len(matches):,} {'parties' if parties else 'entries'} match “{query}”; showing {len(shown)} — "
                        f"add --all to see every one (`{command} sanctions {query} --all`)."
                    ),
                ),
            )
        )
    history = _history(brief) if any(m.snapshot.source.key == OFAC_SDN_KEY for m in shown) else None
    sections.extend(
        _party_section(group, index, history, as_of, parties=parties) for group in shown_groups
    )
    licence = _licence_lines(used)
    if licence:
        sections.append(Section(None, licence))
    return Reply(
        title=title,
        sections=tuple(sections),
        as_of=as_of,
        footer=(
            "A match: the name aligns word for word with a listed name or alias; a possible "
            "match: enough aligns to deserve a look. Check the identifiers before acting. "
            f"{command} sanctions history · {command} sanctions stats"
        ),
    )


# --- what is new ---------------------------------------------------------------------


def _base_for(data: SanctionsData, current: Snapshot, since: date | None) -> Snapshot | None:
    same = [
        s
        for s in data.snapshots
        if s.source.key == current.source.key and s.entries_kept and s.list_date < current.list_date
    ]
    if since is not None:
        same = [s for s in same if s.list_date <= since]
    return same[-1] if same else None


def _diff_lines(diff: ListDiff, command: str) -> tuple[Line, ...]:
    source: Source = diff.source.cite(diff.list_date)
    lines = [
        Line(
            f"{diff.counts()} — compared with the list of {format_date(diff.previous_date)}.",
            source,
        )
    ]
    linked = diff.linked_added()
    if linked:
        lines.append(Line(f"Added, linked to China/Hong Kong ({len(linked)}):"))
        lines.extend(Line(f"• {e.name} — {programmes_label(e)} — {link_label(e)}") for e in linked)
    others = sorted(
        (e for e in diff.added if e.russia_programmes and not e.china_link), key=lambda e: e.name
    )
    if others:
        lines.append(Line(f"Added under Russia programmes ({len(others):,}):"))
        lines.extend(
            Line(f"• {e.name} — {e.entity_type} — {programmes_label(e)}")
            for e in others[:MAX_NEW_NAMES]
        )
        if len(others) > MAX_NEW_NAMES:
            lines.append(
                Line(
                    f"…and {len(others) - MAX_NEW_NAMES:,} more; "
                    f"`{command} sanctions <name>` shows any of them."
                )
            )
    changed = diff.topic_changed
    if changed:
        lines.append(Line(f"Changed ({len(changed)}):"))
        lines.extend(Line(f"• {c.after.name} — {c.describe()}") for c in changed[:MAX_NEW_CHANGES])
    removed = diff.topic_removed
    if removed:
        lines.append(Line(f"Removed ({len(removed)}):"))
        lines.extend(Line(f"• {e.name} — {programmes_label(e)}") for e in removed[:MAX_NEW_CHANGES])
    outside = (
        len(diff.added) - len(diff.topic_added),
        len(diff.changed) - len(changed),
        len(diff.removed) - len(removed),
    )
    if any(outside):
        lines.append(
            Line(
                f"Outside Russia programmes and China/Hong Kong links: {outside[0]:,} added, "
                f"{outside[1]:,} changed, {outside[2]:,} removed (counted, not listed)."
            )
        )
    return tuple(lines)


def new_reply(
    brief: Briefing, as_of: date, since: date | None = None, command: str = "/brief"
) -> Reply:
    """The newest list of each source compared with the one before (or the one in force on
    ``since``)."""
    data = sanctions(brief)
    lists = data.in_force(as_of)
    if not lists:
        return _nothing_loaded(command)
    sections = []
    changed_any = False
    for current in lists:
        heading = f"{current.source.title} — list of {format_date(current.list_date)}"
        if since is not None and current.list_date <= since:
            sections.append(
                Section(
                    heading,
                    (
                        Line(
                            f"No newer list since {format_date(since)}.",
                            current.source.cite(current.list_date),
                        ),
                    ),
                )
            )
            continue
        base = _base_for(data, current, since)
        if base is None:
            sections.append(
                Section(
                    heading,
                    (
                        Line(
                            f"The first list loaded ({current.entry_count:,} entries): changes "
                            "show once a later list is loaded.",
                            current.source.cite(current.list_date),
                        ),
                    ),
                )
            )
            continue
        diff = data.diff(base, current)
        changed_any = changed_any or not diff.empty
        sections.append(Section(heading, _diff_lines(diff, command)))
    sections.extend(Section(None, (line,)) for line in _licence_lines(lists))
    since_text = f" since {format_date(since)}" if since else ""
    title = (
        f"Sanctions list changes{since_text}"
        if changed_any
        else f"No sanctions designation changed{since_text}"
    )
    return Reply(
        title=title,
        sections=tuple(sections),
        as_of=as_of,
        footer=f"{command} sanctions <name> · {command} sanctions stats",
    )


# --- stats ---------------------------------------------------------------------------


def _stats_lines(snap: Snapshot, entries: list[Entry]) -> tuple[Line, ...]:
    source = snap.source.cite(snap.list_date)
    russia = [e for e in entries if e.russia_programmes]
    linked = [e for e in entries if e.china_link]
    china = sum(1 for e in linked if e.link_place == CHINA)
    hong_kong = sum(1 for e in linked if e.link_place == HONG_KONG)
    both = sum(1 for e in linked if e.russia_programmes)
    types = Counter(e.entity_type for e in entries)
    by_programme = Counter(p for e in entries for p in e.programmes)
    linked_by_programme = Counter(p for e in linked for p in e.programmes)
    top = " · ".join(
        f"{p} {n:,}" + (f" ({linked_by_programme[p]:,} China/HK)" if linked_by_programme[p] else "")
        for p, n in by_programme.most_common(TOP_PROGRAMMES)
    )
    return (
        Line(
            f"{len(entries):,} entries: " + ", ".join(f"{n:,} {t}" for t, n in types.most_common()),
            source,
        ),
        Line(f"Under Russia-related programmes: {len(russia):,}", source),
        Line(
            f"Linked to China or Hong Kong: {len(linked):,} ({china:,} China, {hong_kong:,} "
            f"Hong Kong), {both:,} of them under Russia programmes",
            source,
        ),
        Line(f"Largest programmes: {top}", source),
    )


def stats_reply(brief: Briefing, as_of: date, command: str = "/brief") -> Reply:
    data = sanctions(brief)
    lists = data.in_force(as_of)
    if not lists:
        return _nothing_loaded(command)
    index = data.index(as_of)
    sections = [
        Section(
            f"{snap.source.title} — list of {format_date(snap.list_date)}",
            _stats_lines(snap, list(entries)),
        )
        for snap, entries in index.lists
    ]
    sections.extend(Section(None, (line,)) for line in _licence_lines(lists))
    return Reply(
        title="Sanctions lists held, by programme and China/Hong Kong link",
        sections=tuple(sections),
        as_of=as_of,
        footer=f"{command} sanctions <name> · {command} sanctions new",
    )


# --- plain-word questions (for the ask engine) ---------------------------------------

_SANCTIONS_WORDS = re.compile(
    r"sanction|designat|\bsdn\b|\bofac\b|opensanctions|blacklist|black list|entity list",
    re.IGNORECASE,
)
_NEW_WORDS = re.compile(r"\b(new|latest|recent|recently|added|this week|last week)\b", re.I)
_COUNT_WORDS = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b|\bstatistic", re.I)
_WHEN = re.compile(
    r"^when\s+(?:was|were|did)\s+(?P<name>.+?)\s+(?:get\s+|first\s+|been\s+)?"
    r"(?:designated|sanctioned|listed|added|blacklisted)\b",
    re.I,
)
_NAME_PATTERNS = (
    re.compile(
        r"^(?:is|are|was|were|has|have)\s+(?P<name>.+?)\s+(?:been\s+)?"
        r"(?:sanctioned|designated|listed|blacklisted|under sanctions|on (?:the|a|any) )",
        re.I,
    ),
    re.compile(r"sanctions?\s+(?:on|against|for|of)\s+(?P<name>.+?)\s*\??$", re.I),
    re.compile(r"^(?:search|look ?up|find|check)\s+(?P<name>.+?)\s*(?:on|in)\s", re.I),
)


def answer_sanctions_question(brief: Briefing, question: str, as_of: date) -> Reply | None:
    """A reply when ``question`` is about the sanctions lists, else None (not a sanctions
    question: the ask engine tries its other sources).

    "Is Wuhan Maiwe sanctioned?" → a search; "what's new on the OFAC list?" → the latest
    changes; "how many Chinese companies are on the SDN list?" → the counts.
    """
    text = " ".join(question.split()).strip()
    if not _SANCTIONS_WORDS.search(text):
        return None
    when = _WHEN.search(text)
    if when:
        name = when.group("name").strip(" ?.\"'“”")
        if len(name_key(name).replace(" ", "")) >= 3:
            return when_designated_reply(brief, name, as_of)
    for pattern in _NAME_PATTERNS:
        found = pattern.search(text)
        if found:
            name = found.group("name").strip(" ?.\"'“”")
            if len(name_key(name).replace(" ", "")) >= 3:
                return search_reply(brief, name, as_of)
    if _COUNT_WORDS.search(text):
        return stats_reply(brief, as_of)
    if _NEW_WORDS.search(text):
        return new_reply(brief, as_of)
    return None


# --- designation history ---------------------------------------------------------------

HISTORY_TABLE_MONTHS = 12


def _history(brief: Briefing) -> SanctionsHistory | None:
    try:
        return load_history(brief.settings.data_dir)
    except (HistoryError, OSError):
        return None


def _no_history(command: str) -> Reply:
    return Reply(
        title="The OFAC designation history is not available.",
        sections=(
            Section(
                None,
                (
                    Line(
                        "It is bundled in data/sanctions/ofac/history/; this installation's data "
                        "folder does not have it."
                    ),
                    Line(f"`{command} sanctions new` shows what the loaded lists changed."),
                ),
            ),
        ),
        kind=ReplyKind.NO_DATA,
    )


def _before_history(history: SanctionsHistory, as_of: date) -> Reply:
    return Reply(
        title=f"The OFAC change history starts on {format_date(history.baseline)}.",
        sections=(
            Section(
                None,
                (Line(f"Nothing in it is dated on or before {format_date(as_of)}."),),
            ),
        ),
        kind=ReplyKind.NO_DATA,
        extra_sources=(history.changes_source,),
    )


def history_reply(brief: Briefing, text: str, as_of: date, command: str = "/brief") -> Reply:
    """``sanctions history [china|hong kong|russia|PROGRAMME]`` — a chart and a short table of
    designations per month; ``sanctions history NAME`` — when that entry was designated."""
    history = _history(brief)
    if history is None:
        return _no_history(command)
    if as_of <= history.baseline:
        return _before_history(history, as_of)
    scope = parse_scope(text, history)
    if scope is None:
        return when_designated_reply(brief, text, as_of, command)
    data = history_chart_data(history, scope, as_of)
    if data is None:
        return _before_history(history, as_of)
    source = history.changes_source
    covered = history.covered_until(as_of)
    months = list(data.months)
    total, apart = summarise(months)
    lines = [
        Line(
            f"{total:,} entries added {scope.label} from {format_date(history.baseline)} to "
            f"{format_date(covered)}, {apart:,} of them {scope.apart}.",
            source,
        )
    ]
    peaks = busiest(months)
    if peaks:
        lines.append(
            Line(
                "Busiest months: "
                + "; ".join(f"{m.label} {m.added:,} ({m.apart:,} {scope.apart})" for m in peaks),
                source,
            )
        )
    table = tuple(
        Line(
            f"{m.label}: {m.added:,} added"
            + (f", {m.apart:,} {scope.apart}" if m.apart else "")
            + (f"; {m.removed:,} removed" if m.removed else ""),
            source,
        )
        for m in months[-HISTORY_TABLE_MONTHS:]
    )
    sections = [Section(None, tuple(lines)), Section("Last 12 months of the history", table)]
    if data.listed:
        first, last = data.listed[0], data.listed[-1]
        panel_source = history.panel_source(as_of)
        sections.append(
            Section(
                f"Entries listed with an address in {data.listed_country}",
                (
                    Line(
                        f"{last.listed:,} OFAC-listed entries (SDN and non-SDN, all programmes) "
                        f"had an address in {data.listed_country} at the end of "
                        f"{last.month_end:%b %Y}, against {first.listed:,} at the end of "
                        f"{first.month_end:%b %Y}.",
                        panel_source,
                    ),
                ),
            )
        )
    notes = [
        Line(
            "Dates are those of the daily scrape that first showed a change (OFAC's own "
            f"publication can be a day earlier); the entries already listed on "
            f"{format_date(history.baseline)} are the starting list, not additions. China/Hong "
            "Kong links are read from the remarks."
        )
    ]
    if as_of > history.last:
        notes.append(
            Line(
                f"The change history ends on {format_date(history.last)}; "
                f"`{command} sanctions new` compares the lists loaded since."
            )
        )
    sections.append(Section(None, tuple(notes)))
    return Reply(
        title=data.title + f" ({format_date(history.baseline)} – {format_date(covered)})",
        sections=tuple(sections),
        as_of=as_of,
        chart=render_history_chart(data, brief.settings.chart_dir),
        footer=(
            f"{command} sanctions history china · {command} sanctions history russia · "
            f"{command} sanctions history NAME"
        ),
    )


def _change_line(change: Change, history: SanctionsHistory) -> str:
    programmes = ", ".join(change.programmes) or "no programme"
    day = format_date(change.day)
    if change.change == "added":
        if change.day == history.baseline:
            return (
                f"already on the SDN list when the history starts ({day}) — designated before "
                f"then — under {programmes}"
            )
        return f"added to the SDN list on {day} under {programmes}"
    if change.change == "removed":
        return f"removed from the SDN list on {day}"
    fields = ", ".join(change.changed_fields) or "details"
    return f"changed on {day} ({fields}); programmes then: {programmes}"


def when_designated_reply(
    brief: Briefing, name: str, as_of: date, command: str = "/brief"
) -> Reply:
    """When the entries whose name matches ``name`` were added to (and changed on, removed
    from) the SDN list, from the change history, as known on ``as_of``."""
    history = _history(brief)
    if history is None:
        return _no_history(command)
    name = " ".join(name.split())
    if as_of <= history.baseline:
        return _before_history(history, as_of)
    found = entity_history(history, name, as_of)
    covered = history.covered_until(as_of)
    source = history.changes_source
    span = f"{format_date(history.baseline)} – {format_date(covered)}"
    if not found:
        return Reply(
            title=f"No entry like “{name}” in the OFAC SDN change history ({span}).",
            sections=(
                Section(
                    None,
                    (
                        Line(
                            "Nothing on the SDN list during that time had a name like this. "
                            f"`{command} sanctions {name}` searches the lists loaded now."
                        ),
                    ),
                ),
            ),
            kind=ReplyKind.NO_DATA,
            extra_sources=(source,),
        )
    sections = []
    for item in found:
        tier = "Match" if item.exact else "Possible match"
        lines = [Line(f"why: {item.why}")]
        lines.extend(Line(_change_line(c, history), source) for c in item.changes[:8])
        if len(item.changes) > 8:
            lines.append(Line(f"…and {len(item.changes) - 8} more changes."))
        url = entry_url(OFAC_SDN_KEY, item.ent_num)
        if url:
            lines.append(Line(f"OFAC entry {item.ent_num}: {url}"))
        sections.append(Section(f"{tier}: {item.name} — {item.entity_type}", tuple(lines)))
    first = found[0]
    added = [c for c in first.changes if c.change == "added"]
    if added and added[0].day != history.baseline:
        title = f"{first.name} was added to the OFAC SDN list on {format_date(added[0].day)}"
    elif added:
        title = f"{first.name} was already on the OFAC SDN list on {format_date(history.baseline)}"
    else:
        title = f"OFAC SDN history of “{name}” ({span})"
    notes = [
        Line(
            f"From the SDN change history ({span}): the date is that of the daily scrape that "
            "first showed the change; OFAC's own publication can be a day earlier."
        )
    ]
    if as_of > history.last:
        notes.append(
            Line(
                f"The history ends on {format_date(history.last)}: "
                f"`{command} sanctions {name}` checks the lists loaded since."
            )
        )
    sections.append(Section(None, tuple(notes)))
    return Reply(
        title=title,
        sections=tuple(sections),
        as_of=as_of,
        footer=f"{command} sanctions {name} · {command} sanctions history",
    )


_YEAR = re.compile(r"\b(20\d\d)\b")
_MONTH = re.compile(r"\b(20\d\d)-(0[1-9]|1[0-2])\b")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAME = re.compile(
    r"\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\s+(20\d\d)\b",
    re.I,
)


def history_count_reply(brief: Briefing, question: str, as_of: date) -> Reply | None:
    """ "How many Chinese companies were designated under Russia programmes in 2023?" — the
    count from the change history, or None when the question names no year or month."""
    history = _history(brief)
    if history is None:
        return None
    month = _MONTH.search(question)
    named = _MONTH_NAME.search(question)
    year = _YEAR.search(question)
    if named:
        number = _MONTH_NAMES.index(named.group(1)[:3].lower()) + 1
        first = date(int(named.group(2)), number, 1)
        last = _month_end(first)
        label = f"{first:%b %Y}"
    elif month:
        first = date(int(month.group(1)), int(month.group(2)), 1)
        last = _month_end(first)
        label = f"{first:%b %Y}"
    elif year:
        first, last = date(int(year.group(1)), 1, 1), date(int(year.group(1)), 12, 31)
        label = year.group(1)
    else:
        return None
    lowered = question.lower()
    words = set(re.findall(r"[a-z0-9]+", lowered))
    coded = [p for p in history.programmes if p.lower().replace(" ", "").split("-")[-1] in words]
    if coded:  # "eo14024": the programme of that code with the most entries (RUSSIA-EO14024)
        uses = Counter(p for c in history.changes for p in c.programmes if p in coded)
        scope = parse_scope(max(coded, key=lambda p: (uses[p], p)), history)
    elif "hong kong" in lowered:
        scope = parse_scope("hong kong", history)
    elif re.search(r"\bchin(a|ese)\b", lowered):
        scope = parse_scope("china", history)
    else:
        scope = parse_scope("russia", history)
    assert scope is not None
    covered = history.covered_until(as_of)
    if first > covered or last < history.baseline:
        return Reply(
            title=f"The OFAC change history has no figure for {label}.",
            sections=(
                Section(
                    None,
                    (
                        Line(
                            f"It covers {format_date(history.baseline)} to {format_date(covered)}."
                        ),
                    ),
                ),
            ),
            kind=ReplyKind.NO_DATA,
            extra_sources=(history.changes_source,),
        )
    total, apart = designations_in(history, first, min(last, covered), as_of, scope)
    partial = ""
    if first < history.baseline or last > covered:
        partial = (
            f" (the history covers {format_date(max(first, history.baseline))} to "
            f"{format_date(min(last, covered))} of it)"
        )
    return Reply(
        title=f"OFAC SDN additions {scope.label}, {label}",
        sections=(
            Section(
                None,
                (
                    Line(
                        f"{total:,} entries were added to the SDN list {scope.label} in "
                        f"{label}{partial}; {apart:,} of them {scope.apart}.",
                        history.changes_source,
                    ),
                ),
            ),
        ),
        as_of=as_of,
        footer="/brief sanctions history china · /brief sanctions history russia",
    )


def _month_end(first: date) -> date:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)
