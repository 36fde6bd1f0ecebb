"""The topic filter: which designations a China–Russia brief itemises.

Two tests, either is enough:

* **Russia-related programmes** — OFAC's Russia/Ukraine programmes (RUSSIA-EO14024,
  UKRAINE-EO13660/13661/13662/13685, CAATSA - RUSSIA, and any other code naming Russia such as
  RUSSIA-EO14065), the EU's UKR and RUS regimes (Regulations 269/2014 and 833/2014; codes as in
  the EU Financial Sanctions Files), the UK's Russia regulations, and other authorities' Russia
  regimes as OpenSanctions names them (AU-RUSSIA, GB-RUS, SECO-UKRAINE, NZ-RSA2022, ...).
* **Links to China or Hong Kong** — an address or nationality there, or remarks naming China,
  Hong Kong or the PRC (``(China)`` after an identifier, ``USCC`` codes, ``POB Dalian, China``).

Everything else is counted, not itemised.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

OFAC_RUSSIA_PROGRAMMES = frozenset(
    {
        "RUSSIA-EO14024",
        "UKRAINE-EO13660",
        "UKRAINE-EO13661",
        "UKRAINE-EO13662",
        "UKRAINE-EO13685",
        "CAATSA - RUSSIA",
    }
)
# EU FSF codes (RUS, UKR), OpenSanctions programme ids (EU-UKR, GB-RUS, NZ-RSA2022, US-RUSHAR,
# US-UKRRUS-REL) and free text naming a Russia or Ukraine regime in English or French.
_RUSSIA_TEXT = re.compile(
    r"russia|russie|ukrain|\b(?:RUS|UKR)\b|\bRSA2022\b|\bRUSHAR\b|\bUKRRUS\b", re.IGNORECASE
)

CHINA = "China"
HONG_KONG = "Hong Kong"
_PLACE_BY_CODE = {"cn": CHINA, "hk": HONG_KONG}
_PLACE_BY_NAME = {
    "china": CHINA,
    "people's republic of china": CHINA,
    "prc": CHINA,
    "hong kong": HONG_KONG,
    "hong kong sar": HONG_KONG,
    "hong kong, china": HONG_KONG,
    "china (hong kong)": HONG_KONG,
}
_CHINA_WORDS = re.compile(
    r"\bChina\b|\bHong\s*Kong\b|\bP\.?R\.?C\b\.?|People'?s Republic of China|\bUSCC\b",
    re.IGNORECASE,
)
# Every text the place patterns match holds one of these (lower case): a cheap first test.
_CHEAP_PLACE_WORDS = ("china", "hong", "prc", "p.rc", "pr.c", "p.r.c", "uscc")
_CHEAP_WORDS = ("china", "hong", "prc", "p.r.c", "uscc", "republic of china")
_HONG_KONG = re.compile(r"\bHong\s*Kong\b", re.IGNORECASE)
_USCC = re.compile(r"\(USCCC?\)\s*([0-9A-Z]{15,20})")
# Which kind of remark is the strongest evidence, strongest first.
_REMARK_KINDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"^(?:alt\.\s*)?(?:nationality|citizen)\b", re.IGNORECASE), 0),
    (re.compile(r"\((?:China|Hong Kong)\)\.?$", re.IGNORECASE), 1),
    (re.compile(r"^(?:alt\.\s*)?POB\b", re.IGNORECASE), 2),
)


@lru_cache(maxsize=4096)
def is_russia_programme(text: str) -> bool:
    code = text.strip()
    return code.upper() in OFAC_RUSSIA_PROGRAMMES or bool(_RUSSIA_TEXT.search(code))


def russia_programmes(programmes: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The labels of the ``(label, description)`` pairs that name a Russia-related programme.

    OFAC's codes are their own description; OpenSanctions gives a short label (``GB-RUS``) and
    a free-text ``program`` ("The Russia (Sanctions) (EU Exit) Regulations 2019"): either may
    name the regime.
    """
    found = (
        label
        for label, text in programmes
        if is_russia_programme(label) or (text and is_russia_programme(text))
    )
    return tuple(dict.fromkeys(found))


def place_of_country(value: str) -> str | None:
    """``cn``/``China`` → China, ``hk``/``Hong Kong`` → Hong Kong, anything else → None."""
    text = value.strip().lower()
    return _PLACE_BY_CODE.get(text) or _PLACE_BY_NAME.get(text)


def place_in_text(text: str) -> str | None:
    """China or Hong Kong when ``text`` (an address, a note) names one of them."""
    lowered = text.lower()
    if "taiwan" in lowered or not any(word in lowered for word in _CHEAP_PLACE_WORDS):
        return None
    if _HONG_KONG.search(text):
        return HONG_KONG
    if _CHINA_WORDS.search(text):
        return CHINA
    return None


def _shorten(clause: str) -> str:
    clause = clause.strip().rstrip(".").strip()
    uscc = _USCC.search(clause)
    if uscc:
        return f"USCC {uscc.group(1)}"
    return clause if len(clause) <= 90 else clause[:87].rstrip() + "…"


def link_from_remarks(remarks: str) -> tuple[str, str] | None:
    """(place, reason) from OFAC-style remarks (``; ``-separated clauses), or None."""
    lowered = remarks.lower()
    if not any(word in lowered for word in _CHEAP_WORDS) or not _CHINA_WORDS.search(remarks):
        return None
    best: tuple[int, str, str] | None = None
    for raw in remarks.split(";"):
        clause = raw.strip()
        if not clause or "taiwan" in clause.lower() or not _CHINA_WORDS.search(clause):
            continue
        rank = next((r for pattern, r in _REMARK_KINDS if pattern.search(clause)), 3)
        if best is None or rank < best[0]:
            place = HONG_KONG if _HONG_KONG.search(clause) else CHINA
            best = (rank, place, f"{_shorten(clause)} in remarks")
    return (best[1], best[2]) if best else None
