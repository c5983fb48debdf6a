"""The worker's Sender: webhooks over httpx clients shared by every job, e-mail through
aiosmtplib.

Without an SMTP server (RECALL_SMTP_HOST unset) e-mail cannot be sent. In production that
is a permanent delivery failure ("SMTP not configured"): the notice fails if it had no
other channel and QA is alerted, so nobody believes a mail went out. In demo, test and
development modes the message is written to RECALL_DATA_DIR/mail/ as an .eml file and
counts as delivered, so the demo works without a mail server.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpcore
import httpx

from recall import outbound
from recall.notices import DeliveryError
from recall.settings import Settings

log = logging.getLogger(__name__)

USER_AGENT = "Recall-Webhooks/1"
CONNECT_TIMEOUT_SECONDS = 5.0
# Webhooks are spread over this many clients in turn. httpcore's pool scans all its
# connections and waiting requests at every step: one pool of 500 connections spent
# milliseconds of CPU per request (26 notices a second in the national fan-out benchmark).
# 100 pools of 5 sent 8,000 requests ~15 % faster than 32 of 16 or 250 of 2.
CLIENTS = 100
# Answer bodies are not needed; read this much so the connection can be reused.
MAX_ANSWER_BYTES = 64 * 1024
# Mail servers limit connections per client; a few in parallel is plenty.
SMTP_CONNECTIONS = 10
SMTP_TIMEOUT_SECONDS = 30.0
SMTPS_PORT = 465


def connections_per_client(settings: Settings) -> int:
    """Connections (and requests in flight) per client: the concurrency over the clients."""
    return max(1, -(-settings.delivery.concurrency // CLIENTS))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens connections only to addresses the destination rule allows (recall.outbound).

    The host is resolved here and the socket connects to the very address that was checked,
    so a name cannot resolve to a public address for a check and to an internal one for the
    connection (DNS rebinding). TLS still verifies the certificate against the host name:
    httpcore hands the name to start_tls itself.
    """

    def __init__(self, rule: outbound.Destinations) -> None:
        self.rule = rule
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else time.monotonic() + timeout
        addresses = outbound.literal_addresses(host)
        if addresses is None:
            try:
                addresses = tuple(await asyncio.wait_for(outbound.resolve(host, port), timeout))
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
            except (OSError, UnicodeError) as exc:  # no such name, DNS unreachable
                raise httpcore.ConnectError(f"{host}: {exc}") from exc
        refused = outbound.first_refused(addresses, self.rule)
        if refused is not None or not addresses:
            raise outbound.DestinationNotAllowed(host, str(refused) if refused else None)
        failure: httpcore.ConnectError | None = None
        for address in addresses:  # in the resolver's order, as a plain connect would
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                return await self._network.connect_tcp(
                    str(address), port, left, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise outbound.DestinationNotAllowed(path)  # webhooks go over TCP only

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool on a GuardedBackend; no proxy from the
    environment (a proxy would connect on our behalf, past the check)."""

    def __init__(
        self, rule: outbound.Destinations, *, verify: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        super().__init__(verify=verify, limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(rule),
        )


def http_clients(settings: Settings) -> list[httpx.AsyncClient]:
    """The HTTP clients of a worker process, taken in turn by its webhooks; every one
    connects through a GuardedBackend."""
    delivery = settings.delivery
    connections = connections_per_client(settings)
    verify = httpx.create_ssl_context()  # the CA bundle is loaded once, for every client
    rule = outbound.Destinations.of(settings.webhook_allowed_networks)
    limits = httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=30,
    )
    return [
        httpx.AsyncClient(
            transport=GuardedTransport(rule, verify=verify, limits=limits),
            timeout=httpx.Timeout(
                delivery.webhook_timeout_seconds,
                connect=min(CONNECT_TIMEOUT_SECONDS, delivery.webhook_timeout_seconds),
                # Waiting for a free connection counts against the job, not the consignee.
                pool=delivery.job_timeout_seconds,
            ),
            follow_redirects=False,  # a moved webhook must be fixed in master data, not guessed
            headers={"user-agent": USER_AGENT},
        )
        for _ in range(CLIENTS)
    ]


class NetworkSender:
    """Delivers over the network; one per worker process."""

    def __init__(self, clients: Sequence[httpx.AsyncClient], settings: Settings) -> None:
        self.clients = list(clients)
        self.settings = settings
        # Requests wait for their client here, not in its pool's queue (scanned at every step).
        self._client_slots = [
            asyncio.Semaphore(connections_per_client(settings)) for _ in self.clients
        ]
        self._turn = itertools.count()
        self._smtp_slots = asyncio.Semaphore(SMTP_CONNECTIONS)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        # In turn, not by host: many consignees' webhooks may live on one provider's host.
        which = next(self._turn) % len(self.clients)
        try:
            async with (
                self._client_slots[which],
                self.clients[which].stream("POST", url, content=body, headers=headers) as answer,
            ):
                await _skim(answer)
                return answer.status_code
        except outbound.DestinationNotAllowed as exc:
            log.warning("webhook not sent: %s", exc)
            raise DeliveryError(outbound.NOT_ALLOWED, retryable=False) from exc
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"timed out ({type(exc).__name__})", retryable=True) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise DeliveryError(f"unusable webhook URL: {exc}", retryable=False) from exc
        except httpx.HTTPError as exc:  # connection refused or reset, DNS, protocol errors
            raise DeliveryError(_describe(exc), retryable=True) from exc

    async def mail(self, message: EmailMessage) -> None:
        smtp = self.settings.smtp
        if not smtp.configured:
            if self.settings.is_production:
                raise DeliveryError(
                    "SMTP not configured: set RECALL_SMTP_HOST to send e-mail", retryable=False
                )
            await asyncio.to_thread(_drop, message, self.settings.data_dir / "mail")
            return
        async with self._smtp_slots:
            try:
                await aiosmtplib.send(
                    message,
                    hostname=smtp.host,
                    port=smtp.port,
                    username=smtp.username or None,
                    password=smtp.password or None,
                    use_tls=smtp.port == SMTPS_PORT,
                    start_tls=smtp.starttls and smtp.port != SMTPS_PORT,
                    timeout=SMTP_TIMEOUT_SECONDS,
                )
            except aiosmtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients[0] if exc.recipients else None
                code = refused.code if refused else 550
                raise _smtp_error(code, refused.message if refused else str(exc)) from exc
            except aiosmtplib.SMTPResponseException as exc:
                raise _smtp_error(exc.code, exc.message) from exc
            except (aiosmtplib.SMTPException, OSError) as exc:  # connect, timeout, disconnect
                raise DeliveryError(f"SMTP: {_describe(exc)}", retryable=True) from exc


async def _skim(answer: httpx.Response) -> None:
    """Read a little of the answer, so a short one leaves the connection reusable."""
    if answer.is_stream_consumed:  # already in memory
        return
    read = 0
    async for piece in answer.aiter_raw():
        read += len(piece)
        if read > MAX_ANSWER_BYTES:
            return


def _smtp_error(code: int, text: str) -> DeliveryError:
    # 4xx is a transient refusal (greylisting, full mailbox); 5xx is final.
    return DeliveryError(f"SMTP {code}: {text}".strip(), retryable=400 <= code < 500)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _drop(message: EmailMessage, directory: Path) -> None:
    """Keep an unsent e-mail as a file (demo, test, development without SMTP)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.@-]", "_", str(message["Message-ID"] or "message").strip("<>"))
    (directory / f"{name}.eml").write_bytes(bytes(message))
    log.info("no SMTP server: e-mail to %s kept in %s", message["To"], directory)
