"""recall audit verify: check the audit hash chain."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from recall.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    _checked_settings,
    _database,
)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    settings = _checked_settings()

    async def verify() -> Any:
        from recall import audit

        async with _database():
            return await audit.verify(full=args.full)

    result = asyncio.run(verify())
    checked = f"{result.checked} re-hashed" + ("" if result.full else f" after #{result.since}")
    if result.ok:
        print(f"ok: {result.entries} audit entries, chain intact ({checked})")
        return EXIT_OK
    if result.first_bad is None:
        print(f"BROKEN: {result.problem} (files in {settings.audit_checkpoint_dir})")
    else:
        print(
            f"BROKEN: audit entry seq {result.first_bad}: {result.problem} "
            f"({result.entries} entries before it are intact)"
        )
    if result.problem == "unknown key":
        print("list the secret key it was written with in RECALL_PREVIOUS_SECRET_KEYS")
    return EXIT_FAILED
