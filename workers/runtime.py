"""What a job needs besides its ids: the configuration and a Redis connection."""
from __future__ import annotations

from functools import lru_cache

from redis import Redis
from rq import get_current_job

from hotline.config import Config

from .queues import connect


@lru_cache(maxsize=1)
def config() -> Config:
    return Config.from_env()


def redis() -> Redis | None:
    """The running job's own connection, else one from REDIS_URL (a job called directly)."""
    job = get_current_job()
    return job.connection if job is not None else connect(config().REDIS_URL)
