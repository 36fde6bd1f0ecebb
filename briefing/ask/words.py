"""Text into words: the normalising every stage of ``ask`` shares.

Lower case, typographic quotes and dashes made plain, a light stemmer (plurals, possessives),
and the words that carry no subject (question words, fillers, units). No synonym lists: words
that mean the same are brought together by the facts' own keywords and the embeddings.
"""

from __future__ import annotations

import re

_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "→": " to "})


def plain(text: str) -> str:
    """Lower case, plain quotes and dashes, single spaces."""
    return " ".join(text.translate(_PLAIN).lower().split())


def stem(word: str) -> str:
    """``russia's`` → ``russia``, ``supplies`` → ``supply``, ``cars`` → ``car``."""
    if word.endswith("'s"):
        word = word[:-2]
    word = word.strip("'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        return word[:-1]
    return word


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    """Every word of ``text``, stemmed (numbers kept as they are)."""
    return [stem(w) for w in _WORD.findall(plain(text).replace(",", ""))]


# Words that say nothing about what is asked: question words, fillers, generic nouns, units.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "into",
        "over",
        "under",
        "than",
        "then",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "doe",
        "did",
        "done",
        "ha",
        "has",
        "have",
        "had",
        "having",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "much",
        "many",
        "tell",
        "me",
        "u",
        "please",
        "give",
        "show",
        "i",
        "we",
        "you",
        "they",
        "he",
        "she",
        "my",
        "our",
        "your",
        "their",
        "any",
        "some",
        "all",
        "also",
        "so",
        "still",
        "now",
        "currently",
        "current",
        "today",
        "latest",
        "recent",
        "recently",
        "ever",
        "yet",
        "just",
        "per",
        "according",
        "say",
        "said",
        "report",
        "reported",
        "happen",
        "really",
        "very",
        "more",
        "most",
        "less",
        "least",
        "far",
        "know",
        "each",
        "other",
        "against",
        "up",
        "off",
        "out",
        "them",
        "whether",
        "every",
        "again",
        "thing",
        "like",
        "such",
        "value",
        "amount",
        "figure",
        "number",
        "level",
        "size",
        "worth",
        "total",
        "overall",
        "roughly",
        "approximately",
        "about",
        "around",
        "exactly",
        "estimate",
        "bn",
        "billion",
        "million",
        "trillion",
        "usd",
        "dollar",
        "dollars",
        "money",
        "us$",
        "sum",
        "data",
        "stat",
        "statistic",
        "info",
        "information",
        "number",
        "numbers",
        "come",
        "came",
        "go",
        "went",
        "get",
        "got",
        "saw",
        "see",
        "seen",
        "look",
        "looked",
        "make",
        "made",
        "take",
        "took",
        # chat fillers and words for "goods in general"
        "pls",
        "plz",
        "thanks",
        "thx",
        "hey",
        "hi",
        "ok",
        "stuff",
        "thing",
    ]
)


def content_words(text: str) -> list[str]:
    """The stemmed words of ``text`` that can carry a subject, in order, without repeats."""
    return list(dict.fromkeys(w for w in words(text) if w not in STOPWORDS))
