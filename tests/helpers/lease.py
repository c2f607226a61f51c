"""A Redis database of one's own on 127.0.0.1:6379, for test runs and benchmarks alike.

Each run leases a database number 1-15 with the key `hotline-test:lease` kept in that database
itself (value: the owner's pid; a dead owner's lease is taken over), so concurrent runs (several
developers' tests, a benchmark) never flush each other's queues. tests/conftest.py leases its
database here too.
"""
from __future__ import annotations

import os

from redis import Redis
from redis.exceptions import RedisError

KEY = "hotline-test:lease"


def claim(hours: float = 6) -> int | None:
    """A free database number (1-15), leased to this process; None if all are taken or Redis is away."""
    try:
        for number in range(1, 16):
            database = Redis(host="127.0.0.1", port=6379, db=number, socket_timeout=2)
            owner = int(database.get(KEY) or 0)
            if owner and _alive(owner):
                continue
            if database.set(KEY, os.getpid(), ex=int(hours * 3600), **({"xx": True} if owner else {"nx": True})):
                return number
    except (RedisError, ValueError):
        pass
    return None


def renew(number: int, hours: float = 6) -> None:
    """Lease again after a flush (which removes the key with everything else)."""
    Redis(host="127.0.0.1", port=6379, db=number, socket_timeout=2).set(KEY, os.getpid(), ex=int(hours * 3600))


def release(number: int, flush: bool = False) -> None:
    try:
        database = Redis(host="127.0.0.1", port=6379, db=number, socket_timeout=2)
        if int(database.get(KEY) or 0) == os.getpid():
            database.flushdb() if flush else database.delete(KEY)
    except (RedisError, ValueError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
