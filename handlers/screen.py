"""screen [FILE] — screen every name of a CSV file once against the loaded sanctions lists.

The CSV needs a header with a `name` column; `type`, `country`, `dob` and `ref` are used as in
`watch import` and other columns are ignored (UTF-8, comma, semicolon or tab, 10,000 rows at
most). Each row gets its best hit on the lists with the same tiers as `sanctions NAME`. The
results come back as a CSV file for you alone (in Slack, a direct message; at the console, a
file under var/results) with the columns row, name, ref, tier, score, list, list_date, entry,
entry_id, programmes, why, link, lists (every loaded list that names the matched party, with
its date) — plus a one-line summary. A bad row is reported with its row
number and skipped. Large files are screened after the acknowledgement, with progress notes.
In Slack, upload the file to the channel, then give its link or id (or nothing: your newest
file there).
Examples: `screen https://acme.slack.com/files/U1/F0123/counterparties.csv`,
`screen counterparties.csv` (console).
"""

from __future__ import annotations

import csv
import io
import time

from briefing.appstate import Context, FileError
from briefing.delivery.poster import ChannelRef
from briefing.replies import Line, Reply, ReplyKind, Section, format_date, simple, usage_error
from briefing.watch.entries import (
    MAX_IMPORT_BYTES,
    CsvError,
    WatchEntry,
    decode,
    parse_csv,
)

BATCH = ChannelRef("batch", "batch", "batch")  # the rows belong to no channel
PROGRESS_EVERY_S = 10.0
MAX_PROGRESS_NOTES = 3
RESULT_COLUMNS = (
    "row",
    "name",
    "ref",
    "tier",
    "score",
    "list",
    "list_date",
    "entry",
    "entry_id",
    "programmes",
    "why",
    "link",
    "lists",
)


def handle(text: str, ctx: Context) -> Reply:
    # Cold start: the lists' stack (pandas) loads with the first command that reads them.
    from briefing.sanctions.parties import (  # noqa: PLC0415
        describe_listings,
        listings_of,
        load_party_map,
        own_id,
        party_entries,
    )
    from briefing.watch.screening import current_lists, list_index, list_label, screen_entry  # noqa: PLC0415

    if ctx.files is None:
        return usage_error("This platform cannot pass me a file yet.")
    words = text.split()
    try:
        shared = ctx.files.fetch(words[0] if words else None, max_bytes=MAX_IMPORT_BYTES)
        parsed = parse_csv(decode(shared.data, shared.name), shared.name, batch=True)
    except (FileError, CsvError) as exc:
        return usage_error(
            f"Nothing screened: {exc}.", "The CSV needs a header with a name column."
        )
    lists = current_lists(ctx.brief.engine)
    if not lists:
        return simple(
            "No sanctions list is loaded, so there is nothing to screen against.",
            "An operator loads one with `bot.py ingest` (docs/sanctions.md).",
            kind=ReplyKind.NO_DATA,
        )
    indexes = [(snap, list_index(ctx.brief.engine, snap)) for snap in lists]
    parties = load_party_map(ctx.brief.engine, lists)
    described: dict[str, str] = {}

    def lists_of(party: str) -> str:
        """Every loaded list that names the party, with its date (one party, one row)."""
        if party not in described:
            members = party_entries(ctx.brief.engine, lists, parties.members(party))
            described[party] = describe_listings(listings_of(members), limit=40)
        return described[party]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    counts = {"match": 0, "possible match": 0, "clear": 0}
    total = len(parsed.specs)
    notes = 0
    last_note = time.monotonic()
    for done, (row, spec) in enumerate(parsed.specs, start=1):
        entry = WatchEntry(0, BATCH, spec, "", ctx.now)
        best = None
        for snap, index in indexes:
            hits = screen_entry(index, entry, parties)
            if hits and (
                best is None
                or (hits[0].is_match, hits[0].score) > (best[1].is_match, best[1].score)
            ):
                best = (snap, hits[0])
        if best is None:
            counts["clear"] += 1
            writer.writerow([row, spec.name, spec.ref, "clear", *[""] * 9])
        else:
            snap, hit = best
            counts[hit.tier] += 1
            writer.writerow(
                [
                    row,
                    spec.name,
                    spec.ref,
                    hit.tier,
                    f"{hit.score:.0f}",
                    snap.source.title,
                    snap.list_date.isoformat(),
                    hit.name,
                    hit.key,
                    "; ".join(hit.programmes),
                    hit.why,
                    hit.url or "",
                    lists_of(hit.party or own_id(snap.source.key, hit.key)),
                ]
            )
        if (
            notes < MAX_PROGRESS_NOTES
            and done < total
            and time.monotonic() - last_note >= PROGRESS_EVERY_S
        ):
            ctx.files.progress(f"Screening {shared.name}: {done:,} of {total:,} rows done…")
            notes += 1
            last_note = time.monotonic()
    stem = shared.name.rsplit(".", 1)[0] or "names"
    result_name = f"{stem}-screened.csv"
    against = "; ".join(list_label(s) for s in lists)
    try:
        where = ctx.files.send_private(
            result_name, out.getvalue().encode("utf-8"), f"{shared.name} screened"
        )
    except FileError as exc:
        return usage_error(f"I screened {shared.name} but could not send the results: {exc}.")
    bad = ""
    if parsed.errors:
        bad = f"; {len(parsed.errors)} bad row{'s' if len(parsed.errors) != 1 else ''} skipped"
    matches, possible = counts["match"], counts["possible match"]
    summary = (
        f"Screened {total:,} row{'s' if total != 1 else ''} of {shared.name}: "
        f"{matches:,} match{'es' if matches != 1 else ''}, "
        f"{possible:,} possible match{'es' if possible != 1 else ''}, "
        f"{counts['clear']:,} clear{bad}. Results {result_name} {where}."
    )
    sections = [Section(None, (Line(f"Against the {against}."),))]
    if parsed.errors:
        sections.append(
            Section(
                "Bad rows (the header is row 1)",
                tuple(Line(f"row {e.row}: {e.message}") for e in parsed.errors[:20]),
            )
        )
    newest = max(s.list_date for s in lists)
    return Reply(
        title=summary,
        sections=tuple(sections),
        as_of=newest,
        footer=(
            f"Lists as of {format_date(newest)}. A match: the name aligns word for word with a "
            "listed name or alias; a possible match: enough aligns to deserve a look."
        ),
    )
