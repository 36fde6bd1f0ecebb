"""Readers for trade files: UN Comtrade exports (CSV, JSON, a ``comtradeapicall`` DataFrame) and
the customs CSV typed from China customs (GACC) releases.

Each reader validates the whole input and returns :class:`ParsedFigure` rows, or raises
:class:`~briefing.ingest_types.IngestError` naming the file, the row and the column. Readers never touch
the database. Values are stored in USD bn.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefing.ingest_types import IngestError
from briefing.trade.model import TOTAL_CHAPTER, Flow, Period, period_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

CHINA_M49 = "156"
RUSSIA_M49 = "643"
COMTRADE_DATASET = "comtrade"
CUSTOMS_DATASET = "customs"
COMTRADE_SOURCE = "UN Comtrade (China's reported trade with Russia)"
COMTRADE_URL = "https://comtradeplus.un.org/"

COMTRADE_REQUIRED = (
    "typeCode",
    "freqCode",
    "period",
    "reporterCode",
    "partnerCode",
    "flowCode",
    "cmdCode",
    "primaryValue",
)
COMTRADE_COLUMNS = (
    "typeCode",
    "freqCode",
    "refPeriodId",
    "refYear",
    "refMonth",
    "period",
    "reporterCode",
    "reporterISO",
    "flowCode",
    "partnerCode",
    "partnerISO",
    "cmdCode",
    "cmdDesc",
    "customsCode",
    "motCode",
    "qty",
    "netWgt",
    "cifvalue",
    "fobvalue",
    "primaryValue",
    "isReported",
    "isAggregate",
)
# The columns the reader looks at (the rest of a row is carried by the file, not the store).
_COMTRADE_USED = frozenset(
    (*COMTRADE_REQUIRED, "motCode", "customsCode", "partner2Code", "refYear")
)
CUSTOMS_REQUIRED = ("period", "flow", "value", "currency", "source")
CUSTOMS_OPTIONAL = ("source_url", "published_on", "hs_chapter")

_COMTRADE_FLOWS = {"X": Flow.EXPORTS, "M": Flow.IMPORTS}
_CHAPTER_RE = re.compile(r"^\d{2}$")
_USD_PER_BN = 1e9


@dataclass(frozen=True, slots=True)
class ParsedFigure:
    dataset: str
    period: Period
    flow: Flow
    hs_chapter: str
    value_usd_bn: float
    published_on: date
    source_title: str
    source_url: str | None
    origin: str  # "file, row N": where the figure came from, for messages and the history

    @property
    def key(self) -> tuple[str, Period, Flow, str]:
        return (self.dataset, self.period, self.flow, self.hs_chapter)


# The columns of :attr:`ParsedFile.frame`, one row per figure (``period`` as ``Period.key``,
# ``flow`` as ``Flow.value``).
FIGURE_COLUMNS = (
    "dataset",
    "period",
    "flow",
    "hs_chapter",
    "value_usd_bn",
    "published_on",
    "source_title",
    "source_url",
    "origin",
)


def figures_frame(figures: Sequence[ParsedFigure]) -> pd.DataFrame:
    """Figures as a frame of :data:`FIGURE_COLUMNS`."""
    # Cold start: pandas loads only when a file is read.
    import pandas as pd  # noqa: PLC0415

    return pd.DataFrame(
        {
            "dataset": [f.dataset for f in figures],
            "period": [f.period.key for f in figures],
            "flow": [f.flow.value for f in figures],
            "hs_chapter": [f.hs_chapter for f in figures],
            "value_usd_bn": [f.value_usd_bn for f in figures],
            "published_on": [f.published_on for f in figures],
            "source_title": [f.source_title for f in figures],
            "source_url": [f.source_url for f in figures],
            "origin": [f.origin for f in figures],
        },
        columns=list(FIGURE_COLUMNS),
        dtype=object,
    ).astype({"value_usd_bn": "float64"})


def frame_figures(frame: pd.DataFrame) -> list[ParsedFigure]:
    """The rows of a frame of :data:`FIGURE_COLUMNS` as figures."""
    columns = [frame[name].tolist() for name in FIGURE_COLUMNS]
    return [
        ParsedFigure(
            dataset=dataset,
            period=period_of(period),
            flow=Flow(flow),
            hs_chapter=chapter,
            value_usd_bn=float(value),
            published_on=published_on,
            source_title=title,
            source_url=url,
            origin=origin,
        )
        for dataset, period, flow, chapter, value, published_on, title, url, origin in zip(
            *columns, strict=True
        )
    ]


class ParsedFile:
    """What one file yielded: the figures kept and, by reason, the rows skipped.

    A reader gives the figures either as a list (:attr:`figures`) or column by column
    (:attr:`frame`, what the ingest reads); each is built from the other when first asked for.
    """

    def __init__(
        self,
        path: str,
        kind: str,
        *,
        rows: int = 0,
        skipped: dict[str, int] | None = None,
        figures: list[ParsedFigure] | None = None,
        frame: pd.DataFrame | None = None,
    ) -> None:
        self.path = path
        self.kind = kind
        self.rows = rows
        self.skipped: dict[str, int] = dict(skipped or {})
        self._figures = figures
        self._frame = frame

    @property
    def figures(self) -> list[ParsedFigure]:
        if self._figures is None:
            assert self._frame is not None
            self._figures = frame_figures(self._frame)
        return self._figures

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = figures_frame(self.figures)
        return self._frame

    @property
    def count(self) -> int:
        """How many figures the file gave."""
        return len(self._frame) if self._frame is not None else len(self.figures)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def describe(self) -> str:
        text = f"{Path(self.path).name} ({self.kind}): {self.rows} rows, {self.count} figures"
        if self.skipped:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
            text += f"; skipped {reasons}"
        return text


def _fail(where: str, column: str | None, message: str) -> IngestError:
    if column is not None:
        where += f", column {column!r}"
    return IngestError(f"{where}: {message}")


def read_text(path: Path) -> str:
    """The file as text; refuses empty files and anything that is not UTF-8."""
    return read_bytes(path).decode("utf-8-sig")


def read_bytes(path: Path) -> bytes:
    """The file's bytes once checked as :func:`read_text` checks them (UTF-8, not empty)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"{path}: is UTF-16 text; save it as UTF-8 (CSV UTF-8) and try again")
    if not raw.isascii():
        try:
            raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise IngestError(
                f"{path}, row {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                f"{exc.start}); save the file as UTF-8"
            ) from None
    # Only the head is stripped (not a copy of a large file) unless it is all white space.
    head = raw[:4096].removeprefix(b"\xef\xbb\xbf")
    body = head.strip() or raw.removeprefix(b"\xef\xbb\xbf").strip()
    if not body or (len(body) < 100 and not body.decode("utf-8", "replace").strip()):
        raise IngestError(f"{path}: file is empty")
    return raw


def _cell(value: object) -> str:
    """A cell as text, whatever the reader gave: str, int, float (NaN = empty) or None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def _number(value: object, where: str, column: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = _cell(value)
        if not text:
            raise _fail(where, column, "is empty (expected a number)")
        try:
            number = float(text)
        except ValueError:
            raise _fail(where, column, f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise _fail(where, column, f"{value!r} is not a finite number")
    return number


def _comtrade_period(freq: str, text: str, where: str) -> Period:
    if freq == "A":
        if not re.fullmatch(r"\d{4}", text):
            raise _fail(where, "period", f"{text!r} is not a year (YYYY) for freqCode A")
        return Period.year_of(int(text))
    if not re.fullmatch(r"\d{6}", text) or not 1 <= int(text[4:]) <= 12:
        raise _fail(where, "period", f"{text!r} is not a month (YYYYMM) for freqCode M")
    return Period.month_of(int(text[:4]), int(text[4:]))


def comtrade_figures(
    columns: Sequence[str],
    rows: Iterable[tuple[int, Sequence[object]]],
    *,
    path: str,
    unit: str,
    kind: str,
    published_on: date,
    prefiltered: tuple[int, dict[str, int]] | None = None,
) -> ParsedFile:
    """Turn Comtrade rows (number, cells in ``columns`` order) into figures.

    Messages name a row as ``{path}, {unit} {number}`` (``row`` in a CSV file, ``record`` in
    JSON); the text is only built for kept rows and errors, which keeps 100k-row files fast.

    Keeps China (156) → Russia (643) goods rows at TOTAL or HS-chapter level, classic mode (no
    transport-mode or customs-procedure breakdown), flows X and M; counts everything else as
    skipped. (Totals are derived from exports + imports when the figures are stored.)
    """
    missing = [c for c in COMTRADE_REQUIRED if c not in columns]
    if missing:
        raise IngestError(
            f"{path}: not a UN Comtrade export: lacks column(s) {', '.join(missing)} "
            f"(expected {', '.join(COMTRADE_COLUMNS)})"
        )
    pos = {name: columns.index(name) for name in columns}
    i_type, i_freq, i_period = pos["typeCode"], pos["freqCode"], pos["period"]
    i_rep, i_par, i_flow = pos["reporterCode"], pos["partnerCode"], pos["flowCode"]
    i_cmd, i_value = pos["cmdCode"], pos["primaryValue"]
    i_mot, i_customs = pos.get("motCode"), pos.get("customsCode")
    i_partner2, i_year = pos.get("partner2Code"), pos.get("refYear")
    parsed = ParsedFile(path, kind, figures=[])
    if prefiltered is not None:  # the reader already dropped other reporters and partners
        parsed.rows, parsed.skipped = prefiltered[0], dict(prefiltered[1])
    seen: dict[tuple[Period, Flow, str], str] = {}
    for number, cells in rows:
        if prefiltered is None:
            parsed.rows += 1
        # Most rows of a download are other reporters or partners: compare before any work.
        reporter, partner = cells[i_rep], cells[i_par]
        if reporter != CHINA_M49 and _cell(reporter) != CHINA_M49:
            parsed.skip("with another reporter")
            continue
        if partner != RUSSIA_M49 and _cell(partner) != RUSSIA_M49:
            parsed.skip("with another partner")
            continue
        where = f"{path}, {unit} {number}"
        if _cell(cells[i_type]) not in ("C", ""):
            parsed.skip("of services")
            continue
        if (
            (i_mot is not None and _cell(cells[i_mot]) not in ("0", ""))
            or (i_customs is not None and _cell(cells[i_customs]) not in ("C00", ""))
            or (i_partner2 is not None and _cell(cells[i_partner2]) not in ("0", ""))
        ):
            parsed.skip("broken down by transport mode, procedure or second partner")
            continue
        flow = _COMTRADE_FLOWS.get(_cell(cells[i_flow]))
        if flow is None:
            parsed.skip("of other flows (re-exports, re-imports…)")
            continue
        cmd = _cell(cells[i_cmd])
        if cmd == "TOTAL":
            chapter = TOTAL_CHAPTER
        elif _CHAPTER_RE.match(cmd):
            chapter = cmd
        elif cmd.isdigit():
            parsed.skip("below HS-chapter level")
            continue
        else:
            raise _fail(where, "cmdCode", f"{cmd!r} is not TOTAL or an HS code")
        freq = _cell(cells[i_freq])
        if freq not in ("A", "M"):
            raise _fail(where, "freqCode", f"{freq!r} is not A (annual) or M (monthly)")
        period = _comtrade_period(freq, _cell(cells[i_period]), where)
        if i_year is not None and (year := _cell(cells[i_year])) and year != str(period.year):
            raise _fail(where, "refYear", f"{year!r} disagrees with period {period.key}")
        value_usd = _number(cells[i_value], where, "primaryValue")
        if value_usd < 0:
            raise _fail(where, "primaryValue", f"{value_usd} is negative")
        key = (period, flow, chapter)
        if key in seen:
            raise _fail(
                where, None, f"{period.key} {flow} {chapter} appears twice (first at {seen[key]})"
            )
        seen[key] = where
        parsed.figures.append(
            ParsedFigure(
                dataset=COMTRADE_DATASET,
                period=period,
                flow=flow,
                hs_chapter=chapter,
                value_usd_bn=value_usd / _USD_PER_BN,
                published_on=published_on,
                source_title=COMTRADE_SOURCE,
                source_url=COMTRADE_URL,
                origin=where,
            )
        )
    if not parsed.figures:
        raise IngestError(
            f"{path}: no China (156) – Russia (643) rows at TOTAL or chapter level among "
            f"{parsed.rows} rows; nothing to load"
        )
    return parsed


def _coded(values: Sequence[object] | np.ndarray) -> tuple[np.ndarray, list[str]]:
    """A column as codes into its distinct cells, stripped as :func:`_cell` reads them: every
    check below runs once per distinct cell (a column holds a few dozen) instead of per row."""
    # Cold start: pandas loads only when a file is read.
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    # A missing cell (None, NaN) reads as "", as in :func:`_cell`; factorize's own NA code
    # (-1) costs a third of asking it to keep NA as a value.
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    cells = [_cell(u) for u in uniques.tolist()]
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(cells), codes)
        cells.append("")
    return codes, cells


def _test(coded: tuple[np.ndarray, list[str]], test: Callable[[str], bool]) -> np.ndarray:
    """Per row: whether ``test`` holds for the row's (stripped) cell."""
    codes, uniques = coded
    # Cold start: numpy loads only when a file is read.
    import numpy as np  # noqa: PLC0415

    passed: np.ndarray = np.array([test(u) for u in uniques], dtype=bool)[codes]
    return passed


def read_comtrade_csv(path: Path, published_on: date) -> ParsedFile:
    """A Comtrade CSV export. pandas' C reader splits the file; the rows are then checked
    column by column, and only when a value is off row by row, for a message naming the row."""
    # Cold start: pandas loads only when a file is read.
    import pandas as pd  # noqa: PLC0415

    raw = read_bytes(path)
    newline = raw.find(b"\n")
    first = raw[: newline if newline >= 0 else len(raw)].decode("utf-8-sig").rstrip("\r")
    raw_header = next(csv.reader([first]), [])
    header = [c.strip() for c in raw_header]
    try:
        # primaryValue as numbers where every cell reads as one (pandas rounds as float()
        # does); anything else is read as text and checked row by row.
        frame = _comtrade_frame(path, raw, raw_header, numeric=True)
    except ValueError:
        frame = _comtrade_frame(path, raw, raw_header, numeric=False)
    frame.columns = pd.Index([str(c).strip() for c in frame.columns], dtype=object)
    # A file cut short ends in a row with too few cells, which pandas pads with empty ones.
    end = len(raw)
    while end and raw[end - 1] in b"\r\n":  # the line breaks after the last row
        end -= 1
    start = raw.rfind(b"\n", 0, end) + 1
    last = next(csv.reader([raw[start:end].decode("utf-8")]), [])
    if start and len(last) != len(header):
        lines = raw.count(b"\n", 0, end) + 1
        raise IngestError(
            f"{path}, row {lines}: has {len(last)} cells, the header has "
            f"{len(header)} (a truncated or damaged file?)"
        )
    missing = [c for c in COMTRADE_REQUIRED if c not in header]
    if missing:
        # Let the shared check word the message.
        return comtrade_figures(
            header,
            [],
            path=str(path),
            unit="row",
            kind="UN Comtrade CSV",
            published_on=published_on,
        )
    china = _test(_coded(frame["reporterCode"].to_numpy()), CHINA_M49.__eq__)
    keep = china & _test(_coded(frame["partnerCode"].to_numpy()), RUSSIA_M49.__eq__)
    skipped = {
        "with another reporter": int((~china).sum()),
        "with another partner": int((china & ~keep).sum()),
    }
    used = [c for c in header if c in _COMTRADE_USED]
    kept = frame.loc[keep, used]
    # Data rows start on line 2; blank lines are rare enough in exports to ignore here.
    numbers = (kept.index + 2).tolist()
    prefiltered = (len(frame), {k: v for k, v in skipped.items() if v})
    fast = _comtrade_frame_fast(kept, numbers, str(path), published_on, prefiltered)
    if fast is not None:
        return fast
    if frame["primaryValue"].dtype != object:  # the row-by-row check reads the cells as text
        frame = _comtrade_frame(path, raw, raw_header, numeric=False)
        frame.columns = pd.Index([str(c).strip() for c in frame.columns], dtype=object)
        kept = frame.loc[keep, used]
    # Something in the rows is off: the row-by-row check finds it and says where.
    rows = zip(numbers, kept.to_numpy(dtype=object).tolist(), strict=True)
    return comtrade_figures(
        used,
        rows,
        path=str(path),
        unit="row",
        kind="UN Comtrade CSV",
        published_on=published_on,
        prefiltered=prefiltered,
    )


def _comtrade_frame(
    path: Path, raw: bytes, raw_header: list[str], *, numeric: bool
) -> pd.DataFrame:
    """The CSV as pandas reads it: the cells the reader looks at as text ("01" is a chapter,
    not 1) but for ``primaryValue``, a number when ``numeric`` (a cell that does not read as
    one raises ValueError); the rest typed as pandas likes, which costs less than text objects
    for every cell."""
    # Cold start: pandas loads only when a file is read.
    import pandas as pd  # noqa: PLC0415

    used = [c for c in raw_header if c.strip() in _COMTRADE_USED]
    types: dict[str, type[object] | str] = dict.fromkeys(used, object)
    if numeric:
        types.update({c: "float64" for c in used if c.strip() == "primaryValue"})
    try:
        with warnings.catch_warnings():
            # A first row longer than the header is only a warning to pandas: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame: pd.DataFrame = pd.read_csv(
                path,  # pandas' own file reader: faster than a Python stream of ``raw``
                encoding="utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8",
                dtype=types,
                keep_default_na=False,  # an empty cell of a checked column stays ""
                na_values={c: [""] for c in raw_header if c not in used},
                index_col=False,
                skip_blank_lines=True,
                on_bad_lines="error",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
        raise IngestError(
            f"{path}: malformed CSV ({detail}; a truncated or damaged file?)"
        ) from None
    return frame


def _comtrade_period_fast(freq: str, text: str) -> Period | None:
    """:func:`_comtrade_period` without the message: None where it would refuse."""
    if freq == "A" and len(text) == 4 and text.isdecimal():
        return Period.year_of(int(text))
    if freq == "M" and len(text) == 6 and text.isdecimal() and 1 <= int(text[4:]) <= 12:
        return Period.month_of(int(text[:4]), int(text[4:]))
    return None


def _comtrade_frame_fast(
    kept: pd.DataFrame,
    numbers: list[int],
    path: str,
    published_on: date,
    prefiltered: tuple[int, dict[str, int]],
) -> ParsedFile | None:
    """China → Russia rows of a Comtrade CSV checked and turned into figures column by column;
    None when any row needs the row-by-row check (a bad value, a duplicate: its message names
    the row), which gives the same figures otherwise."""
    # Cold start: pandas loads only when a file is read.
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    size = len(kept)

    def coded(name: str) -> tuple[np.ndarray, list[str]]:
        if name not in kept.columns:
            return np.zeros(size, dtype=np.intp), [""]
        return _coded(kept[name].to_numpy())

    services = ~_test(coded("typeCode"), ("C", "").__contains__)
    broken_down = (
        ~_test(coded("motCode"), ("0", "").__contains__)
        | ~_test(coded("customsCode"), ("C00", "").__contains__)
        | ~_test(coded("partner2Code"), ("0", "").__contains__)
    )
    flow_codes, flow_cells = coded("flowCode")
    other_flow = ~_test((flow_codes, flow_cells), _COMTRADE_FLOWS.__contains__)
    cmd = coded("cmdCode")
    is_total = _test(cmd, "TOTAL".__eq__)
    is_chapter = _test(cmd, lambda c: _CHAPTER_RE.match(c) is not None)
    is_digits = _test(cmd, str.isdigit)
    skip_services = services
    skip_broken = ~skip_services & broken_down
    skip_flow = ~skip_services & ~skip_broken & other_flow
    considered = ~(skip_services | skip_broken | skip_flow)
    skip_deep = considered & ~is_total & ~is_chapter & is_digits
    take = considered & (is_total | is_chapter)
    if (considered & ~is_total & ~is_chapter & ~is_digits).any():
        return None  # a cmdCode that is neither TOTAL nor an HS code
    rows = np.nonzero(take)[0]
    if not len(rows):
        return None  # the row-by-row check words the refusal
    # A period is its (freqCode, period) pair; refYear must name its year when given.
    freq_codes, freq_cells = coded("freqCode")
    period_codes, period_cells = coded("period")
    year_codes, year_cells = coded("refYear")
    pair = freq_codes[rows] * len(period_cells) + period_codes[rows]
    pairs, pair_at = np.unique(pair, return_inverse=True)
    keys: list[str] = []
    key_number: dict[str, int] = {}
    numbered: list[int] = []
    years: list[str] = []
    for value in pairs.tolist():
        period = _comtrade_period_fast(
            freq_cells[value // len(period_cells)], period_cells[value % len(period_cells)]
        )
        if period is None:
            return None  # not A/M, or a period that does not read
        keys.append(period.key)
        numbered.append(key_number.setdefault(period.key, len(key_number)))
        years.append(str(period.year))
    for at, year_code in set(zip(pair_at.tolist(), year_codes[rows].tolist(), strict=True)):
        if year_cells[year_code] and year_cells[year_code] != years[at]:
            return None
    try:
        values = np.asarray(kept["primaryValue"].to_numpy()[rows], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(values).all() or (values < 0).any():
        return None
    cmd_codes, cmd_cells = cmd
    flow_value = [_COMTRADE_FLOWS[c].value if c in _COMTRADE_FLOWS else "" for c in flow_cells]
    chapter_number = {cell: n for n, cell in enumerate(dict.fromkeys(cmd_cells))}
    # No (period, flow, chapter) twice: one number per figure, compared at once.
    figure_key = (
        np.array(numbered, dtype=np.int64)[pair_at] * 2 * len(chapter_number)
        + np.array([chapter_number[c] for c in cmd_cells], dtype=np.int64)[cmd_codes[rows]] * 2
        + (np.array([v == "imports" for v in flow_value], dtype=np.int64)[flow_codes[rows]])
    )
    if len(np.unique(figure_key)) != len(figure_key):
        return None
    parsed = ParsedFile(path, "UN Comtrade CSV", rows=prefiltered[0], skipped=prefiltered[1])
    for reason, mask in (
        ("of services", skip_services),
        ("broken down by transport mode, procedure or second partner", skip_broken),
        ("of other flows (re-exports, re-imports…)", skip_flow),
        ("below HS-chapter level", skip_deep),
    ):
        count = int(mask.sum())
        if count:
            parsed.skipped[reason] = parsed.skipped.get(reason, 0) + count
    chapters = [TOTAL_CHAPTER if c == "TOTAL" else c for c in cmd_cells]
    count = len(rows)
    parsed._frame = pd.DataFrame(
        {
            "dataset": np.full(count, COMTRADE_DATASET, dtype=object),
            "period": np.array(keys, dtype=object)[pair_at],
            "flow": np.array(flow_value, dtype=object)[flow_codes[rows]],
            "hs_chapter": np.array(chapters, dtype=object)[cmd_codes[rows]],
            "value_usd_bn": values / _USD_PER_BN,
            "published_on": np.full(count, published_on, dtype=object),
            "source_title": np.full(count, COMTRADE_SOURCE, dtype=object),
            "source_url": np.full(count, COMTRADE_URL, dtype=object),
            "origin": np.array(
                [f"{path}, row {numbers[at]}" for at in rows.tolist()], dtype=object
            ),
        },
        columns=list(FIGURE_COLUMNS),
    )
    return parsed


def read_comtrade_json(path: Path, published_on: date) -> ParsedFile:
    """The Comtrade API's response shape: ``{"data": [{column: value, ...}, ...]}``."""
    text = read_text(path)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"{path}, line {exc.lineno}: not valid JSON ({exc.msg}; a truncated file?)"
        ) from None
    records = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(records, list):
        raise IngestError(f'{path}: expected the Comtrade API shape {{"data": [...]}}')
    if not records:
        raise IngestError(f'{path}: "data" is empty; nothing to load')
    first = records[0]
    if not isinstance(first, dict):
        raise IngestError(f"{path}, record 1: is not an object")
    columns = list(first)

    def rows() -> Iterator[tuple[int, Sequence[object]]]:
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise IngestError(f"{path}, record {number}: is not an object")
            lacking = [c for c in COMTRADE_REQUIRED if c not in record]
            if lacking:
                raise IngestError(f"{path}, record {number}: lacks key(s) {', '.join(lacking)}")
            yield number, [record.get(c) for c in columns]

    return comtrade_figures(
        columns,
        rows(),
        path=str(path),
        unit="record",
        kind="UN Comtrade JSON",
        published_on=published_on,
    )


def comtrade_frame_figures(frame: pd.DataFrame, origin: str, published_on: date) -> ParsedFile:
    """Rows of a DataFrame as ``comtradeapicall.getFinalData`` returns it."""
    columns = [str(c) for c in frame.columns]

    def rows() -> Iterator[tuple[int, Sequence[object]]]:
        for number, cells in enumerate(frame.itertuples(index=False, name=None), start=1):
            yield number, [_plain(c) for c in cells]

    return comtrade_figures(
        columns, rows(), path=origin, unit="row", kind="UN Comtrade API", published_on=published_on
    )


def _plain(value: Any) -> object:
    """numpy scalars → Python numbers (``item()``), so cells read the same as from JSON."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def read_customs_csv(path: Path, default_published_on: date) -> ParsedFile:
    """The customs CSV: ``period,flow,value,currency,source[,source_url,published_on,hs_chapter]``."""
    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CUSTOMS_REQUIRED if c not in header]
    if missing:
        raise IngestError(
            f"{path}, row 1: header lacks column(s) {', '.join(missing)} (expected "
            f"{','.join(CUSTOMS_REQUIRED)}[,{','.join(CUSTOMS_OPTIONAL)}])"
        )
    unknown = [c for c in header if c not in CUSTOMS_REQUIRED + CUSTOMS_OPTIONAL]
    if unknown:
        raise IngestError(f"{path}, row 1: unknown column(s) {', '.join(unknown)}")
    reader.fieldnames = header
    parsed = ParsedFile(str(path), "customs CSV", figures=[])
    seen: dict[tuple[Period, Flow, str], str] = {}
    try:
        for values in reader:
            where = f"{path}, row {reader.line_num}"
            if None in values or any(v is None for v in values.values()):
                raise IngestError(
                    f"{where}: has a different number of cells than the header "
                    "(a truncated or damaged file?)"
                )
            if not any(v.strip() for v in values.values()):
                continue
            parsed.rows += 1
            parsed.figures.append(_customs_row(values, where, default_published_on, seen))
    except csv.Error as exc:
        raise IngestError(f"{path}, row {reader.line_num}: malformed CSV ({exc})") from None
    if not parsed.figures:
        raise IngestError(f"{path}: has a header but no rows; nothing to load")
    return parsed


def _customs_row(
    values: dict[str, str],
    where: str,
    default_published_on: date,
    seen: dict[tuple[Period, Flow, str], str],
) -> ParsedFigure:
    def text(column: str) -> str:
        return (values.get(column) or "").strip()

    raw_period = text("period")
    try:
        period = Period.parse(raw_period)
    except ValueError as exc:
        raise _fail(where, "period", f"{exc} (use YYYY, YYYY-MM or YYYY-MM..YYYY-MM)") from None
    if period.first_month != 1 and period.months > 1:
        raise _fail(where, "period", f"{raw_period!r}: a year-to-date span starts in January")
    try:
        flow = Flow(text("flow").lower())
    except ValueError:
        raise _fail(where, "flow", f"{text('flow')!r} is not total, exports or imports") from None
    currency = text("currency").upper()
    if currency != "USD":
        raise _fail(
            where,
            "currency",
            f"{currency or 'empty'!r}: only USD (value in USD bn) is accepted; convert "
            "yuan figures with the release's own USD table rather than an exchange rate",
        )
    value = _number(text("value"), where, "value")
    if value <= 0:
        raise _fail(where, "value", f"{value} must be positive (USD bn)")
    if value > 10_000:
        raise _fail(where, "value", f"{value} is not plausible in USD bn (USD given, not bn?)")
    source = text("source")
    if not source:
        raise _fail(where, "source", "is empty: say who published the figure")
    chapter = text("hs_chapter").upper() or TOTAL_CHAPTER
    if chapter != TOTAL_CHAPTER:
        if chapter.isdigit() and len(chapter) == 1:
            chapter = "0" + chapter
        if not _CHAPTER_RE.match(chapter):
            raise _fail(where, "hs_chapter", f"{chapter!r} is not a two-digit HS chapter")
    published_on = default_published_on
    if text("published_on"):
        try:
            published_on = date.fromisoformat(text("published_on"))
        except ValueError:
            raise _fail(
                where, "published_on", f"{text('published_on')!r} is not a date as YYYY-MM-DD"
            ) from None
    if published_on <= date(period.year, period.last_month, 28):
        raise _fail(
            where, "published_on", f"{published_on} is before {period.label} ended (wrong date?)"
        )
    key = (period, flow, chapter)
    if key in seen:
        raise _fail(where, None, f"{period.key} {flow} {chapter} appears twice (also {seen[key]})")
    seen[key] = where
    return ParsedFigure(
        dataset=CUSTOMS_DATASET,
        period=period,
        flow=flow,
        hs_chapter=chapter,
        value_usd_bn=value,
        published_on=published_on,
        source_title=source,
        source_url=text("source_url") or None,
        origin=where,
    )


def sniff(path: Path) -> str | None:
    """Which trade reader takes ``path``: ``comtrade-csv``, ``comtrade-json``, ``customs-csv``.

    Looks at the first bytes (any encoding, so that a wrongly encoded file still reaches its
    reader and gets a precise refusal) and, for empty files, at the name.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        start = head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", "replace")
    else:
        start = head.decode("utf-8", "replace").lstrip("\ufeff")
    first_line = start.splitlines()[0] if start.strip() else ""
    name = path.name.lower()
    if start.lstrip().startswith("{") and '"data"' in start:
        return "comtrade-json"
    if "reporterCode" in first_line and "primaryValue" in first_line:
        return "comtrade-csv"
    header = {h.strip().lower() for h in first_line.split(",")}
    if header >= set(CUSTOMS_REQUIRED):
        return "customs-csv"
    if "comtrade" in name and name.endswith((".csv", ".json")):
        return "comtrade-json" if name.endswith(".json") else "comtrade-csv"
    if "customs" in name and name.endswith(".csv"):
        return "customs-csv"
    return None
