"""Who sent a command, from where: what every platform adapter fills in and the rules read.

A leaf: it imports nothing of the project, so the delivery, subscription and audit modules use
it without importing the application state.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a command, from where. ``is_admin`` is decided by the platform adapter."""

    platform: str = "console"
    user_id: str | None = None
    workspace_id: str | None = None
    channel_id: str | None = None
    is_admin: bool = False
    user_name: str | None = None
