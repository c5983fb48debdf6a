"""The transactional outbox: background work written in the transaction that causes it."""

from piccolo.columns import Integer, Serial, SmallInt, Text, Timestamptz, Varchar
from piccolo.table import Table


class Outbox(Table, tablename="outbox"):
    """One job to run once its transaction committed; a relay hands it to the queue."""

    id: Serial
    job = Varchar(length=50)
    payload = Text()  # JSON arguments of the job
    created_at = Timestamptz()
    # Not handed to the queue before this time (a retry's backoff, a deferred step).
    available_at = Timestamptz(index=True)
    relayed_at = Timestamptz(null=True, default=None)
    relays = Integer(default=0)
    # Relayed and run before lower numbers: a class I recall's work is never queued behind
    # a class III recall's (see outbox.Priority).
    priority = SmallInt(default=0)
    done_at = Timestamptz(null=True, default=None, index=True)
