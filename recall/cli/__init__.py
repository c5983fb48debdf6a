"""The `recall` command: the composition root that starts the web server, the worker and the demo.

Settings are read once per process (`get_settings()` is cached), so every command
imports the database, the app and the worker only after its environment is final.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from recall.cli._audit import cmd_audit_verify
from recall.cli._common import EXIT_FAILED, EXIT_REFUSED, UsageError
from recall.cli._demo import cmd_demo
from recall.cli._migrate import cmd_migrate
from recall.cli._secrets import cmd_secrets_rotate
from recall.cli._serve import cmd_serve
from recall.cli._users import cmd_users_create
from recall.cli._worker import cmd_worker
from recall.errors import ConfigurationError, RecallError


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `recall` console script."""
    logging.getLogger("piccolo").setLevel(logging.WARNING)  # not its engine banner on every start
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return EXIT_REFUSED
    try:
        return int(args.command(args))
    except ConfigurationError as exc:
        print(f"recall: refusing to start: {exc.detail}", file=sys.stderr)
        return EXIT_REFUSED
    except UsageError as exc:
        print(f"recall: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except RecallError as exc:
        print(f"recall: {exc.detail}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recall",
        description="Complaints, investigations and product recalls. Configured by RECALL_* "
        "environment variables (see README).",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = commands.add_parser("demo", help="everything in one process tree, with demo data")
    demo.set_defaults(command=cmd_demo)

    serve = commands.add_parser("serve", help="the web server (uvicorn)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    serve.set_defaults(command=cmd_serve)

    worker = commands.add_parser("worker", help="the background worker (arq)")
    worker.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    worker.add_argument(
        "--check", action="store_true", help="exit 0 when a worker reported healthy recently"
    )
    worker.set_defaults(command=cmd_worker)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(command=cmd_migrate)

    users = commands.add_parser("users", help="manage users").add_subparsers(
        title="users commands", metavar="COMMAND", required=True
    )
    create = users.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument(
        "--role", action="append", required=True, dest="roles", help="repeat for several roles"
    )
    create.add_argument("--consignee", dest="consignee_code", help="consignee code (distributor)")
    create.add_argument("--full-name", dest="full_name", help="printed name (default: username)")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(command=cmd_users_create)

    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(
        title="audit commands", metavar="COMMAND", required=True
    )
    verify = audit.add_parser(
        "verify", help="check the hash chain from the last checkpoint (--full: every entry)"
    )
    verify.add_argument("--full", action="store_true", help="re-hash every entry")
    verify.set_defaults(command=cmd_audit_verify)

    secrets_ = commands.add_parser("secrets", help="secrets kept at rest").add_subparsers(
        title="secrets commands", metavar="COMMAND", required=True
    )
    rotate = secrets_.add_parser(
        "rotate", help="seal stored secrets again under the current RECALL_SECRET_KEY"
    )
    rotate.set_defaults(command=cmd_secrets_rotate)
    return parser
