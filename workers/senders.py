"""The worker's Sender: webhooks over one guarded connection pool shared by every job,
e-mail through aiosmtplib.

Without an SMTP server (RECALL_SMTP_HOST unset) e-mail cannot be sent. In production that
is a permanent delivery failure ("SMTP not configured"): the notice fails if it had no
other channel and QA is alerted, so nobody believes a mail went out. In demo, test and
development modes the message is written to RECALL_DATA_DIR/mail/ as an .eml file and
counts as delivered, so the demo works without a mail server.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import aiosmtplib
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from httpx_aiohttp import AiohttpTransport

from recall import outbound
from recall.notices import DeliveryError
from recall.settings import Settings

log = logging.getLogger(__name__)

USER_AGENT = "Recall-Webhooks/1"
CONNECT_TIMEOUT_SECONDS = 5.0
KEEPALIVE_SECONDS = 30.0
# Answer bodies are not needed; read this much so the connection can be reused.
MAX_ANSWER_BYTES = 64 * 1024
# Mail servers limit connections per client; a few in parallel is plenty.
SMTP_CONNECTIONS = 10
SMTP_TIMEOUT_SECONDS = 30.0
SMTPS_PORT = 465


class GuardedResolver(AbstractResolver):
    """Resolves webhook hosts for aiohttp and refuses names whose addresses the destination
    rule does not allow (recall.outbound).

    The connector connects to the very addresses returned here, so a name cannot resolve to
    a public address for a check and to an internal one for the connection (DNS rebinding).
    TLS still verifies the certificate against the host name.
    """

    def __init__(self, rule: outbound.Destinations) -> None:
        self.rule = rule

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = outbound.literal_addresses(host)
        if addresses is None:
            try:
                addresses = tuple(await outbound.resolve(host, port))
            except (OSError, UnicodeError, TimeoutError) as exc:  # no such name, DNS down
                raise OSError(f"{host}: {_describe(exc)}") from exc
        _refuse_unless_allowed(host, addresses, self.rule)
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses  # in the resolver's order, as a plain connect would
        ]

    async def close(self) -> None:
        return None


def webhook_transport(settings: Settings, verify: ssl.SSLContext | None = None) -> AiohttpTransport:
    """The worker's webhook transport: httpx's request and answer types over aiohttp's
    connection pool (keep-alive per receiving host), every connection through a
    GuardedResolver, no proxy from the environment (a proxy would connect past the check).

    httpcore's pool scans every connection and waiting request at each step; with hundreds
    of requests in flight that cost about a millisecond of CPU per webhook.
    """
    rule = outbound.Destinations.of(settings.webhook_allowed_networks)
    verify = verify or ssl.create_default_context()  # the CA bundle is loaded once per process

    def session() -> aiohttp.ClientSession:  # made on first use: aiohttp needs the running loop
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(rule),
            ssl=verify,
            limit=settings.delivery.concurrency,
            limit_per_host=0,  # many consignees' webhooks may live on one provider's host
            keepalive_timeout=KEEPALIVE_SECONDS,
        )
        return aiohttp.ClientSession(connector=connector, trust_env=False)

    return AiohttpTransport(client=session, trust_env=False)


def request_timeouts(settings: Settings) -> dict[str, float | None]:
    delivery = settings.delivery
    return httpx.Timeout(
        delivery.webhook_timeout_seconds,
        connect=min(CONNECT_TIMEOUT_SECONDS, delivery.webhook_timeout_seconds),
        # Waiting for a free connection counts against the job, not the consignee.
        pool=delivery.job_timeout_seconds,
    ).as_dict()


class NetworkSender:
    """Delivers over the network; one per worker process."""

    def __init__(self, transport: httpx.AsyncBaseTransport, settings: Settings) -> None:
        self.transport = transport
        self.settings = settings
        self._rule = outbound.Destinations.of(settings.webhook_allowed_networks)
        self._timeouts = request_timeouts(settings)
        self._smtp_slots = asyncio.Semaphore(SMTP_CONNECTIONS)

    @classmethod
    def of(cls, settings: Settings) -> NetworkSender:
        return cls(webhook_transport(settings), settings)

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        try:
            request = httpx.Request(
                "POST",
                url,  # parsed per send: each consignee's URL is used once per fan-out
                content=body,
                headers={"user-agent": USER_AGENT, **headers},
                extensions={"timeout": self._timeouts},
            )
            self._check_literal(request.url.host)
            answer = await self.transport.handle_async_request(request)
            try:
                await _skim(answer)
            finally:
                await answer.aclose()
            return answer.status_code
        except outbound.DestinationNotAllowed as exc:
            log.warning("webhook not sent: %s", exc)
            raise DeliveryError(outbound.NOT_ALLOWED, retryable=False) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise DeliveryError(f"unusable webhook URL: {exc}", retryable=False) from exc
        except httpx.HTTPError as exc:  # timeouts, refused or reset, DNS, TLS, protocol
            raise DeliveryError(_network_trouble(exc), retryable=True) from exc

    def _check_literal(self, host: str) -> None:
        """An address written in the URL is checked here: aiohttp connects to it directly,
        without asking the resolver."""
        addresses = _literal_addresses(host)
        if addresses is not None:
            _refuse_unless_allowed(host, addresses, self._rule)

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


# Checked once per receiving host: a fan-out posts to few hosts, many times each.
@functools.lru_cache(maxsize=4096)
def _literal_addresses(host: str) -> tuple[outbound.IPAddress, ...] | None:
    return outbound.literal_addresses(host)


def _refuse_unless_allowed(
    host: str, addresses: tuple[outbound.IPAddress, ...], rule: outbound.Destinations
) -> None:
    """DestinationNotAllowed unless the host means at least one address, all of them allowed."""
    refused = outbound.first_refused(addresses, rule)
    if refused is not None or not addresses:
        raise outbound.DestinationNotAllowed(host, str(refused) if refused else None)


def _network_trouble(exc: httpx.HTTPError) -> str:
    """What went wrong, for QA: the transport's own error where it translated one (its
    translation calls a refused TLS certificate a connect timeout)."""
    cause = exc.__cause__ or exc
    if isinstance(cause, TimeoutError | httpx.TimeoutException):
        return f"timed out ({type(cause).__name__})"
    return _describe(cause)


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
