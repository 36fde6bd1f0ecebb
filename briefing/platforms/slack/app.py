"""The bolt app: the slash command and the Share button.

The app runs with ``process_before_response=True``: the ack listener runs on the request's own
thread and its ack *is* the HTTP response. Quick commands (answered from memory in about a
millisecond) are answered in the ack itself. Slow ones — charts, free-text questions, the digest,
the commands that change or read a channel's state — are acknowledged at once, inside Slack's
3-second window, and answered through the ``response_url`` by a pool of answer workers. The
Share and More buttons are bolt lazy listeners (acknowledged, then answered on bolt's listener
executor). The slash command is not: bolt copies the whole request for a lazy listener on every
request, and most are quick answers (bench/bench_slack_http.py: 0.47 of a bare bolt app's
throughput with a lazy listener on the command, against 0.8 without). The command text is
parsed once, in the ack, and that parse is what runs. Slack is asked whether the caller is an
admin (``users.info``) only for the lines that need it (:attr:`ParsedCommand.needs_admin`).
Answers are private (``ephemeral``) unless the user adds ``--share`` or clicks "Share in
channel", which re-runs the command and posts it ``in_channel``.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from briefing.appstate import Briefing, Context
from briefing.caller import Caller
from briefing.command_table import CommandTable, ParsedCommand
from briefing.platforms.slack.admins import AdminCheck
from briefing.platforms.slack.client import make_webhook
from briefing.platforms.slack.files import SlackFiles
from briefing.platforms.slack.poster import RenderBlocks, upload_chart
from briefing.render.slack_blocks import render_blocks
from briefing.replies import Reply, ReplyKind
from briefing.sanctions.history import HistoryError, load_history
from briefing.sanctions.search import sanctions

log = logging.getLogger(__name__)

SHARE_FLAG = "--share"
SHARE_ACTION_ID = "brief_share"
MORE_ACTION_ID = "brief_more"
WORKING_TEXT = "Working on it…"
# How long a quick command may take before its ack goes out without the answer (Slack allows 3 s).
INLINE_BUDGET_S = 1.5
# Slack caps a button value at 2000 characters; longer commands get no Share button.
MAX_SHARE_VALUE = 2000
SHAREABLE = frozenset({ReplyKind.ANSWER, ReplyKind.DIGEST, ReplyKind.ALERT})
FAILURE_TEXT = (
    "Sorry — something went wrong on our side while answering that. It has been logged; "
    "please try again in a minute."
)

# Where a button's ack leaves, in bolt's context, when the click arrived (for the lazy listener).
ARRIVED_KEY = "brief_arrived"


def parse_share(text: str) -> tuple[str, bool]:
    """``trade 2024 --share`` → (``trade 2024``, True); the flag may stand anywhere."""
    words = text.split()
    share = SHARE_FLAG in words
    return " ".join(w for w in words if w != SHARE_FLAG), share


@dataclass(frozen=True, slots=True)
class Invocation:
    """One command to answer: what was asked, by whom, where, and where the answer goes."""

    text: str
    user_id: str
    team_id: str | None
    channel_id: str | None
    response_url: str
    arrived: datetime  # when Slack's request reached us: the context's ``now``
    user_name: str | None = None


class ReplyCache:
    """A small thread-safe LRU of rendered quick answers."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> dict[str, Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, message: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = message
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)


class SlackCommands:
    """Runs ``/brief`` for Slack: the caller, the dispatch, the rendering, the reply."""

    def __init__(
        self,
        brief: Briefing,
        client: WebClient,
        commands: CommandTable,
        *,
        render: RenderBlocks = render_blocks,
        clock: Callable[[], datetime] | None = None,
        admins: AdminCheck | None = None,
        workers: int = 16,
        client_for: Callable[[str | None], WebClient] | None = None,
    ) -> None:
        self.brief = brief
        self.client = client
        self.commands = commands
        self.render = render
        self.clock = clock or (lambda: datetime.now(UTC))
        # OAuth mode: each workspace's own token for users.info and chart uploads.
        self.client_for = client_for
        self.admins = admins or AdminCheck(client, brief.settings.admin_ids, client_for=client_for)
        # Quick answers running against their inline budget, charts of answers already sent.
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="brief-answer")
        # bolt's listener executor: where it runs the lazy listeners (the buttons' answers).
        self.lazy_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="brief-lazy")
        # Quick read-only answers depend only on the text, the day and the data generation, so
        # the same question asked again that day is answered from here.
        self.replies = ReplyCache(maxsize=512)

    def warm_up(self) -> None:
        """Build the sanctions search index and read the designation history now, so the first
        `sanctions` answer is quick too."""

        def build() -> None:
            sanctions(self.brief).index(self.local_day(self.clock()))
            try:
                load_history(self.brief.settings.data_dir)
            except HistoryError:
                log.warning("no OFAC designation history under %s", self.brief.settings.data_dir)

        self._later(build)

    def close(self) -> None:
        """Finish the answers already started; take no new ones."""
        self.lazy_pool.shutdown(wait=True, cancel_futures=True)
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _later(self, work: Callable[[], None]) -> None:
        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("an answer worker failed")

        self.pool.submit(run)

    # -- listeners (bolt injects arguments by parameter name) -------------------------------

    def ack_command(self, ack: Ack, command: dict[str, Any]) -> None:
        """Answer a quick command in the ack; acknowledge a slow one at once and answer it on
        an answer worker (not a bolt lazy listener: bolt copies every request for one, and
        quick answers are most requests — measured with bench/bench_slack_http.py)."""
        text, share = parse_share(command.get("text") or "")
        arrived = self.clock()
        parsed = self.commands.parse(text)  # the one parse; the answer runs this same parse
        invocation = self.invocation_of(command, text, arrived)
        if parsed.expensive or parsed.stateful:
            if parsed.expensive:
                ack(text=WORKING_TEXT, response_type="ephemeral")
            else:
                ack()
            self._later(lambda: self.answer(invocation, parsed, share=share))
            return
        self.brief.ensure_fresh()
        key = (text, share, self.local_day(arrived), self.brief.generation)
        cached = self.replies.get(key)
        if cached is not None:
            ack(**cached)
            return
        answering = self.pool.submit(self.message_for, invocation, parsed, share=share)
        try:
            message, reply = answering.result(timeout=INLINE_BUDGET_S)
        except FutureTimeout:
            # Unusually slow (a busy database, a cold index): ack now, answer when ready.
            ack(text=WORKING_TEXT, response_type="ephemeral")
            answering.add_done_callback(lambda done: self.deliver_late(invocation, done, share))
            return
        ack(**message)
        if reply is not None and reply.chart is not None:
            self._later(lambda: self.attach_chart(invocation, reply, share=share))
        elif reply is not None and parsed.cacheable:
            self.replies.put(key, message)

    def deliver_late(
        self, invocation: Invocation, done: Future[tuple[dict[str, Any], Reply | None]], share: bool
    ) -> None:
        try:
            message, reply = done.result()
        except Exception:  # message_for logs and answers its own failures; this is a bug
            log.exception("answering %r failed", invocation.text)
            return
        self.send(invocation, message, reply, share=share)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.brief.settings.tz).date()

    def invocation_of(self, command: dict[str, Any], text: str, arrived: datetime) -> Invocation:
        return Invocation(
            text=text,
            user_id=command["user_id"],
            team_id=command.get("team_id"),
            channel_id=command.get("channel_id"),
            response_url=command["response_url"],
            arrived=arrived,
            user_name=command.get("user_name"),
        )

    def ack_button(self, ack: Ack, context: BoltContext) -> None:
        """The Share and More buttons: acknowledged at once, answered by the lazy listener."""
        ack()
        context[ARRIVED_KEY] = self.clock()

    def answer_share(self, body: dict[str, Any], context: BoltContext) -> None:
        """The Share button: re-run the command its value holds and post it in the channel."""
        self.answer_button(body, context, share=True)

    def answer_more(self, body: dict[str, Any], context: BoltContext) -> None:
        """The More button: run the command it holds, privately."""
        self.answer_button(body, context, share=False)

    def answer_button(self, body: dict[str, Any], context: BoltContext, *, share: bool) -> None:
        arrived = context.get(ARRIVED_KEY)
        actions = body.get("actions") or [{}]
        user = body.get("user") or {}
        text = str(actions[0].get("value") or "")
        self.answer(
            Invocation(
                text=text,
                user_id=user.get("id", ""),
                team_id=(body.get("team") or {}).get("id") or user.get("team_id"),
                channel_id=(body.get("channel") or {}).get("id"),
                response_url=body["response_url"],
                arrived=arrived if isinstance(arrived, datetime) else self.clock(),
                user_name=user.get("username") or user.get("name"),
            ),
            self.commands.parse(text),
            share=share,
        )

    # -- the work ------------------------------------------------------------------------------

    def client_of(self, team_id: str | None) -> WebClient:
        """The Web API client for ``team_id``: its installation's (OAuth mode) or the one."""
        return self.client_for(team_id) if self.client_for is not None else self.client

    def caller(self, invocation: Invocation, *, admin_lookup: bool) -> Caller:
        """Who asked; ``admin_lookup`` asks Slack (cached) whether they are an admin."""
        is_admin = (
            admin_lookup
            and bool(invocation.user_id)
            and self.admins.is_admin(invocation.user_id, invocation.team_id)
        )
        return Caller(
            platform="slack",
            user_id=invocation.user_id,
            workspace_id=invocation.team_id,
            channel_id=invocation.channel_id,
            is_admin=is_admin,
            user_name=invocation.user_name,
        )

    def message_for(
        self, invocation: Invocation, parsed: ParsedCommand, *, share: bool
    ) -> tuple[dict[str, Any], Reply | None]:
        """Dispatch and render; a failure is logged with its traceback and told briefly."""
        try:
            ctx = Context(
                brief=self.brief,
                today=self.local_day(invocation.arrived),
                now=invocation.arrived,
                command=self.brief.settings.command_name,
                caller=self.caller(invocation, admin_lookup=parsed.needs_admin),
                files=SlackFiles(
                    lambda: self.client_of(invocation.team_id),
                    channel_id=invocation.channel_id,
                    user_id=invocation.user_id,
                    clock=invocation.arrived.timestamp(),
                    progress=lambda text: self.tell(invocation, text),
                ),
            )
            reply = self.commands.run(parsed, ctx)
            share_value = None
            if (
                not share
                and reply.kind in SHAREABLE
                and 0 < len(invocation.text) <= MAX_SHARE_VALUE
            ):
                share_value = invocation.text
            blocks, fallback = self.render(reply, share_value=share_value)
        except Exception:
            log.exception("answering %r failed", invocation.text)
            return {"text": FAILURE_TEXT, "response_type": "ephemeral"}, None
        message: dict[str, Any] = {
            "text": fallback,
            "blocks": blocks,
            "response_type": "in_channel" if share else "ephemeral",
        }
        return message, reply

    def answer(self, invocation: Invocation, parsed: ParsedCommand, *, share: bool) -> None:
        """Answer through the response_url (slow commands, the Share button)."""
        message, reply = self.message_for(invocation, parsed, share=share)
        self.send(invocation, message, reply, share=share)

    def send(
        self, invocation: Invocation, message: dict[str, Any], reply: Reply | None, *, share: bool
    ) -> None:
        if share and reply is not None:
            message["replace_original"] = False
        if self.respond(invocation, message) and reply is not None and reply.chart is not None:
            self.attach_chart(invocation, reply, share=share)

    def tell(self, invocation: Invocation, text: str) -> None:
        """A private progress note, as a new message (the answer replaces "Working on it…")."""
        self.respond(
            invocation, {"text": text, "response_type": "ephemeral", "replace_original": False}
        )

    def respond(self, invocation: Invocation, message: dict[str, Any]) -> bool:
        """Post to the response_url (as bolt's ``respond()`` does, with bounded retries)."""
        try:
            result = make_webhook(invocation.response_url).send_dict(message)
        except (SlackClientError, OSError):
            log.exception("posting to the response_url failed")
            return False
        if result.status_code != 200:
            log.warning("the response_url answered %s: %s", result.status_code, result.body)
            return False
        return True

    def attach_chart(self, invocation: Invocation, reply: Reply, *, share: bool) -> None:
        """Shared answers get the chart in the channel; private ones in a DM to the user."""
        assert reply.chart is not None
        try:
            if share and invocation.channel_id:
                target = invocation.channel_id
            else:
                opened = self.client_of(invocation.team_id).conversations_open(
                    users=invocation.user_id
                )
                target = (opened.get("channel") or {})["id"]
            upload_chart(self.client_of(invocation.team_id), target, reply.chart)
        except (SlackApiError, SlackClientError, OSError, KeyError) as exc:
            code = exc.response.get("error") if isinstance(exc, SlackApiError) else None
            log.warning("chart upload failed (%s)", code or exc, exc_info=True)
            hint = (
                "Invite me to this channel with /invite to get charts here."
                if code in ("not_in_channel", "channel_not_found")
                else "Please try again later."
            )
            self.respond(
                invocation,
                {
                    "text": f"I couldn't attach the chart ({code or 'upload failed'}). {hint}",
                    "response_type": "ephemeral",
                    "replace_original": False,
                },
            )


def bolt_app(
    client: WebClient,
    *,
    signing_secret: str,
    token_verification: bool = True,
    oauth_settings: OAuthSettings | None = None,
    listener_executor: ThreadPoolExecutor | None = None,
) -> App:
    """A bolt App as this bot runs it, with no listeners yet.

    ``process_before_response=True``: a listener runs on the request thread and its ack is the
    HTTP response, with no hand-off to bolt's pool and no polling for the ack.
    ``oauth_settings`` (OAuth mode, :mod:`briefing.platforms.slack.oauth`): installs in any
    workspace, each request authorized with its workspace's stored token.
    """
    return App(
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=token_verification,
        process_before_response=True,
        name="china-russia-brief",
        oauth_settings=oauth_settings,
        listener_executor=listener_executor,
    )


def build_app(
    commands: SlackCommands,
    *,
    signing_secret: str,
    token_verification: bool = True,
    oauth_settings: OAuthSettings | None = None,
) -> App:
    """The bolt App with the slash command and the Share button registered."""
    app = bolt_app(
        commands.client,
        signing_secret=signing_secret,
        token_verification=token_verification,
        oauth_settings=oauth_settings,
        listener_executor=commands.lazy_pool,
    )
    # The slash command: answered in its ack, or acknowledged and answered on an answer worker.
    app.command(commands.brief.settings.command_name)(commands.ack_command)
    # The buttons: bolt's lazy listeners (the ack is the HTTP response; the lazy function,
    # on bolt's listener executor, answers after it).
    app.action(SHARE_ACTION_ID)(ack=commands.ack_button, lazy=[commands.answer_share])
    app.action(MORE_ACTION_ID)(ack=commands.ack_button, lazy=[commands.answer_more])
    return app
