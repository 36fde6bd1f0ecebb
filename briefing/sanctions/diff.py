"""What changed between two lists of the same source, and the update that reports it.

Designations are matched on the list's own key (OFAC ``ent_num``, OpenSanctions ``id``): a key
only in the new list was added, only in the old one removed, in both with any compared field
different changed. The comparison runs on frames of the stored columns (a key join, one vector
comparison per field); entries are built for the added, removed and changed rows only. The topic filter (:mod:`briefing.sanctions.topic`) decides what is itemised;
the rest is counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from briefing.replies import Line, format_date
from briefing.sanctions.model import COMPARED_FIELDS, Entry, ListSource
from briefing.sanctions.store import ENTRY_COLUMNS, entry_frame, frame_entries
from briefing.updates import Update

TOPIC = "sanctions"
MAX_LINKED_LINES = 25
MAX_OTHER_ADDED_LINES = 10
MAX_CHANGED_LINES = 10
MAX_REMOVED_LINES = 10


@dataclass(frozen=True, slots=True)
class Change:
    before: Entry
    after: Entry
    fields: tuple[str, ...]

    @property
    def in_topic(self) -> bool:
        return self.before.in_topic or self.after.in_topic

    def describe(self) -> str:
        """``now also under RUSSIA-EO14024; remarks updated``."""
        parts: list[str] = []
        if "name" in self.fields:
            parts.append(f"renamed from {self.before.name}")
        if "programmes" in self.fields:
            gained = [p for p in self.after.programmes if p not in self.before.programmes]
            lost = [p for p in self.before.programmes if p not in self.after.programmes]
            if gained:
                parts.append(f"now also under {', '.join(gained)}")
            if lost:
                parts.append(f"no longer under {', '.join(lost)}")
        parts.extend(
            f"{field} updated" for field in self.fields if field not in ("name", "programmes")
        )
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class ListDiff:
    source: ListSource
    previous_date: date
    list_date: date
    added: tuple[Entry, ...]
    removed: tuple[Entry, ...]
    changed: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def topic_added(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.added if e.in_topic)

    @property
    def topic_removed(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.removed if e.in_topic)

    @property
    def topic_changed(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changed if c.in_topic)

    def linked_added(self) -> list[Entry]:
        return sorted((e for e in self.added if e.china_link), key=lambda e: e.name)

    def top_russia_programme(self) -> tuple[str, int] | None:
        counts = Counter(p for e in self.added for p in e.russia_programmes)
        return counts.most_common(1)[0] if counts else None

    def counts(self) -> str:
        """``553 added (552 under RUSSIA-EO14024), 8 changed, 0 removed``."""
        added = f"{len(self.added):,} added"
        top = self.top_russia_programme()
        if top:
            added += f" ({top[1]:,} under {top[0]})"
        return f"{added}, {len(self.changed):,} changed, {len(self.removed):,} removed"

    def headline(self) -> str:
        """The update's title: the additions first, then what concerns the brief."""
        linked = sum(1 for e in self.added if e.china_link)
        if self.added:
            plural = "s" if len(self.added) != 1 else ""
            notes = []
            top = self.top_russia_programme()
            if top:
                notes.append(f"{top[1]:,} under {top[0]}")
            if linked:
                notes.append(f"{linked:,} linked to China/Hong Kong")
            if not notes:
                notes.append("none under Russia programmes or linked to China/Hong Kong")
            return (
                f"{self.source.short} added {len(self.added):,} designation{plural} "
                f"({'; '.join(notes)})"
            )
        in_topic = len(self.topic_removed) + len(self.topic_changed)
        return (
            f"{self.source.short} list changed: {len(self.removed):,} removed, "
            f"{len(self.changed):,} changed ({in_topic:,} under Russia programmes or linked to "
            "China/Hong Kong)"
        )


# The stored column behind each compared field, in COMPARED_FIELDS order.
COMPARED_COLUMNS = (
    "name",
    "entity_type",
    "programmes",
    "countries",
    "aliases",
    "addresses",
    "remarks",
    "details",
    "listed_on",
)


def diff_lists(
    source: ListSource,
    previous_date: date,
    old: Sequence[Entry],
    new: Sequence[Entry],
    list_date: date,
) -> ListDiff:
    return diff_frames(source, previous_date, entry_frame(old), entry_frame(new), list_date)


def diff_frames(
    source: ListSource,
    previous_date: date,
    old: pd.DataFrame,
    new: pd.DataFrame,
    list_date: date,
) -> ListDiff:
    """The diff of two frames of stored entry columns (see
    :data:`~briefing.sanctions.store.ENTRY_COLUMNS`), joined on ``entity_key``: additions in
    the new list's order, removals in the old one's, changes in the new one's."""
    in_old = new["entity_key"].isin(old["entity_key"]).to_numpy()
    in_new = old["entity_key"].isin(new["entity_key"]).to_numpy()
    added = tuple(frame_entries(new[~in_old]))
    removed = tuple(frame_entries(old[~in_new]))
    both = new[in_old].merge(old, on="entity_key", how="left", suffixes=("", "_old"))
    differs = np.zeros((len(both), len(COMPARED_COLUMNS)), dtype=bool)
    for at, column in enumerate(COMPARED_COLUMNS):
        now = both[column].to_numpy(dtype=object)
        was = both[f"{column}_old"].to_numpy(dtype=object)
        differs[:, at] = now != was
    rows = np.nonzero(differs.any(axis=1))[0]
    changed: list[Change] = []
    if len(rows):
        picked = both.iloc[rows]
        after = frame_entries(picked)
        old_names = {f"{c}_old": c for c in ENTRY_COLUMNS if c != "entity_key"}
        before = frame_entries(picked[["entity_key", *old_names]].rename(columns=old_names))
        for old_entry, new_entry, flags in zip(before, after, differs[rows].tolist(), strict=True):
            fields = tuple(name for name, flag in zip(COMPARED_FIELDS, flags, strict=True) if flag)
            changed.append(Change(old_entry, new_entry, fields))
    return ListDiff(source, previous_date, list_date, added, removed, tuple(changed))


def programmes_label(entry: Entry) -> str:
    shown = entry.russia_programmes or entry.programmes
    if not shown:
        return "programme not given"
    text = ", ".join(shown[:4])
    return text + (f" +{len(shown) - 4}" if len(shown) > 4 else "")


def link_label(entry: Entry) -> str:
    return f"linked to {entry.link_place} ({entry.link_reason})" if entry.link_place else ""


def update_id(source: ListSource, list_date: date) -> str:
    return f"sanctions:{source.key}:{list_date.isoformat()}"


def diff_update(diff: ListDiff, command: str = "/brief") -> Update | None:
    """The update a list change produces (None when the lists hold the same designations)."""
    if diff.empty:
        return None
    source = diff.source.cite(diff.list_date)
    lines = [
        Line(
            f"{diff.counts()} — compared with the list of {format_date(diff.previous_date)}.",
            source,
        )
    ]
    linked = diff.linked_added()
    for entry in linked[:MAX_LINKED_LINES]:
        lines.append(
            Line(f"{entry.name} — {programmes_label(entry)} — {link_label(entry)}", source)
        )
    if len(linked) > MAX_LINKED_LINES:
        lines.append(
            Line(f"…and {len(linked) - MAX_LINKED_LINES:,} more linked to China/Hong Kong.")
        )
    others = sorted(
        (e for e in diff.added if e.russia_programmes and not e.china_link), key=lambda e: e.name
    )
    if others and len(others) <= MAX_OTHER_ADDED_LINES:
        lines.extend(Line(f"{e.name} — {programmes_label(e)}", source) for e in others)
    elif others:
        lines.append(
            Line(
                f"Other Russia-programme additions: {len(others):,} — "
                f"`{command} sanctions new` lists them.",
                source,
            )
        )
    changed = diff.topic_changed
    for change in changed[:MAX_CHANGED_LINES]:
        lines.append(Line(f"Changed: {change.after.name} — {change.describe()}", source))
    if len(changed) > MAX_CHANGED_LINES:
        lines.append(Line(f"…and {len(changed) - MAX_CHANGED_LINES:,} more changed."))
    removed = diff.topic_removed
    for entry in removed[:MAX_REMOVED_LINES]:
        lines.append(Line(f"Removed: {entry.name} — {programmes_label(entry)}", source))
    if len(removed) > MAX_REMOVED_LINES:
        lines.append(Line(f"…and {len(removed) - MAX_REMOVED_LINES:,} more removed."))
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
    return Update(
        update_id=update_id(diff.source, diff.list_date),
        topic=TOPIC,
        title=diff.headline(),
        lines=tuple(lines),
        data_date=diff.list_date,
    )
