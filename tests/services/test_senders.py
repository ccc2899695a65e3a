"""The SMS and e-mail senders against local fakes: a webhook listener and an Alibaba Cloud
SendSms server (on 127.0.0.1) that checks the signature, and a fake smtplib."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from lectureorder.services import senders
from lectureorder.services.senders import Outgoing, SendFailed, aliyun_signature
from lectureorder.services.settings import NotifySettings

MESSAGE = Outgoing(key="order:1:received", to="13800001234", text="已收到您的点单，单号AB3CD7。",
                   kind="order_received", code="AB3CD7")
SECRET = "testsecret"


@contextmanager
def local_server(answers):
    """Serve ``answers`` (status, body, delay) in turn; record each request's body."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((dict(self.headers), body))
            status, reply, delay = answers[min(len(seen), len(answers)) - 1]
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(reply(body) if callable(reply) else reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_posts_to_text_key_and_2xx_is_delivered():
    with local_server([(204, b"", 0)]) as (url, seen):
        senders.webhook_sender(url, timeout=2)(MESSAGE)
    headers, body = seen[0]
    assert json.loads(body) == {"to": "13800001234", "text": MESSAGE.text, "key": MESSAGE.key}
    assert headers["Idempotency-Key"] == MESSAGE.key


def test_webhook_500_then_success():
    with local_server([(500, b"oops", 0), (200, b"{}", 0)]) as (url, seen):
        send = senders.webhook_sender(url, timeout=2)
        with pytest.raises(SendFailed) as failed:
            send(MESSAGE)
        assert failed.value.reason == "webhook: HTTP 500" and not failed.value.permanent
        send(MESSAGE)
    assert [json.loads(b)["key"] for _, b in seen] == [MESSAGE.key, MESSAGE.key]


def test_webhook_timeout_says_so_without_the_url_or_phone():
    with local_server([(200, b"{}", 1.5)]) as (url, _):
        with pytest.raises(SendFailed) as failed:
            senders.webhook_sender(url + "?token=s3cret", timeout=0.3)(MESSAGE)
    assert failed.value.reason == "webhook: timeout"


def test_webhook_unreachable():
    with pytest.raises(SendFailed) as failed:
        senders.webhook_sender("http://127.0.0.1:9/", timeout=1)(MESSAGE)
    assert failed.value.reason.startswith("webhook: ") and "127.0.0.1" not in failed.value.reason


def aliyun_settings(url: str, **changes) -> NotifySettings:
    values = dict(sms_backend="aliyun", aliyun_endpoint=url, aliyun_key_id="testid",
                  aliyun_key_secret=SECRET, aliyun_sign_name="平安宣讲",
                  aliyun_template_code="SMS_100", timeout_seconds=2)
    values.update(changes)
    return NotifySettings(**values)


def verifying(body: bytes) -> bytes:
    """The fake gateway: recompute the signature from the form as Aliyun does."""
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    given = params.pop("Signature")
    if given != aliyun_signature(params, SECRET, "POST"):
        return json.dumps({"Code": "SignatureDoesNotMatch", "Message": "bad"}).encode()
    return json.dumps({"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"}).encode()


def test_aliyun_send_sms_is_signed_and_carries_the_parameters():
    with local_server([(200, verifying, 0)]) as (url, seen):
        senders.aliyun_sender(aliyun_settings(url))(MESSAGE)
    params = dict(parse_qsl(seen[0][1].decode()))
    assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
    assert params["SignatureMethod"] == "HMAC-SHA1" and params["SignatureVersion"] == "1.0"
    assert params["PhoneNumbers"] == "13800001234" and params["SignName"] == "平安宣讲"
    assert params["TemplateCode"] == "SMS_100" and params["OutId"] == MESSAGE.key
    assert json.loads(params["TemplateParam"]) == {"text": MESSAGE.text, "code": "AB3CD7"}
    assert params["Timestamp"].endswith("Z") and SECRET not in seen[0][1].decode()


def test_aliyun_wrong_secret_is_refused_by_the_fake():
    with local_server([(200, verifying, 0)]) as (url, _):
        with pytest.raises(SendFailed) as failed:
            senders.aliyun_sender(aliyun_settings(url, aliyun_key_secret="wrong"))(MESSAGE)
    assert failed.value.reason == "aliyun: SignatureDoesNotMatch"


def test_aliyun_kind_template_500_then_ok_malformed_and_timeout():
    answers = [(500, b"<html>", 0), (200, verifying, 0), (200, b"not json", 0)]
    with local_server(answers) as (url, seen):
        send = senders.aliyun_sender(aliyun_settings(
            url, aliyun_templates=(("order_received", "SMS_RECEIVED"),)))
        with pytest.raises(SendFailed) as failed:
            send(MESSAGE)
        assert "malformed" in failed.value.reason
        send(MESSAGE)
        assert dict(parse_qsl(seen[1][1].decode()))["TemplateCode"] == "SMS_RECEIVED"
        with pytest.raises(SendFailed):
            send(MESSAGE)
    with local_server([(200, verifying, 1.5)]) as (url, _):
        with pytest.raises(SendFailed) as failed:
            senders.aliyun_sender(aliyun_settings(url, timeout_seconds=0.3))(MESSAGE)
    assert failed.value.reason == "aliyun: timeout"


def test_aliyun_illegal_number_is_permanent():
    reply = json.dumps({"Code": "isv.MOBILE_NUMBER_ILLEGAL"}).encode()
    with local_server([(200, reply, 0)]) as (url, _):
        with pytest.raises(SendFailed) as failed:
            senders.aliyun_sender(aliyun_settings(url))(MESSAGE)
    assert failed.value.permanent


def test_percent_encoding_is_rfc3986():
    assert senders.percent_encode("a b*~/+") == "a%20b%2A~%2F%2B"
    assert senders.percent_encode("宣") == "%E5%AE%A3"


def test_smtp_with_timeout_starttls_login_and_message_id(monkeypatch):
    calls = {}

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            calls["connect"] = (host, port, timeout)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            calls["tls"] = True

        def login(self, user, password):
            calls["login"] = user

        def send_message(self, mail):
            calls["mail"] = mail

    monkeypatch.setattr(senders.smtplib, "SMTP", FakeSMTP)
    ns = NotifySettings(smtp_host="mail.example.cn", smtp_port=2525, smtp_username="bot",
                        smtp_password="pw", smtp_from="bot@example.cn", timeout_seconds=3)
    senders.mail_sender_for(ns)(Outgoing(key="attn", to="d@example.cn", text="点单需要处理"))
    assert calls["connect"] == ("mail.example.cn", 2525, 3) and calls["tls"]
    assert calls["login"] == "bot" and calls["mail"]["To"] == "d@example.cn"
    assert calls["mail"]["Message-ID"].endswith("@lectureorder>")


def test_smtp_failure_is_a_send_failure(monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr(senders.smtplib, "SMTP", refuse)
    with pytest.raises(SendFailed) as failed:
        senders.smtp_sender(NotifySettings(smtp_host="x"))(MESSAGE)
    assert failed.value.reason == "smtp: ConnectionRefusedError"


def test_secrets_stay_out_of_reprs():
    ns = aliyun_settings("http://x/", smtp_password="pw-secret", webhook_url="http://h/?t=tok")
    text = repr(ns) + repr(MESSAGE)
    assert SECRET not in text and "pw-secret" not in text and "tok" not in text
    assert "13800001234" not in text


def test_backend_choice():
    assert senders.sms_sender_for(NotifySettings()) is senders.log_sender
    assert senders.mail_sender_for(NotifySettings()) is None
