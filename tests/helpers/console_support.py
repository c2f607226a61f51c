"""Helpers for console tests: a browser-like client that carries CSRF tokens, users and calls."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import count

from werkzeug.security import generate_password_hash

from models import CENTRAL, Call, Case, Centre, Contact, Province, User

PASSWORD = "correct horse battery"
# The production cost is scrypt n=32768 (about 0.3 s a check); tests use a cheaper one.
FAST_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
ROLES = {"operator": [], "supervisor": [], "admin": [], "field_officer": ["50"]}
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SIDS = count(1)


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The rows of the page's table with that id as text cells, header and footer included."""
    body = re.search(rf'<table id="{table_id}".*?</table>', page, re.S)[0]
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


class Browser:
    """A test client that logs in through the form and sends the page's CSRF token with every POST."""

    def __init__(self, client, language: str | None = "en"):
        self.client = client
        self.token: str | None = None
        self.headers = {"Accept-Language": language} if language else {}  # before login; then the user's own

    def get(self, path: str, headers: dict | None = None, **kwargs):
        response = self.client.get(path, headers={**self.headers, **(headers or {})}, **kwargs)
        self._remember(response)
        return response

    def post(self, path: str, data: dict | None = None, token: bool = True, headers: dict | None = None, **kwargs):
        if token and self.token is None:
            self.get("/console/login")
        data = {**({"csrf_token": self.token} if token else {}), **(data or {})}
        response = self.client.post(path, data=data, headers={**self.headers, **(headers or {})}, **kwargs)
        self._remember(response)
        return response

    def login(self, username: str, password: str = PASSWORD, **kwargs):
        self.get("/console/login")
        response = self.post("/console/login", {"username": username, "password": password}, **kwargs)
        self.token = None  # a login starts a new session, with a new token
        if response.status_code == 302:
            self.get("/console/")
        return response

    def _remember(self, response) -> None:
        if response.mimetype == "text/html":
            found = TOKEN.search(response.get_data(as_text=True))
            if found:
                self.token = found[1]


def add_user(db, username: str, role: str, provinces: list[str] | None = None, language: str = "en") -> User:
    user = User(username=username, password_hash=FAST_HASH, role=role, provinces=provinces or [], language=language,
                active=True)
    db.add(user)
    db.commit()
    return user


def add_call(db, **fields) -> Call:
    values = dict(call_sid=f"CA{next(SIDS):032d}", status="completed", from_raw="+66812345678",
                  from_e164="+66812345678", language="th", ivr_path=[], province_code="50",
                  started_at=datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    values.update(fields)
    call = Call(**values)
    db.add(call)
    db.commit()
    return call


def add_case(db, call: Call | None = None, **fields) -> Case:
    """A case (from a call, if given) in Chiang Mai, new, with a reference like the intake's."""
    values = dict(source="call" if call else "operator", call_id=call.id if call else None, category="forced_labour",
                  urgency="normal", province_code="50", status="new",
                  created_at=datetime(2026, 11, 25, 3, 5, tzinfo=UTC))
    values.update(fields)
    case = Case(**values)
    db.add(case)
    db.flush()
    case.reference = case.reference or f"1300-69-{case.id:06d}"
    db.commit()
    return case


def add_centre(db, code: str = "50", name: str = "Chiang Mai centre") -> Contact:
    """A province's centre (and the central division, once) with one on-duty level-1 contact; that contact."""
    if db.get(Province, code) is None:
        db.add(Province(code=code, name_th=name, name_en=name, region="north"))
    if db.query(Centre).filter_by(code=CENTRAL).first() is None:
        db.add(Centre(code=CENTRAL, province_code=None, name_th="กองต่อต้านการค้ามนุษย์", name_en="ATP Division"))
    db.flush()
    centre = Centre(code=code, province_code=code, name_th=name, name_en=name)
    db.add(centre)
    db.flush()
    contact = Contact(centre_id=centre.id, name="Somchai", role="duty officer", phone=f"+668100{code}011", level=1)
    db.add(contact)
    db.commit()
    return contact
