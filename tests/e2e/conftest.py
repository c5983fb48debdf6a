"""End-to-end tests run the app beside a real worker and a private Redis-compatible server."""

from tests.harness import api, private_redis  # noqa: F401 (fixtures)
