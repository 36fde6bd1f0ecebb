"""Trade questions, parsed: what is measured, over which period(s), asked how.

One table, :data:`GRAMMAR`, holds every rule. Each rule is a regular expression over the
question (lower case, plain dashes) and what a match means; rules run in table order and each
match is blanked out, so a later rule never reads words an earlier one consumed ("first half of
2023" is a period, not the year 2023 plus a "half"). What no rule consumed is left in
:attr:`TradeQuestion.residual`: when it holds a subject word ("steel", "cars") the question is
not about trade as a whole, and retrieval decides.

Directions are seen from China, as China customs reports them: China's exports = what Russia
bought from China, what China sold or shipped to Russia; China's imports = what Russia sold to
China. Relative periods ("last year", "so far this year") count from the as-of date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from briefing.ask.words import STOPWORDS, content_words, plain
from briefing.trade.model import MONTH_ABBR, Period


class Measure(StrEnum):
    TOTAL = "total"
    EXPORTS = "exports"  # China → Russia
    IMPORTS = "imports"  # Russia → China
    BALANCE = "balance"  # China's exports − imports


class Asked(StrEnum):
    VALUE = "value"
    CHANGE = "change"  # growth on the year before, or between two periods
    COMPARE = "compare"  # A vs B
    HIGHEST = "highest"  # the highest full year
    LOWEST = "lowest"


class Claim(StrEnum):
    """The direction a "why did trade …" question takes for granted."""

    RISE = "rise"
    FALL = "fall"


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """Months ``first``..``last`` inclusive, as ``year * 12 + month - 1`` ordinals."""

    first: int
    last: int

    @classmethod
    def months(cls, year: int, first_month: int, last_month: int) -> Span:
        return cls(year * 12 + first_month - 1, year * 12 + last_month - 1)

    @classmethod
    def year(cls, year: int) -> Span:
        return cls.months(year, 1, 12)

    @property
    def first_year(self) -> int:
        return self.first // 12

    @property
    def last_year(self) -> int:
        return self.last // 12

    @property
    def whole_years(self) -> bool:
        return self.first % 12 == 0 and self.last % 12 == 11

    def period(self) -> Period | None:
        """The trade :class:`Period` of a span within one calendar year."""
        if self.first_year != self.last_year:
            return None
        return Period(self.first_year, self.first % 12 + 1, self.last % 12 + 1)

    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    def overlaps(self, other: Span) -> bool:
        return self.first <= other.last and other.first <= self.last

    def within(self, other: Span) -> bool:
        return other.first <= self.first and self.last <= other.last

    @property
    def label(self) -> str:
        if self.whole_years:
            if self.first_year == self.last_year:
                return str(self.first_year)
            return f"{self.first_year}–{self.last_year}"
        first = f"{MONTH_ABBR[self.first % 12]}"
        last = f"{MONTH_ABBR[self.last % 12]} {self.last_year}"
        if self.first == self.last:
            return last
        if self.first_year == self.last_year:
            return f"{first}–{last}"
        return f"{first} {self.first_year}–{last}"


@dataclass(slots=True)
class _State:
    """What the rules found so far."""

    as_of: date
    periods: list[Span] = field(default_factory=list)
    measure: Measure | None = None
    asked: Asked = Asked.VALUE
    claim: Claim | None = None
    currency: str | None = None
    single: bool = False
    year_to_date: bool = False
    trade: bool = False
    why: bool = False
    ordinal_used: bool = False
    composition: bool = False
    direction: Measure | None = None  # of goods asked about, where no measure is read
    comparative: bool = False  # "higher", "more": with two periods, a comparison


@dataclass(frozen=True, slots=True)
class TradeQuestion:
    text: str
    periods: tuple[Span, ...]
    measure: Measure | None  # None: no word of trade at all
    asked: Asked
    claim: Claim | None
    currency: str | None  # "cny" or "usd" when named
    year_to_date: bool  # "so far this year", "year to date"
    residual: tuple[str, ...]  # content words no rule consumed
    # Which way goods go (China's exports or imports), read from the measure or from a question
    # about the make-up of trade; None when the words do not say.
    direction: Measure | None = None

    @property
    def about_trade(self) -> bool:
        return self.measure is not None

    @property
    def whole_trade(self) -> bool:
        """Trade as a whole with nothing narrower left over: the trade figures answer it."""
        return self.measure is not None and not self.residual


# --------------------------------------------------------------------------- vocabulary

MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": 4,
}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"((?:19|20)\d{2})"
_COUNT = r"(\d{1,2}|" + "|".join(_NUMBERS) + ")"
_ORD = "(" + "|".join(_ORDINALS) + ")"

CHINA = r"(?:china|chinese|beijing|prc|the prc)"
RUSSIA = r"(?:russia|russian|moscow|the russian federation)"
_COUNTRY = rf"(?P<who>{CHINA}|{RUSSIA})(?:'s)?"
_EXPORT_VERB = (
    r"(?:export(?:s|ed|ing)?|sell(?:s|ing)?|sold|ship(?:s|ped|ping|ment|ments)?|send(?:s|ing)?|"
    r"sent|supplie[sd]|supply(?:ing)?|deliver(?:s|ed|ies|y)?|sales)"
)
_IMPORT_VERB = r"(?:import(?:s|ed|ing)?|buy(?:s|ing)?|bought|purchase[sd]?|purchasing|receive[sd]?)"


def _is_china(word: str) -> bool:
    return re.fullmatch(CHINA, word) is not None


def _flow(exporter_is_china: bool) -> Measure:
    return Measure.EXPORTS if exporter_is_china else Measure.IMPORTS


# --------------------------------------------------------------------------- rule actions

Action = Callable[[re.Match[str], _State], None]


class _Groups(Protocol):
    """A match's groups by name (a ``re.Match`` or a view that picks among alternatives)."""

    def __getitem__(self, key: str) -> Any: ...


def _year_span(m: re.Match[str], s: _State) -> None:
    s.periods.append(Span.year(int(m["y"])))


def _month_year(m: re.Match[str], s: _State) -> None:
    s.periods.append(Span.months(int(m["y"]), MONTHS[m["m"]], MONTHS[m["m"]]))


def _numeric_month(m: _Groups, s: _State) -> None:
    month = int(m["mm"])
    if 1 <= month <= 12:
        s.periods.append(Span.months(int(m["y"]), month, month))


def _month_range(m: re.Match[str], s: _State) -> None:
    first, last = MONTHS[m["m1"]], MONTHS[m["m2"]]
    year = int(m["y"])
    start_year = int(m["y1"]) if m["y1"] else (year if first <= last else year - 1)
    s.periods.append(Span(start_year * 12 + first - 1, year * 12 + last - 1))


def _first_months(m: re.Match[str], s: _State) -> None:
    raw = m["n"]
    count = int(raw) if raw.isdigit() else _NUMBERS[raw]
    if 1 <= count <= 12:
        s.periods.append(Span.months(int(m["y"]), 1, count))


def _quarter(m: _Groups, s: _State) -> None:
    number = int(m["q"]) if m["q"].isdigit() else _ORDINALS[m["q"]]
    if 1 <= number <= 4:
        s.periods.append(Span.months(int(m["y"]), 3 * number - 2, 3 * number))
    s.ordinal_used = True


def _half(m: _Groups, s: _State) -> None:
    second = m["h"] in ("2", "second", "2nd", "last")
    s.periods.append(Span.months(int(m["y"]), 7 if second else 1, 12 if second else 6))
    s.ordinal_used = True


def _year_range(m: re.Match[str], s: _State) -> None:
    first, last = sorted((int(m["y1"] or m["y3"]), int(m["y2"])))
    s.periods.append(Span(first * 12, last * 12 + 11))


def _since(m: re.Match[str], s: _State) -> None:
    first = int(m["y"])
    last = max(first, s.as_of.year - 1)
    s.periods.append(Span(first * 12, last * 12 + 11))
    s.asked = Asked.CHANGE


def _relative_year(offset: int) -> Action:
    def act(m: re.Match[str], s: _State) -> None:
        s.periods.append(Span.year(s.as_of.year + offset))

    return act


def _year_to_date(m: re.Match[str], s: _State) -> None:
    s.year_to_date = True
    s.periods.append(Span.months(s.as_of.year, 1, max(s.as_of.month - 1, 1)))


def _last_month(m: re.Match[str], s: _State) -> None:
    ordinal = s.as_of.year * 12 + s.as_of.month - 2
    s.periods.append(Span(ordinal, ordinal))


def _set_single(m: re.Match[str], s: _State) -> None:
    s.single = True


def _between_countries(m: re.Match[str], s: _State) -> None:
    s.trade = True


def _from_to(m: re.Match[str], s: _State) -> None:
    s.measure = s.measure or _flow(_is_china(m["a"]))


def _subject_verb(exporting: bool) -> Action:
    def act(m: re.Match[str], s: _State) -> None:
        subject_is_china = _is_china(m["who"])
        s.measure = s.measure or _flow(subject_is_china if exporting else not subject_is_china)

    return act


def _verb_object(exporting: bool) -> Action:
    """``… exports to Russia`` · ``imports from China`` · ``bought from Russia``."""

    def act(m: re.Match[str], s: _State) -> None:
        towards = m["prep"] in ("to", "into")
        object_is_china = _is_china(m["who"])
        if exporting:
            exporter_is_china = not object_is_china if towards else object_is_china
        else:
            exporter_is_china = not object_is_china if towards else object_is_china
        s.measure = s.measure or _flow(exporter_is_china)

    return act


def _adjective_flow(m: re.Match[str], s: _State) -> None:
    """``Chinese exports`` · ``Russian imports``."""
    china = _is_china(m["who"])
    exporting = m["kind"].startswith("export")
    s.measure = s.measure or _flow(china if exporting else not china)


def _balance(m: re.Match[str], s: _State) -> None:
    s.measure = Measure.BALANCE


def _total(m: re.Match[str], s: _State) -> None:
    s.trade = True


def _compare(m: re.Match[str], s: _State) -> None:
    s.asked = Asked.COMPARE


def _highest(m: re.Match[str], s: _State) -> None:
    s.asked = Asked.HIGHEST


def _lowest(m: re.Match[str], s: _State) -> None:
    s.asked = Asked.LOWEST


def _composition(m: re.Match[str], s: _State) -> None:
    """What goods, not how much; the direction where the words give it (``what does russia
    sell`` = Russia → China, ``china's main imports`` = Russia → China)."""
    s.composition = True
    who, exporting = (m["who"], m["verb"]) if m["who"] else (m["owner"], m["kind"])
    if who and exporting:
        china = _is_china(who)
        s.direction = _flow(china if exporting.startswith(("sell", "export")) else not china)


def _why(m: re.Match[str], s: _State) -> None:
    s.why = True


def _claim(claim: Claim) -> Action:
    def act(m: re.Match[str], s: _State) -> None:
        if s.asked is Asked.VALUE:
            s.asked = Asked.CHANGE
        s.claim = claim

    return act


def _change(m: re.Match[str], s: _State) -> None:
    if s.asked is Asked.VALUE:
        s.asked = Asked.CHANGE


def _currency(code: str) -> Action:
    def act(m: re.Match[str], s: _State) -> None:
        s.currency = code

    return act


# --------------------------------------------------------------------------- the grammar


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    action: Action
    example: str


def _rule(name: str, pattern: str, action: Action, example: str) -> Rule:
    return Rule(name, re.compile(pattern), action, example)


GRAMMAR: tuple[Rule, ...] = (
    # periods, longest forms first
    _rule(
        "half",
        rf"\b(?:the )?(?:(?P<h>first|second|1st|2nd|last) half|h(?P<h2>[12]))(?: of)?,? {_YEAR.replace('(', '(?P<y>', 1)}",
        lambda m, s: _half(_HalfMatch(m), s),
        "first half of 2025 · h1 2023",
    ),
    _rule(
        "half, year first",
        rf"\b{_YEAR.replace('(', '(?P<y>', 1)},? (?:h(?P<h>[12])|(?P<h3>first|second) half)\b",
        lambda m, s: _half(_HalfMatch(m), s),
        "2023 h2",
    ),
    _rule(
        "quarter",
        rf"\b(?:(?:the )?(?P<q>{'|'.join(_ORDINALS)}) quarter|q(?P<qn>[1-4]))(?: of)?,? {_YEAR.replace('(', '(?P<y>', 1)}",
        lambda m, s: _quarter(_QuarterMatch(m), s),
        "q3 2023 · third quarter of 2023",
    ),
    _rule(
        "quarter, year first",
        rf"\b{_YEAR.replace('(', '(?P<y>', 1)},? q(?P<qn>[1-4])\b",
        lambda m, s: _quarter(_QuarterMatch(m), s),
        "2023 q1",
    ),
    _rule(
        "first N months",
        rf"\b(?:the )?first (?P<n>\d{{1,2}}|{'|'.join(_NUMBERS)}) months(?: of)?,? {_YEAR.replace('(', '(?P<y>', 1)}",
        _first_months,
        "first 11 months of 2023 · first nine months of 2025",
    ),
    _rule(
        "month range",
        rf"\b(?:from |between )?(?P<m1>{'|'.join(sorted(MONTHS, key=len, reverse=True))})\.?"
        rf"(?: (?P<y1>(?:19|20)\d{{2}}))? ?(?:-|to|through|until|till|and|\.\.) ?"
        rf"(?P<m2>{'|'.join(sorted(MONTHS, key=len, reverse=True))})\.?,? (?:of )?(?P<y>(?:19|20)\d{{2}})",
        _month_range,
        "jan-nov 2023 · january to june 2025",
    ),
    _rule(
        "year to date",
        r"\b(?:so far this year|this year so far|year[- ]to[- ]date|ytd|so far in \d{4}|this year to date)\b",
        _year_to_date,
        "so far this year · year to date",
    ),
    _rule(
        "year range",
        r"\b(?:between (?P<y1>(?:19|20)\d{2}) and|(?:from )?(?P<y3>(?:19|20)\d{2}) ?(?:-|to|through|until|\.\.)) ?(?P<y2>(?:19|20)\d{2})\b",
        _year_range,
        "2019 to 2021 · between 2022 and 2024 · 2019..2025",
    ),
    _rule(
        "since",
        rf"\bsince {_YEAR.replace('(', '(?P<y>', 1)}\b",
        _since,
        "since 2020",
    ),
    _rule(
        "numeric month",
        r"\b(?:(?P<y>(?:19|20)\d{2})[-/.](?P<mm>\d{1,2})|(?P<mm2>\d{1,2})[-/.](?P<y2>(?:19|20)\d{2}))\b",
        lambda m, s: _numeric_month(_NumericMatch(m), s),
        "2024-12 · 06/2022",
    ),
    _rule(
        "month and year",
        rf"\b(?:the month of )?{_MONTH.replace('(', '(?P<m>', 1)},? (?:of )?{_YEAR.replace('(', '(?P<y>', 1)}\b",
        _month_year,
        "december 2024 · march of 2020",
    ),
    _rule(
        "year before last",
        r"\b(?:the )?year before last\b",
        _relative_year(-2),
        "the year before last",
    ),
    _rule(
        "last year",
        r"\b(?:last|previous|past) year\b",
        _relative_year(-1),
        "last year",
    ),
    _rule("this year", r"\bthis year\b", _relative_year(0), "this year"),
    _rule("last month", r"\blast month\b", _last_month, "last month"),
    _rule(
        "year",
        rf"\b(?:in |for |of |back in |during )?{_YEAR.replace('(', '(?P<y>', 1)}\b",
        _year_span,
        "2023 · back in 2019",
    ),
    _rule(
        "alone",
        r"\b(?:alone|only|by itself|on its own|single month|for the month)\b",
        _set_single,
        "june 2025 alone",
    ),
    # what goods, not how much: answered by the facts on the make-up of trade
    _rule(
        "composition",
        rf"\bwhat (?:goods |products |kind of goods )?(?:does|do) (?P<who>{CHINA}|{RUSSIA}) "
        r"(?:mainly |mostly |usually )?(?P<verb>sell|export|buy|import)\b|"
        rf"\b(?:(?P<owner>{CHINA}|{RUSSIA})(?:'s)? )?(?:main|key|top|chief) "
        r"(?P<kind>exports?|imports?)\b|\b(?:which|what) goods\b|\bcomposition\b|\bstructure\b",
        _composition,
        "what does russia sell to china · main exports",
    ),
    # measures
    _rule(
        "passive",
        rf"\b(?P<verb>{_EXPORT_VERB}|{_IMPORT_VERB}) by {_COUNTRY}",
        lambda m, s: _subject_verb(exporting=re.match(_EXPORT_VERB, m["verb"]) is not None)(m, s),
        "goods sold by russia",
    ),
    _rule(
        "balance",
        r"\b(?:trade )?(?:balance|surplus|deficit|net exports?|gap between exports and imports)\b",
        _balance,
        "trade surplus · balance · deficit",
    ),
    _rule(
        "from A to B",
        rf"\b(?:from )?(?P<a>{CHINA}|{RUSSIA}) ?(?:-|to) ?(?:{CHINA}|{RUSSIA})(?= |$)(?! trade)",
        lambda m, s: _from_to(m, s) if _distinct(m) else _between_countries(m, s),
        "china to russia · from russia to china",
    ),
    _rule(
        "subject exports",
        rf"\b{_COUNTRY} (?P<gap>(?:\w+ ){{0,3}}?){_EXPORT_VERB}\b",
        _subject_verb(exporting=True),
        "russia sold · china shipped · china's exports",
    ),
    _rule(
        "subject imports",
        rf"\b{_COUNTRY} (?P<gap>(?:\w+ ){{0,3}}?){_IMPORT_VERB}\b",
        _subject_verb(exporting=False),
        "russia bought · china's imports · china imported how much",
    ),
    _rule(
        "exports to/from",
        rf"\b{_EXPORT_VERB} (?P<gap>(?:\w+ ){{0,3}}?)(?P<prep>to|into|from) {_COUNTRY}",
        _verb_object(exporting=True),
        "exports to russia · shipped to russia · exports from china",
    ),
    _rule(
        "imports from/to",
        rf"\b{_IMPORT_VERB} (?P<gap>(?:\w+ ){{0,3}}?)(?P<prep>from|to|into) {_COUNTRY}",
        _verb_object(exporting=False),
        "imports from china · bought from russia",
    ),
    _rule(
        "adjective exports",
        rf"\b(?P<who>{CHINA}|{RUSSIA}) (?P<kind>exports?|imports?)\b",
        _adjective_flow,
        "chinese exports",
    ),
    _rule(
        "trade",
        r"\b(?:trade|trad|traded|trading|turnover|commerce|bilateral|exchange of goods|"
        r"goods|merchandise|shipments?|flows?|exports? and imports?|imports? and exports?|two-way)\b",
        _total,
        "trade · turnover · bilateral commerce",
    ),
    _rule(
        "between the countries",
        rf"\b(?:between|with) (?:the two countries|each other|{CHINA} and {RUSSIA}|{RUSSIA} and {CHINA})\b",
        _between_countries,
        "between china and russia",
    ),
    # what is asked
    _rule(
        "compare",
        r"\b(?:vs\.?|versus|compared? (?:with|to)|compare|against|relative to)\b",
        _compare,
        "2022 vs 2023 · compare 2019 and 2024",
    ),
    _rule(
        "comparative",
        r"\b(?:higher|lower|bigger|smaller|larger|greater|more|less|stronger|weaker)\b",
        lambda m, s: setattr(s, "comparative", True),
        "was trade higher in 2023 or 2024",
    ),
    _rule(
        "figure verbs",
        r"\b(?:r[au]n|running|runs|post(?:ed|s|ing)?|reach(?:ed|es)?|st(?:an|oo)d at|"
        r"amount(?:ed|s)? to|c[ao]me in at|total(?:l?ed|s)?)\b",
        lambda m, s: None,
        "ran a surplus · reached · stood at · amounted to",
    ),
    _rule(
        "highest",
        r"\b(?:highest|record|peak|biggest|largest|best|strongest|top|most)\b",
        _highest,
        "which year was highest · the record year",
    ),
    _rule(
        "lowest",
        r"\b(?:lowest|weakest|smallest|worst|least|bottom)\b",
        _lowest,
        "in which year was trade lowest",
    ),
    _rule("why", r"\b(?:why|how come|what caused|what made|reason)\b", _why, "why did …"),
    _rule(
        "fall",
        r"\b(?:collapse[ds]?|fall|fell|fallen|falls|drop(?:ped|s)?|decline[ds]?|shrink|shrank|"
        r"shrunk|slump(?:ed)?|plunge[ds]?|crash(?:ed)?|contract(?:ed)?|decrease[ds]?|go down|went down)\b",
        _claim(Claim.FALL),
        "why did trade collapse",
    ),
    _rule(
        "rise",
        r"\b(?:grow|grew|grown|growth|rise|rose|risen|rising|increase[ds]?|surge[ds]?|boom(?:ed)?|"
        r"jump(?:ed)?|soar(?:ed)?|climb(?:ed)?|go up|went up|expand(?:ed)?)\b",
        _claim(Claim.RISE),
        "how much did trade grow",
    ),
    _rule(
        "change",
        r"\b(?:change[ds]?|up or down|down or up|yoy|year[- ]on[- ]year|percentage|percent|%|"
        r"how did .* do)\b",
        _change,
        "percentage change · year on year",
    ),
    _rule("yuan", r"\b(?:yuan|renminbi|rmb|cny)\b", _currency("cny"), "in yuan"),
    _rule("dollars", r"\b(?:us dollars?|dollars?|usd)\b", _currency("usd"), "in dollars"),
)


def _distinct(m: re.Match[str]) -> bool:
    """``china to russia`` names two countries; ``china-china`` does not."""
    first, second = re.split(r" ?(?:-|to) ?", m[0].removeprefix("from ").strip(), maxsplit=1)
    return _is_china(first) != _is_china(second)


class _HalfMatch:
    """A half-year match with its number in whichever group matched."""

    def __init__(self, m: re.Match[str]) -> None:
        self._m = m

    def __getitem__(self, key: str) -> str:
        if key == "h":
            groups = self._m.groupdict()
            return next(v for k, v in groups.items() if k.startswith("h") and v)
        return self._m[key]


class _QuarterMatch:
    def __init__(self, m: re.Match[str]) -> None:
        self._m = m

    def __getitem__(self, key: str) -> str:
        if key == "q":
            groups = self._m.groupdict()
            return groups.get("q") or groups["qn"]
        return self._m[key]


class _NumericMatch:
    def __init__(self, m: re.Match[str]) -> None:
        self._m = m

    def __getitem__(self, key: str) -> str:
        groups = self._m.groupdict()
        if key == "y":
            return groups["y"] or groups["y2"]
        return groups["mm"] or groups["mm2"]


# Words the grammar reads but leaves in the text because they mean nothing beyond it.
_GRAMMAR_WORDS = frozenset(
    [
        "china",
        "chinese",
        "beijing",
        "prc",
        "russia",
        "russian",
        "moscow",
        "federation",
        "sino",
        "russo",
        "country",
        "countrie",
        "year",
        "yearly",
        "annual",
        "annually",
        "month",
        "monthly",
        "period",
        "figure",
        "much",
        "many",
        "was",
        "were",
        "trade",
        "between",
        "two",
        "both",
        "side",
        "did",
        "does",
        "worth",
        "big",
        "large",
        "high",
        "low",
        "value",
        "level",
        "change",
        "over",
        "during",
        "whole",
        "full",
        "calendar",
        "same",
        "customs",
        "gacc",
        "official",
        "officially",
        "stand",
        "stood",
        "compare",
        "year's",
        "mean",
        "amount",
        "result",
        "reach",
        "reached",
        "hit",
        "total",
        "combined",
        "together",
        "export",
        "import",
        "exported",
        "imported",
        "sell",
        "sold",
        "buy",
        "bought",
        "purchase",
        "purchased",
        "ship",
        "shipped",
        "shipment",
    ]
)


def parse(text: str, as_of: date) -> TradeQuestion:
    """Read ``text`` with :data:`GRAMMAR`; relative periods count from ``as_of``."""
    state = _State(as_of=as_of)
    rest = " " + plain(text).replace("?", " ").replace("!", " ") + " "
    found: list[tuple[int, Span]] = []
    for rule in GRAMMAR:
        while True:
            match = rule.pattern.search(rest)
            if match is None:
                break
            before = len(state.periods)
            rule.action(match, state)
            found.extend((match.start(), p) for p in state.periods[before:])
            # A rule consumes its words but leaves a gap it skipped over ("chinese *vehicle*
            # exports"): those words may name what the question is really about.
            kept = " " * (match.end() - match.start())
            if match.groupdict().get("gap"):
                at = match.start("gap") - match.start()
                kept = kept[:at] + match["gap"] + kept[at + len(match["gap"]) :]
            rest = rest[: match.start()] + kept + rest[match.end() :]
    # Periods in the order the question names them ("2022 vs 2023").
    periods = tuple(dict.fromkeys(p for _, p in sorted(found, key=lambda f: f[0])))
    if state.single and periods:
        periods = tuple(p for p in periods if p.first == p.last) or periods
    measure = state.measure
    if measure is None and state.trade:
        measure = Measure.TOTAL
    claim = state.claim if state.why else None
    asked = state.asked
    if state.comparative and asked is Asked.VALUE and len(periods) >= 2:
        asked = Asked.COMPARE
    if (
        asked is Asked.CHANGE
        and len(periods) >= 2
        and not any(p.first_year != p.last_year for p in periods)
    ):
        asked = Asked.COMPARE
    residual = tuple(
        w for w in content_words(rest) if w not in _GRAMMAR_WORDS and w not in STOPWORDS
    )
    if state.composition:
        residual = (*residual, "composition")
    return TradeQuestion(
        text=text,
        periods=periods,
        measure=measure,
        asked=asked,
        claim=claim,
        currency=state.currency,
        year_to_date=state.year_to_date,
        residual=residual,
        direction=measure if measure in (Measure.EXPORTS, Measure.IMPORTS) else state.direction,
    )
