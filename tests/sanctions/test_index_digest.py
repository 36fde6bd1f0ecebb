"""The name index built from the bundled SDN list and a generated OpenSanctions-style list is the
same, word for word and posting for posting, as the digest recorded for it: a faster build must
give exactly the same index and the same screening results."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from bench.bench_scale import write_targets
from briefing.sanctions.ofac import OfacFiles, parse
from briefing.sanctions.opensanctions import parse_simple
from briefing.sanctions.screen import NameIndex, Party
from briefing.sanctions.search import PERSON_TYPES
from tests.conftest import OFAC_SNAPSHOTS

SDN_DIGEST = "13a96139582cc899adaa8736cd01c7188659edd5f17bf9f7aaa1c7db08007430"
GENERATED_DIGEST = "ccdd265274052384ded964a7e2a49dd809228c3fe729ca77d770351632f27001"


def _parties(entries: list[tuple[str, tuple[str, ...], str]]) -> list[Party]:
    return [
        Party((name, *aliases), kind.lower() in PERSON_TYPES) for name, aliases, kind in entries
    ]


def _digest(index: NameIndex, queries: list[str]) -> str:
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        digest.update(repr(parts).encode())
        digest.update(b"\n")

    for form in index._forms:
        add(form.party, form.text, form.primary, form.person, form.words, sorted(form.family))
    add(index._vocabulary)
    add(sorted(index._word_no.items()))
    for array in (index._owners, index._starts, index._weights, index._common):
        add(array.dtype.str, array.shape)
        digest.update(array.tobytes())
    add(index._common_df, index._max_weight)
    add(sorted((key, tuple(value)) for key, value in index._sounds.items()))
    for query in queries:
        for person in (None, True, False):
            for hit in index.screen(query, person=person):
                add(
                    query, person, hit.party, hit.tier, round(hit.score, 9), hit.name, hit.explain()
                )
    return digest.hexdigest()


def _queries(parties: list[Party], count: int = 60, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    names = [name for party in parties for name in party.names]
    picked = rng.sample(names, count)
    # Misspelt, shortened and reordered forms of listed names, and names not listed.
    out = [*picked]
    out += [name[:-1] for name in picked[:15]]
    out += [" ".join(reversed(name.replace(",", " ").split())) for name in picked[15:30]]
    out += ["Vladimir Putin", "Huawei Technologies Co Ltd", "Rosneft", "Wagner Group", "HK"]
    return out


def test_the_sdn_index_is_the_recorded_one() -> None:
    entries, _ = parse(OfacFiles(Path(OFAC_SNAPSHOTS / "sdn_2024-02-23.csv")))
    parties = _parties([(e.name, e.aliases, e.entity_type) for e in entries])
    assert _digest(NameIndex(parties), _queries(parties)) == SDN_DIGEST


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[Party]:
    path = tmp_path_factory.mktemp("generated") / "default_2024-02-23.targets.simple.csv"
    write_targets(path, 20_000)
    entries = parse_simple(path).entries
    return _parties([(e.name, e.aliases, e.entity_type) for e in entries])


def test_a_generated_opensanctions_index_is_the_recorded_one(generated: list[Party]) -> None:
    assert _digest(NameIndex(generated), _queries(generated)) == GENERATED_DIGEST
