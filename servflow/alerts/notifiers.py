"""Airflow notifiers that deliver alert digests: SMTP (the SMTP provider) and a chat webhook.

The alerts DAG builds its senders here. Digests are passed to the notifiers fully rendered and
sent with `notify()`, never through Airflow's template rendering, so text from the log is never
evaluated as a Jinja template.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseNotifier

from servflow.alerts.deliver import Digest, Sender, post_json

__all__ = ["ChatWebhookNotifier", "airflow_senders"]


class ChatWebhookNotifier(BaseNotifier):
    """POST a JSON message to a chat robot webhook (WeCom / DingTalk group robot style)."""

    template_fields = ()  # the message holds log text: nothing is rendered as a template

    def __init__(self, url: str, payload: dict[str, Any], *, timeout: float = 10.0) -> None:
        super().__init__()
        self.url = url
        self.payload = payload
        self.timeout = timeout

    def notify(self, context: Any) -> None:
        post_json(self.url, self.payload, timeout=self.timeout)


def airflow_senders(smtp_conn_id: str, from_email: str | None = None) -> dict[str, Sender]:
    """Senders for `deliver_alerts`: e-mail through the SMTP provider's `SmtpNotifier` on the
    Airflow connection `smtp_conn_id`, webhooks through `ChatWebhookNotifier`."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    def email(digest: Digest) -> None:
        SmtpNotifier(
            to=list(digest.recipient.email),
            from_email=from_email,
            subject=digest.subject,
            html_content=digest.html,
            smtp_conn_id=smtp_conn_id,
            mime_subtype="alternative",
        ).notify({})

    def webhook(digest: Digest) -> None:
        if not digest.recipient.webhook:
            raise ValueError(f"recipient {digest.recipient.name!r} has no webhook URL")
        ChatWebhookNotifier(digest.recipient.webhook, digest.payload).notify({})

    return {"email": email, "webhook": webhook}
