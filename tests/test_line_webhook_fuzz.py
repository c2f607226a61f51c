"""Hostile but correctly signed LINE webhook bodies (issue 17): never a 500, never an unhandled exception; each
answer is 200 (kept) or a precise 400 (401 for bytes that are not UTF-8: line-bot-sdk checks text, so they
cannot carry LINE's signature). Then every event kept goes through its job (the chat's turn) without failing.
On SQLite and PostgreSQL (PostgreSQL refuses NUL characters and lone surrogates that SQLite takes)."""
from __future__ import annotations

import json
import logging

import pytest
from helpers import line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casework import line_chat
from casework.config import Config
from hotline import create_app
from hotline import db as app_db
from models import LineEvent

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")]
EXAMPLES = 1100  # per database and strategy: 2 x 2 x 1,100 = 4,400 signed bodies

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=30), st.text(alphabet="\x00\ud800\udfff\x7f\n ", max_size=5),
                    st.sampled_from(["", "follow", "message", "unfollow", "text", "user", "ไทย (Thai)", "1", "x" * 300]))
hostile = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                       max_leaves=12)
FIELDS = ["type", "webhookEventId", "source", "replyToken", "deliveryContext", "message", "timestamp", "mode"]


@st.composite
def schema_like(draw) -> dict:
    """Events LINE could send, each with a few fields made hostile or taken away."""
    user = draw(st.sampled_from([line.user_id(), "U" + "0" * 32]))
    events = []
    for _ in range(draw(st.integers(0, 3))):
        event = draw(st.sampled_from([line.follow(user), line.text(user, draw(st.text(max_size=40))), line.unfollow(user),
                                      line.sticker(user)]))
        for name in draw(st.lists(st.sampled_from(FIELDS), max_size=2)):
            if draw(st.booleans()):
                event.pop(name, None)
            else:
                event[name] = draw(hostile)
        events.append(event)
    return {"destination": line.BOT, "events": events}


def encode(data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


def utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


anything = st.one_of(hostile.map(encode), st.binary(max_size=200),
                     st.dictionaries(st.sampled_from(["events", "destination"]), hostile).map(encode))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz(request, tmp_path_factory):
    url = request.getfixturevalue(f"{request.param}_url")
    config = Config(ENV="test", DATABASE_URL=url, SECRET_KEY="t", SPOOL_DIR=tmp_path_factory.mktemp("spool"), TESTING=True)
    config.check()
    app = create_app(config)
    yield app
    app_db.dispose(app)


@pytest.fixture
def errors():
    records = []

    class Errors(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                records.append(record)

    handler = Errors()
    logging.getLogger().addHandler(handler)
    yield records
    logging.getLogger().removeHandler(handler)


@pytest.mark.parametrize("bodies", [schema_like().map(encode), anything], ids=["schema-like", "anything"])
def test_hostile_signed_bodies_never_fail(fuzz, errors, bodies):
    client = fuzz.test_client()

    @given(raw=bodies)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def hostile(raw):
        response = line.post(client, raw)
        if not utf8(raw):
            assert response.status_code == 401, (response.status_code, raw[:300])
            return
        assert response.status_code in (200, 400), (response.status_code, raw[:300])
        if response.status_code == 400:
            assert response.get_json()["error"]

    hostile()
    sessions = fuzz.extensions["sessions"]
    with sessions() as session:
        kept = session.scalars(select(LineEvent.id).where(LineEvent.handled_at.is_(None))).all()
        assert session.scalars(select(LineEvent.id)).first() is not None  # some bodies got through to be kept
    for event_id in kept:  # each kept event's turn, as its job takes it
        with sessions.begin() as session:
            line_chat.handle(session, fuzz.config["HOTLINE"], event_id)
    assert errors == [], [r.getMessage() for r in errors[:5]]
