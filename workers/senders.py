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
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx

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


def http_clients(settings: Settings) -> list[httpx.AsyncClient]:
    """The HTTP clients of a worker process, taken in turn by its webhooks."""
    delivery = settings.delivery
    connections = connections_per_client(settings)
    verify = httpx.create_ssl_context()  # the CA bundle is loaded once, for every client
    return [
        httpx.AsyncClient(
            timeout=httpx.Timeout(
                delivery.webhook_timeout_seconds,
                connect=min(CONNECT_TIMEOUT_SECONDS, delivery.webhook_timeout_seconds),
                # Waiting for a free connection counts against the job, not the consignee.
                pool=delivery.job_timeout_seconds,
            ),
            limits=httpx.Limits(
                max_connections=connections,
                max_keepalive_connections=connections,
                keepalive_expiry=30,
            ),
            verify=verify,
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
