"""The worker checks the address it actually connects to, at every delivery: a webhook host
that was public when it was entered and resolves inside the plant's network when the notice
goes out (DNS rebinding) is not contacted, and the delivery fails as `destination not allowed`.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from recall import db, masterdata, notices, outbound
from recall.settings import Settings, get_settings
from tests.factories import (
    approved_recall,
    headers_for,
    make_consignee,
    recent_batch,
    ship,
)
from tests.workers.delivery_setup import deliver_over_the_network
from workers.senders import GuardedResolver, NetworkSender, webhook_transport

NAME = "rebind.attacker.example"
PUBLIC_AT_ENTRY = "93.184.216.34"


class Listener:
    """A real HTTP receiver on 127.0.0.1 that counts every connection made to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (int(line.split(b":")[1]) for line in head.split(b"\r\n")
                 if line.lower().startswith(b"content-length:")),
                0,
            )  # fmt: skip
            await reader.readexactly(length)
            self.requests.append(head)
            writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    receiver = Listener()
    receiver.server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    yield receiver
    receiver.server.close()
    await receiver.server.wait_closed()


@pytest.fixture
def dns(monkeypatch) -> dict[str, str]:
    """What the attacker's DNS server answers for its name right now."""
    answers = {NAME: PUBLIC_AT_ENTRY}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.lower() not in answers:
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[name.lower()], port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


async def rebound_delivery(client, dns: dict[str, str], listener: Listener) -> int:
    """Enter the consignee while its name is public, rebind it to 127.0.0.1, approve a recall
    and run the worker's delivery with its real HTTP clients; the notice's id."""
    entered = await client.post(
        "/api/consignees",
        json={
            "code": "RB-PBF",
            "name": "PBF Rebind",
            "kind": "pbf",
            "webhook_url": f"http://{NAME}:{listener.port}/hook",
        },
        headers=await headers_for("qa"),
    )
    assert entered.status_code == 201, entered.text  # public at entry
    dns[NAME] = "127.0.0.1"
    batch = await recent_batch()
    consignee = await masterdata.consignee_by_code("RB-PBF")
    await ship(batch, consignee, 100)
    await approved_recall(client, batch, depth="wholesale")
    await deliver_over_the_network()
    (notice,) = await db.fetch("SELECT id FROM notice WHERE consignee = {}", consignee.id)
    return int(notice["id"])


async def webhook_delivery(notice_id: int) -> dict:
    (row,) = await db.fetch(
        "SELECT d.status AS status, d.last_error AS last_error, "
        "(SELECT error FROM delivery_attempt a WHERE a.delivery = d.id ORDER BY a.id DESC "
        "LIMIT 1) AS attempt_error FROM delivery d WHERE d.notice = {} AND d.channel = 'webhook'",
        notice_id,
    )
    return row


@pytest.mark.usefixtures("public_webhooks_only")
async def test_a_name_rebound_to_loopback_is_not_contacted(client, dns, listener):
    notice_id = await rebound_delivery(client, dns, listener)
    assert listener.connections == 0
    delivery = await webhook_delivery(notice_id)
    assert delivery == {
        "status": "failed",
        "last_error": "destination not allowed",
        "attempt_error": "destination not allowed",
    }
    # QA sees why: the notice could not be delivered on any channel.
    answer = await client.get("/api/alerts", headers=await headers_for("qa"))
    assert any(
        "webhook: destination not allowed" in alert["detail"] for alert in answer.json()["items"]
    ), answer.text


async def test_the_same_delivery_goes_through_when_the_network_is_admitted(client, dns, listener):
    assert get_settings().webhook_allowed_networks == ("127.0.0.0/8",)  # tests/conftest.py
    notice_id = await rebound_delivery(client, dns, listener)
    assert len(listener.requests) == 1
    assert listener.requests[0].startswith(b"POST /hook HTTP/1.1")
    assert (await webhook_delivery(notice_id))["status"] == "delivered"


async def test_every_connection_of_the_worker_goes_through_the_guard():
    transport = webhook_transport(Settings(webhook_allowed_networks=("10.9.0.0/16",)))
    session = transport.get_client()  # what the transport opens on first use
    try:
        resolver = session.connector._resolver  # where aiohttp turns names into addresses
        assert isinstance(resolver, GuardedResolver)
        assert resolver.rule == outbound.Destinations.of(["10.9.0.0/16"])
        assert not session.trust_env  # no proxy taken from the environment
    finally:
        await session.close()


def certificate_for(name: str, directory) -> tuple[str, str]:
    """A self-signed certificate for `name` (and only it): (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


async def test_https_is_verified_against_the_host_name_not_the_checked_address(dns, tmp_path):
    # The guard connects to the address it checked; the certificate is still the name's.
    cert_file, key_file = certificate_for(NAME, tmp_path)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert_file, key_file)
    receiver = Listener()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0, ssl=server_side)
    port = server.sockets[0].getsockname()[1]
    dns[NAME] = "127.0.0.1"
    trusting = ssl.create_default_context(cafile=cert_file)
    settings = Settings(webhook_allowed_networks=("127.0.0.0/8",))
    sender = NetworkSender(webhook_transport(settings, verify=trusting), settings)
    try:
        assert await sender.post(f"https://{NAME}:{port}/hook", b"{}", {}) == 204
        with pytest.raises(notices.DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED"):
            await sender.post(f"https://127.0.0.1:{port}/hook", b"{}", {})
    finally:
        await sender.aclose()
        server.close()
        await server.wait_closed()
    assert len(receiver.requests) == 1


async def test_a_refused_destination_is_final(dns):
    sender = NetworkSender.of(Settings())
    try:
        for url in ("http://127.1:9/x", f"http://{NAME}:9/", "http://[::ffff:10.0.0.1]:9/"):
            dns[NAME] = "10.0.0.7"
            with pytest.raises(notices.DeliveryError) as refused:
                await sender.post(url, b"{}", {})
            assert (refused.value.detail, refused.value.retryable) == (outbound.NOT_ALLOWED, False)
        # A name that does not resolve is worth another try later.
        with pytest.raises(notices.DeliveryError) as unknown:
            await sender.post("http://no-such-host.example/", b"{}", {})
        assert unknown.value.retryable
    finally:
        await sender.aclose()


@pytest.mark.usefixtures("public_webhooks_only")
async def test_a_distributor_cannot_scan_ports_through_a_rebound_customer(client, dns, listener):
    # The review's port scanner: name a customer whose webhook is an internal port, then
    # read its delivery status. With a name rebound after entry it is refused, whatever port.
    batch = await recent_batch()
    pbf = await make_consignee("SC-PBF", name="PBF Scan")
    await ship(batch, pbf, 1000)
    await approved_recall(client, batch)
    (notice,) = await db.fetch("SELECT id FROM notice WHERE consignee = {}", pbf.id)
    headers = await headers_for("distributor", consignee_code="SC-PBF")
    path = f"/api/notices/{notice['id']}/sub-consignees"
    customers = [
        {"code": f"SCAN-{port}", "name": "Apotek Scan", "kind": "pharmacy",
         "batch_no": batch.batch_no, "quantity": 1, "webhook_url": f"http://{NAME}:{port}/x"}
        for port in (listener.port, 6379, 5432)
    ]  # fmt: skip
    named = await client.post(path, json={"consignees": customers}, headers=headers)
    assert named.status_code == 201, named.text  # public when named
    dns[NAME] = "127.0.0.1"
    await deliver_over_the_network()
    assert listener.connections == 0
    shown = await client.get(path, headers=headers)
    assert {item["code"]: item["status"] for item in shown.json()["items"]} == {
        f"SCAN-{port}": "failed" for port in (listener.port, 6379, 5432)
    }
    errors = await db.fetch(
        "SELECT DISTINCT d.last_error AS e FROM delivery d JOIN notice n ON n.id = d.notice "
        "WHERE n.tier = 2"
    )
    assert [row["e"] for row in errors] == ["destination not allowed"]
