"""recall serve: the web server (uvicorn)."""

from __future__ import annotations

import argparse

from recall.cli._common import (
    EXIT_OK,
    _checked_settings,
)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _checked_settings()
    import uvicorn

    from web.observability import configure_logging

    configure_logging(args.log_level)
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        log_config=None,  # configure_logging's JSON lines
        access_log=False,  # web.observability writes it, without tokens in paths
        # X-Forwarded-* are believed only from RECALL_TRUSTED_PROXIES (else anyone could set
        # the client address the sign-in throttle counts by).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=_trusted_proxies(settings.trusted_proxies),
        lifespan="on",
    )
    return EXIT_OK


def _trusted_proxies(networks: tuple[str, ...]) -> list[str]:
    # uvicorn reads networks strictly: 10.0.0.1/8 becomes 10.0.0.0/8.
    import ipaddress

    return [str(ipaddress.ip_network(network, strict=False)) for network in networks]
