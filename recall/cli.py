"""The `recall` command: the composition root that starts the web server, the worker and the demo.

Settings are read once per process (`get_settings()` is cached), so every command
imports the database, the app and the worker only after its environment is final.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import io
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from recall.errors import ConfigurationError, RecallError

if TYPE_CHECKING:
    from arq.typing import WorkerSettingsType

    from recall.embedded import EmbeddedRedis
    from recall.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
DEMO_STARTUP_SECONDS = 90
CHILD_STOP_SECONDS = 15


class UsageError(Exception):
    """The command was called in a way it cannot serve (exit code 2)."""


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
    from recall.auth import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        who = str(os.getuid())
    return Actor(id=None, username=f"cli:{who}", full_name="Command line", roles=frozenset())


# recall serve --------------------------------------------------------------------


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


# recall worker -------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    settings = _checked_settings()
    from arq.worker import async_check_health
    from redis.exceptions import RedisError

    from workers.settings import redis_settings

    if args.check:
        quick = redis_settings(settings.redis_url)
        quick.conn_retries = 0
        quick.retry = None
        try:
            return asyncio.run(async_check_health(quick))
        except (RedisError, OSError) as exc:
            print(f"recall: Redis unreachable: {exc}", file=sys.stderr)
            return EXIT_FAILED
    from web.observability import configure_logging

    configure_logging(args.log_level)
    _run_worker(settings.redis_url)
    return EXIT_OK


WORKER_RESTART_FIRST_SECONDS = 1.0
WORKER_RESTART_MAX_SECONDS = 30.0
WORKER_HEALTHY_RUN_SECONDS = 60.0


def _run_worker(redis_url: str) -> None:
    """Run the arq worker until a signal stops it; after losing Redis, start it again.

    arq's worker ends when its Redis connection fails for longer than the client's own
    retries; here it waits (with backoff) and starts anew, so an outage does not take the
    worker down. The job resources (database pool, HTTP client) are opened once and kept.
    """
    import uvloop
    from arq.worker import create_worker
    from redis.exceptions import RedisError

    from workers.settings import WorkerSettings, redis_settings, shutdown

    # arq reads the class's attributes; its Protocol type does not model plain functions.
    worker_settings = cast("WorkerSettingsType", WorkerSettings)
    # Not empty: arq replaces an empty (falsy) ctx with a new dict.
    ctx: dict[str, Any] = {"worker_runs": 0}
    stopping: list[Any] = []
    stop = asyncio.Event()

    def on_stop(signum: Any) -> None:
        stopping.append(signum)
        stop.set()

    # uvloop: the worker spends its time in sockets, which asyncio's own loop serves ~20 %
    # slower (measured on the fan-out); arq runs on whatever loop is set here.
    asyncio.set_event_loop(uvloop.new_event_loop())
    delay = WORKER_RESTART_FIRST_SECONDS
    while True:
        ctx["worker_runs"] += 1
        worker = create_worker(worker_settings, redis_settings=redis_settings(redis_url), ctx=ctx)
        worker.on_stop = on_stop
        started = time.monotonic()
        try:
            worker.run()
            break  # a signal stopped it
        except (RedisError, OSError) as exc:
            if stopping:
                break  # stopping anyway; Redis went first
            if time.monotonic() - started > WORKER_HEALTHY_RUN_SECONDS:
                delay = WORKER_RESTART_FIRST_SECONDS
            logging.getLogger("recall.worker").warning(
                "worker lost Redis or the database (%s: %s); starting again in %.0f s",
                type(exc).__name__,
                exc,
                delay,
            )
        worker.loop.run_until_complete(_pause(delay, stop))
        if stopping:
            break
        delay = min(delay * 2, WORKER_RESTART_MAX_SECONDS)
    if "sender" in ctx:  # the last run ended before arq could call on_shutdown
        with contextlib.suppress(Exception):
            worker.loop.run_until_complete(shutdown(ctx))


async def _pause(seconds: float, stop: asyncio.Event) -> None:
    """Sleep, waking early when a signal asks the worker to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


# recall migrate ------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    _checked_settings()
    from recall import db

    asyncio.run(db.run_migrations())
    print("recall: migrations applied")
    return EXIT_OK


# recall users create -------------------------------------------------------------


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


# recall secrets rotate -----------------------------------------------------------


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


# recall audit verify -------------------------------------------------------------


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


# recall demo ---------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = Path(os.environ.get("RECALL_DATA_DIR", ".recall")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = _lock_data_dir(data_dir)  # noqa: F841 - held until the process exits
    port = os.environ.get("RECALL_PORT", "8000")
    public_url = f"http://127.0.0.1:{port}"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"RECALL_PORT must be a port number, not {port!r}")
    if not _port_is_free(int(port)):
        raise ConfigurationError(f"port {port} is in use; choose another with RECALL_PORT")

    from recall.embedded import start_redis

    valkey = start_redis(data_dir / "redis", persist=True)
    try:
        os.environ.update(
            RECALL_MODE="demo",
            RECALL_DATA_DIR=str(data_dir),
            RECALL_DATABASE_URL=f"sqlite:///{data_dir / 'recall.sqlite3'}",
            RECALL_REDIS_URL=valkey.url,
            RECALL_SECRET_KEY=_demo_secret_key(data_dir),
            RECALL_HOST="127.0.0.1",
            RECALL_PORT=port,
            RECALL_PUBLIC_URL=os.environ.get("RECALL_PUBLIC_URL", public_url),
        )
        from recall.settings import get_settings

        get_settings.cache_clear()
        _checked_settings()
        asyncio.run(_migrate_quietly())
    except BaseException:
        valkey.stop()
        raise
    return _supervise(valkey, public_url)


def _lock_data_dir(data_dir: Path) -> IO[str]:
    """One demo per data dir: a second one would take over the first one's Redis socket."""
    import fcntl

    lock = (data_dir / "demo.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise ConfigurationError(f"another recall demo is running on {data_dir}") from None
    return lock


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _demo_secret_key(data_dir: Path) -> str:
    """A random key kept in the data dir, so sign-in tokens survive a restart."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


async def _migrate_quietly() -> None:
    from recall import db

    progress = io.StringIO()
    try:
        with contextlib.redirect_stdout(progress):  # piccolo prints its progress
            await db.run_migrations()
    except BaseException:
        print(progress.getvalue(), file=sys.stderr)
        raise


async def _load_demo_data() -> list[tuple[str, str]]:
    from recall import demo

    async with _database():
        await demo.load()
    return demo.logins()


def _supervise(valkey: EmbeddedRedis, public_url: str) -> int:
    """Run web and worker as children; stop everything on a signal or when one child dies."""
    stop_requested: list[int] = []

    def request_stop(signum: int, frame: object) -> None:
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        # Data first, so /health answering means "ready to sign in".
        logins = asyncio.run(_load_demo_data())
        children["serve"] = _spawn("serve", "--log-level", "warning")
        children["worker"] = _spawn("worker", "--log-level", "warning")
        children["valkey"] = valkey.process
        failed = _wait_until_healthy(public_url, children, stop_requested)
        if failed is None and not stop_requested:
            _print_banner(public_url, logins)
            failed = _watch(children, stop_requested)
        if failed and not stop_requested:
            print(f"recall: the {failed} process stopped unexpectedly", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK
    finally:
        _stop_children([children[name] for name in ("serve", "worker") if name in children])
        valkey.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("recall: demo stopped", file=sys.stderr)


def _spawn(command: str, *options: str) -> subprocess.Popen[bytes]:
    # Own process group: Ctrl-C reaches only the supervisor, which stops children in order.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "recall.cli", command, *options],
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_die_with_parent,
    )


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the supervisor is killed outright."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _first_exited(children: dict[str, subprocess.Popen[bytes]]) -> str | None:
    return next((name for name, child in children.items() if child.poll() is not None), None)


def _wait_until_healthy(
    public_url: str, children: dict[str, subprocess.Popen[bytes]], stop_requested: list[int]
) -> str | None:
    deadline = time.monotonic() + DEMO_STARTUP_SECONDS
    while not stop_requested and time.monotonic() < deadline:
        if failed := _first_exited(children):
            return failed
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{public_url}/health", timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return None
        time.sleep(0.1)
    return None if stop_requested else "web server (no answer on /health)"


def _watch(children: dict[str, subprocess.Popen[bytes]], stop_requested: list[int]) -> str | None:
    while not stop_requested:
        if failed := _first_exited(children):
            time.sleep(0.3)  # a Ctrl-C may be on its way to us as well
            return failed
        time.sleep(0.2)
    return None


def _stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _print_banner(public_url: str, logins: list[tuple[str, str]]) -> None:
    width = max(len(username) for username, _ in logins)
    lines = [
        "",
        f"Recall demo is running on {public_url}  (Ctrl-C stops it)",
        f"API documentation: {public_url}/schema",
        "",
        "Demo logins, all with password 'demo':",
        *(f"  {username:<{width}}  {role}" for username, role in logins),
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
