"""What a reviewer checks a hit against: dates and places of birth, nationality, passport,
registration and tax numbers, read from an entry's remarks.

OFAC writes them as ``; ``-separated clauses — ``DOB 07 Oct 1952; POB Leningrad, Russia;
nationality Russia; Passport 98044 (Syria); Unified Social Credit Code (USCC)
9142010030349268X3 (China); alt. DOB 1958`` — and OpenSanctions' exports carry the same facts in
the ``details`` this project stores with each entry (``born 1952-10-07``, ``ids …``). Only the
labels below are read; sanctions-risk notes, directives and links stay in the remarks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (label as shown, pattern of the clause's start); the rest of the clause is the value.
_LABELS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(rf"^(?:alt\.\s*)?{pattern}\s*[:#]?\s*(?P<value>.+)$", re.IGNORECASE))
    for label, pattern in (
        ("DOB", r"DOB\b"),
        ("POB", r"POB\b"),
        ("nationality", r"nationality\b"),
        ("citizen", r"citizen\b"),
        ("gender", r"Gender\b"),
        ("passport", r"(?:Diplomatic |Service )?Passport(?: No\.?)?"),
        (
            "national ID",
            r"(?:National ID No\.|Cedula No\.|Personal ID Card|Identification Number|"
            r"National Foreign ID Number|Kenyan ID No\.|C\.U\.R\.P\.)",
        ),
        ("USCC", r"Unified Social Credit Code \(USCC\)"),
        ("tax ID", r"(?:Tax ID No\.|RFC|NIT #|RUC #|V\.A\.T\. Number|C\.U\.I\.T\.)"),
        (
            "registration",
            r"(?:Business |Public |Commercial |Company )?(?:Registration|Registry|"
            r"Company) (?:Number|ID|Document #?|No\.)",
        ),
        ("registration", r"Government Gazette Number"),
        ("established", r"Organization Established Date"),
        ("IMO", r"(?:Vessel Registration Identification )?IMO"),
        ("MMSI", r"MMSI"),
        ("SWIFT/BIC", r"SWIFT/BIC"),
        ("website", r"Website"),
        ("email", r"Email Address"),
        ("aircraft", r"Aircraft (?:Manufacturer's Serial Number \(MSN\)|Model|Tail Number)"),
    )
)
# OpenSanctions entries keep identifiers in ``details`` ("Registration No. 1027739109133; INN
# 7707083893"), labelled by this project's parser.
_DETAIL = re.compile(
    r"^(?P<label>Registration No\.|INN|OGRN|Tax ID|ID|Identifiers|Position)\s+(?P<value>.+)$"
)
_DETAIL_LABELS = {"Registration No.": "registration", "Tax ID": "tax ID", "Identifiers": "ID"}


@dataclass(frozen=True, slots=True)
class Identifier:
    label: str  # "DOB", "passport", "USCC", …
    value: str  # as written, with the issuing country in brackets where given

    def __str__(self) -> str:
        return f"{self.label} {self.value}"


def identifiers(remarks: str, details: str = "") -> tuple[Identifier, ...]:
    """The identifying facts in an entry's remarks (and details), in the order written;
    alternatives (``alt. DOB 1958``) follow the first value of their label."""
    found: list[Identifier] = []
    for clause in [*re.split(r";\s*", remarks), *re.split(r";\s*", details)]:
        text = clause.strip().rstrip(".").strip()
        if not text:
            continue
        for label, pattern in _LABELS:
            match = pattern.match(text)
            if match:
                value = match.group("value").strip()
                if value and len(value) <= 160:
                    found.append(Identifier(label, value))
                break
    for clause in re.split(r";\s*", details):
        match = _DETAIL.match(clause.strip())
        if match and match.group("label") != "Position":
            label = _DETAIL_LABELS.get(match.group("label"), match.group("label"))
            found.append(Identifier(label, match.group("value").strip()))
    order = {label: at for at, (label, _) in enumerate(_LABELS)}
    return tuple(sorted(dict.fromkeys(found), key=lambda i: order.get(i.label, len(order))))


def birth_years(found: tuple[Identifier, ...]) -> set[int]:
    """The years of the DOB values (``07 Oct 1952``, ``circa 1975``, ``1973 to 1975``)."""
    years: set[int] = set()
    for item in found:
        if item.label == "DOB":
            numbers = [int(y) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", item.value)]
            if len(numbers) == 2 and " to " in item.value:
                years.update(range(min(numbers), max(numbers) + 1))
            else:
                years.update(numbers)
    return years
