"""The `recall` command as an operator runs it, against the suite's own database."""

import asyncio
import os
import sys

from recall import auth
from tests.factories import make_user
from tests.harness import run_recall
from tests.tampering import tamper


async def test_audit_verify_reports_an_intact_chain():
    await make_user("qa")
    await make_user("cs")
    code, out, _ = await run_recall("audit", "verify")
    assert code == 0
    assert out.startswith("ok: 2 audit entries")


async def test_audit_verify_names_the_first_altered_entry():
    for _ in range(3):
        await make_user("qa")
    await tamper("UPDATE audit_entry SET new_values = {} WHERE seq = 2", '{"username": "intruder"}')
    code, out, _ = await run_recall("audit", "verify")
    assert code == 1
    assert "seq 2" in out
    assert "altered" in out


async def test_users_create_reads_the_password_from_stdin():
    code, out, err = await run_recall(
        "users", "create", "rina", "--role", "qa", "--role", "inspector",
        "--full-name", "Rina Kartika", "--password-stdin",
        stdin="a sufficiently long password\n",
    )  # fmt: skip
    assert code == 0, err
    assert "created user rina" in out
    token, user = await auth.login("rina", "a sufficiently long password", "k" * 40, 5)
    assert token
    assert (user.full_name, sorted(user.roles)) == ("Rina Kartika", ["inspector", "qa"])


async def test_users_create_refuses_an_empty_password():
    code, _, err = await run_recall("users", "create", "rina", "--role", "qa", "--password-stdin")
    assert code == 2
    assert "password must not be empty" in err


async def test_users_create_applies_the_password_policy():
    code, _, err = await run_recall(
        "users", "create", "rina", "--role", "qa", "--password-stdin", stdin="short\n"
    )
    assert code == 1
    assert "password: must be at least" in err


async def test_users_create_reports_an_unknown_role():
    code, _, err = await run_recall(
        "users", "create", "rina", "--role", "pharmacist", "--password-stdin",
        stdin="a sufficiently long password\n",
    )  # fmt: skip
    assert code == 1
    assert "roles: unknown role 'pharmacist'" in err


async def test_serve_refuses_the_built_in_secret_key_in_production():
    env = {k: v for k, v in os.environ.items() if k != "RECALL_SECRET_KEY"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "recall.cli", "serve",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**env, "RECALL_MODE": "production"},
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert "refusing to start" in err.decode()
    assert "RECALL_SECRET_KEY" in err.decode()


async def test_serve_refuses_a_port_that_is_not_a_number():
    code, _, err = await run_recall("serve", RECALL_PORT="http")
    assert code == 2
    assert "RECALL_PORT must be a whole number" in err


async def test_migrate_is_repeatable():
    code, out, err = await run_recall("migrate")
    assert code == 0, err
    assert "migrations applied" in out


async def test_demo_data_loads_once_and_is_valid():
    from recall import demo, gs1, masterdata

    assert await demo.load() is True
    assert await demo.load() is False
    products, product_count = await masterdata.list_products()
    assert product_count == len(demo.PRODUCTS)
    assert all(gs1.normalize_gtin(p.gtin) == p.gtin for p in products)
    assert all(p.gtin.startswith("0899") for p in products)
    for username, _ in demo.logins():
        token, user = await auth.login(username, "demo", "k" * 40, 5)
        assert token and user.username == username
    consignees, _ = await masterdata.list_consignees(kind="pbf")
    assert len(consignees) == 3


async def test_worker_check_fails_when_no_worker_reported():
    code, _, _ = await run_recall("worker", "--check")
    assert code == 1
