"""The ways a message leaves the system, chosen by config (SMS_BACKEND, SMTP_HOST).

Every sender takes one :class:`Outgoing` (with its idempotency key), calls out with a timeout
and either returns (accepted) or raises :class:`SendFailed` with a short reason that never holds
a phone number, a message text, a URL or a secret (it is stored and shown to coordinators).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from urllib.parse import quote

import requests

from .clock import now_utc
from .settings import NotifySettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    key: str
    to: str = field(repr=False)  # a phone number or an address: never in a repr or a log
    text: str = field(repr=False)
    kind: str = ""
    code: str = ""


class SendFailed(Exception):
    """The provider did not accept the message; ``permanent`` ones are not retried."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


Sender = Callable[[Outgoing], None]


def log_sender(message: Outgoing) -> None:
    """No gateway here: ids only, never the number or the text."""
    log.info("sms (log backend) key=%s kind=%s", message.key, message.kind)


def webhook_sender(url: str, timeout: float) -> Sender:
    """POST {"to", "text", "key"} as JSON; any 2xx answer means delivered."""

    def send(message: Outgoing) -> None:
        try:
            response = requests.post(
                url, json={"to": message.to, "text": message.text, "key": message.key},
                headers={"Idempotency-Key": message.key}, timeout=timeout, allow_redirects=False)
        except requests.Timeout:
            raise SendFailed("webhook: timeout") from None
        except requests.RequestException as exc:
            raise SendFailed(f"webhook: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise SendFailed(f"webhook: HTTP {response.status_code}",
                             permanent=response.status_code in (400, 422))

    return send


# --- Alibaba Cloud SMS (Dysmsapi 2017-05-25, SendSms, RPC signature HMAC-SHA1) ----------------

ALIYUN_VERSION = "2017-05-25"
# Answers that will not change on a retry.
ALIYUN_PERMANENT = {"isv.MOBILE_NUMBER_ILLEGAL", "isv.INVALID_PARAMETERS",
                    "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL"}


def percent_encode(value: str) -> str:
    """RFC 3986 as the signature wants it: only A–Z a–z 0–9 - _ . ~ stay; space is %20."""
    return quote(str(value), safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Sort the parameters (without Signature), encode name=value pairs joined by &, sign
    ``METHOD&%2F&encode(query)`` with HMAC-SHA1 under ``secret + "&"``, base64."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                         for k, v in sorted(params.items()) if k != "Signature")
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_sender(ns: NotifySettings, *, clock: Callable[[], datetime] | None = None) -> Sender:
    templates = dict(ns.aliyun_templates)

    def send(message: Outgoing) -> None:
        at = (clock or now_utc)()
        params = {
            "AccessKeyId": ns.aliyun_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": message.key[:64],  # the idempotency key travels with the message
            "PhoneNumbers": message.to,
            "RegionId": ns.aliyun_region,
            "SignName": ns.aliyun_sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": templates.get(message.kind, ns.aliyun_template_code),
            "TemplateParam": json.dumps({"text": message.text, "code": message.code},
                                        ensure_ascii=False),
            "Timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": ALIYUN_VERSION,
        }
        params["Signature"] = aliyun_signature(params, ns.aliyun_key_secret)
        try:
            response = requests.post(ns.aliyun_endpoint, data=params, timeout=ns.timeout_seconds,
                                     allow_redirects=False)
        except requests.Timeout:
            raise SendFailed("aliyun: timeout") from None
        except requests.RequestException as exc:
            raise SendFailed(f"aliyun: {type(exc).__name__}") from None
        try:
            answer = response.json()
            code = str(answer["Code"])
        except (ValueError, KeyError, TypeError):
            raise SendFailed(f"aliyun: malformed answer (HTTP {response.status_code})") from None
        if code != "OK":
            # Aliyun's codes are stable identifiers without personal data.
            raise SendFailed(f"aliyun: {code[:80]}", permanent=code in ALIYUN_PERMANENT)

    return send


def sms_sender_for(ns: NotifySettings) -> Sender:
    if ns.sms_backend == "webhook":
        return webhook_sender(ns.webhook_url, ns.timeout_seconds)
    if ns.sms_backend == "aliyun":
        return aliyun_sender(ns)
    return log_sender


# --- e-mail for coordinators ------------------------------------------------------------------

def smtp_sender(ns: NotifySettings) -> Sender:
    """One message per call over SMTP (STARTTLS when configured); its Message-ID is derived from
    the idempotency key, so a mail client shows a retried copy as the same message."""

    def send(message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"] = ns.smtp_from or ns.smtp_username
        mail["To"] = message.to
        mail["Subject"] = message.text[:60]
        mail["Message-ID"] = f"<{hashlib.sha256(message.key.encode()).hexdigest()[:32]}@lectureorder>"
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(ns.smtp_host, ns.smtp_port, timeout=ns.timeout_seconds) as smtp:
                if ns.smtp_starttls:
                    smtp.starttls()
                if ns.smtp_username:
                    smtp.login(ns.smtp_username, ns.smtp_password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailed(f"smtp: {type(exc).__name__}") from None

    return send


def mail_sender_for(ns: NotifySettings) -> Sender | None:
    return smtp_sender(ns) if ns.smtp_host else None
