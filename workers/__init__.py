"""Background work (arq): the worker settings and the job functions."""

from workers.jobs import HEARTBEAT_KEY, heartbeat
from workers.settings import WorkerSettings, redis_settings

__all__ = ["HEARTBEAT_KEY", "WorkerSettings", "heartbeat", "redis_settings"]
