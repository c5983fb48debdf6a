"""recall migrate: apply database migrations."""

from __future__ import annotations

import argparse
import asyncio

from recall.cli._common import (
    EXIT_OK,
    _checked_settings,
)


def cmd_migrate(args: argparse.Namespace) -> int:
    _checked_settings()
    from recall import db

    asyncio.run(db.run_migrations())
    print("recall: migrations applied")
    return EXIT_OK
