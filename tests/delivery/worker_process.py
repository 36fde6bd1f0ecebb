"""A delivery process for the crash and replica tests: the real worker loop (and, with
``--plan``, the real leader election and planning timer) against a database and a fake Slack.

    python -m tests.delivery.worker_process --database-url URL --slack-api-url URL [--plan] ...

It runs until killed (the tests use SIGKILL at random moments) or for ``--max-seconds``.
With ``--no-history`` it never checks whether a post in doubt already landed: the control run
that proves the crash test can see duplicates.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import timedelta

from pydantic import SecretStr

from briefing.appstate import Briefing
from briefing.delivery.compose import DeliveryReplies
from briefing.delivery.service import DeliveryService
from briefing.delivery.worker import Worker, WorkerConfig
from briefing.platforms.slack.poster import SlackPoster, delivery_client
from briefing.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--slack-api-url", required=True)
    parser.add_argument("--name", default=f"worker-{os.getpid()}")
    parser.add_argument("--plan", action="store_true", help="also elect a leader and plan")
    parser.add_argument("--tick-s", type=float, default=1.0)
    parser.add_argument("--concurrency", "--threads", type=int, default=4)
    parser.add_argument("--lease-s", type=float, default=3.0)
    parser.add_argument("--timeout-s", type=int, default=1)
    parser.add_argument("--retry-base-s", type=float, default=0.2)
    parser.add_argument("--channel-interval-s", type=float, default=1.0)
    parser.add_argument("--no-history", action="store_true")
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--quiet", action="store_true", help="warnings only (benchmarks)")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.WARNING,
        format=f"%(asctime)s {args.name} %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.quiet:
        for name in ("briefing.delivery.leader", "briefing.delivery.worker"):
            logging.getLogger(name).setLevel(logging.DEBUG)

    settings = load_settings(
        database_url=args.database_url,
        slack_api_url=args.slack_api_url,
        slack_bot_token=SecretStr("xoxb-test"),
        delivery_leader_retry_s=1.0,
        _env_file=None,
    )
    brief = Briefing.load(settings)
    poster = SlackPoster(delivery_client(settings, timeout_s=args.timeout_s))
    config = WorkerConfig(
        lease=timedelta(seconds=args.lease_s),
        retry_base=timedelta(seconds=args.retry_base_s),
        retry_cap=timedelta(seconds=5),
        history_margin=timedelta(seconds=5),
        channel_interval_s=args.channel_interval_s,
        concurrency=args.concurrency,
        poll_s=0.2,
    )
    if args.plan:
        service = DeliveryService(brief, poster, config=config, tick_s=args.tick_s, name=args.name)
        service.worker.check_history = not args.no_history
        service.start()
    else:
        worker = Worker(
            brief,
            poster,
            DeliveryReplies(brief),
            config=config,
            owner=args.name,
            check_history=not args.no_history,
        )
        worker.start()
    print(f"{args.name} ready", flush=True)
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
