"""Failure alerts: a JSON record per failed run in the object store, and an optional Slack-compatible webhook.

Why both: the record is the audit trail (it is there even when nobody configured a webhook, or the webhook
was down), the webhook is what wakes someone up. The Dagster sensor that calls this lives in
`defs/operations/`; everything here is plain Python so it can be tested and reused without Dagster.

The webhook URL is a secret (a Slack incoming-webhook URL is its own credential): it is never written to
the record, a log line or an exception message; errors name only its host.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from smarthome_assets.storage.object_store import ObjectStore

ALERTS_PREFIX = "alerts/"
#: Slack truncates long sections; the record keeps the whole error, the message the start of it.
_MESSAGE_ERROR_CHARS = 1500


def alert_key(failed_at: datetime, run_id: str) -> str:
    """`alerts/<UTC date>/<run id>.json`: one object per failed run, listed by day."""
    return f"{ALERTS_PREFIX}{failed_at.astimezone(UTC).date().isoformat()}/{run_id}.json"


@dataclass(frozen=True)
class FailureRecord:
    """What failed, where and why: enough to replay the run (`assets` + `partitions`) without the UI."""

    run_id: str
    job_name: str
    failed_at: datetime
    error: str
    assets: list[str] = field(default_factory=list)
    partitions: str = ""
    failed_steps: dict[str, str] = field(default_factory=dict)
    ui_url: str = ""

    def to_json(self) -> bytes:
        body = asdict(self)
        body["failed_at"] = self.failed_at.astimezone(UTC).isoformat()
        return json.dumps(body, indent=2, sort_keys=True).encode()

    @property
    def key(self) -> str:
        return alert_key(self.failed_at, self.run_id)


def slack_message(record: FailureRecord) -> dict:
    """A Slack incoming-webhook payload (`text` for notifications, `blocks` for the layout); Mattermost,
    Teams' Slack-compatible endpoints and most chat tools accept the same JSON."""
    what = ", ".join(record.assets) or record.job_name
    where = f" for {record.partitions}" if record.partitions else ""
    headline = f":rotating_light: smarthome run {record.run_id[:8]} failed: {what}{where}"
    error = record.error if len(record.error) <= _MESSAGE_ERROR_CHARS else record.error[:_MESSAGE_ERROR_CHARS] + "…"
    fields = [
        {"type": "mrkdwn", "text": f"*Job*\n{record.job_name}"},
        {"type": "mrkdwn", "text": f"*Run*\n{record.run_id}"},
        {"type": "mrkdwn", "text": f"*Partitions*\n{record.partitions or '-'}"},
        {"type": "mrkdwn", "text": f"*Failed at*\n{record.failed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"},
    ]
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"```{error}```"}},
    ]
    if record.ui_url:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{record.ui_url}|Open the run>"}]})
    return {"text": f"{headline}\n{error.splitlines()[0] if error else ''}", "blocks": blocks}


class WebhookError(RuntimeError):
    """The webhook did not accept the message; says which host and why, never the URL itself."""


def post_webhook(url: str, payload: dict, timeout: float = 10.0) -> int:
    """POST `payload` as JSON; return the HTTP status. Raises WebhookError on anything but 2xx."""
    host = urlsplit(url).hostname or "?"
    if urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError(f"alert webhook: only http(s) URLs are supported (host {host})")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "smarthome-alerts"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"alert webhook at {host} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"alert webhook at {host} unreachable: {reason}") from None


@dataclass(frozen=True)
class AlertSink:
    """Where failure alerts go: always the object store, and the webhook when a URL is configured."""

    store: ObjectStore
    webhook_url: str = field(default="", repr=False)

    @property
    def webhook_configured(self) -> bool:
        return bool(self.webhook_url)

    def send(self, record: FailureRecord) -> tuple[str, int | None]:
        """Write the record (first: it must exist even if the webhook fails), then post the message.
        Returns (record key, webhook status or None when no webhook is configured)."""
        self.store.put_bytes(record.key, record.to_json())
        if not self.webhook_url:
            return record.key, None
        return record.key, post_webhook(self.webhook_url, slack_message(record))
