"""Every table the migrations maintain: the app's table modules, and slack_sdk's OAuth tables.

Each table module defines its tables on :data:`briefing.db.metadata` and imports no
application logic; importing them here, once, registers them all. The migrations
(:mod:`briefing.migrations`) and their tests read :func:`schema_metadata`.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Text

# Explicit imports: each module registers its tables on ``metadata``.
from briefing import generation, ratelimit, updates  # noqa: F401
from briefing.db import metadata
from briefing.delivery import ledger, subscriptions  # noqa: F401
from briefing.feeds import state as feed_state  # noqa: F401
from briefing.sanctions import tables as sanctions_tables  # noqa: F401
from briefing.security import replay  # noqa: F401
from briefing.trade import tables as trade_tables  # noqa: F401
from briefing.watch import tables as watch_tables  # noqa: F401

# The token columns of slack_sdk's installation tables; the app stores them Fernet-encrypted,
# as TEXT (briefing.platforms.slack.oauth).
OAUTH_TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
OAUTH_BOTS_TABLE = "slack_bots"
OAUTH_INSTALLATIONS_TABLE = "slack_installations"
OAUTH_STATES_TABLE = "slack_oauth_states"


def app_metadata() -> MetaData:
    """:data:`briefing.db.metadata`, with every table module of the app registered on it."""
    return metadata


def oauth_metadata() -> MetaData:
    """slack_sdk's OAuth installation and state tables, as the app uses them (OAuth mode).

    slack_sdk defines them; the migrations create them like every other table, so their shape
    is pinned here and a slack_sdk release that changes it shows up in the schema test.
    """
    oauth = MetaData()
    bots = SQLAlchemyInstallationStore.build_bots_table(oauth, OAUTH_BOTS_TABLE)
    installations = SQLAlchemyInstallationStore.build_installations_table(
        oauth, OAUTH_INSTALLATIONS_TABLE
    )
    for table in (bots, installations):
        for name in OAUTH_TOKEN_COLUMNS:
            if name in table.c:
                table.c[name].type = Text()  # ciphertext
    SQLAlchemyOAuthStateStore.build_oauth_states_table(oauth, OAUTH_STATES_TABLE)
    return oauth


def schema_metadata() -> list[MetaData]:
    """Every table the migrations maintain: the app's and slack_sdk's OAuth tables."""
    return [app_metadata(), oauth_metadata()]
