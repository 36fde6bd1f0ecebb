"""Name keys for fuzzy matching: one spelling for the many ways a name is written.

``name_key("ООО «Уханъ Майве»")``, ``name_key("Wuhan Maiwe Co., Ltd.")`` and the like fold case,
accents and punctuation, transliterate Cyrillic, drop legal-form words (CO LTD, LLC, OOO, JSC,
...) and merge the usual transliteration variants (ks/x, iy/y/ii, yu/iu, ya/ia, shch, zh/zj,
kh/h, ts/tz, ё/e) so that the scorer compares what is left.
"""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u",
}  # fmt: skip
_TRANSLIT = str.maketrans(_CYRILLIC)

# Dots and apostrophes join (S.A. → SA, O'Brien → OBrien); other punctuation separates words.
_JOINERS = str.maketrans("", "", ".'’`ʼ")
_NON_WORD = re.compile(r"[^a-z0-9]+")

LEGAL_FORM_WORDS = frozenset(
    {
        *("co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited"),
        *("llc", "llp", "lp", "plc", "ooo", "ao", "jsc", "pjsc", "ojsc", "cjsc", "oao", "zao"),
        *("pao", "tov", "pat", "prat", "gmbh", "ag", "sa", "sarl", "sro", "srl", "spa", "bv"),
        *("nv", "kg", "pte", "pvt", "fze", "fzco", "fzc", "fz", "dmcc", "trading"),
        # the words of "joint stock company" and "limited liability company" in any order
        *("joint", "stock", "liability"),
    }
)
_LEGAL_PHRASES = re.compile(
    r"\b(?:"
    r"(?:open |closed |public |private |non public )?joint stock company"
    r"|limited liability (?:company|partnership)"
    r"|obshchestvo s ogranichennoy otvetstvennostyu"
    r"|(?:publichnoe |otkrytoe |zakrytoe )?aktsionernoe obshchestvo"
    r"|tovaristvo z obmezhenoyu vidpovidalnistyu"
    r"|(?:publichne |privatne )?aktsionerne tovaristvo"
    r")\b"
)
_FILLER_WORDS = frozenset({"and", "the", "of"})

_VARIANTS_1 = {
    "shch": "sh", "sch": "sh", "zh": "j", "zj": "j", "kh": "h", "ks": "x", "cs": "x", "tz": "ts",
    "iy": "y", "ii": "y", "ij": "y", "yy": "y",
}  # fmt: skip
_VARIANTS_2 = {
    "yu": "iu", "ya": "ia", "ye": "ie", "yo": "e", "ju": "iu", "ja": "ia", "je": "ie",
}  # fmt: skip
_VARIANT_RE_1 = re.compile("|".join(sorted(_VARIANTS_1, key=len, reverse=True)))
_VARIANT_RE_2 = re.compile("|".join(_VARIANTS_2))


def fold(text: str) -> str:
    """Lower case, Cyrillic → Latin, no accents, words separated by single spaces."""
    lowered = text.lower().translate(_TRANSLIT).replace("&", " and ")
    if not lowered.isascii():
        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", lowered.translate(_JOINERS)).strip()


def name_key(text: str) -> str:
    """The matching key of a name (empty when nothing meaningful is left)."""
    folded = fold(text)
    without_phrases = _LEGAL_PHRASES.sub(" ", folded)
    words = [w for w in without_phrases.split() if w not in _FILLER_WORDS]
    core = [w for w in words if w not in LEGAL_FORM_WORDS]
    if core:
        words = core
    key = " ".join(words)
    key = _VARIANT_RE_1.sub(lambda m: _VARIANTS_1[m.group(0)], key)
    return _VARIANT_RE_2.sub(lambda m: _VARIANTS_2[m.group(0)], key)
