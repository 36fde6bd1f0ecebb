"""Name keys for fuzzy matching: one spelling for the many ways a name is written.

``name_key("ООО «Уханъ Майве»")``, ``name_key("Wuhan Maiwe Co., Ltd.")`` and the like fold case,
accents and punctuation, transliterate Cyrillic, drop legal-form words (CO LTD, LLC, OOO, JSC,
...) and merge the usual transliteration variants (ks/x, iy/y/ii, yu/iu, ya/ia, shch, zh/zj,
kh/h, ts/tz, ё/e) so that the scorer compares what is left.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

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
    r"|obshchestvo s ogranichenno[a-z]* otvetstvenno[a-z]*"
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
    lowered = text.lower()
    if lowered.isascii():  # the common case: no Cyrillic, no accents; joiners by hand
        lowered = lowered.replace("&", " and ").replace(".", "").replace("'", "").replace("`", "")
        return _NON_WORD.sub(" ", lowered).strip()
    lowered = lowered.translate(_TRANSLIT).replace("&", " and ")
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


# --- tokens for the screening matcher ---------------------------------------------------

# Abbreviations written either way on lists and in queries: both sides are brought to the
# short form, so "Cady Tech Hong Kong Limited" and "CADY TECH HK LIMITED" read the same.
_PHRASES: dict[tuple[str, ...], str] = {
    ("hong", "kong"): "hk",
    ("private", "military", "company"): "pmc",
    ("united", "arab", "emirates"): "uae",
    ("united", "kingdom"): "uk",
    ("united", "states"): "us",
}
_SHORT_FORMS = {
    **dict.fromkeys(("technology", "technologies", "technological", "techn"), "tech"),
    **dict.fromkeys(("international", "internacional", "internatsional"), "intl"),
    **dict.fromkeys(("manufacturing", "manufacture"), "mfg"),
    **dict.fromkeys(("brothers", "brother"), "bros"),
    **dict.fromkeys(("national",), "natl"),
    **dict.fromkeys(("engineering", "engg"), "eng"),
    **dict.fromkeys(("holdings",), "holding"),
    **dict.fromkeys(("industries", "industry", "industrial"), "ind"),
    **dict.fromkeys(("electronics", "electronic"), "electron"),
    **dict.fromkeys(("services", "service"), "svc"),
    **dict.fromkeys(("corporation",), "corp"),
    **dict.fromkeys(("company",), "co"),
    **dict.fromkeys(("saint",), "st"),
    **dict.fromkeys(("imp",), "import"),
    **dict.fromkeys(("exp",), "export"),
    **dict.fromkeys(("ibn",), "bin"),
}
# Legal-form words rigour's org-type table leaves behind (rigour removes "LLC", "OOO", "Sp. z
# o.o.", "Aktsionernoe obshchestvo"… as whole forms; these are the loose words around them).
LEFTOVER_FORMS = frozenset(
    {"co", "corp", "inc", "ltd", "limited", "llc", "pvt", "plc", "sa", "sal", "jsc", "oao",
     "ooo", "ao", "zao", "pao", "pjsc", "ojsc", "cjsc", "gmbh", "ag", "kg", "bv", "nv",
     # the words of "limited liability company" / "joint stock company" in another order
     "liability", "joint", "stock"}
)  # fmt: skip
# Forms sometimes written glued to the name ("JSCARGUMENT", "OOOINSTAR").
_GLUED_FORMS = ("ojsc", "pjsc", "cjsc", "jsc", "ooo", "llc", "oao", "ltd")
_NAME_FILLERS = frozenset({"and", "the", "of", "de", "la", "el", "der", "des", "du", "y", "i"})
# Word-end spellings of the same sound: Sergei / Sergej / Sergey, Serej.
_WORD_END = re.compile(r"(?:ei|ej|ij|yj)\b")


def _remove_org_types(text: str) -> str:
    """The name without its legal form, by OpenSanctions' rigour org-type table (OOO, LLC, JSC,
    Sp. z o.o., Aktsionernoe obshchestvo, Limited Liability Company, ...)."""
    # Cold start: the name libraries load with the first name matched.
    from rigour.names import remove_org_types  # noqa: PLC0415

    removed = remove_org_types(text)
    return removed if removed.strip() else text


_PHRASE_STARTS = frozenset(phrase[0] for phrase in _PHRASES)


def _canonical(words: list[str]) -> list[str]:
    if _PHRASE_STARTS.isdisjoint(words):
        return [_SHORT_FORMS.get(w, w) for w in words]
    out: list[str] = []
    at = 0
    while at < len(words):
        for phrase, short in _PHRASES.items():
            if tuple(words[at : at + len(phrase)]) == phrase:
                out.append(short)
                at += len(phrase)
                break
        else:
            out.append(_SHORT_FORMS.get(words[at], words[at]))
            at += 1
    return out


def _unglue(word: str) -> str:
    if not (word.startswith(_GLUED_FORMS) or word.endswith(_GLUED_FORMS)):
        return word
    for form in _GLUED_FORMS:
        if len(word) >= len(form) + 4 and word != form:
            if word.startswith(form):
                return word[len(form) :]
            if word.endswith(form):
                return word[: -len(form)]
    return word


@lru_cache(maxsize=262_144)
def spell(word: str) -> str:
    """One spelling for the usual transliteration variants of a word (Zhuravleva/Zjuravleva,
    Yuri/Iurii, Sergei/Sergej/Sergey)."""
    word = _WORD_END.sub("ey", word)
    word = _VARIANT_RE_1.sub(lambda m: _VARIANTS_1[m.group(0)], word)
    return _VARIANT_RE_2.sub(lambda m: _VARIANTS_2[m.group(0)], word)


# Every match of _LEGAL_PHRASES holds one of these: a cheap first test.
_LEGAL_PHRASE_KEYS = ("joint stock company", "limited liability", "obshchestvo", "tovaristvo")


@lru_cache(maxsize=262_144)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    """The folded words of one whitespace-separated piece of a name, fillers left out."""
    return tuple(w for w in fold(chunk).split() if w not in _NAME_FILLERS)


def name_tokens(text: str, *, organisation: bool = True) -> tuple[str, ...]:
    """The words a name is matched on: folded, transliterated, legal form removed (for
    organisations), abbreviations brought to one form, spelling variants merged.

    ``name_tokens("CADY TECH HK LIMITED") == name_tokens("Cady Technology Hong Kong Ltd.")``.
    """
    lowered = text.lower()
    if not organisation:
        return _person_tokens(lowered)
    return _organisation_tokens(lowered)


@lru_cache(maxsize=262_144)
def _person_tokens(lowered: str) -> tuple[str, ...]:
    """A person's name (or a part of it: family names and given names recur across a list)
    folded word by word: folding never joins or moves words, each word folded once."""
    words = [w for chunk in lowered.split() for w in _chunk_words(chunk)]
    return tuple(spell(w) for w in _canonical(words))


def _organisation_folded(lowered: str) -> str:
    """An organisation's name without its legal form and object prefix, folded."""
    # Cold start: the name libraries load with the first name matched.
    from rigour.names import remove_obj_prefixes  # noqa: PLC0415

    lowered = remove_obj_prefixes(_remove_org_types(lowered)) or lowered
    folded = fold(lowered)
    if any(key in folded for key in _LEGAL_PHRASE_KEYS):
        folded = _LEGAL_PHRASES.sub(" ", folded)
    return folded


@lru_cache(maxsize=65_536)
def _organisation_tokens(lowered: str) -> tuple[str, ...]:
    folded = _organisation_folded(lowered)
    words = [_unglue(w) for w in folded.split() if w not in _NAME_FILLERS]
    words = _canonical(words)
    # A letter left by a removed form ("S.A.L." → "l") is noise in a company name.
    core = [w for w in words if w not in LEFTOVER_FORMS and (len(w) > 1 or w.isdigit())]
    return tuple(spell(w) for w in core or words)


class NameTokens:
    """:func:`name_tokens` of many names, as an index build needs them: each distinct
    whitespace-separated chunk of a person's name, each distinct organisation name and each
    distinct word of an organisation's folded name worked out once, in dicts that live as
    long as this object. Gives exactly what :func:`name_tokens` gives."""

    def __init__(self) -> None:
        self._chunks: dict[str, tuple[str, ...] | None] = {}
        self._organisations: dict[str, tuple[str, ...]] = {}
        self._org_words: dict[str, tuple[str, bool] | None] = {}

    def person(self, text: str) -> tuple[str, ...]:
        """``name_tokens(text, organisation=False)``."""
        lowered = text.lower()
        # Folding never joins or moves words, and away from the first word of a phrase
        # ("hong kong") each word is brought to its short form and spelt on its own.
        chunks = self._chunks
        out: tuple[str, ...] = ()
        for chunk in lowered.split():
            if chunk in chunks:
                words = chunks[chunk]
            else:
                folded = _chunk_words(chunk)
                words = chunks[chunk] = (
                    tuple(spell(_SHORT_FORMS.get(w, w)) for w in folded)
                    if _PHRASE_STARTS.isdisjoint(folded)
                    else None
                )
            if words is None:
                return _person_tokens(lowered)
            out += words
        return out

    def organisation(self, text: str) -> tuple[str, ...]:
        """``name_tokens(text)``."""
        lowered = text.lower()
        found = self._organisations.get(lowered)
        if found is None:
            found = self._organisations[lowered] = self._organisation(lowered)
        return found

    def _organisation(self, lowered: str) -> tuple[str, ...]:
        folded = _organisation_folded(lowered)
        # Word by word (fillers out, unglued, short form, kept or not, spelt) unless a word
        # starts a phrase ("hong kong"): then the whole name as _organisation_tokens does it.
        cache = self._org_words
        core: list[str] = []
        spelt: list[str] = []
        for word in folded.split():
            if word in cache:
                found = cache[word]
            else:
                found = cache[word] = self._org_word(word)
            if found is None:
                continue
            if not found[0]:
                return _organisation_tokens(lowered)
            spelt.append(found[0])
            if found[1]:
                core.append(found[0])
        return tuple(core or spelt)

    @staticmethod
    def _org_word(word: str) -> tuple[str, bool] | None:
        """None for a filler; ("", False) for a word that may start a phrase; else the word
        spelt and whether it is kept beside the others (not a leftover form or a letter)."""
        if word in _NAME_FILLERS:
            return None
        unglued = _unglue(word)
        if unglued in _PHRASE_STARTS:
            return "", False
        short = _SHORT_FORMS.get(unglued, unglued)
        keep = short not in LEFTOVER_FORMS and (len(short) > 1 or short.isdigit())
        return spell(short), keep
