"""The worker's own engine: NullPool, because RQ forks a child per job."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from models import make_engine, make_sessionmaker


@lru_cache(maxsize=4)
def sessions(database_url: str | None = None) -> sessionmaker:
    if database_url is None:
        from hotline.config import Config

        database_url = Config.from_env().DATABASE_URL
    return make_sessionmaker(make_engine(database_url, poolclass=NullPool))
