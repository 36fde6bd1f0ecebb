"""Files shared with a slash command in Slack (``/brief watch import``).

A slash command carries no attachment, so the user uploads the file to the channel and names it
in the command: its link (``https://acme.slack.com/files/U1/F0123ABCD/list.csv``, as Slack
shares it) or its id. With neither, the newest file the same user shared in the channel in the
last :data:`RECENT` is taken. ``files.info`` gives the file's private URL, which is downloaded
with the bot token (scope ``files:read``), never more than the caller's byte limit.
"""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from briefing.appstate import FileError, SharedFile

_FILE_ID = re.compile(r"(?<![A-Za-z0-9])(F[A-Z0-9]{6,})(?![A-Za-z0-9])")
RECENT_S = 600.0
DOWNLOAD_TIMEOUT_S = 20


def file_id_in(ref: str) -> str | None:
    """``F0123ABCD`` from a file id, a Slack file link, or Slack's ``<link|label>`` form."""
    match = _FILE_ID.search(ref)
    return match.group(1) if match else None


class SlackFiles:
    """:class:`~briefing.appstate.FileSource` for one slash command."""

    def __init__(
        self,
        client: Callable[[], WebClient],
        *,
        channel_id: str | None,
        user_id: str | None,
        clock: float | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client  # made on first use (OAuth mode: the workspace's token)
        self.channel_id = channel_id
        self.user_id = user_id
        self._now = clock
        self._progress = progress

    def fetch(self, ref: str | None, *, max_bytes: int) -> SharedFile:
        file_id = file_id_in(ref) if ref else self._newest()
        if file_id is None:
            raise FileError(
                f"{ref!r} is not a Slack file link or id — upload the file here, then copy its "
                "link (… › Copy link) after `watch import`"
                if ref
                else "no file: upload the CSV to this channel, then run the command again "
                "(or give the file's link after `import`)"
            )
        try:
            info = self._client().files_info(file=file_id)
        except SlackApiError as exc:
            code = exc.response.get("error")
            if code == "missing_scope":
                raise FileError(
                    "the app lacks the files:read scope; reinstall it from manifest.yml"
                ) from exc
            raise FileError(f"Slack could not give me file {file_id} ({code})") from exc
        except (SlackClientError, OSError) as exc:
            raise FileError(f"Slack could not be reached for file {file_id}") from exc
        meta = info.get("file") or {}
        name = str(meta.get("name") or file_id)
        size = int(meta.get("size") or 0)
        if size > max_bytes:
            raise FileError(f"{name} is {size:,} bytes; the limit is {max_bytes:,}")
        url = meta.get("url_private_download") or meta.get("url_private")
        if not url:
            raise FileError(f"{name} has no downloadable content")
        return SharedFile(name, self._download(str(url), name, max_bytes))

    def send_private(self, name: str, data: bytes, title: str) -> str:
        """Upload ``data`` to a direct message with the caller (Slack has no private file in
        a channel)."""
        if not self.user_id:
            raise FileError("no user to send the file to")
        try:
            client = self._client()
            opened = client.conversations_open(users=self.user_id)
            channel = (opened.get("channel") or {})["id"]
            client.files_upload_v2(channel=channel, content=data, filename=name, title=title)
        except (SlackApiError, SlackClientError, OSError, KeyError) as exc:
            code = exc.response.get("error") if isinstance(exc, SlackApiError) else None
            raise FileError(f"Slack did not take the file ({code or 'upload failed'})") from exc
        return "sent to you in a direct message"

    def progress(self, text: str) -> None:
        if self._progress is not None:
            self._progress(text)

    def _download(self, url: str, name: str, max_bytes: int) -> bytes:
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise FileError(f"{name}: Slack gave an address I will not fetch")
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {self._client().token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as answer:
                kind = answer.headers.get("Content-Type", "")
                data: bytes = answer.read(max_bytes + 1)
        except (URLError, OSError) as exc:
            raise FileError(f"downloading {name} from Slack failed ({exc})") from exc
        if len(data) > max_bytes:
            raise FileError(f"{name} is more than {max_bytes:,} bytes")
        if kind.startswith("text/html"):
            # Slack answers a token it does not accept with its sign-in page.
            raise FileError(f"Slack did not let me download {name} (check the files:read scope)")
        return data

    def _newest(self) -> str | None:
        if not self.channel_id or not self.user_id:
            return None
        now = self._now if self._now is not None else time.time()
        try:
            found = self._client().files_list(
                channel=self.channel_id, user=self.user_id, ts_from=str(int(now - RECENT_S))
            )
        except (SlackApiError, SlackClientError, OSError):
            return None
        files = sorted(found.get("files") or [], key=lambda f: f.get("created") or 0)
        return str(files[-1]["id"]) if files else None
