"""Sanctions lists at OpenSanctions scale: ingest, memory, index and screening from 14k to 1M.

OpenSanctions' default collection holds over a million entities. This benchmark writes a
realistic ``targets.simple.csv`` of N entities (OpenSanctions' columns and multi-value cells;
about two thirds people, the rest companies, organisations and vessels, with aliases, countries,
identifiers and sanction programmes) by recombining the real name parts of the bundled OFAC
lists with a fixed seed, into a temporary folder at bench time — nothing generated is kept.

For each size, in a fresh process (so that peak memory is this size's own):

* **ingest** — ``bot.py ingest`` of the file into an empty SQLite database (or a throw-away
  PostgreSQL schema): read, validate, derive, store in one transaction; wall time and the
  process's peak RSS (``resource.getrusage``) when it ends;
* **index** — the first screening's cost: entries read from the database and the name index
  built (wall time, resident memory added);
* **screening** — ~300 queries made from listed names (a typo, words reordered, a name left
  out, other case, another legal form, Cyrillic) plus names that are not listed: p50/p99 of
  the full tiered screen (every match and possible match), and how often the intended entry
  comes first.

Targets at 1M entities: ingest ≤ 60 s, peak RSS ≤ 2.5 GB, index build ≤ 30 s, p99 ≤ 50 ms.

Run: .venv/bin/python -m bench.bench_scale [--sizes 14500,100000,1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from briefing.settings import PROJECT_ROOT

SNAPSHOTS = PROJECT_ROOT / "data" / "sanctions" / "ofac"
SIZES = (14_500, 100_000, 1_000_000)
QUERIES = 300
TODAY = date(2024, 3, 1)
TARGETS = {"ingest_s": 60.0, "peak_rss_mb": 2560.0, "build_s": 30.0, "p99_ms": 50.0}
HEADER = (
    "id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers",
    "sanctions", "phones", "emails", "dataset", "first_seen", "last_seen", "last_change",
)  # fmt: skip
_LEGAL_FORMS = (
    "LLC", "OOO", "JSC", "AO", "PJSC", "Limited", "Co., Ltd.", "Company Limited", "GmbH",
    "Trading LLC", "Holding Ltd", "FZE", "Pte. Ltd.", "Limited Liability Company", "S.A.",
)  # fmt: skip
_COUNTRIES = ("ru", "ru", "ru", "cn", "hk", "ir", "by", "ua", "ae", "tr", "sy", "kp", "kz", "us")
_CITIES = ("Moscow", "Saint Petersburg", "Shenzhen", "Hong Kong", "Dubai", "Minsk", "Tehran")
_STREETS = ("Lenina", "Tverskaya", "Nanjing Road", "Sheikh Zayed Road", "Pobediteley")
_CYRILLIC = {
    "shch": "щ", "sh": "ш", "ch": "ч", "kh": "х", "zh": "ж", "ts": "ц", "yu": "ю", "ya": "я",
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и", "y": "й",
    "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т",
    "u": "у", "f": "ф", "c": "к", "h": "х", "x": "кс", "w": "в", "j": "й", "q": "к",
}  # fmt: skip
_CYRILLIC_RE = re.compile("|".join(sorted(_CYRILLIC, key=len, reverse=True)))
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]+")


# --- the generated list ------------------------------------------------------------------


def name_parts() -> dict[str, list[str]]:
    """Family names, given names, company words, vessel names and programmes of the bundled
    OFAC lists (deduplicated, in a fixed order)."""
    import pandas as pd

    from briefing.sanctions.normalise import LEGAL_FORM_WORDS

    frames = [
        pd.read_csv(
            path,
            header=None,
            dtype=str,
            encoding="latin-1",
            keep_default_na=False,
            usecols=range(4),
        )
        for path in sorted(SNAPSHOTS.glob("sdn_*.csv"))
    ]
    rows = pd.concat(frames).drop_duplicates(subset=[0])
    family: set[str] = set()
    given: set[str] = set()
    words: set[str] = set()
    vessels: set[str] = set()
    programmes: set[str] = set()
    for raw_name, raw_kind, program in zip(rows[1], rows[2], rows[3], strict=True):
        name, kind = raw_name.strip(), raw_kind.strip()
        programmes.update(p.strip() for p in program.split("] [") if p.strip() != "-0-")
        if kind == "individual" and "," in name:
            last, first = name.split(",", 1)
            family.update(w.title() for w in _WORD.findall(last) if len(w) > 2)
            given.update(w.title() for w in _WORD.findall(first) if len(w) > 2)
        elif kind == "vessel":
            vessels.update(_WORD.findall(name))
        else:
            words.update(
                w.title() for w in _WORD.findall(name) if w.lower() not in LEGAL_FORM_WORDS
            )
    return {
        "family": sorted(family),
        "given": sorted(given),
        "words": sorted(w for w in words if len(w) > 2),
        "vessels": sorted(v.title() for v in vessels if len(v) > 2),
        "programmes": sorted(programmes),
    }


def _cyrillic(text: str) -> str:
    return _CYRILLIC_RE.sub(lambda m: _CYRILLIC[m.group(0)], text.lower()).title()


def write_targets(path: Path, size: int, seed: int = 16) -> None:
    """A ``targets.simple.csv`` of ``size`` entities recombined from real name parts."""
    parts = name_parts()
    rng = random.Random(seed)
    family, given, words = parts["family"], parts["given"], parts["words"]
    vessels, programmes = parts["vessels"], parts["programmes"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(HEADER)
        for number in range(size):
            kind = rng.random()
            aliases: list[str] = []
            identifiers: list[str] = []
            birth = ""
            if kind < 0.65:
                schema = "Person"
                first, middle, last = rng.choice(given), rng.choice(given), rng.choice(family)
                name = f"{first} {middle} {last}"
                if rng.random() < 0.5:
                    aliases.append(f"{last} {first} {middle}")
                if rng.random() < 0.3:
                    aliases.append(_cyrillic(f"{last} {first}"))
                if rng.random() < 0.2:
                    aliases.append(f"{first} {last}")
                birth = (
                    f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                )
                if rng.random() < 0.3:
                    identifiers.append(str(rng.randint(10**11, 10**12 - 1)))
            elif kind < 0.95:
                schema = "Company" if kind < 0.85 else "Organization"
                core = " ".join(rng.choice(words) for _ in range(rng.choice((1, 2, 2, 3))))
                name = f"{core} {rng.choice(_LEGAL_FORMS)}"
                if rng.random() < 0.5:
                    aliases.append(f"{core.upper()} {rng.choice(_LEGAL_FORMS).upper()}")
                if rng.random() < 0.2:
                    aliases.append(_cyrillic(core))
                if rng.random() < 0.5:
                    identifiers.append(str(rng.randint(10**9, 10**10 - 1)))
            else:
                schema = "Vessel"
                name = " ".join(rng.choice(vessels) for _ in range(rng.choice((1, 2)))).upper()
                identifiers.append(str(rng.randint(9_000_000, 9_999_999)))
            country = rng.choice(_COUNTRIES)
            programme = rng.choice(programmes)
            listed = f"{rng.randint(2014, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            writer.writerow(
                (
                    f"NK-{seed}x{number:07d}",
                    schema,
                    name,
                    ";".join(dict.fromkeys(a for a in aliases if a != name)),
                    birth,
                    country,
                    f"{rng.randint(1, 99)} {rng.choice(_STREETS)}, {rng.choice(_CITIES)}",
                    ";".join(identifiers),
                    f"{programme} - Designated - active - {listed} - ",
                    "",
                    "",
                    "default",
                    f"{listed}T00:00:00",
                    "2024-02-23T00:00:00",
                    "2024-02-23T00:00:00",
                )
            )


def _queries(path: Path, size: int, seed: int = 7) -> list[tuple[str, str | None]]:
    """(query, the id expected first or None for a name not listed), deterministic."""
    rng = random.Random(seed)
    wanted = set(rng.sample(range(size), min(QUERIES, size)))
    picked: list[tuple[str, str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number in wanted:
                picked.append((row["id"], row["schema"], row["name"]))
    out: list[tuple[str, str | None]] = []
    for turn, (key, schema, name) in enumerate(picked):
        words = name.split()
        match turn % 8:
            case 0:
                out.append((name, key))
            case 1:  # two letters swapped in the longest word
                at = max(range(len(words)), key=lambda i: len(words[i]))
                word = words[at]
                if len(word) >= 5:
                    cut = rng.randrange(1, len(word) - 2)
                    words[at] = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]
                out.append((" ".join(words), key))
            case 2:
                out.append((" ".join(reversed(words)).lower(), key))
            case 3:
                shorter = [w for i, w in enumerate(words) if i != 1] if len(words) > 2 else words
                out.append((" ".join(shorter), key))
            case 4:
                out.append((name.upper(), key))
            case 5:
                if schema == "Person":
                    out.append((_cyrillic(name), key))
                else:
                    core = re.sub(
                        r"\b(?:" + "|".join(map(re.escape, _LEGAL_FORMS)) + r")$", "", name
                    )
                    out.append((f"{core.strip()} LLC", key))
            case 6:
                out.append((name.title(), key))
            case _:
                fake = " ".join(
                    rng.choice(["Zorbix", "Quellant", "Fyxxo", "Plumbric", "Vantor", "Krelm"])
                    for _ in range(3)
                )
                out.append((fake, None))
    return out


# --- one size, in its own process --------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child(path: Path, size: int, database_url: str) -> dict[str, float]:
    from briefing.appstate import Briefing
    from briefing.ingest_dispatch import ingest
    from briefing.ingest_types import IngestOptions
    from briefing.sanctions.search import sanctions
    from briefing.settings import load_settings

    brief = Briefing.load(load_settings(database_url=database_url, _env_file=None))
    now = datetime(2024, 3, 1, tzinfo=UTC)
    base_rss = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    (result,) = ingest(brief, [path], IngestOptions(today=TODAY), now)
    ingest_s = time.perf_counter() - started
    ingest_cpu_s = time.process_time() - cpu
    ingest_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert result.records == size, result.summary

    rss_before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    index = sanctions(brief).index(TODAY)
    build_s = time.perf_counter() - started
    build_cpu_s = time.process_time() - cpu
    rss_after = _rss_mb()

    queries = _queries(path, size)
    for query, _ in queries[:10]:
        index.screen(query)
    times_ms: list[float] = []
    cpu_ms: list[float] = []
    first = expected = misses_right = misses = 0
    for query, key in queries:
        started, cpu = time.perf_counter(), time.process_time()
        found = index.screen(query)
        times_ms.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        if key is None:
            misses += 1
            misses_right += not any(m.is_match for m in found)
            continue
        expected += 1
        first += bool(found) and found[0].entry.entity_key == key
    times_ms.sort()
    cpu_ms.sort()

    def pct(p: float, samples: list[float] = times_ms) -> float:
        return samples[min(len(samples) - 1, round(p / 100 * (len(samples) - 1)))]

    return {
        "size": float(size),
        "file_mb": path.stat().st_size / 1e6,
        "base_rss_mb": base_rss,
        "ingest_s": ingest_s,
        "ingest_cpu_s": ingest_cpu_s,
        "ingest_peak_mb": ingest_peak,
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "index_mb": rss_after - rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "p99_cpu_ms": pct(99, cpu_ms),
        "mean_ms": statistics.fmean(times_ms),
        "first_hit": first / expected if expected else 1.0,
        "misses_empty": misses_right / misses if misses else 1.0,
    }


def run_size(size: int, folder: Path, database_url: str | None) -> dict[str, float]:
    from bench.bench_sanctions import _database

    where = folder / f"scale_{size}"
    where.mkdir()
    path = where / "default_2024-02-23.targets.simple.csv"
    write_targets(path, size)
    with _database(database_url, str(where)) as url:
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_scale", "--child", str(path), str(size), url],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"size {size}: the child failed\n{done.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    if args.child:
        path, size, url = args.child
        print(json.dumps(_child(Path(path), int(size), url)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows = []
    with tempfile.TemporaryDirectory() as name:
        for size in sizes:
            figures = run_size(size, Path(name), args.database_url)
            rows.append(figures)
            print(json.dumps({k: round(v, 3) for k, v in figures.items()}), flush=True)
    print()
    print("Wall time (CPU time of the process in brackets: the machine may be shared).")
    print(
        "| entities | file | ingest | peak RSS | index build | index memory | search p50 | "
        "search p99 | intended first | not listed: no match |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in rows:
        print(
            f"| {f['size']:,.0f} | {f['file_mb']:.0f} MB | {f['ingest_s']:.1f} s "
            f"({f['ingest_cpu_s']:.1f}) | {f['peak_rss_mb']:,.0f} MB | {f['build_s']:.1f} s "
            f"({f['build_cpu_s']:.1f}) | +{f['index_mb']:,.0f} MB | {f['p50_ms']:.1f} ms | "
            f"{f['p99_ms']:.1f} ms ({f['p99_cpu_ms']:.1f}) | {f['first_hit']:.1%} | "
            f"{f['misses_empty']:.0%} |"
        )
    largest = rows[-1] if rows else None
    if largest is not None and largest["size"] >= 1_000_000:
        verdicts = [
            f"{name} {largest[name]:.1f} (target ≤ {limit:g}): "
            f"{'ok' if largest[name] <= limit else 'OVER'}"
            for name, limit in TARGETS.items()
        ]
        print("at 1M: " + "; ".join(verdicts))


if __name__ == "__main__":
    main(sys.argv[1:])
