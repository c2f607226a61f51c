"""Reference data an administrator edits as CSV (provinces, centres, contacts, interpreters), and routing a case to a centre.

The loaders are idempotent upserts that never commit (the caller rolls back when one raises: nothing is half-written).
A contact is keyed by (centre, phone, level); one no longer in the file is deactivated, not deleted (escalations).
The console's edits win: a contact changed in the console (`console_edited_at`) is left as it is, neither
updated nor deactivated, unless the load is told to overwrite them.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import geothai
import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from .centres import CENTRAL, LEVELS, Centre, Contact, Province
from .desk import Interpreter
from .phones import voice_number
from .vocabulary import LANGUAGES

REGIONS = ("north", "northeast", "central", "east", "west", "south")  # National Geographical Committee, 1977
DEMO_NUMBER = re.compile(r"\+66800\d\d00\d\d")  # the fictional +66 80 0PP 00LN numbers in data/contacts.csv
SMS_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
FLAGS = {"yes": True, "y": True, "true": True, "1": True, "": True, "no": False, "n": False, "false": False, "0": False}


class ReferenceDataError(ValueError):
    """A bad file or row; the message starts with `path:line:` so an administrator can find it."""


def _check(ok: object, where: str, message: str) -> None:
    if not ok:
        raise ReferenceDataError(f"{where}: {message}")


def _rows(path: str | Path, columns: tuple[str, ...]) -> Iterator[tuple[str, dict[str, str]]]:
    """("path:line", row) for each data row; blank lines and lines starting with '#' are skipped."""
    header = None
    with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: spreadsheets save UTF-8 with a BOM
        reader = csv.reader(f)
        for cells in reader:
            cells, where = [c.strip() for c in cells], f"{path}:{reader.line_num}"
            if not any(cells) or cells[0].startswith("#"):
                continue
            if header is None:
                header, missing = cells, [c for c in columns if c not in cells]
                _check(not missing, where, f"the header lacks {', '.join(missing)}; expected {','.join(columns)}")
                continue
            _check(len(cells) <= len(header), where, f"{len(cells)} cells for {len(header)} columns (quote commas)")
            yield where, dict(zip(header, cells + [""] * (len(header) - len(cells))))
    _check(header, f"{path}:1", f"no header row; expected {','.join(columns)}")


def _texts(where: str, row: dict[str, str], model, *columns: str) -> dict[str, str]:
    for column in columns:
        limit = model.__table__.c[column].type.length
        _check(column == "role" or row[column], where, f"{column} is empty")
        _check(len(row[column]) <= limit, where, f"{column} has {len(row[column])} characters; {limit} fit")
    return {column: row[column] for column in columns}


def _load(session: Session, path, model, columns: tuple[str, ...], read: Callable, existing: dict,
          kept: Callable = lambda record: False) -> Counter:
    """Upsert what `read(where, row) -> (key, values)` makes of each row; deactivate rows not in the file.

    A record that `kept(record)` says is someone else's (edited in the console) is counted, never touched.
    """
    rows, seen, counts = [], {}, Counter(new=0, changed=0, unchanged=0, deactivated=0, kept=0)
    for where, row in _rows(path, columns):
        key, values = read(where, row)
        _check(key not in seen, where, f"repeats line {seen.get(key, '').rpartition(':')[2]}")
        seen[key] = where
        rows.append((key, values))
    for key, values in rows:
        if key in existing and kept(existing[key]):
            counts["kept"] += 1
            continue
        record = existing.get(key) or model()
        changes = {name: value for name, value in values.items() if getattr(record, name) != value}
        for name, value in changes.items():
            setattr(record, name, value)
        counts["unchanged" if not changes else "changed" if key in existing else "new"] += 1
        session.add(record)
    for key, record in existing.items():
        if "active" in model.__table__.c and key not in seen and record.active and not kept(record):
            record.active = False
            counts["deactivated"] += 1
    session.flush()
    return counts


def load_provinces(session: Session, path: str | Path) -> Counter:
    known = {p.code for p in geothai.provinces() if p.code.isdigit()}

    def read(where, row):
        _check(row["code"] in known, where, f"{row['code']!r} is not one of the 77 provinces' 2-digit codes")
        _check(row["region"] in REGIONS, where, f"region {row['region']!r} is not one of {', '.join(REGIONS)}")
        return row["code"], _texts(where, row, Province, "code", "name_th", "name_en", "region")
    existing = {p.code: p for p in session.scalars(select(Province))}
    return _load(session, path, Province, ("code", "name_th", "name_en", "region"), read, existing)


def load_centres(session: Session, path: str | Path) -> Counter:
    provinces = set(session.scalars(select(Province.code)))

    def read(where, row):
        code = row["code"]
        _check(code == CENTRAL or code in provinces, where, f"{code!r} is neither {CENTRAL!r} nor a loaded province")
        return code, {**_texts(where, row, Centre, "code", "name_th", "name_en"),
                      "province_code": None if code == CENTRAL else code}
    existing = {c.code: c for c in session.scalars(select(Centre))}
    return _load(session, path, Centre, ("code", "name_th", "name_en"), read, existing)


class NotAnSmsNumber(ValueError):
    """`problem` is "invalid" (no such number) or "not_mobile" (valid, but SMS cannot reach it)."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def sms_number(text: str) -> str:
    """A number SMS can reach, as E.164; Thai numbers may be written locally (081 234 5678)."""
    try:
        number = phonenumbers.parse(text, "TH")
    except phonenumbers.NumberParseException:
        number = None
    if not (number and phonenumbers.is_valid_number(number)):
        raise NotAnSmsNumber("invalid")
    if phonenumbers.number_type(number) not in SMS_TYPES:
        raise NotAnSmsNumber("not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(where: str, text: str) -> str:
    try:
        return sms_number(text)
    except NotAnSmsNumber as error:
        _check(error.problem != "invalid", where, f"phone {text!r} is not a valid number (write +66812345678 or 0812345678)")
        raise ReferenceDataError(f"{where}: phone {text!r} is not a mobile number (SMS)") from None


def load_contacts(session: Session, path: str | Path, overwrite_console_edits: bool = False) -> Counter:
    """Contacts from the file; those edited in the console are kept as they are unless `overwrite_console_edits`."""
    centres = {c.code: c for c in session.scalars(select(Centre))}

    def read(where, row):
        centre, level, on_duty = centres.get(row["centre"]), row["level"], row["on_duty"].lower()
        _check(centre, where, f"unknown centre {row['centre']!r}")
        _check(level in map(str, LEVELS), where, f"level {level!r} is not 1 (duty team), 2 (head) or 3 (central)")
        _check(level != "3" or centre.code == CENTRAL, where, f"level 3 belongs to {CENTRAL!r}, not {centre.code!r}")
        _check(on_duty in FLAGS, where, f"on_duty {row['on_duty']!r} is not yes or no")
        phone, level = _phone(where, row["phone"]), int(level)
        return (centre.id, phone, level), {**_texts(where, row, Contact, "name", "role"), "centre_id": centre.id,
                                           "phone": phone, "level": level, "on_duty": FLAGS[on_duty], "active": True,
                                           "console_edited_at": None}
    existing = {(c.centre_id, c.phone, c.level): c for c in session.scalars(select(Contact))}
    kept = (lambda contact: False) if overwrite_console_edits else (lambda contact: contact.console_edited_at is not None)
    return _load(session, path, Contact, ("centre", "name", "role", "phone", "level", "on_duty"), read, existing, kept)


def load_interpreters(session: Session, path: str | Path, overwrite_console_edits: bool = False) -> Counter:
    """Interpreters from the file, keyed by (language, phone); like contacts, those edited in the console are kept
    as they are unless `overwrite_console_edits`, and those no longer in the file are deactivated."""
    def read(where, row):
        language, on_duty, phone = row["language"].lower(), row["on_duty"].lower(), voice_number(row["phone"])
        _check(language in LANGUAGES, where, f"language {row['language']!r} is not one of {', '.join(LANGUAGES)}")
        _check(on_duty in FLAGS, where, f"on_duty {row['on_duty']!r} is not yes or no")
        _check(phone, where, f"phone {row['phone']!r} is not a valid number (write +6621234567 or 021234567)")
        return (language, phone), {**_texts(where, row, Interpreter, "name"), "language": language, "phone": phone,
                                   "on_duty": FLAGS[on_duty], "active": True, "console_edited_at": None}
    existing = {(i.language, i.phone): i for i in session.scalars(select(Interpreter))}
    kept = (lambda record: False) if overwrite_console_edits else (lambda record: record.console_edited_at is not None)
    return _load(session, path, Interpreter, ("name", "language", "phone", "on_duty"), read, existing, kept)


def is_demo_number(e164: str | None) -> bool:
    """A fictional number of the demo data: whatever sends real SMS must refuse it."""
    return bool(e164 and DEMO_NUMBER.fullmatch(e164))


def route(session: Session, province_code: str | None) -> Centre:
    """The province's centre; the central division (which triages) when the province is unknown or None."""
    centre = session.scalar(select(Centre).where(Centre.province_code == province_code)) if province_code else None
    centre = centre or session.scalar(select(Centre).where(Centre.code == CENTRAL))
    if centre is None:
        raise LookupError(f"no {CENTRAL!r} centre: load the reference data (`flask centres load`)")
    return centre
