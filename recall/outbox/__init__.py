"""The transactional outbox: work written with the change that causes it, relayed to arq."""

from recall.outbox._service import (
    JobQueue,
    Priority,
    add,
    job_id,
    mark_done,
    payload,
    pending,
    relay,
)

__all__ = ["JobQueue", "Priority", "add", "job_id", "mark_done", "payload", "pending", "relay"]
