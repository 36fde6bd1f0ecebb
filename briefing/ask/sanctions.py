"""Sanctions questions in words, answered from the lists held (through :mod:`.sanctions_seam`).

Three kinds, each a row of :data:`NAME_PATTERNS` or a test below:

* a party: "is X sanctioned?", "was X hit in the 23 Feb 2024 OFAC action?", "under which
  programme is X listed?", "when was X added?" — a search of the lists, with the tier of the
  match, the programmes, and when the party first appears among the stored lists;
* a count: "how many designations did OFAC add on 23 Feb 2024?" (or remove, in a month, a year) —
  from the changes between consecutive stored lists, never whole-list totals;
* a selection: "which Chinese / Hong Kong companies were added on …?".

Every answer names the list(s) it holds. A list that is not loaded (EU, UK, UN, the Commerce
Department's Entity List) is said first, before anything found on the lists that are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from briefing.appstate import Briefing
from briefing.ask import sanctions_seam as seam
from briefing.ask.compose import Answer, no_answer, shape
from briefing.ask.grammar import MONTHS, parse
from briefing.ask.words import plain
from briefing.replies import Line, Reply, format_date

MAX_NAMES = 6

_ABOUT_SANCTIONS = re.compile(
    r"\b(?:sanction\w*|designat\w*|sdn|ofac|blacklist\w*|black list|entity list|listed|"
    r"delisted|de-listed|hit (?:in|by)|added to|removed from|(?:taken|came|come) off|(?:eu|uk|un) list|"
    r"sanctions? lists?|on the [a-z. ]{1,30} list)\b"
)

# Lists people ask about, how a held list's key shows it is loaded, and what to call it.
OTHER_LISTS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\b(?:eu|european union|european|brussels)\b"), "eu_", "EU sanctions list"),
    (
        re.compile(r"\b(?:uk|u\.k\.|british|britain|hmt|ofsi|united kingdom)\b"),
        "gb_",
        "UK sanctions list",
    ),
    (re.compile(r"\b(?:un|united nations|security council)\b"), "un_", "UN Security Council list"),
    (
        re.compile(r"\b(?:entity list|bis|commerce department|department of commerce)\b"),
        "us_bis",
        "U.S. Commerce Department Entity List",
    ),
    (re.compile(r"\b(?:swiss|switzerland|seco)\b"), "ch_", "Swiss sanctions list"),
    (re.compile(r"\b(?:japan|japanese)\b"), "jp_", "Japanese sanctions list"),
    (re.compile(r"\b(?:canada|canadian)\b"), "ca_", "Canadian sanctions list"),
)

_VERBS = (
    r"(?:sanctioned|designated|listed|blacklisted|hit|targeted|added|put on|placed on|"
    r"subject to|under|on|in)"
)
_US = r"(?:ofac|the us|the u\.s\.|u\.s\.|us|the us treasury|us treasury|treasury|washington|the americans)"
NAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"^(?:under )?(?:which|what) (?:sanctions? )?program(?:me)?s? (?:is|are|was|were|has|have) "
        r"(?P<name>.+?) (?:been )?(?:listed|designated|sanctioned|under|on|added)\b"
    ),
    re.compile(
        r"^when (?:was|were|did|has|have) (?P<name>.+?) (?:been |get |become )?"
        r"(?:sanctioned|designated|listed|added|hit|blacklisted)\b"
    ),
    re.compile(
        rf"^(?:has|have|did) {_US} (?:sanction|designate|list|blacklist|hit|target)\w* (?P<name>.+)$"
    ),
    re.compile(
        rf"^(?:is|are|was|were|has|have) (?P<name>.+?) (?:been |also |still |now |ever )*{_VERBS}\b"
    ),
    re.compile(r"\bsanctions? (?:on|against) (?P<name>.+)$"),
    re.compile(r"^(?:search|look ?up|find|check) (?P<name>.+?)(?: on | in |$)"),
)
_NAME_TAIL = re.compile(
    r"\s+(?:in|on|by|under|from|to|of|during)\s+(?:the\s+)?(?:\d|ofac|us|u\.s\.|american|eu|uk|"
    r"sdn|sanctions|list|action|treasury|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|feb|jan|mar|apr|jun|jul|aug|sep|oct|nov|dec|last|this)"
    r".*$"
)
_COUNT = re.compile(r"\b(?:how many|number of|count of)\b")
_REMOVED = re.compile(
    r"\b(?:removed|removals?|delisted|de-listed|unlisted|deleted|(?:taken|came|come|coming|"
    r"struck|dropped) off|dropped|lifted|unsanctioned)\b"
)
_WHICH = re.compile(r"\b(?:which|what|list|name|who)\b")
_PLACES = re.compile(r"\b(?:chinese|china|china-based|hong kong|hk|hong kong-based|mainland)\b")
_HONG_KONG = re.compile(r"\b(?:hong kong|hk)\b")
_CHINA = re.compile(r"\b(?:chinese|china|china-based|mainland)\b")
_DAY = re.compile(
    r"\b(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)? (?:of )?(?P<m1>[a-z]+)\.?,? (?P<y1>\d{4})|"
    r"(?P<m2>[a-z]+)\.? (?P<d2>\d{1,2})(?:st|nd|rd|th)?,? (?P<y2>\d{4})|"
    r"(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))\b"
)


def is_about_sanctions(text: str) -> bool:
    return _ABOUT_SANCTIONS.search(plain(text)) is not None


def asked_day(text: str) -> date | None:
    for m in _DAY.finditer(plain(text)):
        try:
            if m["y3"]:
                return date(int(m["y3"]), int(m["m3"]), int(m["d3"]))
            month = m["m1"] or m["m2"]
            if month not in MONTHS:
                continue
            return date(int(m["y1"] or m["y2"]), MONTHS[month], int(m["d1"] or m["d2"]))
        except ValueError:
            continue
    return None


def asked_name(text: str) -> str | None:
    low = plain(text).rstrip("?.! ")
    for pattern in NAME_PATTERNS:
        m = pattern.search(low)
        if m is None:
            continue
        name = _NAME_TAIL.sub("", m["name"]).strip(" ?.\"'“”")
        name = re.sub(r"^(?:the|a|an)\s+", "", name)
        if len(re.sub(r"[^a-z0-9]", "", name)) >= 3 and name not in ("it", "they", "this"):
            return name
    return None


class SanctionsAnswers:
    def __init__(self, brief: Briefing, as_of: date, command: str) -> None:
        self.brief = brief
        self.as_of = as_of
        self.command = command

    def answer(self, text: str) -> Reply | None:
        """A reply if ``text`` is a sanctions question of a kind understood here, else None."""
        low = plain(text)
        held = seam.lists_held(self.brief, self.as_of)
        missing = self._not_loaded(low, held)
        kind: Callable[[], Reply | None] | None = None
        if _COUNT.search(low) and not asked_name(text):
            kind = lambda: self._count(text, held, missing)  # noqa: E731
        elif (
            _WHICH.search(low)
            and _PLACES.search(low)
            and re.search(r"\b(?:add|added|designated|designate|sanctioned|listed|hit|new)\b", low)
        ):
            kind = lambda: self._linked(text, held, missing)  # noqa: E731
        elif (name := asked_name(text)) is not None:
            kind = lambda: self._party(text, name, held, missing)  # noqa: E731
        if kind is None:
            if missing and is_about_sanctions(text):
                return self._only_missing(held, missing)
            return None
        if not held:
            return no_answer(
                "No sanctions list is loaded yet.",
                "An operator loads one with `python bot.py ingest sdn.csv` (OFAC's SDN list) or "
                "an OpenSanctions export.",
                *missing,
                command=self.command,
            )
        return kind()

    # ------------------------------------------------------------------ helpers

    def _not_loaded(self, low: str, held: list[seam.HeldList]) -> list[str]:
        out = []
        for pattern, key, name in OTHER_LISTS:
            if pattern.search(low) and not any(key in h.key for h in held):
                out.append(f"The {name} is not loaded, so I can't say what it holds.")
        return out

    def _held_text(self, held: list[seam.HeldList]) -> str:
        return "; ".join(f"{h.title} (list of {format_date(h.list_date)})" for h in held)

    def _only_missing(self, held: list[seam.HeldList], missing: list[str]) -> Reply:
        lines = [*missing]
        if held:
            lines.append(f"Lists I hold: {self._held_text(held)}.")
        return no_answer(missing[0].split(",")[0] + ".", *lines[1:], command=self.command)

    def _changes_asked(self, text: str) -> tuple[list[seam.ListChange], str]:
        changes = seam.changes(self.brief, self.as_of)
        day = asked_day(text)
        if day is not None:
            return [c for c in changes if c.held.list_date == day], format_date(day)
        periods = parse(text, self.as_of).periods
        if periods:
            span = periods[0]
            chosen = [
                c
                for c in changes
                if span.first
                <= c.held.list_date.year * 12 + c.held.list_date.month - 1
                <= span.last
            ]
            return chosen, span.label
        return changes[-1:], "the latest list"

    def _no_change(self, when: str, held: list[seam.HeldList], missing: list[str]) -> Reply:
        changes = seam.changes(self.brief, self.as_of)
        compared = "; ".join(
            f"{c.held.short} {format_date(c.previous_date)} → {format_date(c.held.list_date)}"
            for c in changes
        )
        return no_answer(
            *(missing[:1] or [f"I have no sanctions list change for {when}."]),
            *missing[1:],
            f"Lists I hold: {self._held_text(held)}.",
            f"Changes I can compare: {compared or 'none (a single list per source)'}.",
            command=self.command,
        )

    # ------------------------------------------------------------------ kinds

    def _count(self, text: str, held: list[seam.HeldList], missing: list[str]) -> Reply:
        chosen, when = self._changes_asked(text)
        if not chosen:
            return self._no_change(when, held, missing)
        removed = _REMOVED.search(plain(text)) is not None
        direct = [Line(m) for m in missing[:1]]
        support = []
        for change in chosen:
            counted = change.removed if removed else change.added
            verb = "removed" if removed else "added"
            russia: dict[str, int] = {}
            for party in counted:
                for programme in party.programmes[:1]:
                    if programme.startswith("RUSSIA") or programme.startswith("UKRAINE"):
                        russia[programme] = russia.get(programme, 0) + 1
            top = max(russia.items(), key=lambda kv: kv[1]) if russia else None
            detail = f" ({top[1]:,} under {top[0]})" if top else ""
            direct.append(
                Line(
                    f"The {change.held.short} list of {format_date(change.held.list_date)} "
                    f"{verb} {len(counted):,} designation{'s' if len(counted) != 1 else ''}"
                    f"{detail} compared with the list of {format_date(change.previous_date)}.",
                    change.held.source,
                )
            )
            other = change.added if removed else change.removed
            linked = sum(1 for p in change.added if p.link_place)
            support.append(
                Line(
                    f"{len(change.added):,} added, {len(change.removed):,} removed, "
                    f"{change.changed:,} changed in all; {linked:,} of the additions linked to "
                    f"China or Hong Kong.",
                    change.held.source,
                )
            )
            del other
        return shape(
            Answer(
                title=f"Sanctions designations {'removed' if removed else 'added'}, {when}",
                direct=direct,
                support=support,
                more="sanctions new",
            ),
            self.as_of,
            self.command,
        )

    def _linked(self, text: str, held: list[seam.HeldList], missing: list[str]) -> Reply:
        chosen, when = self._changes_asked(text)
        if not chosen:
            return self._no_change(when, held, missing)
        low = plain(text)
        places = set()
        if _HONG_KONG.search(low):
            places.add("Hong Kong")
        if _CHINA.search(low.replace("hong kong", "")):
            places.add("China")
        if not places:
            places = {"China", "Hong Kong"}
        where = " or ".join(sorted(places))
        direct = [Line(m) for m in missing[:1]]
        support: list[Line] = []
        for change in chosen:
            parties = sorted(
                (p for p in change.added if p.link_place in places), key=lambda p: p.name
            )
            source = change.held.source
            if not parties:
                others = sorted({p.link_place for p in change.added if p.link_place})
                also = f" (those added were linked to {', '.join(others)})" if others else ""
                direct.append(
                    Line(
                        f"None linked to {where} were added by the {change.held.short} list of "
                        f"{format_date(change.held.list_date)}{also}.",
                        source,
                    )
                )
                continue
            direct.append(
                Line(
                    f"{len(parties)} part{'ies' if len(parties) != 1 else 'y'} linked to {where} "
                    f"were added by the {change.held.short} list of "
                    f"{format_date(change.held.list_date)} (compared with "
                    f"{format_date(change.previous_date)}).",
                    source,
                )
            )
            for party in parties[:MAX_NAMES]:
                programmes = ", ".join(party.programmes[:2]) or "programme not given"
                support.append(Line(f"{party.name} — {party.link_place} — {programmes}", source))
            if len(parties) > MAX_NAMES:
                support.append(
                    Line(f"…and {len(parties) - MAX_NAMES} more: `{self.command} sanctions new`.")
                )
        return shape(
            Answer(
                title=f"Parties linked to {where} added, {when}",
                direct=direct,
                support=support,
                support_heading="Added",
                more="sanctions new",
            ),
            self.as_of,
            self.command,
        )

    def _party(self, text: str, name: str, held: list[seam.HeldList], missing: list[str]) -> Reply:
        hits = seam.search(self.brief, name, self.as_of)
        matches = [h for h in hits if h.tier == "match"]
        if not matches:
            lines = [*missing]
            lines.append(f"Searched: {self._held_text(held)}.")
            if hits:
                best = hits[0]
                lines.append(
                    f"Closest name there: {best.party.name} ({best.score:.0f}%, a possible match "
                    "only — a different name unless its identifiers say otherwise)."
                )
            return no_answer(
                f"No entry for “{name}” on the sanctions lists I hold.",
                *lines,
                command=self.command,
            )
        changes = seam.changes(self.brief, self.as_of)
        day = asked_day(text)
        best = matches[0]
        party = best.party
        programmes = ", ".join(party.programmes[:3]) or "programme not given"
        direct = [Line(m) for m in missing[:1]]
        direct.append(
            Line(
                f"Yes: {party.name} ({party.entity_type}) is on the {best.held.title} (list of "
                f"{format_date(best.held.list_date)}), under {programmes}"
                + (f"; linked to {party.link_place}" if party.link_place else "")
                + ".",
                best.held.source,
            )
        )
        added_in = [
            c
            for c in changes
            if c.held.key == best.held.key and any(p.name == party.name for p in c.added)
        ]
        earliest = min(
            (c.previous_date for c in changes if c.held.key == best.held.key), default=None
        )
        if added_in:
            change = added_in[0]
            when = (
                f"Added by the list of {format_date(change.held.list_date)} (not on the list of "
                f"{format_date(change.previous_date)})"
            )
            if day is not None and day != change.held.list_date:
                when = f"Not added on {format_date(day)}: {when[0].lower()}{when[1:]}"
            direct.append(Line(when + ".", change.held.source))
        elif earliest is not None:
            prefix = f"Not added on {format_date(day)}: " if day is not None else ""
            direct.append(
                Line(
                    f"{prefix}Already on the earliest list held ({format_date(earliest)}), so "
                    "designated before then.",
                    best.held.source,
                )
            )
        support = [
            Line(
                f"{h.party.name} — {h.tier} ({h.score:.0f}%) — {', '.join(h.party.programmes[:2])}",
                h.held.source,
            )
            for h in hits
            if h is not best
        ]
        return shape(
            Answer(
                title=f"{party.name}: sanctions lists held",
                direct=direct,
                support=support,
                support_heading="Other names found",
                more=f"sanctions {name}",
            ),
            self.as_of,
            self.command,
        )
