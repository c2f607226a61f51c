"""The Redis connection and RQ's queues (named in `casework.work`); short timeouts so a dead Redis never
stalls a webhook."""
from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from casework.work import DEFAULT, QUEUES, SMS, URGENT

__all__ = ["ALL", "DEFAULT", "SMS", "URGENT", "connect", "queue"]
ALL = QUEUES  # a worker serves them in this order


def connect(url: str | None) -> Redis | None:
    if not url:
        return None
    return Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2, health_check_interval=30)


def queue(name: str, connection: Redis) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)
