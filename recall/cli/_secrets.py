"""recall secrets rotate: seal stored secrets again under the current key."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from recall.cli._common import (
    EXIT_OK,
    _checked_settings,
    _command_line_actor,
    _database,
)


def cmd_secrets_rotate(args: argparse.Namespace) -> int:
    """After RECALL_SECRET_KEY changed (the old one in RECALL_PREVIOUS_SECRET_KEYS)."""
    _checked_settings()

    async def rotate() -> Any:
        from recall import notices

        async with _database():
            return await notices.reseal_secrets(_command_line_actor())

    done = asyncio.run(rotate())
    print(
        f"resealed under the current key: {done.webhook_secrets} webhook secrets, "
        f"{done.portal_tokens} portal links, {done.stored_answers} stored answers; "
        "the previous secret key is no longer needed for them"
    )
    return EXIT_OK
