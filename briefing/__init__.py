"""China–Russia Brief: the briefing core (data, answers, digest, delivery, renderers, platforms)."""
