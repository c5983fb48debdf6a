"""Browser tests: the real app over HTTP, driven by Debian's Chromium through Playwright.

The server runs in the test's event loop (so a PostgreSQL pool is shared with the test),
Chromium is the system one at /usr/bin/chromium (Playwright never downloads a browser),
and each test saves screenshots under RECALL_ARTIFACTS_DIR (default tests/artifacts/).
Without /usr/bin/chromium the tests are skipped, so `make test` works on any machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
PHONE = {"width": 400, "height": 860}
DESKTOP = {"width": 1280, "height": 900}
ARTIFACTS = Path(
    os.environ.get("RECALL_ARTIFACTS_DIR", Path(__file__).resolve().parents[1] / "artifacts")
)
NO_CHROMIUM = (
    f"browser tests need Chromium at {CHROMIUM} (Debian package `chromium`; .ci/run installs it)"
)

_app: Any = None

Screenshot = Callable[[Any, str], Awaitable[Path]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def _quiet_server(config: Any) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        # Leave SIGINT to pytest: Ctrl-C must stop the run, not just this server.
        def capture_signals(self) -> contextlib.AbstractContextManager[None]:
            return contextlib.nullcontext()

    return Server(config)


@pytest_asyncio.fixture
async def live_server() -> AsyncIterator[str]:
    """The app on a free loopback port, served by uvicorn in this event loop; its base URL."""
    import uvicorn

    from web.app import create_app

    global _app
    if _app is None:
        _app = create_app()
    for name in list(_app.stores._stores):  # rate limits start empty per test
        await _app.stores.get(name).delete_all()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(_app, lifespan="on", log_level="warning", access_log=False)
    server = _quiet_server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # start-up failed: raise its error
            raise RuntimeError("the test server stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest_asyncio.fixture
async def client(live_server: str) -> AsyncIterator[Any]:
    """Here the API client talks to the live server over real HTTP, like the browser."""
    import httpx

    async with httpx.AsyncClient(base_url=live_server) as http:
        yield http


@pytest_asyncio.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """One headless system Chromium for the run."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    async_api = pytest.importorskip("playwright.async_api")
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder, emptied so it shows only the latest run."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(artifacts: Path) -> Screenshot:
    """`await screenshot(page, "step")` saves the whole page as NN-step.png in order."""
    taken: list[Path] = []

    async def take(page: Any, step: str) -> Path:
        path = artifacts / f"{len(taken) + 1:02d}-{step}.png"
        await page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take


async def _page(
    request: pytest.FixtureRequest, chromium: Any, artifacts: Path, viewport: dict[str, int]
) -> AsyncIterator[Any]:
    context = await chromium.new_context(viewport=viewport, locale="id-ID")
    context.set_default_timeout(5_000)
    page = await context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(_FAILED, False):
            with contextlib.suppress(Exception):
                await page.screenshot(path=str(artifacts / "failed.png"), full_page=True)
        await context.close()


@pytest_asyncio.fixture
async def phone(
    request: pytest.FixtureRequest, chromium: Any, artifacts: Path
) -> AsyncIterator[Any]:
    """A fresh page in a phone-sized window (400 x 860)."""
    async for page in _page(request, chromium, artifacts, PHONE):
        yield page


@pytest_asyncio.fixture
async def desktop(
    request: pytest.FixtureRequest, chromium: Any, artifacts: Path
) -> AsyncIterator[Any]:
    """A fresh page in a desktop-sized window (1280 x 900)."""
    async for page in _page(request, chromium, artifacts, DESKTOP):
        yield page
