"""Error lines: the exception and its traceback, never the local variables of its frames,
and nothing under a sensitive key. Run in a child process: logging is set up per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.harness import ROOT

SCRIPT = textwrap.dedent(
    """
    import logging, structlog
    from web.observability import configure_logging

    configure_logging("info")

    def sign_in(body):
        password = "S3cretPassw0rd!"
        session_id = "sess-0123456789abcdef"
        raise RecursionError("maximum recursion depth exceeded")

    try:
        sign_in(b'{"username":"admin","password":"S3cretPassw0rd!"}')
    except RecursionError:
        structlog.get_logger("web.errors").exception("unhandled error", error_type="RecursionError")
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    structlog.get_logger("web").info(
        "signed", password="S3cretPassw0rd!", token="tok-0123456789", api_key="rk_abcdef0123",
        path="/portal/notices/ptok-0123456789/acknowledge",
        header="Authorization: Bearer eyJhbGciOi.secret",
        error="cannot reach postgres://recall:Db-Pa55word@db:5432/recall",
    )
    """
)
SECRETS = [
    "S3cretPassw0rd!",
    "sess-0123456789abcdef",
    "tok-0123456789",
    "rk_abcdef0123",
    "ptok-0123456789",
    "eyJhbGciOi",
    "Db-Pa55word",
]


def test_tracebacks_have_no_locals_and_secrets_are_cut():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert done.stdout == ""
    errors = [line for line in lines if "exception" in line]
    assert len(errors) == 2
    for line in errors:
        assert "Traceback" in line["exception"]
        assert "RecursionError" in line["exception"]
        assert "sign_in" in line["exception"]  # the frames are there
    for secret in SECRETS:
        assert secret not in done.stderr, secret
    signed = lines[-1]
    assert signed["password"] == signed["token"] == signed["api_key"] == "<redacted>"
    assert signed["path"] == "/portal/notices/<redacted>/acknowledge"
    assert signed["error"] == "cannot reach postgres://recall:<redacted>@db:5432/recall"


APP_SCRIPT = textwrap.dedent(
    """
    import structlog
    from web.app import create_app

    create_app()  # not under `recall serve`: logging was never set up

    def sign_in():
        password = "S3cretPassw0rd!"
        raise RecursionError("maximum recursion depth exceeded")

    try:
        sign_in()
    except RecursionError:
        structlog.get_logger("web.errors").exception("unhandled error")
    """
)


def test_an_app_run_without_recall_serve_logs_no_locals_either(tmp_path):
    env = {
        **os.environ,
        "RECALL_MODE": "test",
        "RECALL_SECRET_KEY": "k" * 40,
        "RECALL_DATA_DIR": str(tmp_path),
        "RECALL_DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", APP_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "S3cretPassw0rd!" not in done.stdout + done.stderr
    (line,) = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert "RecursionError" in line["exception"]
