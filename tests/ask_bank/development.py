"""Development questions: the engine's thresholds and fusion weights are chosen on these.

The first block is the bank the previous engine was built against; the rest was written with
the new engine's features in mind (directions, periods, comparisons, sanctions in words).
As-of date: the test context's (2026-11-23).
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

DEVELOPMENT: tuple[BankQuestion, ...] = (
    q(
        "what share of Russia's car market do Chinese brands have?",
        facts(
            "cars-cn-share-2023-globaldata",
            "cars-cn-share-2023-otkritie",
            "cars-cn-share-2023-peak-reuters",
            "cars-cn-share-2024-cpca",
            "cars-cn-share-2025-01-avtostat",
        ),
        bare=True,
    ),
    q(
        "how dominant are chinese carmakers in russia's market",
        facts("cars-cn-share-2025-01-avtostat"),
    ),
    q(
        "chinese auto brands market share in russia 2023",
        facts("cars-cn-share-2023-globaldata", "cars-cn-share-2023-otkritie"),
    ),
    q(
        "what slice of russian car sales did chinese makes have in 2021?",
        facts("cars-cn-share-2021-globaldata", "cars-cn-share-2021-cpca"),
    ),
    q(
        "how many cars did chinese automakers sell in russia in 2023?",
        facts("cars-cn-sales-ru-2023-otkritie"),
    ),
    q(
        "how big was auto exports growth",
        facts("cars-cn-exports-ru-growth-2022-2024-seed002"),
        bare=True,
    ),
    q(
        "did chinese vehicle exports to russia fall in 2025?",
        facts("cars-cn-vehicle-exports-ru-change-2025-jan-nov"),
    ),
    q(
        "how much did chinese car sales in russia drop in the first nine months of 2025",
        facts("cars-cn-sales-ru-change-2025-9m-cpca"),
    ),
    q("what happened to lada production at avtovaz?", facts("cars-avtovaz-production-cut-2025")),
    q("when did avtovaz go to a four-day week", facts("cars-avtovaz-four-day-week-2025-09")),
    q(
        "how much compensation do families of killed russian soldiers get",
        facts("cars-soldier-death-compensation-2023-gabuev"),
    ),
    q(
        "how does russia's car market compare with germany's",
        facts("cars-ru-market-vs-germany-2023-nyt"),
    ),
    q("is china now the world's biggest car exporter?", facts("cars-cn-top-exporter-2023")),
    q(
        "what share of Russia's chips come from China?",
        facts("technology-chips-share-2022-03-2023-09-cn-hk-nyt"),
        bare=True,
    ),
    q(
        "how much of russia's semiconductor imports came via china and hong kong before the war",
        facts("technology-chips-share-2021-cn-hk-prewar-nyt"),
    ),
    q(
        "microelectronics from china percentage in 2024",
        facts("technology-chips-share-2024-cn-us-state"),
    ),
    q(
        "how reliant is russia on chinese machine tools",
        facts("technology-machine-tools-cn-share-2024-us-state"),
    ),
    q(
        "value of chinese microelectronic components shipped to russia in 2022",
        facts("technology-microelectronics-cn-value-2022-carnegie"),
    ),
    q(
        "how much did hong kong send in integrated circuits to russia",
        facts("technology-ic-hk-value-2022-carnegie"),
    ),
    q(
        "are chip flows to russia through hong kong slowing down?",
        facts("technology-chpl-via-hk-change-2024-jan-may"),
    ),
    q(
        "what portion of russian tech imports came from china in 2023",
        facts("technology-tech-imports-cn-share-2023"),
    ),
    q(
        "how much telecom gear did russia buy from china",
        facts("technology-telecom-equipment-2023"),
    ),
    q(
        "russian online retailer computer hardware imports from china",
        facts("technology-ru-ecommerce-hardware-2023-nyt"),
    ),
    q("semiconducters from china share", facts("technology-chips-share-2022-03-2023-09-cn-hk-nyt")),
    q(
        "how much gas flows through power of siberia in 2023",
        facts("energy-power-of-siberia-2023"),
        bare=True,
    ),
    q("power of siberia volumes in 2020", facts("energy-power-of-siberia-2020")),
    q(
        "when did power of siberia hit its design capacity?",
        facts("energy-power-of-siberia-capacity-2024-12-01-design"),
    ),
    q(
        "how far will the power of siberia pipeline be upgraded",
        facts("energy-power-of-siberia-capacity-2025-upgrade"),
    ),
    q(
        "gas deliveries to china via the siberia pipeline in 2024",
        facts("energy-power-of-siberia-2024"),
    ),
    q(
        "is china russia's biggest energy customer?",
        facts("energy-cn-largest-buyer-2023-12"),
        bare=True,
    ),
    q(
        "what were china's crude purchases from russia worth in 2025",
        facts("energy-cn-crude-imports-ru-value-2025-jan-nov"),
    ),
    q(
        "did china buy less russian oil in 2025?",
        facts("energy-cn-crude-imports-ru-change-2025-jan-nov"),
    ),
    q("gazprom record daily gas supply to china", facts("energy-gazprom-daily-record-2023-12")),
    q(
        "are more gas pipelines to china being planned",
        facts("energy-power-of-siberia-pipelines-planned-2023"),
    ),
    q("is trade mostly settled in yuan?", facts("payments-rub-cny-share-2024-05-putin"), bare=True),
    q(
        "what did mishustin say about rubles and yuan",
        facts("payments-rub-cny-share-2023-12-mishustin"),
    ),
    q(
        "how much of the trade used national currencies in 2020",
        facts("payments-rub-cny-share-2020-9m-rt"),
    ),
    q(
        "share of payments in roubles and renminbi according to belousov",
        facts("payments-rub-cny-share-2023-11-belousov"),
    ),
    q(
        "what did siluanov say in april 2023 about settlement currencies",
        facts("payments-rub-cny-share-2023-04-siluanov"),
    ),
    q(
        "are they still paying each other in dollars?",
        facts("payments-rub-cny-share-2024-05-putin"),
    ),
    q(
        "how much chinese investment flows into russia these days",
        facts("investment-cn-ru-avg-2025-milov"),
    ),
    q(
        "did china kick russia out of belt and road financing",
        facts("investment-bri-dropped-russia-2022"),
    ),
    q(
        "did beijing warn carmakers against investing in russia",
        facts("investment-cn-mofcom-advice-carmakers-2025-07"),
    ),
    q(
        "how many times have putin and xi met",
        facts("diplomacy-putin-xi-43rd-meeting-2024-05"),
        bare=True,
    ),
    q(
        "was the 200 billion dollar trade goal reached?",
        facts("diplomacy-trade-target-200bn-met-2023"),
    ),
    q("when did xi meet mishustin", events("summit-xi-mishustin-beijing-2023-12")),
    q("when did china bring back tariffs on russian coal", facts("trade-cn-coal-tariffs-2024-01")),
    q("does china import russian wheat?", facts("trade-cn-ban-ru-wheat-barley-2025")),
    q(
        "what does russia sell to china?",
        facts("trade-ru-exports-structure-raw-2022-ru-customs"),
        bare=True,
    ),
    q(
        "share of machinery in russia's exports to china",
        facts("trade-ru-exports-structure-machinery-2022-ru-customs"),
    ),
    q(
        "what share of russia's imports come from china",
        facts("trade-cn-share-ru-imports-2023-bofit"),
    ),
    q("china's share of russian imports in 2022", facts("trade-cn-share-ru-imports-2022-iif")),
    q("what was china russia trade in 2024", Trade("2024")),
    q("how much did bilateral trade grow in 2023", Change("2023")),
    q("trade between china and russia in the first half of 2025", Trade("2025-01/2025-06")),
    q("how much did trade fall last year", Change("2025"), bare=True),
    q("turnover in january-november 2023", Trade("2023-01/2023-11")),
    q("how much did russia export to china in 2024", Trade("2024", "imports")),
    q("china–russia trade in december 2024", Trade("2024-12")),
    q("how large was trade in 2019", Trade("2019")),
    q("how many entities did ofac designate on 23 february 2024", Added("2024-02-23")),
    q(
        "were chinese buyers shunning russian energy after the invasion",
        facts("sanctions-cn-buyers-avoid-ru-energy-2022-03-bloomberg"),
    ),
    q(
        "what happened to the moscow to kazan high speed rail",
        events("corporate-moscow-kazan-hsr-paused-2025"),
    ),
    q(
        "is the rosneft cnpc tianjin refinery going ahead",
        events("corporate-tianjin-refinery-approved-2014"),
    ),
    q("how many bcm did power of siberia deliver in 2022?", facts("energy-power-of-siberia-2022")),
    q(
        "which share of new cars sold in russia in january 2025 were chinese",
        facts("cars-cn-share-2025-01-avtostat"),
    ),
    q("cpca figure for chinese cars in russia 2024", facts("cars-cn-share-2024-cpca")),
    q(
        "what did the nyt find about chips going to russia",
        facts("technology-chips-share-2022-03-2023-09-cn-hk-nyt"),
    ),
    q(
        "is china supplying russia's microelectronics",
        facts("technology-chips-share-2024-cn-us-state"),
    ),
    q(
        "what did putin say about yuan payments in may 2024",
        facts("payments-rub-cny-share-2024-05-putin"),
    ),
    q(
        "how much of russia's imports does china account for according to bofit",
        facts("trade-cn-share-ru-imports-2023-bofit"),
    ),
    q("china russia trade growth 2021", Change("2021")),
    q("total trade 2022", Trade("2022"), bare=True),
    q("how much did china import from russia in 2022", Trade("2022", "imports")),
    q("trade in june 2025", Trade("2025-06")),
    q(
        "what's happening with the russian coal industry",
        events("tariffs-cn-reintroduces-ru-coal-tariffs-2024-01"),
    ),
    q(
        "did russia leave the joint widebody jet project with china",
        events("corporate-russia-leaves-cr929-2025"),
    ),
    q(
        "how much has investment from china into russia fallen",
        facts("investment-cn-ru-avg-2025-milov"),
    ),
    q("years of culture", events("policy-years-of-culture-2024-2025"), bare=True),
    q("how many sdn entries were added under eo14024 in february 2024", Added("2024-02-23")),
    q("what is the price of lada cars", no()),
    q("china russia trade in 2027", no()),
    q("how much oil does saudi arabia export to china", no()),
    q("how much did russia's gdp grow", no()),
    q("what is the chinese car share in russia in 2022", no()),
    q("how many chinese cars were sold in russia in 2024", no()),
    q(
        "why are poorer russians buying chinese cars",
        facts("cars-soldier-death-compensation-2023-gabuev"),
    ),
    q(
        "did hong kong double its chip exports to russia",
        facts("technology-ic-hk-value-2022-carnegie"),
    ),
    q(
        "what fraction of russian exports to china is fuel and timber",
        facts("trade-ru-exports-structure-raw-2022-ru-customs"),
    ),
    q("when was the tianjin refinery approved", events("corporate-tianjin-refinery-approved-2014")),
    q(
        "chinese car exports to russia jan-nov 2025",
        facts("cars-cn-vehicle-exports-ru-change-2025-jan-nov"),
    ),
    q(
        "how much gas is power of siberia expected to carry in 2025",
        facts("energy-power-of-siberia-2025-expected"),
    ),
    q("how much gas did russia pipe to china in 2021", facts("energy-power-of-siberia-2021")),
    q(
        "chinese brands share of russian new car sales january 2025",
        facts("cars-cn-share-2025-01-avtostat"),
    ),
    q("what did gabuev say", facts("cars-soldier-death-compensation-2023-gabuev")),
    q("russia china trade h1 2023", Trade("2023-01/2023-06")),
    q("did trade go up or down in 2020", Change("2020")),
    q("how much did china export to russia in december 2024", Trade("2024-12", "exports")),
    q("yuan ruble settlement share 2023", facts("payments-rub-cny-share-2023-11-belousov")),
    q(
        "what fraction of russian tech imports are dual use goods from china",
        facts("technology-tech-imports-cn-share-2023"),
    ),
    q("did hong kong chip shipments double in 2022", facts("technology-ic-hk-value-2022-carnegie")),
    q("lada sales", facts("cars-avtovaz-production-cut-2025")),
    q("sevenfold", facts("cars-cn-exports-ru-growth-2022-2024-seed002")),
    q("what is milov's view on chinese investment", facts("investment-cn-ru-avg-2025-milov")),
    q(
        "who sells russia its machine tools",
        facts("technology-machine-tools-cn-share-2024-us-state"),
    ),
    q("how many people live in beijing", no()),
    q("what is the exchange rate of the yuan to the ruble", no()),
    q("russia vietnam trade 2024", no()),
    q("how much gas did power of siberia carry in 2019", no()),
    q("car share of chinese brands in 2026", no()),
    q("what is the largest bank in china", no()),
    q(
        "what are russia's main exports to china",
        facts("trade-ru-exports-structure-raw-2022-ru-customs"),
    ),
    q("how is russia's steel sector doing", no()),
    q("how long is the power of siberia pipeline", no()),
    q("what was trade in 1995?", no()),
    q("how much does russia trade with india?", no(), bare=True),
    q("what's the weather in moscow tomorrow", no(), bare=True),
    q("what will china russia trade be in 2030", no()),
    q("what share of russia's car market did chinese brands have in 2019", no()),
    q("how much wheat does brazil export", no()),
    q("who won the football world cup", no()),
    q("what is the population of vladivostok", no()),
    q("how much gas flowed through power of siberia in 2018", no()),
    q("how many cars does tesla build in shanghai", no()),
    q("bitcoin price", no()),
    q("what is japan's trade with china worth", no()),
    q("russia turkey gas exports in 2023", no()),
    # ---- directions
    q("how much did russia import from china in 2022", Trade("2022", "exports")),
    q("chinese exports to russia 2019", Trade("2019", "exports")),
    q("what did china buy from russia in june 2022", Trade("2022-06", "imports")),
    q("goods sold by russia to china in 2020", Trade("2020", "imports")),
    q("How much did China sell to Russia in 2024?", Trade("2024", "exports")),
    q("russia to china shipments in december 2019", Trade("2019-12", "imports")),
    q("china's exports to russia in 2023", TradeOrNearest("2023", "exports")),
    q("what did china import from russia in 2021", TradeOrNearest("2021", "imports")),
    # ---- periods
    q("trade in december 2024 alone", Trade("2024-12")),
    q("trade in august 2021", Trade("2021-08")),
    q("trade in 2024-12", Trade("2024-12")),
    q("trade in the first nine months of 2023", Trade("2023-01/2023-09")),
    q("the first eleven months of 2023, trade?", Trade("2023-01/2023-11")),
    q("january to june 2020 trade", Trade("2020-01/2020-06")),
    q("trade in q2 2023", TradeOrNearest("2023-04/2023-06")),
    q("trade in the first quarter of 2024", TradeOrNearest("2024-01/2024-03")),
    q("trade in h2 2023", TradeOrNearest("2023-07/2023-12")),
    q("trade in april 2021", Trade("2021-04")),
    q("trade in november 2024", TradeOrNearest("2024-11")),
    q("trade between 2022 and 2024", Trade("2022"), Trade("2023"), Trade("2024")),
    q("trade year to date", no("2026")),
    q("what was trade the year before last", Trade("2024")),
    # ---- comparisons, growth, balance, premises
    q("trade 2023 versus 2024", Compare("2023", "2024")),
    q("how did trade in 2020 compare with 2019", Compare("2019", "2020")),
    q("growth of china-russia trade in 2019", Change("2019")),
    q("which year was the record for bilateral trade", Extreme("high")),
    q("weakest year for china russia trade", Extreme("low")),
    q("trade balance 2024", Balance("2024")),
    q("china's surplus or deficit with russia in june 2025", Balance("2025-06")),
    q("why did trade fall in 2024", Premise("2024")),
    q("why did trade grow in 2020", Premise("2020")),
    # ---- yuan
    q("trade in yuan 2025", facts("trade-total-2025-cny")),
    # ---- subject mismatch
    q("when will power of siberia 2 open", facts("energy-power-of-siberia-pipelines-planned-2023")),
    q("power of siberia 2 volumes in 2023", no()),
    q("how long is the moscow kazan high speed line", no()),
    # ---- sanctions
    q("is wuhan maiwe sanctioned?", Listed("WUHAN MAIWE")),
    q("has vtb bank been sanctioned", Listed("VTB")),
    q("was modulbank added in the feb 2024 ofac action", Listed("MODULBANK")),
    q("is the bank of china on the sdn list", NotListed("bank of china")),
    q("how many designations did ofac add in february 2024", Added("2024-02-23")),
    q(
        "which hong kong firms were added to the sdn list on 23 feb 2024",
        LinkedAdded("2024-02-23", "Hong Kong"),
    ),
    q("which chinese or hong kong parties did ofac add on 2024-02-23", LinkedAdded("2024-02-23")),
    q("is gazprom on the uk sanctions list", NotLoaded("UK")),
    q("is sovcombank on the eu list", NotLoaded("EU")),
)
