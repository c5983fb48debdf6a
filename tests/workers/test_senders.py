"""The worker's Sender: HTTP answers and network errors classified, a real SMTP server for mail."""

from __future__ import annotations

import socket
from dataclasses import replace
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller

from recall.notices import DeliveryError
from recall.settings import Settings, Smtp, get_settings
from workers.senders import KEEPALIVE_SECONDS, NetworkSender


def sender_with(handler, settings: Settings | None = None) -> NetworkSender:
    return NetworkSender(httpx.MockTransport(handler), settings or get_settings())


async def test_the_status_is_returned_and_the_body_and_headers_are_sent_as_given():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(410, text="gone")

    status = await sender_with(handler).post(
        "https://hooks.example/a", b'{"a":1}', {"webhook-id": "msg_1"}
    )
    assert status == 410
    assert seen[0].content == b'{"a":1}'
    assert seen[0].headers["webhook-id"] == "msg_1"


async def test_redirects_are_not_followed():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "https://elsewhere.example/"})

    assert await sender_with(handler).post("https://hooks.example/a", b"{}", {}) == 301


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.PoolTimeout("busy"),
        httpx.RemoteProtocolError("garbled"),
        httpx.ReadError("reset"),
    ],
)
async def test_network_trouble_is_worth_another_try(error):
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(DeliveryError) as caught:
        await sender_with(handler).post("https://hooks.example/a", b"{}", {})
    assert caught.value.retryable


async def test_an_unusable_url_is_final():
    sender = NetworkSender.of(get_settings())
    try:
        with pytest.raises(DeliveryError) as caught:
            await sender.post("ftp://hooks.example/a", b"{}", {})
    finally:
        await sender.aclose()
    assert not caught.value.retryable


async def test_one_pool_holds_the_concurrency_whatever_the_host_and_timeouts_are_explicit():
    # Thousands of pharmacies may share one provider's host: it may take every connection.
    settings = get_settings()
    sender = NetworkSender.of(settings)
    session = sender.transport.get_client()  # what the transport opens on first use
    try:
        connector = session.connector  # aiohttp's pool
        assert connector is not None
        assert connector.limit == settings.delivery.concurrency
        assert connector.limit_per_host == 0
        assert connector._keepalive_timeout == KEEPALIVE_SECONDS
        timeouts = sender._timeouts
        assert timeouts["read"] == settings.delivery.webhook_timeout_seconds
        assert timeouts["connect"] <= 5
        assert timeouts["pool"] == settings.delivery.job_timeout_seconds
    finally:
        await session.close()


async def test_a_request_carries_the_timeouts_and_the_user_agent():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    sender = sender_with(handler)
    assert await sender.post("https://hooks.example/a", b"{}", {}) == 204
    assert seen[0].extensions["timeout"] == sender._timeouts
    assert seen[0].headers["user-agent"].startswith("Recall-Webhooks/")


# Mail ---------------------------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: keeps messages, refuses some recipients with a given reply."""

    def __init__(self, refusals: dict[str, str] | None = None) -> None:
        self.refusals = refusals or {}
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox({"full@example.com": "452 Mailbox full", "nobody@example.com": "550 No such"})
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def mail_to(address: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "recall@plant.example"
    message["To"] = address
    message["Subject"] = "RECALL"
    message["Message-ID"] = "<msg_RCL-2026-0001_1@plant.example>"
    message.set_content("Hentikan distribusi.")
    return message


def smtp_settings(port: int) -> Settings:
    return replace(get_settings(), smtp=Smtp(host="127.0.0.1", port=port, starttls=False))


async def test_mail_goes_through_a_real_smtp_server(mailbox):
    box, port = mailbox
    sender = sender_with(lambda request: httpx.Response(200), smtp_settings(port))
    await sender.mail(mail_to("pbf@example.com"))
    [(recipients, content)] = box.messages
    assert recipients == ["pbf@example.com"]
    assert b"Message-ID: <msg_RCL-2026-0001_1@plant.example>" in content


async def test_smtp_4xx_is_retryable_and_5xx_is_final(mailbox):
    _, port = mailbox
    sender = sender_with(lambda request: httpx.Response(200), smtp_settings(port))
    with pytest.raises(DeliveryError) as full:
        await sender.mail(mail_to("full@example.com"))
    assert full.value.retryable and full.value.detail.startswith("SMTP 452")
    with pytest.raises(DeliveryError) as unknown:
        await sender.mail(mail_to("nobody@example.com"))
    assert not unknown.value.retryable and unknown.value.detail.startswith("SMTP 550")


async def test_an_unreachable_smtp_server_is_retryable():
    sender = sender_with(lambda request: httpx.Response(200), smtp_settings(free_port()))
    with pytest.raises(DeliveryError) as caught:
        await sender.mail(mail_to("pbf@example.com"))
    assert caught.value.retryable


async def test_without_smtp_production_fails_visibly(tmp_path):
    settings = replace(get_settings(), mode="production", smtp=Smtp(), data_dir=tmp_path)
    with pytest.raises(DeliveryError) as caught:
        await sender_with(lambda request: httpx.Response(200), settings).mail(mail_to("a@b.id"))
    assert not caught.value.retryable
    assert "SMTP not configured" in caught.value.detail
    assert not (tmp_path / "mail").exists()


async def test_without_smtp_demo_keeps_the_mail_as_a_file(tmp_path):
    settings = replace(get_settings(), mode="demo", smtp=Smtp(), data_dir=tmp_path)
    await sender_with(lambda request: httpx.Response(200), settings).mail(mail_to("a@b.id"))
    [kept] = (tmp_path / "mail").iterdir()
    assert kept.name == "msg_RCL-2026-0001_1@plant.example.eml"
    assert b"Hentikan distribusi." in kept.read_bytes()
