"""Loaded into the ``bot.py run`` processes of tests/delivery/test_crash_points.py and the
``bot.py ingest`` processes of tests/test_ingest_crash.py (this folder is put first on their
PYTHONPATH); inert unless ``BRIEF_CRASH_LOG`` is set.

Every ledger write event the process makes (each statement that changed the ledger, then its
commit; :func:`briefing.delivery.ledger.observe_writes`) is appended to the file
``BRIEF_CRASH_LOG`` as ``write step``. With ``BRIEF_CRASH_AT="write step#K"`` the process sends
itself SIGKILL right after the K-th occurrence of that event: a kill -9 at exactly that point,
not at a moment guessed by sleeping. (Named rather than numbered: the planner's thread and the
worker's may interleave differently from run to run, the K-th claim is still the K-th claim.)
With ``BRIEF_CRASH_DATABASE`` set, every writing statement run through SQLAlchemy and every
commit are events too (``database insert updates``, ``database commit``).
"""

from __future__ import annotations

import os

_LOG = os.environ.get("BRIEF_CRASH_LOG")

if _LOG:
    import signal
    import threading

    from briefing.delivery.ledger import observe_writes

    _target, _, _nth = (os.environ.get("BRIEF_CRASH_AT") or "").rpartition("#")
    _at = int(_nth) if _nth.isdigit() else 0
    _lock = threading.Lock()
    _seen: dict[str, int] = {}
    _out = open(_LOG, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives as long as the process)

    def _observe(write: str, step: str) -> None:
        event = f"{write} {step}"
        with _lock:
            _seen[event] = _seen.get(event, 0) + 1
            _out.write(event + "\n")
            _out.flush()
            if event == _target and _seen[event] == _at:
                os.kill(os.getpid(), signal.SIGKILL)

    observe_writes(_observe)

    if os.environ.get("BRIEF_CRASH_DATABASE"):
        # Every statement that writes (``insert <table>``, ``update <table>``, ``delete
        # <table>``), right after it ran, and every ``commit``, right before the database is
        # asked to make it durable: each a point where a kill -9 may land (tests/test_ingest_crash.py).
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        def _statement(**event_args: object) -> None:
            words = str(event_args["statement"]).split(None, 3)
            verb = words[0].lower() if words else ""
            if verb in {"insert", "update", "delete"}:
                table = words[2] if verb != "update" and len(words) > 2 else words[1]
                _observe("database", f"{verb} {table.strip(chr(34))}")

        def _commit(conn: object) -> None:
            _observe("database", "commit")

        event.listen(Engine, "after_cursor_execute", _statement, named=True)
        event.listen(Engine, "commit", _commit)
