"""Sign-in throttling shared by every web process, kept in Redis.

Per username, failed sign-ins within a 60-second window: after RECALL_LOGIN_ATTEMPTS_PER_MINUTE of
them the username is refused (even with the right password) until the window has passed. Per
client address, every attempt counts, up to ten times that many. The client address is the peer's;
X-Forwarded-For is believed only when the peer is one of RECALL_TRUSTED_PROXIES.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from functools import cache
from typing import Any, TypeVar

from litestar.connection import ASGIConnection
from litestar.stores.redis import RedisStore
from litestar.types import Scope
from redis.asyncio import Redis

from recall import auth
from recall.errors import InvalidInput, NotAuthenticated, TooManyAttempts
from recall.settings import get_settings

SIGN_IN_STORE = "sign_in_attempts"
WINDOW_SECONDS = 60
ADDRESS_FACTOR = 10
USERNAME_MAX = 150

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
T = TypeVar("T")


class SignInAttempts(RedisStore):
    """Counters of sign-in attempts; a Litestar store so it is emptied like the others."""

    def __init__(self, redis: Redis, per_username: int, trusted_proxies: Iterable[str]) -> None:
        super().__init__(redis, namespace="recall:sign-in")
        self.per_username = per_username
        self.per_address = ADDRESS_FACTOR * per_username
        self.trusted_proxies = tuple(trusted_proxies)

    async def admit(self, address: str, username: str) -> None:
        """Count an attempt from `address`; refuse it when the address or username is blocked."""
        address_key = self._make_key(f"address:{address}")
        user_key = self._make_key(f"user:{username}")
        # One round trip: start the address's window if needed, count, and read both windows.
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(address_key, 0, ex=WINDOW_SECONDS, nx=True)
        pipe.incr(address_key)
        pipe.ttl(address_key)
        pipe.get(user_key)
        pipe.ttl(user_key)
        _, attempts, address_ttl, failures, user_ttl = await pipe.execute()
        if attempts > self.per_address:
            raise TooManyAttempts(
                "too many sign-in attempts from this address; try again later", address_ttl
            )
        if int(failures or 0) > self.per_username:
            raise TooManyAttempts(
                "too many failed sign-ins for this username; try again later", user_ttl
            )

    async def failed(self, username: str) -> tuple[int, int]:
        """Count a failed sign-in of `username` in its window (started by the first failure);
        the failures so far and the seconds the window has left."""
        user_key = self._make_key(f"user:{username}")
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(user_key, 0, ex=WINDOW_SECONDS, nx=True)
        pipe.incr(user_key)
        pipe.ttl(user_key)
        _, failures, seconds = await pipe.execute()
        return int(failures), max(1, int(seconds))


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope: Scope, trusted_proxies: tuple[str, ...]) -> str:
    """The peer's address; behind trusted proxies, the right-most forwarded one not theirs."""
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    networks = _networks(trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    forwarded = [
        part.strip()
        for name, value in scope.get("headers", [])
        if name.lower() == b"x-forwarded-for"
        for part in value.decode("latin-1").split(",")
    ]
    for address in reversed(forwarded):
        if address and not _trusted(address, networks):
            return address[:64]
    return peer


async def throttled_login(
    connection: ASGIConnection[Any, Any, Any, Any], username: str, password: str
) -> tuple[str, auth.User]:
    """auth.login behind the throttle: TooManyAttempts (429, Retry-After) when blocked."""
    settings = get_settings()
    return await throttled(
        connection,
        username,
        lambda: auth.login(username, password, settings.secret_key, settings.token_ttl_minutes),
    )


async def throttled_password_change(
    connection: ASGIConnection[Any, Any, Any, Any], current_password: str, new_password: str
) -> None:
    """auth.change_own_password behind the throttle: a stolen token must not guess passwords."""
    actor = connection.user
    await throttled(
        connection,
        actor.username,
        lambda: auth.change_own_password(actor, current_password, new_password),
    )


async def throttled(
    connection: ASGIConnection[Any, Any, Any, Any],
    username: str,
    proof: Callable[[], Awaitable[T]],
) -> T:
    """Run `proof` of a password for `username`, counted by the sign-in throttle.

    A wrong password (NotAuthenticated, or InvalidInput naming current_password) counts as a
    failed sign-in of that username; TooManyAttempts (429, Retry-After) when blocked.
    """
    attempts = connection.app.stores.get(SIGN_IN_STORE)
    if not isinstance(attempts, SignInAttempts):
        raise TypeError("the app has no sign-in attempts store")  # create_app registers it
    name = username.strip().lower()[:USERNAME_MAX]
    address = client_address(connection.scope, attempts.trusted_proxies)
    await attempts.admit(address, name)
    try:
        return await proof()
    except (NotAuthenticated, InvalidInput) as exc:
        if isinstance(exc, InvalidInput) and exc.field != "current_password":
            raise
        failures, seconds = await attempts.failed(name)
        if failures == attempts.per_username + 1:  # this failure locks the username: on record
            await auth.sign_in_locked(name, failures, seconds, address)
        raise
