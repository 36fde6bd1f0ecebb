"""Renderers: pure functions from a :class:`~briefing.replies.Reply` to one platform's format."""
