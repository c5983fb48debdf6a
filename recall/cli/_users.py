"""recall users create: create a user from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from recall.cli._common import (
    EXIT_OK,
    UsageError,
    _checked_settings,
    _command_line_actor,
    _database,
)


def cmd_users_create(args: argparse.Namespace) -> int:
    _checked_settings()
    password = _read_password(args.password_stdin)
    if not password:
        raise UsageError("the password must not be empty")

    async def create() -> Any:
        from recall import auth

        async with _database():
            return await auth.create_user(
                _command_line_actor(),
                args.username,
                password,
                args.full_name or args.username,
                args.roles,
                args.consignee_code,
            )

    user = asyncio.run(create())
    bound = f", consignee {user.consignee_code}" if user.consignee_code else ""
    print(f"created user {user.username} (id {user.id}, roles {', '.join(user.roles)}{bound})")
    return EXIT_OK


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("give --password-stdin to read the password from a pipe")
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Repeat password: "):
        raise UsageError("the passwords differ")
    return password
