"""Sanctions lists: ingest OFAC and OpenSanctions files, diff snapshots, search them from chat.

The pieces, outermost first:

* :mod:`briefing.sanctions.formats` — the ingest formats (claim + load) registered in
  :func:`briefing.ingest_dispatch.FORMATS`; parsing is in :mod:`~briefing.sanctions.ofac` and
  :mod:`~briefing.sanctions.opensanctions` (pandas lives only there, on the ingest path).
* :mod:`briefing.sanctions.store` — snapshots and entries in the database
  (:mod:`briefing.sanctions.tables`).
* :mod:`briefing.sanctions.diff` — added / removed / changed designations and the
  :class:`~briefing.updates.Update` they produce.
* :mod:`briefing.sanctions.screen` — the matcher: a name in, tiered hits (match / possible
  match) with the words that aligned out; :mod:`~briefing.sanctions.normalise` gives it words.
* :mod:`briefing.sanctions.search` — the in-memory index of the lists in force (names, aliases,
  identifiers), built on the first sanctions query and dropped by
  :meth:`briefing.appstate.Briefing.refresh`.
* :mod:`briefing.sanctions.identifiers` — dates and places of birth, passports, registration
  and tax numbers read from an entry's remarks.
* :mod:`briefing.sanctions.history` — the bundled OFAC designation history (read into memory),
  with the counts the digest and ``ask`` can cite; :mod:`~briefing.sanctions.charts` draws it.
* :mod:`briefing.sanctions.list_replies` — replies for ``/brief sanctions`` and
  :func:`~briefing.sanctions.list_replies.answer_sanctions_question` for the ask engine.
"""
