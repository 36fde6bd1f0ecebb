"""watch add NAME [--type person|entity|vessel] [--country CC] [--dob YYYY[-MM[-DD]]] [--ref ID] | remove NAME|#N|--ref ID | list | import [FILE] [--strict] | export

This channel's watchlist: counterparties screened against every loaded sanctions list now and
again whenever a new list version is loaded. When one is newly matched or possibly matched, its
match details change (programmes, aliases, addresses), or it is delisted, the channel gets one
alert per list version, with the tiered explanation and a link to the entry. Nothing changed,
no post. No subscription is needed.
Anyone may look (`watch list`, `watch export`); only admins change it (`add`, `remove`,
`import`), and each change is in `subscriptions --log`.
`watch list` gives each name's status on each list: match, possible match or clear, and the list
version it was screened on. `watch export` gives the watchlist and statuses as CSV text.
`watch import` reads a CSV with a header: `name` (required), `type`, `country`, `dob`, `ref`
(comma, semicolon or tab separated, UTF-8). In Slack, upload the file, then give its link (or
id) after `import` (or nothing: your newest file there); in Discord, attach it; at the console,
its path. A bad row is reported with its row number (the
header is row 1) and the good rows are kept; with `--strict` nothing is imported when any row
is bad.
Examples: `watch add Jiangxi Liansheng Technology --type entity --country CN --ref C-104`,
`watch add Sergei Lavrov --type person --dob 1950`, `watch remove #3`,
`watch import https://acme.slack.com/files/U1/F0123/counterparties.csv`, `watch list`.
"""

from __future__ import annotations

import csv
import io
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from briefing.appstate import Context, FileError
from briefing.delivery.subscriptions import channel_of
from briefing.replies import (
    Line,
    Reply,
    ReplyKind,
    Section,
    Source,
    format_date,
    simple,
    usage_error,
)
from briefing.security.audit import AuditAction
from briefing.watch.entries import (
    MAX_IMPORT_BYTES,
    CsvError,
    EntryError,
    add_entries,
    decode,
    entries_of,
    name_key,
    parse_csv,
    remove_entries,
    validate,
)

if TYPE_CHECKING:
    from briefing.watch.screening import Status

MAX_LISTED = 50
MAX_EXPORTED = 500
MAX_ERRORS_SHOWN = 20
_FLAGS = {"--type": "type", "--country": "country", "--dob": "dob", "--ref": "ref"}


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _admins_only(ctx: Context, what: str) -> Reply | None:
    if ctx.caller.is_admin:
        return None
    return simple(
        f"Only workspace admins or the bot's configured admins can {what} this channel's "
        "watchlist.",
        f"`{ctx.command} watch list` shows it to anyone.",
        kind=ReplyKind.REFUSAL,
    )


def handle(text: str, ctx: Context) -> Reply:
    words = _words(text)
    action = words[0].lower() if words else "list"
    rest = words[1:]
    channel = channel_of(ctx.caller)
    if channel is None:
        return usage_error("A watchlist belongs to a channel; run this in one.")
    if action in ("list", "ls", "status"):
        return list_reply(ctx)
    if action == "export":
        return export_reply(ctx)
    if action == "add":
        return add_reply(rest, ctx)
    if action in ("remove", "rm", "delete"):
        return remove_reply(rest, ctx)
    if action == "import":
        return import_reply(rest, ctx)
    return usage_error(
        f"`watch {action}` is not something I know.",
        f"Try `{ctx.command} watch add NAME`, `watch list`, `watch remove NAME`, "
        "`watch import FILE` or `watch export`; `help watch` for details.",
    )


def add_reply(words: list[str], ctx: Context) -> Reply:
    refused = _admins_only(ctx, "change")
    if refused is not None:
        return refused
    values: dict[str, str] = {}
    name_words: list[str] = []
    at = 0
    while at < len(words):
        word = words[at]
        flag = _FLAGS.get(word.lower())
        if flag is not None:
            if at + 1 >= len(words):
                return usage_error(f"{word} needs a value.", _add_usage(ctx))
            values[flag] = words[at + 1]
            at += 2
            continue
        if word.startswith("--"):
            return usage_error(f"I don't know the option {word}.", _add_usage(ctx))
        name_words.append(word)
        at += 1
    try:
        spec = validate(
            " ".join(name_words),
            values.get("type"),
            values.get("country"),
            values.get("dob"),
            values.get("ref"),
        )
    except EntryError as exc:
        return usage_error(f"I can't watch that: {exc}.", _add_usage(ctx))
    channel = channel_of(ctx.caller)
    assert channel is not None
    try:
        added = add_entries(
            ctx.brief.engine, channel, [spec], by_user=ctx.caller.user_id or "unknown", now=ctx.now
        )
    except EntryError as exc:
        return usage_error(f"I can't watch that: {exc}.")
    if not added.entries:
        return simple(
            f"{spec.name} is already on this channel's watchlist.",
            f"`{ctx.command} watch list` shows its status.",
        )
    # Cold start: the lists' stack (pandas) loads with the first command that reads them.
    from briefing.watch.screening import screen_and_store  # noqa: PLC0415

    (entry,) = added.entries
    statuses = screen_and_store(ctx.brief.engine, [entry], ctx.now)[entry.entry_id]
    lines = _status_lines(entry.label(), statuses, with_why=True)
    return Reply(
        title=f"Watching {entry.label()} (#{entry.entry_id}) in this channel",
        sections=(Section("Status now", tuple(lines)),),
        footer=(
            "This channel gets an alert when a new list version matches, changes or delists it. "
            f"{ctx.command} watch list · {ctx.command} watch remove #{entry.entry_id}"
        ),
    )


def _add_usage(ctx: Context) -> str:
    return (
        f"Usage: `{ctx.command} watch add NAME [--type person|entity|vessel] [--country CC] "
        "[--dob YYYY[-MM[-DD]]] [--ref YOUR-ID]`"
    )


def _status_lines(label: str, statuses: Sequence[Status], *, with_why: bool = False) -> list[Line]:
    lines: list[Line] = []
    if not statuses:
        lines.append(Line(f"{label}: not screened — no sanctions list is loaded"))
        return lines
    # One party, one line: the best hits of several lists that are one party (OpenSanctions'
    # referents, or one id) are shown together.
    by_party: dict[str, list[Status]] = {}
    for status in statuses:
        best = status.best
        if best is not None:
            party = best.party or f"{status.source_key}:{best.key}"
            by_party.setdefault(party, []).append(status)
    shown: set[str] = set()
    for status in statuses:
        where = f"{status.source_title}, list of {format_date(status.list_date)}"
        best = status.best
        if best is None:
            lines.append(Line(f"{label}: clear on the {where}"))
            continue
        party = best.party or f"{status.source_key}:{best.key}"
        if party in shown:
            continue
        shown.add(party)
        # The party's strongest hit leads its line.
        found = sorted(by_party[party], key=lambda s: not s.best or not s.best.is_match)
        lead, same = found[0], found[1:]
        best = lead.best
        assert best is not None
        more = f" (+{len(lead.hits) - 1} more)" if len(lead.hits) > 1 else ""
        text = f"{label}: {best.tier} — {best.name} ({best.entity_type}, entry {best.key}){more}"
        if same:
            text += "; the same party on " + "; ".join(
                f"the {s.source_title} of {format_date(s.list_date)} "
                f"({s.best.tier if s.best else 'clear'}, entry {s.best.key if s.best else '-'})"
                for s in same
            )
        if with_why:
            text += f"; why: {best.why}"
        if best.url:
            text += f"; {best.url}"
        lines.append(Line(text, Source(lead.source_title, lead.source_url, lead.list_date)))
    return lines


def list_reply(ctx: Context) -> Reply:
    # Cold start: the lists' stack (pandas) loads with the first command that reads them.
    from briefing.watch.screening import statuses_of  # noqa: PLC0415

    channel = channel_of(ctx.caller)
    assert channel is not None
    entries = entries_of(ctx.brief.engine, channel)
    if not entries:
        return simple(
            "This channel watches no names yet.",
            f"An admin adds one with `{ctx.command} watch add NAME` or a CSV with "
            f"`{ctx.command} watch import`.",
        )
    statuses = statuses_of(ctx.brief.engine, [e.entry_id for e in entries])
    order = {"match": 0, "possible match": 1, "clear": 2}

    def rank(entry_id: int) -> int:
        words = [s.word for s in statuses[entry_id]]
        return min((order.get(w, 3) for w in words), default=3)

    ranked = sorted(entries, key=lambda e: (rank(e.entry_id), e.entry_id))
    lines: list[Line] = []
    for entry in ranked[:MAX_LISTED]:
        lines.extend(_status_lines(f"#{entry.entry_id} {entry.label()}", statuses[entry.entry_id]))
    if len(entries) > MAX_LISTED:
        lines.append(Line(f"… and {len(entries) - MAX_LISTED} more: `{ctx.command} watch export`."))
    counts = {"match": 0, "possible match": 0}
    for entry in entries:
        for word in {s.word for s in statuses[entry.entry_id]}:
            if word in counts:
                counts[word] += 1
    return Reply(
        title=(
            f"This channel watches {len(entries):,} name{'s' if len(entries) != 1 else ''}: "
            f"{counts['match']:,} with a match, {counts['possible match']:,} with a possible "
            "match"
        ),
        sections=(Section("Matches first", tuple(lines)),),
        footer=(
            "A match: the name aligns word for word with a listed name or alias; a possible "
            "match: enough aligns to deserve a look. Check the identifiers before acting."
        ),
    )


def export_reply(ctx: Context) -> Reply:
    # Cold start: the lists' stack (pandas) loads with the first command that reads them.
    from briefing.watch.screening import statuses_of  # noqa: PLC0415

    channel = channel_of(ctx.caller)
    assert channel is not None
    entries = entries_of(ctx.brief.engine, channel)
    if not entries:
        return simple("This channel watches no names yet; there is nothing to export.")
    statuses = statuses_of(ctx.brief.engine, [e.entry_id for e in entries])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["name", "type", "country", "dob", "ref", "status", "list", "list_date", "entry", "link"]
    )
    for entry in entries[:MAX_EXPORTED]:
        spec = entry.spec
        base = [spec.name, spec.entity_type or "", spec.country or "", spec.dob or "", spec.ref]
        found = statuses[entry.entry_id]
        if not found:
            writer.writerow([*base, "not screened", "", "", "", ""])
        for status in found:
            best = status.best
            writer.writerow(
                [
                    *base,
                    status.word,
                    status.source_title,
                    status.list_date.isoformat(),
                    f"{best.name} ({best.key})" if best else "",
                    (best.url or "") if best else "",
                ]
            )
    lines = tuple(Line(row) for row in out.getvalue().splitlines())
    more = f" (the first {MAX_EXPORTED} of {len(entries):,})" if len(entries) > MAX_EXPORTED else ""
    return Reply(
        title=f"This channel's watchlist as CSV{more}",
        sections=(Section(None, lines),),
        footer=f"Columns name,type,country,dob,ref import again with {ctx.command} watch import.",
    )


def remove_reply(words: list[str], ctx: Context) -> Reply:
    refused = _admins_only(ctx, "change")
    if refused is not None:
        return refused
    if not words:
        return usage_error(
            "Say what to stop watching.",
            f"`{ctx.command} watch remove NAME`, `watch remove #3` or `watch remove --ref ID`.",
        )
    channel = channel_of(ctx.caller)
    assert channel is not None
    entries = entries_of(ctx.brief.engine, channel)
    target = " ".join(words)
    if words[0].lower() == "--ref" and len(words) > 1:
        ref = " ".join(words[1:])
        chosen = [e for e in entries if e.spec.ref == ref]
        what = f"the reference {ref}"
    elif target.lstrip("#").isdigit():
        number = int(target.lstrip("#"))
        chosen = [e for e in entries if e.entry_id == number]
        what = f"#{number}"
    else:
        key = name_key(target)
        chosen = [e for e in entries if e.spec.key == key]
        what = target
    if not chosen:
        return usage_error(
            f"This channel's watchlist has nothing under {what}.",
            f"`{ctx.command} watch list` shows each name with its number.",
        )
    removed = remove_entries(
        ctx.brief.engine,
        channel,
        [e.entry_id for e in chosen],
        by_user=ctx.caller.user_id or "unknown",
        now=ctx.now,
    )
    names = ", ".join(f"#{e.entry_id} {e.label()}" for e in removed)
    return simple(f"Stopped watching {names} in this channel.")


def import_reply(words: list[str], ctx: Context) -> Reply:
    # Cold start: the lists' stack (pandas) loads with the first command that reads them.
    from briefing.watch.screening import screen_and_store  # noqa: PLC0415

    refused = _admins_only(ctx, "change")
    if refused is not None:
        return refused
    strict = any(w.lower() == "--strict" for w in words)
    refs = [w for w in words if w.lower() != "--strict"]
    if ctx.files is None:
        return usage_error("This platform cannot pass me a file yet.")
    try:
        shared = ctx.files.fetch(refs[0] if refs else None, max_bytes=MAX_IMPORT_BYTES)
        parsed = parse_csv(decode(shared.data, shared.name), shared.name)
    except (FileError, CsvError) as exc:
        return usage_error(
            f"Nothing imported: {exc}.",
            "The CSV needs a header with a name column; type, country, dob and ref are optional.",
        )
    errors = [Line(f"row {e.row}: {e.message}") for e in parsed.errors[:MAX_ERRORS_SHOWN]]
    if len(parsed.errors) > MAX_ERRORS_SHOWN:
        errors.append(Line(f"… and {len(parsed.errors) - MAX_ERRORS_SHOWN} more bad rows"))
    if parsed.errors and strict:
        return Reply(
            title=(
                f"Nothing imported from {shared.name}: {len(parsed.errors)} of {parsed.rows} "
                "rows are bad (--strict imports all rows or none)"
            ),
            sections=(Section("Bad rows (the header is row 1)", tuple(errors)),),
            kind=ReplyKind.USAGE_ERROR,
        )
    if not parsed.specs:
        return Reply(
            title=f"Nothing imported from {shared.name}: no good row",
            sections=(Section("Bad rows (the header is row 1)", tuple(errors)),) if errors else (),
            kind=ReplyKind.USAGE_ERROR,
        )
    channel = channel_of(ctx.caller)
    assert channel is not None
    try:
        added = add_entries(
            ctx.brief.engine,
            channel,
            [spec for _, spec in parsed.specs],
            by_user=ctx.caller.user_id or "unknown",
            now=ctx.now,
            action=AuditAction.WATCH_IMPORT,
            details=f"{shared.name}: {len(parsed.specs)} good rows, {len(parsed.errors)} bad",
        )
    except EntryError as exc:
        return usage_error(f"Nothing imported: {exc}.")
    statuses = screen_and_store(ctx.brief.engine, added.entries, ctx.now)
    matched = sum(1 for e in added.entries if any(s.word == "match" for s in statuses[e.entry_id]))
    possible = sum(
        1
        for e in added.entries
        if not any(s.word == "match" for s in statuses[e.entry_id])
        and any(s.word == "possible match" for s in statuses[e.entry_id])
    )
    kept = (
        f"kept the {len(parsed.specs)} good rows, skipped {len(parsed.errors)} bad"
        if parsed.errors
        else f"all {len(parsed.specs)} rows good"
    )
    title = (
        f"Imported {len(added.entries):,} names from {shared.name} ({kept}"
        + (f"; {len(added.already)} already watched" if added.already else "")
        + f"): {matched:,} with a match, {possible:,} with a possible match"
    )
    sections: list[Section] = []
    hits = [e for e in added.entries if any(s.word != "clear" for s in statuses[e.entry_id])]
    if hits:
        lines: list[Line] = []
        for entry in hits[:MAX_LISTED]:
            lines.extend(
                _status_lines(
                    f"#{entry.entry_id} {entry.label()}",
                    [s for s in statuses[entry.entry_id] if s.word != "clear"],
                )
            )
        sections.append(Section("Hits now", tuple(lines)))
    if errors:
        sections.append(
            Section(
                "Bad rows, not imported (the header is row 1); fix them and import the file "
                "again: rows already watched are left as they are",
                tuple(errors),
            )
        )
    return Reply(
        title=title,
        sections=tuple(sections),
        footer=(
            f"Policy: good rows are kept and bad rows reported; add --strict to import all or "
            f"nothing. {ctx.command} watch list"
        ),
    )
