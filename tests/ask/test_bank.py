"""`/brief ask` over the question bank: both scores, the honesty rule, the answer shape.

The held-out part was written before the engine and is never tuned on: the test prints its score
but not its failures. The development part prints both.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from briefing.appstate import Briefing, Context
from briefing.ask.compose import MAX_CHARS, MAX_DIRECT, MAX_SUPPORT, SOURCES_DIFFER, too_long
from briefing.caller import Caller
from briefing.db import make_engine
from briefing.render.text import render_text
from briefing.replies import Reply, ReplyKind
from briefing.seed import seed_bundled
from briefing.settings import load_settings
from handlers import dispatch
from tests.ask_bank.checks import BankQuestion
from tests.ask_bank.development import DEVELOPMENT
from tests.ask_bank.heldout import HELD_OUT
from tests.ask_bank.score import score
from tests.conftest import TODAY

HELD_OUT_REQUIRED = 0.95
DEVELOPMENT_REQUIRED = 0.90
BANK = DEVELOPMENT + HELD_OUT


@pytest.fixture(scope="module")
def bank_ctx() -> Iterator[Context]:
    """One database for the whole bank, with the two bundled OFAC lists loaded."""
    base = os.environ.get("TEST_DATABASE_URL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory() as tmp:
        if base:
            admin = make_engine(base)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in base else "?"
            url = f"{base}{sep}options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{tmp}/bank.db"
        settings = load_settings(database_url=url, chart_dir=Path(tmp), _env_file=None)
        brief = Briefing.load(settings)
        seed_bundled(brief, datetime(2024, 2, 24, tzinfo=UTC))
        yield Context(brief=brief, today=TODAY, caller=Caller(user_id="U1", is_admin=True))
        brief.engine.dispose()
        if base:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="module")
def replies(bank_ctx: Context) -> dict[str, Reply]:
    return {q.text: ask(bank_ctx, q) for q in BANK}


def ask(ctx: Context, question: BankQuestion) -> Reply:
    return dispatch(question.text if question.bare else f"ask {question.text}", ctx)


def test_the_bank_is_large_and_split() -> None:
    assert len(BANK) >= 250
    assert len(HELD_OUT) >= 100
    shared = {q.text.lower() for q in HELD_OUT} & {q.text.lower() for q in DEVELOPMENT}
    assert not shared, shared  # names only the shared questions, never the rest of held-out
    assert sum(q.unanswerable for q in HELD_OUT) >= 10


def test_scores(bank_ctx: Context, replies: dict[str, Reply]) -> None:
    development = score(DEVELOPMENT, lambda q: replies[q.text], bank_ctx)
    held_out = score(HELD_OUT, lambda q: replies[q.text], bank_ctx)
    print(development.summary("development"))
    for failure in development.failures:
        print(failure)
    print(held_out.summary("held-out"))  # its failures are not printed: it is never tuned on
    assert development.ratio >= DEVELOPMENT_REQUIRED, development.summary("development")
    held_out_ratio, honest = held_out.ratio, held_out.unanswerable_right == held_out.unanswerable
    summary = held_out.summary("held-out")
    del held_out  # nothing below may show its failures
    assert held_out_ratio >= HELD_OUT_REQUIRED, summary
    assert honest, summary


def test_every_answer_keeps_the_length_rule(replies: dict[str, Reply]) -> None:
    """≤ 1,500 characters of plain text, a whole "sources differ" list aside."""
    for question, reply in replies.items():
        assert not too_long(reply), (question, len(render_text(reply)), render_text(reply))
        if not any((s.heading or "").startswith(SOURCES_DIFFER) for s in reply.sections):
            assert len(render_text(reply)) <= MAX_CHARS, question


def test_every_answer_leads_with_the_answer(replies: dict[str, Reply]) -> None:
    for question, reply in replies.items():
        assert reply.sections, question
        assert len(reply.sections[0].lines) <= MAX_DIRECT + 1, question
        if reply.kind is not ReplyKind.ANSWER:
            continue
        assert reply.sections[0].heading is None
        support = [
            line
            for section in reply.sections[1:]
            if not (section.heading or "").startswith(SOURCES_DIFFER)
            for line in section.lines
        ]
        assert len(support) <= MAX_SUPPORT, question
        # the direct answer cites where its figures come from
        assert any(line.source is not None for line in reply.sections[0].lines), question
        assert reply.footer is not None
        assert reply.footer.startswith(("More:", "Also:"))


def test_positive_answers_cite_a_source_on_every_figure(replies: dict[str, Reply]) -> None:
    for question, reply in replies.items():
        if reply.kind is not ReplyKind.ANSWER:
            continue
        for section in reply.sections:
            for line in section.lines:
                if re.search(r"\$|%|\bbn\b|bcm", line.text) and not line.text.startswith(
                    ("Sources differ", "Change from")
                ):
                    assert line.source is not None, (question, line.text)


def test_no_answer_cites_nothing(replies: dict[str, Reply]) -> None:
    for question, reply in replies.items():
        if reply.kind is ReplyKind.NO_DATA:
            assert not reply.sources, question
            assert "$" not in render_text(reply), question
