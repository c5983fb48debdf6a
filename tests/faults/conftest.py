"""Fault tests stop and restart the worker and Redis under a running app."""

from tests.harness import api, private_redis  # noqa: F401 (fixtures)
