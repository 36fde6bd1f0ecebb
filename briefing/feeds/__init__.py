"""Live data: the feeds the bot fetches by itself (docs/feeds.md).

- :mod:`.catalog` declares every feed in one table: name, URLs, format, schedule, licence;
- :mod:`.http` downloads a file the way careful clients do (conditional GET, limits, retries);
- :mod:`.state` is each feed's record in the database: last attempt, last success, validators;
- :mod:`.fetch` runs one feed: download, refuse a broken upstream, ingest like ``bot.py ingest``;
- :mod:`.service` runs the feeds on their schedule inside ``bot.py run`` (the leader only).
"""
