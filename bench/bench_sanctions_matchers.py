"""Screening quality of this project's matcher against the alternatives, on the peer-derived
case set (``tests/sanctions/cases.py``) over the bundled SDN list of 23 Feb 2024.

Compared, all in one run on the same lists:

1. this matcher (rigour's legal-form table, rarity-weighted word alignment, tier rules);
2. the same, with legal forms removed by a plain word list instead of rigour's table;
3. the same candidates scored by OpenSanctions' ``nomenklatura`` LogicV2 name matcher
   (a match at ≥ 0.7, its own tests' threshold; a possible match at ≥ 0.5);
4. the same candidates scored by ``nomenklatura``'s OFAC name score (a match at ≥ 0.8, OFAC's
   "slider 80"; possible at ≥ 0.6);
5. an exact look-up of ``fingerprints.generate()`` keys.

3–5 need packages the bot does not depend on: ``pip install nomenklatura fingerprints`` (the
benchmark says so and skips them when they are missing). For each: the right entry first (dev
and held-out splits), confident and possible hits on names that are not listed, and the p99
time per query; for nomenklatura also its first-call time and resident memory (it loads rigour's
person-name tagger).

Run: .venv/bin/python -m bench.bench_sanctions_matchers
"""

from __future__ import annotations

import importlib.util
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from briefing.sanctions import normalise, screen
from briefing.sanctions.model import OFAC_SDN, Entry, Snapshot
from briefing.sanctions.ofac import OfacFiles, parse
from briefing.sanctions.search import SanctionsIndex
from briefing.settings import PROJECT_ROOT
from tests.sanctions.cases import LISTED, UNLISTED

LIST = PROJECT_ROOT / "data" / "sanctions" / "ofac" / "sdn_2024-02-23.csv"
Ranked = list[tuple[str, bool]]  # (entity key, confident), best first


def evaluate(label: str, rank: Callable[[str], Ranked]) -> None:
    print(label)
    for split in ("dev", "held-out", None):
        right = listed = unlisted = confident = possible = 0
        times: list[float] = []
        for case in LISTED:
            if split and case.split != split:
                continue
            listed += 1
            started = time.perf_counter()
            found = rank(case.query)
            times.append(time.perf_counter() - started)
            right += bool(found) and found[0][0] == case.expected
        for case in UNLISTED:
            if split and case.split != split:
                continue
            unlisted += 1
            found = rank(case.query)
            confident += bool(found) and found[0][1]
            possible += bool(found) and not found[0][1]
        times.sort()
        p99 = times[int(0.99 * (len(times) - 1))] * 1000
        print(
            f"    [{split or 'all'}] right entry first {right / listed:.1%} ({right}/{listed}); "
            f"not listed: confident {confident}/{unlisted}, possible {possible}/{unlisted}; "
            f"p99 {p99:.1f} ms"
        )


def _nomenklatura(index: SanctionsIndex, entries: list[Entry]) -> None:
    from followthemoney.proxy import EntityProxy  # type: ignore[import-not-found]
    from nomenklatura.matching.logic_v2.model import LogicV2  # type: ignore[import-not-found]
    from nomenklatura.matching.logic_v2.names.match import (  # type: ignore[import-not-found]
        name_match,
    )
    from nomenklatura.matching.name_based.ofac import (  # type: ignore[import-not-found]
        ofac_name_score,
    )

    config = LogicV2.default_config()
    schemas = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane"}
    proxies: dict[int, Any] = {}

    def proxy(party: int) -> Any:
        if party not in proxies:
            entry = entries[party]
            proxies[party] = EntityProxy.from_dict(
                {
                    "id": f"e{party}",
                    "schema": schemas.get(entry.entity_type, "Organization"),
                    "properties": {"name": [entry.name, *entry.aliases]},
                }
            )
        return proxies[party]

    def scored(scorer: Any, match_at: float) -> Callable[[str], Ranked]:
        def rank(query: str) -> Ranked:
            forms = index.names._candidates(normalise.name_tokens(query))
            parties = dict.fromkeys(index.names._forms[f].party for f in forms)
            found = []
            for party in parties:
                listed = proxy(party)
                schema = listed.schema.name
                kind = schema if schema in ("Person", "Vessel", "Airplane") else "LegalEntity"
                asked = EntityProxy.from_dict(
                    # A query id of its own: nomenklatura caches names by entity id.
                    {"id": f"q{abs(hash(query))}", "schema": kind, "properties": {"name": [query]}}
                )
                value = float(scorer(asked, listed, config).score)
                if value >= match_at - 0.2:
                    found.append((value, entries[party].entity_key, value >= match_at))
            found.sort(key=lambda f: -f[0])
            return [(key, sure) for _, key, sure in found]

        return rank

    started = time.perf_counter()
    scored(name_match, 0.7)("Vladimir Putin")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"nomenklatura's first call: {time.perf_counter() - started:.1f} s "
        f"(rigour's person-name tagger); peak resident memory of this process now {rss:.0f} MB"
    )
    evaluate("3. same candidates, nomenklatura LogicV2 name_match", scored(name_match, 0.7))
    evaluate("4. same candidates, nomenklatura OFAC name score", scored(ofac_name_score, 0.8))


def main(argv: list[str] | None = None) -> None:
    entries, digest = parse(OfacFiles(LIST))
    snapshot = Snapshot(1, OFAC_SDN, date(2024, 2, 23), None, len(entries), digest, "", True)
    index = SanctionsIndex([(snapshot, entries)])
    print(f"{len(LISTED)} listed and {len(UNLISTED)} unlisted cases over {len(entries):,} entries")

    def ours(ix: SanctionsIndex) -> Callable[[str], Ranked]:
        return lambda q: [(m.entry.entity_key, m.is_match) for m in ix.screen(q)]

    evaluate("1. this matcher (rigour legal forms, weighted alignment, tiers)", ours(index))

    removed, leftover = normalise._remove_org_types, normalise.LEFTOVER_FORMS
    normalise._remove_org_types = lambda text: text
    normalise.LEFTOVER_FORMS = normalise.LEGAL_FORM_WORDS - {"trading"}
    screen.place_words.cache_clear()
    try:
        plain = SanctionsIndex([(snapshot, entries)])
        evaluate("2. the same, legal forms by a word list instead of rigour", ours(plain))
    finally:
        normalise._remove_org_types = removed
        normalise.LEFTOVER_FORMS = leftover
        screen.place_words.cache_clear()

    if importlib.util.find_spec("nomenklatura") is None:
        print("3–4. nomenklatura is not installed: pip install nomenklatura (skipped)")
    else:
        _nomenklatura(index, entries)
    if importlib.util.find_spec("fingerprints") is None:
        print("5. fingerprints is not installed: pip install fingerprints (skipped)")
    else:
        import fingerprints  # type: ignore[import-not-found]

        keys: dict[str, list[str]] = {}
        for entry in entries:
            for name in (entry.name, *entry.aliases):
                key = fingerprints.generate(name)
                if key:
                    keys.setdefault(key, []).append(entry.entity_key)
        evaluate(
            "5. fingerprints.generate() key look-up (exact only)",
            lambda q: [(k, True) for k in keys.get(fingerprints.generate(q) or "", [])],
        )


if __name__ == "__main__":
    main(sys.argv[1:])
