"""`ask` answers sanctions questions from the loaded lists, and other questions from the facts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from briefing.appstate import Context
from briefing.ingest_dispatch import ingest
from briefing.ingest_types import IngestOptions
from briefing.render.text import render_text
from briefing.replies import ReplyKind
from handlers import dispatch
from tests.conftest import OFAC_SNAPSHOTS

SNAPSHOTS = OFAC_SNAPSHOTS


def _load_pair(ctx: Context) -> None:
    now = datetime(2024, 2, 24, tzinfo=UTC)
    ingest(
        ctx.brief, [SNAPSHOTS / "sdn_2024-02-20.csv"], IngestOptions(today=date(2024, 2, 20)), now
    )
    ingest(
        ctx.brief, [SNAPSHOTS / "sdn_2024-02-23.csv"], IngestOptions(today=date(2024, 2, 23)), now
    )


def test_sanctions_question_is_answered_from_the_list(ctx: Context) -> None:
    _load_pair(ctx)
    reply = dispatch("is wuhan maiwe sanctioned?", ctx)
    text = render_text(reply)
    assert reply.kind is ReplyKind.ANSWER
    assert "WUHAN MAIWE COMMUNICATION CO LTD" in text
    assert "RUSSIA-EO14024" in text
    assert "OFAC SDN list" in text


def test_non_sanctions_question_still_uses_the_facts(ctx: Context) -> None:
    _load_pair(ctx)
    text = render_text(dispatch("ask what share of Russia's chips come from China?", ctx))
    assert "85%" in text
    assert "New York Times" in text
    assert "WUHAN" not in text


def test_sanctions_question_without_a_list_says_so(ctx: Context) -> None:
    reply = dispatch("ask is wuhan maiwe sanctioned?", ctx)
    text = render_text(reply)
    assert reply.kind is ReplyKind.NO_DATA
    assert "WUHAN MAIWE" not in text
