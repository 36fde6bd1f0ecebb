"""Load and validate the bundled data pack (``data/``).

Every file is checked row by row; the first problem raises :class:`DataPackError` naming the
file, the row (as the line number in the file) and the column. Nothing is half-loaded: the
caller gets a complete :class:`DataPack` or an exception, never a partial one.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from briefing.facts import EVENT_KINDS, TOPICS, UNITS, AsOfBasis, Event, Fact
from briefing.replies import Source
from briefing.trade.model import Flow, Period, TradeObservation

T = TypeVar("T")

TRADE_ANNUAL = Path("trade/annual_gacc_usd.csv")
TRADE_MONTHLY = Path("trade/monthly_gacc_usd.csv")
FACTS = Path("facts.csv")
EVENTS = Path("events.csv")

# China customs totals are rounded by the reports that carry them.
_SUM_TOLERANCE_USD_BN = 0.15


class DataPackError(ValueError):
    def __init__(self, path: Path, line: int | None, column: str | None, message: str) -> None:
        self.path, self.line, self.column = path, line, column
        where = str(path)
        if line is not None:
            where += f", row {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class DataPack:
    trade: tuple[TradeObservation, ...]
    facts: tuple[Fact, ...]
    events: tuple[Event, ...]
    files: tuple[Path, ...]


class _Row:
    """One CSV row with typed accessors that raise :class:`DataPackError` naming the cell."""

    def __init__(self, path: Path, line: int, values: dict[str, str]) -> None:
        self.path, self.line, self.values = path, line, values

    def fail(self, column: str | None, message: str) -> DataPackError:
        return DataPackError(self.path, self.line, column, message)

    def text(self, column: str, *, required: bool = True) -> str:
        value = (self.values.get(column) or "").strip()
        if required and not value:
            raise self.fail(column, "is empty")
        return value

    def parse(self, column: str, parser: Callable[[str], T], what: str) -> T:
        raw = self.text(column)
        try:
            return parser(raw)
        except ValueError as exc:
            raise self.fail(column, f"{raw!r} is not {what} ({exc})") from None

    def number(self, column: str, *, required: bool = False) -> float | None:
        raw = self.text(column, required=required)
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise self.fail(column, f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise self.fail(column, f"{raw!r} is not a finite number")
        return value

    def day(self, column: str) -> date:
        return self.parse(column, date.fromisoformat, "a date as YYYY-MM-DD")

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise self.fail(column, f"{value!r} is not one of {', '.join(allowed)}")
        return value


def _read_rows(path: Path, required_columns: tuple[str, ...]) -> Iterator[_Row]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataPackError(path, None, None, "file not found") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataPackError(
            path, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataPackError(path, None, None, "file is empty (expected a header row)")
    reader = csv.DictReader(lines, strict=True)
    header = reader.fieldnames or []
    missing = [c for c in required_columns if c not in header]
    if missing:
        raise DataPackError(path, 1, None, f"header lacks column(s): {', '.join(missing)}")
    try:
        for number, values in enumerate(reader, start=2):
            if None in values:
                raise DataPackError(path, number, None, "row has more cells than the header")
            yield _Row(path, number, values)
    except csv.Error as exc:
        raise DataPackError(path, reader.line_num, None, f"malformed CSV ({exc})") from None


_TRADE_COLUMNS = (
    "total_usd_bn",
    "cn_exports_to_ru_usd_bn",
    "cn_imports_from_ru_usd_bn",
    "yoy_total_pct",
    "reported_by",
    "source_title",
    "source_url",
    "published_on",
    "published_basis",
)


def _trade_rows(path: Path, period_column: str) -> list[TradeObservation]:
    """One figure per period and flow; a period may take two rows when one page gives the
    total and another the exports/imports split. Where total, exports and imports are all
    known for a period, on one row or across two, they must add up."""
    out: list[TradeObservation] = []
    seen: dict[tuple[Period, Flow], int] = {}
    parts: dict[Period, dict[Flow, tuple[float, int]]] = {}
    for row in _read_rows(path, (period_column, *_TRADE_COLUMNS)):
        period = row.parse(period_column, Period.parse, "a period")
        if period_column == "period":
            declared = row.choice("period_type", ("month", "ytd"))
            if declared != period.kind.value:
                raise row.fail(
                    "period_type", f"says {declared!r} but {period.key} is a {period.kind}"
                )
        elif period.kind.value != "year":
            raise row.fail(period_column, "must be a year")
        published = row.day("published_on")
        row.choice("published_basis", ("stated", "release_calendar"))
        if published <= date(period.year, period.last_month, 28):
            raise row.fail("published_on", "is before the period it reports ended")
        source = Source(
            title=f"China customs (GACC), as reported by {row.text('reported_by')}",
            url=row.text("source_url"),
            as_of=published,
        )
        values = {
            Flow.TOTAL: row.number("total_usd_bn"),
            Flow.EXPORTS: row.number("cn_exports_to_ru_usd_bn"),
            Flow.IMPORTS: row.number("cn_imports_from_ru_usd_bn"),
        }
        if all(v is None for v in values.values()):
            raise row.fail(None, "has no trade value at all")
        for flow, value in values.items():
            if value is None:
                continue
            if value <= 0:
                raise row.fail(_column_of(flow), f"{value} must be positive (USD bn)")
            if (period, flow) in seen:
                raise row.fail(
                    _column_of(flow),
                    f"{period.key} appears twice for {flow.label} (first on row "
                    f"{seen[(period, flow)]})",
                )
            seen[(period, flow)] = row.line
            parts.setdefault(period, {})[flow] = (value, row.line)
        total, exports, imports = values[Flow.TOTAL], values[Flow.EXPORTS], values[Flow.IMPORTS]
        if (
            total is not None
            and exports is not None
            and imports is not None
            and abs(exports + imports - total) > _SUM_TOLERANCE_USD_BN
        ):
            raise row.fail(
                "total_usd_bn",
                f"{total} differs from exports + imports = {exports + imports:.3f}",
            )
        yoy = row.number("yoy_total_pct")
        for flow, value in values.items():
            if value is not None:
                out.append(
                    TradeObservation(
                        period=period,
                        flow=flow,
                        value_usd_bn=value,
                        source=source,
                        published_on=published,
                        yoy_pct=yoy if flow is Flow.TOTAL else None,
                        dataset="bundled",
                    )
                )
    for period, known in parts.items():
        if len(known) == 3 and len({line for _, line in known.values()}) > 1:
            total, exports, imports = (
                known[f][0] for f in (Flow.TOTAL, Flow.EXPORTS, Flow.IMPORTS)
            )
            if abs(exports + imports - total) > _SUM_TOLERANCE_USD_BN:
                lines = sorted({line for _, line in known.values()})
                raise DataPackError(
                    path,
                    lines[-1],
                    None,
                    f"{period.key}: total {total} (row {known[Flow.TOTAL][1]}) differs from "
                    f"exports + imports = {exports + imports:.3f} (rows "
                    f"{known[Flow.EXPORTS][1]}, {known[Flow.IMPORTS][1]})",
                )
    return out


def _column_of(flow: Flow) -> str:
    return {
        Flow.TOTAL: "total_usd_bn",
        Flow.EXPORTS: "cn_exports_to_ru_usd_bn",
        Flow.IMPORTS: "cn_imports_from_ru_usd_bn",
    }[flow]


_PERIOD_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?(\.\.\d{4}(-\d{2}(-\d{2})?)?)?$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _facts(path: Path) -> list[Fact]:
    columns = (
        "fact_id",
        "topic",
        "statement",
        "value",
        "value_high",
        "unit",
        "period",
        "outlet",
        "source_doc",
        "source_url",
        "as_of",
        "as_of_basis",
        "keywords",
    )
    out: list[Fact] = []
    ids: set[str] = set()
    for row in _read_rows(path, columns):
        fact_id = row.text("fact_id")
        if not _SLUG_RE.match(fact_id):
            raise row.fail("fact_id", f"{fact_id!r} must be a lowercase slug")
        if fact_id in ids:
            raise row.fail("fact_id", f"{fact_id!r} appears twice")
        ids.add(fact_id)
        period = row.text("period")
        if not _PERIOD_RE.match(period):
            raise row.fail("period", f"{period!r} is not YYYY, YYYY-MM, YYYY-MM-DD or a .. range")
        value, value_high = row.number("value"), row.number("value_high")
        if value_high is not None and (value is None or value_high < value):
            raise row.fail("value_high", "needs a value and must not be below it")
        out.append(
            Fact(
                fact_id=fact_id,
                topic=row.choice("topic", TOPICS),
                statement=row.text("statement"),
                value=value,
                value_high=value_high,
                unit=row.choice("unit", UNITS)
                if value is not None
                else row.text("unit", required=False),
                period=period,
                outlet=row.text("outlet"),
                source_doc=row.text("source_doc"),
                source_url=row.text("source_url", required=False) or None,
                as_of=row.day("as_of"),
                as_of_basis=AsOfBasis(row.choice("as_of_basis", tuple(b.value for b in AsOfBasis))),
                keywords=tuple(
                    k.strip().lower()
                    for k in row.text("keywords", required=False).split(";")
                    if k.strip()
                ),
            )
        )
    return out


def _events(path: Path) -> list[Event]:
    columns = (
        "event_id",
        "date",
        "date_precision",
        "kind",
        "title",
        "detail",
        "outlet",
        "source_doc",
        "source_url",
    )
    out: list[Event] = []
    ids: set[str] = set()
    for row in _read_rows(path, columns):
        event_id = row.text("event_id")
        if event_id in ids:
            raise row.fail("event_id", f"{event_id!r} appears twice")
        ids.add(event_id)
        out.append(
            Event(
                event_id=event_id,
                day=row.day("date"),
                precision=row.choice("date_precision", ("day", "month", "year")),
                kind=row.choice("kind", EVENT_KINDS),
                title=row.text("title"),
                detail=row.text("detail", required=False),
                outlet=row.text("outlet"),
                source_doc=row.text("source_doc"),
                source_url=row.text("source_url", required=False) or None,
            )
        )
    out.sort(key=lambda e: e.day)
    return out


def load_datapack(data_dir: Path) -> DataPack:
    """Load and validate every file of the data pack, or raise :class:`DataPackError`."""
    trade = _trade_rows(data_dir / TRADE_ANNUAL, "year") + _trade_rows(
        data_dir / TRADE_MONTHLY, "period"
    )
    facts = _facts(data_dir / FACTS) if (data_dir / FACTS).exists() else []
    events = _events(data_dir / EVENTS) if (data_dir / EVENTS).exists() else []
    files = tuple(
        p for p in (TRADE_ANNUAL, TRADE_MONTHLY, FACTS, EVENTS) if (data_dir / p).exists()
    )
    return DataPack(trade=tuple(trade), facts=tuple(facts), events=tuple(events), files=files)
