"""The transactional outbox: work written with the change that causes it, relayed to arq."""

from recall.outbox._service import (
    JobQueue,
    add,
    job_id,
    mark_done,
    payload,
    pending,
    relay,
)

__all__ = ["JobQueue", "add", "job_id", "mark_done", "payload", "pending", "relay"]
