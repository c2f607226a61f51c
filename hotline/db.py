"""The app's engine and session factory, bound at create_app time (nothing at import time)."""
from __future__ import annotations

from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy.orm import Session

from models import make_engine, make_sessionmaker


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["HOTLINE"].DATABASE_URL)
    app.extensions["engine"] = engine
    app.extensions["sessions"] = make_sessionmaker(engine)


@contextmanager
def transaction():
    """One transaction: committed when the block ends, rolled back if it raises."""
    with current_app.extensions["sessions"].begin() as session:
        yield session


def session() -> Session:
    return current_app.extensions["sessions"]()
