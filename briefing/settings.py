"""Settings: read once from the environment and `.env`, typed, checked at start.

Every missing or invalid value is reported in one :class:`SettingsError`. Chat secrets are only
required by the adapter that uses them (:meth:`Settings.require`); the console needs none.
"""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from briefing.feeds.catalog import feed_table, split_names
from briefing.security.crypto import key_problem, split_keys

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Platform = Literal["console", "slack", "discord"]


class SettingsError(Exception):
    """One or more settings are missing or invalid; the message lists them all."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Configuration problem(s):\n{listing}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'brief.db'}"
    data_dir: Path = PROJECT_ROOT / "data"
    chart_dir: Path = PROJECT_ROOT / "var" / "charts"
    timezone: str = "UTC"
    digest_time: str = "08:00"
    command_name: str = "/brief"
    platform: Platform = "console"
    log_level: str = "INFO"

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None
    admin_user_ids: str = ""
    # OAuth distribution to many workspaces (docs/slack.md): on when both of these are set.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    # The public https://HOST/slack/oauth_redirect; optional when the app has one redirect URL.
    slack_redirect_uri: str | None = None
    # Fernet key(s) encrypting stored tokens, comma-separated: the first encrypts, all decrypt.
    token_encryption_key: SecretStr | None = None
    # ask, chart and other slow commands per user per minute (shared by replicas; SECURITY.md).
    expensive_commands_per_minute: int = Field(default=5, ge=1, le=1000)
    # Shared by replicas: the replay guard and the per-user limits live in Redis when this is
    # set (redis://host:6379/0), else in the database on PostgreSQL, else in memory (SQLite).
    redis_url: SecretStr | None = None
    # console, say and digest load the bundled OFAC lists into an empty database
    seed_bundled_lists: bool = True

    discord_bot_token: SecretStr | None = None
    discord_api_url: str | None = None

    # Delivery of digests and alerts (docs/delivery.md).
    # Posts in flight at once per process (one thread each); every replica delivers.
    # DELIVERY_THREADS, its former name, is still read.
    delivery_concurrency: int = Field(
        default=64,
        ge=1,
        le=1024,
        validation_alias=AliasChoices("delivery_concurrency", "delivery_threads"),
    )
    # At most this many deliveries leased per claim (one statement).
    delivery_claim_batch: int = Field(default=64, ge=1, le=1000)
    # Posts in flight at once per workspace, per process.
    delivery_workspace_concurrency: int = Field(default=4, ge=1, le=64)
    # Seconds between two posts to one channel (Slack allows about one a second).
    delivery_channel_interval_s: float = Field(default=1.0, ge=0, le=60)
    # A digest found later than this after its time is skipped, not caught up.
    delivery_stale_after_h: float = Field(default=6.0, gt=0, le=72)
    # How long a claimed delivery stays a worker's; longer than any single post can take.
    delivery_lease_s: float = Field(default=120.0, ge=1, le=3600)
    # First retry delay after a transient failure (doubling, at most 15 min); 429s wait Retry-After.
    delivery_retry_base_s: float = Field(default=30.0, gt=0, le=900)
    # How often the leader plans (the timer tick).
    delivery_tick_s: float = Field(default=60.0, gt=0, le=3600)
    # PostgreSQL: how often followers try to become the planner (≤ 5 s: takeover within 15 s).
    delivery_leader_retry_s: float = Field(default=2.0, gt=0, le=5)
    # Uploads of a digest's chart tried before it is given up (and the message says so).
    delivery_chart_attempts: int = Field(default=3, ge=1, le=20)

    # Live data (docs/feeds.md). The feeds `bot.py run` fetches on their schedule, by name,
    # comma-separated ("none" for none); `bot.py fetch NAME` fetches any feed of the table.
    feeds: str = "ofac_sdn,ofac_consolidated"
    # Where the files come from: each a setting, so a mirror or a test server can stand in.
    ofac_base_url: str = (
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
    )
    opensanctions_base_url: str = "https://data.opensanctions.org/datasets/latest/"
    # OpenSanctions datasets offered as feeds (opensanctions_<name>), and the export loaded.
    opensanctions_datasets: str = "sanctions"
    opensanctions_export: Literal["targets.simple.csv", "entities.ftm.json"] = "targets.simple.csv"
    # A customs CSV in the documented layout (docs/trade.md) at a URL the operator names.
    customs_csv_url: str | None = None
    # UN Comtrade through comtradeapicall (the `comtrade` extra); the feed needs the key.
    comtrade_api_key: SecretStr | None = None
    # Per-feed intervals overriding the table's, e.g. "ofac_sdn=4h,customs=30m".
    feed_intervals: str = ""
    # Scheduled runs start up to this many seconds after they fall due (spreads the load).
    fetch_jitter_s: float = Field(default=300.0, ge=0, le=86400)
    # How often the fetcher looks for a feed that is due.
    fetch_tick_s: float = Field(default=60.0, gt=0, le=3600)
    # One HTTP read may stall this long; one file may take this long in all.
    fetch_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    fetch_deadline_s: float = Field(default=1800.0, gt=0, le=86400)
    # Tries per file on 429, 5xx and timeouts, the first wait (doubling, with jitter) and the cap.
    fetch_attempts: int = Field(default=4, ge=1, le=20)
    fetch_retry_base_s: float = Field(default=2.0, ge=0, le=600)
    fetch_retry_max_s: float = Field(default=300.0, ge=0, le=3600)
    # Failed runs in a row before the admins are told (once, and again on recovery).
    fetch_failures_before_notice: int = Field(default=3, ge=1, le=100)
    # Where fetched files are kept (the last good copy of each, for 304 answers).
    feeds_dir: Path = PROJECT_ROOT / "var" / "feeds"

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from exc
        return value

    @field_validator("digest_time")
    @classmethod
    def _check_digest_time(cls, value: str) -> str:
        if not _HHMM.match(value.strip()):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (e.g. 08:00)")
        return value.strip()

    @field_validator("command_name")
    @classmethod
    def _check_command(cls, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"/[a-z0-9_-]{1,31}", value):
            raise ValueError(f"{value!r} is not a slash command name (e.g. /brief)")
        return value

    @field_validator("token_encryption_key")
    @classmethod
    def _check_encryption_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        keys = split_keys(value.get_secret_value())
        for position, key in enumerate(keys, start=1):
            problem = key_problem(key)
            if problem is not None:  # never repeat the key itself
                raise ValueError(
                    f"key {position} of {len(keys)} {problem}; make one with "
                    "python bot.py rekey --new-key"
                )
        return value

    @model_validator(mode="after")
    def _check_feeds(self) -> Settings:
        table = feed_table(self)  # checks FEED_INTERVALS
        known = {f.name for f in table}
        unknown = [n for n in split_names(self.feeds) if n not in known]
        if unknown:
            raise ValueError(
                f"FEEDS names {', '.join(unknown)}: not a feed (known: {', '.join(sorted(known))})"
            )
        return self

    @property
    def slack_oauth_enabled(self) -> bool:
        """Several workspaces install the app through OAuth (SLACK_CLIENT_ID and _SECRET set)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_local_time(self) -> time:
        hours, minutes = self.digest_time.split(":")
        return time(int(hours), int(minutes))

    @property
    def admin_ids(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.admin_user_ids.split(",") if p.strip())

    def require(self, *names: str) -> None:
        """Raise one :class:`SettingsError` naming every required setting that is unset."""
        missing = [n.upper() for n in names if not getattr(self, n.lower())]
        if missing:
            raise SettingsError(
                [f"{name} is required for this mode but not set" for name in missing]
            )


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's errors into one readable :class:`SettingsError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}" if name else message)
        raise SettingsError(problems) from None
