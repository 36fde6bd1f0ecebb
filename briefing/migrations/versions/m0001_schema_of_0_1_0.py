"""The schema of 0.1.0, the last version without migrations.

Revision ID: 0001
Revises:
Created: 2026-11-29

A database made by 0.1.0 (``metadata.create_all``) or by an even older version has its tables
but no ``alembic_version``: this revision then creates only the tables that are missing (each
with its indexes) and leaves the others, and their rows, as they are. slack_sdk's OAuth tables
(``slack_bots``, ``slack_installations``, ``slack_oauth_states``) were created by 0.1.0 in OAuth
mode only; here they are created for every database, empty until a workspace installs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "data_generation",
    "deliveries",
    "delivery_runs",
    "delivery_state",
    "digest_days",
    "sanctions_snapshots",
    "subscription_audit",
    "subscriptions",
    "trade_figure_history",
    "trade_figures",
    "updates",
    "sanctions_entries",
    "slack_bots",
    "slack_installations",
    "slack_oauth_states",
)


def upgrade() -> None:
    existing: set[str] = (
        set() if context.is_offline_mode() else set(sa.inspect(op.get_bind()).get_table_names())
    )

    def absent(name: str) -> bool:
        return name not in existing

    if absent("data_generation"):
        op.create_table(
            "data_generation",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("generation", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_data_generation")),
        )
    if absent("deliveries"):
        op.create_table(
            "deliveries",
            sa.Column("delivery_id", sa.String(length=400), nullable=False),
            sa.Column("run_id", sa.String(length=300), nullable=False),
            sa.Column("kind", sa.String(length=10), nullable=False),
            sa.Column("topic", sa.String(length=40), nullable=False),
            sa.Column("platform", sa.String(length=20), nullable=False),
            sa.Column("workspace_id", sa.String(length=100), nullable=False),
            sa.Column("channel_id", sa.String(length=100), nullable=False),
            sa.Column("local_day", sa.Date(), nullable=True),
            sa.Column("label", sa.String(length=100), nullable=True),
            sa.Column("update_id", sa.String(length=200), nullable=True),
            sa.Column("status", sa.String(length=10), nullable=False),
            sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("lease_owner", sa.String(length=100), nullable=True),
            sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
            sa.Column("attempt_started_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("in_doubt_since", sa.DateTime(timezone=True), nullable=True),
            sa.Column("message_id", sa.String(length=100), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_deliveries")),
        )
        op.create_index(
            "ix_deliveries_channel",
            "deliveries",
            ["platform", "workspace_id", "channel_id"],
            unique=False,
        )
        op.create_index(
            "ix_deliveries_open",
            "deliveries",
            ["next_attempt_at", "delivery_id"],
            unique=False,
            postgresql_where=sa.text("status IN ('pending', 'sending')"),
            sqlite_where=sa.text("status IN ('pending', 'sending')"),
        )
        op.create_index(op.f("ix_deliveries_run_id"), "deliveries", ["run_id"], unique=False)
    if absent("delivery_runs"):
        op.create_table(
            "delivery_runs",
            sa.Column("run_id", sa.String(length=300), nullable=False),
            sa.Column("kind", sa.String(length=10), nullable=False),
            sa.Column("schedule_id", sa.String(length=200), nullable=False),
            sa.Column("period", sa.String(length=200), nullable=False),
            sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(length=10), nullable=False),
            sa.Column("planned_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("planned_by", sa.String(length=100), nullable=False),
            sa.PrimaryKeyConstraint("run_id", name=op.f("pk_delivery_runs")),
        )
    if absent("delivery_state"):
        op.create_table(
            "delivery_state",
            sa.Column("name", sa.String(length=50), nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("name", name=op.f("pk_delivery_state")),
        )
    if absent("digest_days"):
        op.create_table(
            "digest_days",
            sa.Column("schedule_id", sa.String(length=200), nullable=False),
            sa.Column("local_day", sa.Date(), nullable=False),
            sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
            sa.UniqueConstraint("schedule_id", "local_day", name="uq_digest_days_schedule_day"),
        )
    if absent("sanctions_snapshots"):
        op.create_table(
            "sanctions_snapshots",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("source_key", sa.String(length=120), nullable=False),
            sa.Column("source_title", sa.String(length=200), nullable=False),
            sa.Column("source_short", sa.String(length=80), nullable=False),
            sa.Column("source_url", sa.String(length=500), nullable=True),
            sa.Column("list_date", sa.Date(), nullable=False),
            sa.Column("date_basis", sa.String(length=20), nullable=False),
            sa.Column(
                "ingested_at",
                sa.DateTime(timezone=True),
                server_default=sa.func.now(),
                nullable=False,
            ),
            sa.Column("entry_count", sa.Integer(), nullable=False),
            sa.Column("content_hash", sa.String(length=64), nullable=False),
            sa.Column("files", sa.Text(), nullable=False),
            sa.Column("entries_kept", sa.Boolean(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_sanctions_snapshots")),
            sa.UniqueConstraint(
                "source_key", "list_date", name="uq_sanctions_snapshots_source_date"
            ),
        )
        op.create_index(
            "ix_sanctions_snapshots_source_hash",
            "sanctions_snapshots",
            ["source_key", "content_hash"],
            unique=False,
        )
    if absent("subscription_audit"):
        op.create_table(
            "subscription_audit",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("platform", sa.String(length=20), nullable=False),
            sa.Column("workspace_id", sa.String(length=100), nullable=False),
            sa.Column("channel_id", sa.String(length=100), nullable=False),
            sa.Column("user_id", sa.String(length=100), nullable=True),
            sa.Column("action", sa.String(length=20), nullable=False),
            sa.Column("details", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_audit")),
        )
        op.create_index(
            "ix_subscription_audit_workspace",
            "subscription_audit",
            ["platform", "workspace_id", "id"],
            unique=False,
        )
    if absent("subscriptions"):
        op.create_table(
            "subscriptions",
            sa.Column("platform", sa.String(length=20), nullable=False),
            sa.Column("workspace_id", sa.String(length=100), nullable=False),
            sa.Column("channel_id", sa.String(length=100), nullable=False),
            sa.Column("digest_time", sa.String(length=5), nullable=False),
            sa.Column("tz", sa.String(length=64), nullable=False),
            sa.Column("topics", sa.String(length=100), nullable=False),
            sa.Column("status", sa.String(length=10), nullable=False),
            sa.Column("paused_reason", sa.Text(), nullable=True),
            sa.Column("created_by", sa.String(length=100), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint(
                "platform", "workspace_id", "channel_id", name=op.f("pk_subscriptions")
            ),
        )
        op.create_index(op.f("ix_subscriptions_status"), "subscriptions", ["status"], unique=False)
    if absent("trade_figure_history"):
        op.create_table(
            "trade_figure_history",
            sa.Column("dataset", sa.String(length=40), nullable=False),
            sa.Column("period", sa.String(length=20), nullable=False),
            sa.Column("flow", sa.String(length=10), nullable=False),
            sa.Column("hs_chapter", sa.String(length=10), nullable=False),
            sa.Column("revision", sa.Integer(), nullable=False),
            sa.Column("value_usd_bn", sa.Float(), nullable=False),
            sa.Column("published_on", sa.Date(), nullable=False),
            sa.Column("source_title", sa.Text(), nullable=False),
            sa.Column("source_url", sa.Text(), nullable=True),
            sa.Column("origin", sa.Text(), nullable=False),
            sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint(
                "dataset",
                "period",
                "flow",
                "hs_chapter",
                "revision",
                name=op.f("pk_trade_figure_history"),
            ),
        )
    if absent("trade_figures"):
        op.create_table(
            "trade_figures",
            sa.Column("dataset", sa.String(length=40), nullable=False),
            sa.Column("period", sa.String(length=20), nullable=False),
            sa.Column("flow", sa.String(length=10), nullable=False),
            sa.Column("hs_chapter", sa.String(length=10), nullable=False),
            sa.Column("revision", sa.Integer(), nullable=False),
            sa.Column("value_usd_bn", sa.Float(), nullable=False),
            sa.Column("published_on", sa.Date(), nullable=False),
            sa.Column("source_title", sa.Text(), nullable=False),
            sa.Column("source_url", sa.Text(), nullable=True),
            sa.Column("origin", sa.Text(), nullable=False),
            sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint(
                "dataset", "period", "flow", "hs_chapter", name=op.f("pk_trade_figures")
            ),
        )
    if absent("updates"):
        op.create_table(
            "updates",
            sa.Column("update_id", sa.String(length=200), nullable=False),
            sa.Column("topic", sa.String(length=40), nullable=False),
            sa.Column("title", sa.Text(), nullable=False),
            sa.Column("lines_json", sa.Text(), nullable=False),
            sa.Column("data_date", sa.Date(), nullable=False),
            sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("update_id", name=op.f("pk_updates")),
        )
        op.create_index(op.f("ix_updates_data_date"), "updates", ["data_date"], unique=False)
    if absent("sanctions_entries"):
        op.create_table(
            "sanctions_entries",
            sa.Column("snapshot_id", sa.Integer(), nullable=False),
            sa.Column("entity_key", sa.String(length=200), nullable=False),
            sa.Column("name", sa.Text(), nullable=False),
            sa.Column("entity_type", sa.String(length=40), nullable=False),
            sa.Column("programmes", sa.Text(), nullable=False),
            sa.Column("russia_programmes", sa.Text(), nullable=False),
            sa.Column("countries", sa.Text(), nullable=False),
            sa.Column("china_link", sa.Boolean(), nullable=False),
            sa.Column("link_place", sa.String(length=40), nullable=True),
            sa.Column("link_reason", sa.Text(), nullable=True),
            sa.Column("aliases", sa.Text(), nullable=False),
            sa.Column("addresses", sa.Text(), nullable=False),
            sa.Column("remarks", sa.Text(), nullable=False),
            sa.Column("details", sa.Text(), nullable=False),
            sa.Column("listed_on", sa.Date(), nullable=True),
            sa.Column("first_seen", sa.Date(), nullable=True),
            sa.ForeignKeyConstraint(
                ["snapshot_id"], ["sanctions_snapshots.id"], ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("snapshot_id", "entity_key", name=op.f("pk_sanctions_entries")),
        )
    if absent("slack_bots"):
        op.create_table(
            "slack_bots",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("client_id", sa.String(length=32), nullable=False),
            sa.Column("app_id", sa.String(length=32), nullable=False),
            sa.Column("enterprise_id", sa.String(length=32), nullable=True),
            sa.Column("enterprise_name", sa.String(length=200), nullable=True),
            sa.Column("team_id", sa.String(length=32), nullable=True),
            sa.Column("team_name", sa.String(length=200), nullable=True),
            sa.Column("bot_token", sa.Text(), nullable=True),
            sa.Column("bot_id", sa.String(length=32), nullable=True),
            sa.Column("bot_user_id", sa.String(length=32), nullable=True),
            sa.Column("bot_scopes", sa.String(length=1000), nullable=True),
            sa.Column("bot_refresh_token", sa.Text(), nullable=True),
            sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
            sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
            sa.Column("installed_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(
            "slack_bots_idx",
            "slack_bots",
            ["client_id", "enterprise_id", "team_id", "installed_at"],
            unique=False,
        )
    if absent("slack_installations"):
        op.create_table(
            "slack_installations",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("client_id", sa.String(length=32), nullable=False),
            sa.Column("app_id", sa.String(length=32), nullable=False),
            sa.Column("enterprise_id", sa.String(length=32), nullable=True),
            sa.Column("enterprise_name", sa.String(length=200), nullable=True),
            sa.Column("enterprise_url", sa.String(length=200), nullable=True),
            sa.Column("team_id", sa.String(length=32), nullable=True),
            sa.Column("team_name", sa.String(length=200), nullable=True),
            sa.Column("bot_token", sa.Text(), nullable=True),
            sa.Column("bot_id", sa.String(length=32), nullable=True),
            sa.Column("bot_user_id", sa.String(length=32), nullable=True),
            sa.Column("bot_scopes", sa.String(length=1000), nullable=True),
            sa.Column("bot_refresh_token", sa.Text(), nullable=True),
            sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
            sa.Column("user_id", sa.String(length=32), nullable=False),
            sa.Column("user_token", sa.Text(), nullable=True),
            sa.Column("user_scopes", sa.String(length=1000), nullable=True),
            sa.Column("user_refresh_token", sa.Text(), nullable=True),
            sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
            sa.Column("incoming_webhook_url", sa.String(length=200), nullable=True),
            sa.Column("incoming_webhook_channel", sa.String(length=200), nullable=True),
            sa.Column("incoming_webhook_channel_id", sa.String(length=200), nullable=True),
            sa.Column("incoming_webhook_configuration_url", sa.String(length=200), nullable=True),
            sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
            sa.Column("token_type", sa.String(length=32), nullable=True),
            sa.Column("installed_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index(
            "slack_installations_idx",
            "slack_installations",
            ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
            unique=False,
        )
    if absent("slack_oauth_states"):
        op.create_table(
            "slack_oauth_states",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("state", sa.String(length=200), nullable=False),
            sa.Column("expire_at", sa.DateTime(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
