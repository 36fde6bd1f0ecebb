"""Held-out questions: scored on every run, never used to choose a rule or a threshold.

Written from data/ and the five seed articles before the engine existed, in analysts' and
journalists' own words (typos, lower case, clauses first). The test prints this part's score
but not its failures. As-of date: the test context's (2026-11-23).
"""

from __future__ import annotations

from tests.ask_bank.checks import (
    Added,
    Balance,
    BankQuestion,
    Change,
    Compare,
    Extreme,
    LinkedAdded,
    Listed,
    NotListed,
    NotLoaded,
    Premise,
    Trade,
    TradeOrNearest,
    events,
    facts,
    no,
    q,
)

HELD_OUT: tuple[BankQuestion, ...] = (
    # ---- whole trade, by year
    q("How big was China-Russia trade in 2022?", Trade("2022")),
    q("bilateral turnover 2019", Trade("2019")),
    q("what was the value of sino-russian trade in 2021", Trade("2021")),
    q("In 2024, how much did Russia and China trade with each other?", Trade("2024")),
    q("trade volume between moscow and beijing in 2020?", Trade("2020")),
    q("russia china trad 2023", Trade("2023")),
    q("What did trade between the two countries come to last year?", Trade("2025")),
    q("total commerce russia-china 2025", Trade("2025"), bare=True),
    q("turnover with china back in 2019, how much", Trade("2019")),
    q("how much was china–russia trade worth in 2023", Trade("2023")),
    # ---- direction
    q("How much did Russia buy from China in 2024?", Trade("2024", "exports")),
    q("what did russia sell to china in 2022", Trade("2022", "imports")),
    q("china's imports from russia, 2019", Trade("2019", "imports")),
    q("value of chinese goods shipped to russia in 2020", Trade("2020", "exports")),
    q("how much did china ship to russia in december 2024", Trade("2024-12", "exports")),
    q("Russian exports to China in 2024?", Trade("2024", "imports")),
    q("in 2022 what did china export to russia", Trade("2022", "exports")),
    q("how much did china purchase from russia in june 2023", Trade("2023-06", "imports")),
    q("russia's imports from china in august 2023", Trade("2023-08", "exports")),
    q("what did china sell russia in 2023", TradeOrNearest("2023", "exports")),
    q("how much did russia export to china in 2021", TradeOrNearest("2021", "imports")),
    q("china imported how much from russia in 2025", TradeOrNearest("2025", "imports")),
    # ---- periods
    q("trade in june 2025 alone", Trade("2025-06")),
    q("china russia trade for the month of december 2024", Trade("2024-12")),
    q("what was trade in 2023-08", Trade("2023-08")),
    q("trade in 06/2022", Trade("2022-06")),
    q("how much trade was there in the first six months of 2023", Trade("2023-01/2023-06")),
    q("turnover jan-sep 2023", Trade("2023-01/2023-09")),
    q("first 11 months of 2023: total trade?", Trade("2023-01/2023-11")),
    q("trade in the first two months of 2024", Trade("2024-01/2024-02")),
    q("h1 2020 china russia trade", Trade("2020-01/2020-06")),
    q("russia-china trade in the first half of 2023", Trade("2023-01/2023-06")),
    q("trade in q1 2020", TradeOrNearest("2020-01/2020-03")),
    q(
        "what was china russia trade in the third quarter of 2023",
        TradeOrNearest("2023-07/2023-09"),
    ),
    q("second half of 2024 trade", TradeOrNearest("2024-07/2024-12")),
    q("trade in may 2021", Trade("2021-05")),
    q("how much did they trade in march 2020", Trade("2020-03")),
    q("trade in october 2022", TradeOrNearest("2022-10")),
    q("trade this year so far", no("2026")),
    q("trade from 2019 to 2021", Trade("2019"), Trade("2020"), Trade("2021")),
    # ---- comparisons, growth, records, balance
    q("2022 vs 2023 trade", Compare("2022", "2023")),
    q("compare trade in 2019 and 2024", Compare("2019", "2024")),
    q("by how much did trade grow in 2022", Change("2022")),
    q("did bilateral trade shrink in 2020?", Change("2020")),
    q("percentage change in trade in 2024", Change("2024")),
    q("which year saw the highest china-russia trade", Extreme("high")),
    q("in which year was trade lowest", Extreme("low")),
    q("what was china's trade surplus with russia in 2024", Balance("2024")),
    q("russia's trade balance with china 2022", Balance("2022")),
    q("did china run a deficit with russia in 2019", Balance("2019")),
    q("why did china-russia trade collapse in 2023?", Premise("2023")),
    q("why did trade with russia drop in 2022", Premise("2022")),
    q("why did trade keep rising in 2025", Premise("2025")),
    # ---- yuan
    q("trade in yuan in 2024", facts("trade-total-2024-cny-reuters")),
    q("how many renminbi was bilateral trade worth in 2025", facts("trade-total-2025-cny")),
    # ---- cars
    q("chinese brands share of the russian car market 2024", facts("cars-cn-share-2024-cpca")),
    q(
        "how much of russia's new-car market did chinese makers control in 2023",
        facts(
            "cars-cn-share-2023-globaldata",
            "cars-cn-share-2023-otkritie",
            "cars-cn-share-2023-peak-reuters",
        ),
    ),
    q("avtovaz production cut", facts("cars-avtovaz-production-cut-2025")),
    q("did lada's maker go to shorter working weeks", facts("cars-avtovaz-four-day-week-2025-09")),
    q("how many chinese cars were sold in russia in 2023", facts("cars-cn-sales-ru-2023-otkritie")),
    q(
        "by how much did chinese car exports to russia rise up to 2024",
        facts("cars-cn-exports-ru-growth-2022-2024-seed002"),
    ),
    q("did china overtake japan in car exports", facts("cars-cn-top-exporter-2023")),
    q(
        "chinese car sales in russia fell how much in 2025",
        facts("cars-cn-sales-ru-change-2025-9m-cpca"),
    ),
    q(
        "the avtovaz boss accused china of what",
        events("corporate-avtovaz-dumping-accusation-2024-12"),
    ),
    # ---- technology
    q(
        "What share of Russia's semiconductor imports came from China and HK after the invasion?",
        facts("technology-chips-share-2022-03-2023-09-cn-hk-nyt"),
    ),
    q(
        "machine tool imports from china share",
        facts("technology-machine-tools-cn-share-2024-us-state"),
    ),
    q(
        "how much telecom equipment did russia import from china in 2023",
        facts("technology-telecom-equipment-2023"),
    ),
    q(
        "hong kong integrated circuit exports to russia 2022",
        facts("technology-ic-hk-value-2022-carnegie"),
    ),
    q(
        "transshipment of battlefield items via mainland china in 2024",
        facts("technology-chpl-via-mainland-change-2024-jan-may"),
    ),
    q(
        "computer chips from china and hong kong in 2022, what share",
        facts("technology-chips-share-2022-cn-hk-scmp"),
    ),
    # ---- energy
    q("power of siberia gas flow 2021", facts("energy-power-of-siberia-2021")),
    q("How much gas did Power of Siberia carry in 2024?", facts("energy-power-of-siberia-2024")),
    q(
        "whats the design capacity of power of siberia",
        facts("energy-power-of-siberia-capacity-2024-12-01-design"),
    ),
    q(
        "value of china's crude imports from russia jan-nov 2025",
        facts("energy-cn-crude-imports-ru-value-2025-jan-nov"),
    ),
    q("did china become russia's top energy buyer", facts("energy-cn-largest-buyer-2023-12")),
    q("what is the capacity of power of siberia 2?", no()),
    q("how much gas flowed through power of siberia 2 in 2024", no()),
    # ---- payments
    q(
        "share of russia-china trade settled in rubles and yuan in 2023",
        facts("payments-rub-cny-share-2023-11-belousov"),
    ),
    q(
        "what did putin say at the sco about payments in national currencies",
        facts("payments-rub-cny-share-2023-07-putin-sco"),
    ),
    q(
        "in 2020 how much of trade was in national currencies",
        facts("payments-rub-cny-share-2020-9m-rt"),
    ),
    # ---- investment and diplomacy
    q("chinese fdi in russia per year", facts("investment-cn-ru-avg-2025-milov")),
    q("was russia dropped from the belt and road", facts("investment-bri-dropped-russia-2022")),
    q(
        "which meeting between putin and xi was the may 2024 one",
        facts("diplomacy-putin-xi-43rd-meeting-2024-05"),
    ),
    q("did they hit the $200bn trade target", facts("diplomacy-trade-target-200bn-met-2023")),
    q("coal tariffs china russia", facts("trade-cn-coal-tariffs-2024-01")),
    q("does china still ban russian barley", facts("trade-cn-ban-ru-wheat-barley-2025")),
    q(
        "share of russia's imports that come from china in 2023",
        facts("trade-cn-share-ru-imports-2023-bofit"),
    ),
    # ---- timeline
    q("what happened in 2022?", events("policy-cn-drops-russia-from-bri-financing-2022")),
    q("events in december 2024", events("energy-power-of-siberia-design-capacity-2024-12-01")),
    q("high-speed rail moscow kazan crrc", events("corporate-moscow-kazan-hsr-paused-2025")),
    # ---- sanctions
    q("Is Sovcombank under US sanctions?", Listed("SOVCOMBANK")),
    q("has ofac sanctioned alrosa", Listed("ALROSA")),
    q("was Bystrobank hit in the 23 February 2024 OFAC action?", Listed("BYSTROBANK")),
    q("under which programme is Wuhan Maiwe listed", Listed("WUHAN MAIWE")),
    q("is huawei on the sdn list", NotListed("huawei")),
    q("how many designations did OFAC add on 23 Feb 2024", Added("2024-02-23")),
    q(
        "how many entries were removed from the sdn list on feb 23 2024",
        Added("2024-02-23", removed=True),
    ),
    q("which chinese companies were added on 23 february 2024", LinkedAdded("2024-02-23", "China")),
    q("is sberbank on the EU sanctions list?", NotLoaded("EU")),
    q("is huawei on the commerce entity list", NotLoaded("Entity List")),
    # ---- outside the data
    q("what is china's trade with brazil", no()),
    q("how much did russia trade with china in 2010", no("2010")),
    q("forecast china russia trade 2028", no()),
    q("what's the population of harbin", no()),
    q("how much did the tesla shanghai plant cost", no()),
    q("chinese car brands' share in russia in 2020", no("2020")),
    q("how much gas did power of siberia deliver in 2017", no("2017")),
    q("price of a haval in moscow", no()),
    q("how many soldiers has russia lost", no()),
)
