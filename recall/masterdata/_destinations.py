"""Webhook URLs checked against the destination rule (recall.outbound) when they are entered.

Every way a webhook URL gets into master data goes through check_webhook_destination or
check_webhook_destinations: staff on the API and pages, consignees naming customers (API,
portal, distributor pages), the demo data. The worker checks again at every connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit

from recall import outbound
from recall.errors import InvalidInput
from recall.masterdata._models import check_webhook_url

# Names resolved at once for one request (a consignee may name 1,000 customers).
CONCURRENT_LOOKUPS = 16


async def check_webhook_destination(value: str | None, field: str = "webhook_url") -> str | None:
    """A webhook URL, trimmed (None when blank), whose host is and resolves to allowed
    addresses only; InvalidInput naming `field` otherwise."""
    url = check_webhook_url(value, field)
    if url is not None:
        await check_webhook_destinations([(field, url)])
    return url


async def check_webhook_destinations(urls: Sequence[tuple[str, str]]) -> None:
    """Refuse the first of (field, url) whose host is, or resolves to, an address webhooks
    may not reach. Each host is looked up once. A name that does not resolve is accepted
    (DNS may be down; the worker checks again), unless it can only be an internal name."""
    hosts = {_host(url) for _, url in urls}
    slots = asyncio.Semaphore(CONCURRENT_LOOKUPS)

    async def judged(host: str) -> bool:
        async with slots:
            return await _allowed(host, outbound.destinations())

    verdicts = dict(zip(hosts, await asyncio.gather(*map(judged, hosts)), strict=True))
    for field, url in urls:
        if not verdicts[_host(url)]:
            raise InvalidInput(field, f"{_host(url)} is not a public address")


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


async def _allowed(host: str, rule: outbound.Destinations) -> bool:
    addresses = outbound.literal_addresses(host)
    if addresses is None:
        try:
            addresses = tuple(await outbound.resolve(outbound.bare_host(host)))
        except (OSError, TimeoutError, UnicodeError, ValueError):
            addresses = ()
        if not addresses:
            return not outbound.is_internal_name(host)
    return bool(addresses) and outbound.first_refused(addresses, rule) is None
