"""The migrations are the schema: one head, and nothing in the models that they lack."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from hotline.config import ROOT
from models import Base, make_engine


def test_one_head():
    script = ScriptDirectory.from_config(AlembicConfig(str(ROOT / "alembic.ini")))
    assert len(script.get_heads()) == 1


def test_the_migrated_database_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []
