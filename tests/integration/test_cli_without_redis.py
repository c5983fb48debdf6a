"""Operators create users and migrate while Redis is down: neither command needs it."""

from __future__ import annotations

from recall import auth
from tests.harness import free_port, run_recall

NO_REDIS = {"RECALL_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}


async def test_migrate_works_while_redis_is_down():
    code, out, err = await run_recall("migrate", **NO_REDIS)
    assert code == 0, err
    assert "migrations applied" in out


async def test_users_create_works_while_redis_is_down():
    code, out, err = await run_recall(
        "users", "create", "sari", "--role", "admin", "--full-name", "Sari Dewi",
        "--password-stdin", stdin="tiga ekor kucing oranye\n", **NO_REDIS,
    )  # fmt: skip
    assert code == 0, err
    assert "created user sari" in out
    token, user = await auth.login("sari", "tiga ekor kucing oranye", "k" * 40, 5)
    assert token and user.roles == ["admin"]


async def test_users_create_refuses_a_common_password_naming_the_field():
    code, _, err = await run_recall(
        "users", "create", "sari", "--role", "qa", "--password-stdin",
        stdin="password1234\n", **NO_REDIS,
    )  # fmt: skip
    assert code == 1
    assert "password:" in err
