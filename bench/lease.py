"""A Redis database of the benchmark's own on 127.0.0.1:6379, leased as the tests lease theirs.

tests/conftest.py claims a database number 1-15 per run with the key
`hotline-test:database:<n>` in database 0 (value: the owner's pid; a dead owner's lease is
taken over). A benchmark that takes its database the same way never flushes a test run's
queues, nor a test run the benchmark's.
"""
from __future__ import annotations

import os

from redis import Redis

KEY = "hotline-test:database:{}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def claim(hours: float = 2) -> int:
    """A free database number (1-15), leased to this process; raises when all are taken."""
    leases = Redis(host="127.0.0.1", port=6379, socket_timeout=2)
    for number in range(1, 16):
        key = KEY.format(number)
        if leases.set(key, os.getpid(), nx=True, ex=int(hours * 3600)):
            return number
        owner = int(leases.get(key) or 0)
        if owner and not _alive(owner):
            leases.set(key, os.getpid(), ex=int(hours * 3600))
            return number
    raise SystemExit("every Redis database 1-15 is leased by a running test or benchmark; try again later")


def release(number: int) -> None:
    leases = Redis(host="127.0.0.1", port=6379, socket_timeout=2)
    key = KEY.format(number)
    if int(leases.get(key) or 0) == os.getpid():
        Redis(host="127.0.0.1", port=6379, db=number, socket_timeout=2).flushdb()
        leases.delete(key)
