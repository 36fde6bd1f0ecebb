"""The trade grammar: a matrix of paraphrases, each read to one measure, period and question."""

from __future__ import annotations

from datetime import date

import pytest

from briefing.ask.grammar import Asked, Claim, Measure, parse

AS_OF = date(2026, 11, 23)
T, X, M, B = Measure.TOTAL, Measure.EXPORTS, Measure.IMPORTS, Measure.BALANCE

# (question, measure, period labels, what is asked)
MATRIX = [
    # China's exports = what Russia bought from China = what China sold / shipped to Russia
    ("how much did russia buy from china in 2024", X, ["2024"], Asked.VALUE),
    ("russia's imports from china in 2024", X, ["2024"], Asked.VALUE),
    ("what did china sell to russia in 2024", X, ["2024"], Asked.VALUE),
    ("chinese goods shipped to russia in 2024", X, ["2024"], Asked.VALUE),
    ("china's exports to russia 2024", X, ["2024"], Asked.VALUE),
    ("exports from china to russia in 2024", X, ["2024"], Asked.VALUE),
    ("imports into russia from china, 2024", X, ["2024"], Asked.VALUE),
    # China's imports = what Russia sold to China
    ("what did russia sell to china in 2022", M, ["2022"], Asked.VALUE),
    ("russian exports to china 2022", M, ["2022"], Asked.VALUE),
    ("china's imports from russia in 2022", M, ["2022"], Asked.VALUE),
    ("how much did china purchase from russia in 2022", M, ["2022"], Asked.VALUE),
    ("goods sold by russia to china in 2022", M, ["2022"], Asked.VALUE),
    ("china imported how much from russia in 2022", M, ["2022"], Asked.VALUE),
    ("russia to china shipments in 2022", M, ["2022"], Asked.VALUE),
    # total
    ("china russia trade 2023", T, ["2023"], Asked.VALUE),
    ("bilateral turnover in 2023", T, ["2023"], Asked.VALUE),
    ("trade between moscow and beijing back in 2023", T, ["2023"], Asked.VALUE),
    # balance
    ("china's trade surplus with russia in 2024", B, ["2024"], Asked.VALUE),
    ("russia's deficit with china 2024", B, ["2024"], Asked.VALUE),
    ("trade balance 2024", B, ["2024"], Asked.VALUE),
    # periods
    ("trade in june 2025 alone", T, ["Jun 2025"], Asked.VALUE),
    ("trade in 2024-12", T, ["Dec 2024"], Asked.VALUE),
    ("trade in 06/2022", T, ["Jun 2022"], Asked.VALUE),
    ("trade for the month of march 2020", T, ["Mar 2020"], Asked.VALUE),
    ("trade in q1 2020", T, ["Jan–Mar 2020"], Asked.VALUE),
    ("trade in the third quarter of 2023", T, ["Jul–Sep 2023"], Asked.VALUE),
    ("2023 q4 trade", T, ["Oct–Dec 2023"], Asked.VALUE),
    ("trade in the first half of 2025", T, ["Jan–Jun 2025"], Asked.VALUE),
    ("h2 2024 trade", T, ["Jul–Dec 2024"], Asked.VALUE),
    ("trade in the first 11 months of 2023", T, ["Jan–Nov 2023"], Asked.VALUE),
    ("trade in the first nine months of 2023", T, ["Jan–Sep 2023"], Asked.VALUE),
    ("turnover jan-nov 2023", T, ["Jan–Nov 2023"], Asked.VALUE),
    ("trade from january to june 2025", T, ["Jan–Jun 2025"], Asked.VALUE),
    ("trade from 2019 to 2021", T, ["2019–2021"], Asked.VALUE),
    ("trade between 2022 and 2024", T, ["2022–2024"], Asked.VALUE),
    ("trade last year", T, ["2025"], Asked.VALUE),
    ("trade the year before last", T, ["2024"], Asked.VALUE),
    ("trade so far this year", T, ["Jan–Oct 2026"], Asked.VALUE),
    # comparisons and growth
    ("2022 vs 2023 trade", T, ["2022", "2023"], Asked.COMPARE),
    ("compare trade in 2019 and 2024", T, ["2019", "2024"], Asked.COMPARE),
    ("how did trade in 2020 compare with 2019", T, ["2020", "2019"], Asked.COMPARE),
    ("how much did trade grow in 2023", T, ["2023"], Asked.CHANGE),
    ("percentage change in trade in 2024", T, ["2024"], Asked.CHANGE),
    ("which year saw the highest trade", T, [], Asked.HIGHEST),
    ("the record year for bilateral trade", T, [], Asked.HIGHEST),
    ("in which year was trade lowest", T, [], Asked.LOWEST),
    # a comparative with two periods compares them; figure verbs and fillers leave nothing over
    ("was trade bigger in 2021 or in 2020", T, ["2021", "2020"], Asked.COMPARE),
    ("did russia sell more to china in 2019 than in 2022", M, ["2019", "2022"], Asked.COMPARE),
    ("what deficit did russia run with china in 2020", B, ["2020"], Asked.VALUE),
    ("how high did trade stand at in 2021", T, ["2021"], Asked.VALUE),
    ("russian sales to china 2019", M, ["2019"], Asked.VALUE),
    ("china russia trade 2022 pls", T, ["2022"], Asked.VALUE),
]


@pytest.mark.parametrize(("text", "measure", "labels", "asked"), MATRIX)
def test_paraphrases(text: str, measure: Measure, labels: list[str], asked: Asked) -> None:
    q = parse(text, AS_OF)
    assert q.measure is measure
    assert [p.label for p in q.periods] == labels
    assert q.asked is asked
    assert q.whole_trade, q.residual


@pytest.mark.parametrize(
    ("text", "claim"),
    [
        ("why did trade collapse in 2023", Claim.FALL),
        ("why did china-russia trade drop in 2022?", Claim.FALL),
        ("why did trade keep rising in 2025", Claim.RISE),
        ("how much did trade fall in 2025", None),  # no "why": a question, not a premise
    ],
)
def test_premises(text: str, claim: Claim | None) -> None:
    assert parse(text, AS_OF).claim is claim


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("did chinese vehicle exports to russia fall in 2025", {"vehicle"}),
        ("how much steel did china export to russia in 2023", {"steel"}),
        ("what share of russia's imports come from china", {"share"}),
        ("what does russia sell to china?", {"composition"}),
    ],
)
def test_narrower_subjects_are_left_for_retrieval(text: str, left: set[str]) -> None:
    q = parse(text, AS_OF)
    assert left <= set(q.residual)
    assert not q.whole_trade


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("what does russia sell to china?", M),
        ("what goods does china buy from russia", M),
        ("what does china export to russia", X),
        ("russia's main imports from china", X),
        ("china's key exports", X),
        ("main exports", None),
    ],
)
def test_the_direction_of_goods_is_read_for_questions_about_what_is_traded(
    text: str, direction: Measure | None
) -> None:
    q = parse(text, AS_OF)
    assert q.direction is direction
    assert "composition" in q.residual


def test_currency() -> None:
    assert parse("trade in yuan in 2024", AS_OF).currency == "cny"
    assert parse("trade in 2024", AS_OF).currency is None
