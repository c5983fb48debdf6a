"""What every command shares: exit codes, usage errors, checked settings, the database."""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recall.settings import Settings


EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


class UsageError(Exception):
    """The command was called in a way it cannot serve (exit code 2)."""


def _checked_settings() -> Settings:
    from recall.settings import get_settings

    settings = get_settings()
    settings.check()
    return settings


@contextlib.asynccontextmanager
async def _database() -> AsyncIterator[None]:
    from recall import db

    await db.connect(max_size=2)
    try:
        yield
    finally:
        await db.disconnect()


def _command_line_actor() -> Any:
    from recall.actors import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        who = str(os.getuid())
    return Actor(id=None, username=f"cli:{who}", full_name="Command line", roles=frozenset())
