"""Every table module of the app, imported once so their tables register on the metadata."""

from briefing import generation, ratelimit, updates  # noqa: F401
from briefing.delivery import ledger, subscriptions  # noqa: F401
from briefing.feeds import state as feed_state  # noqa: F401
from briefing.sanctions import tables as sanctions_tables  # noqa: F401
from briefing.security import replay  # noqa: F401
from briefing.trade import tables as trade_tables  # noqa: F401
from briefing.watch import tables as watch_tables  # noqa: F401
