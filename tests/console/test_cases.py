"""Cases: the list and its scoping, one case's workflow, escalation timeline and notes, CSV, dry-run SMS."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import time_machine
from helpers.console_support import add_call, add_case
from sqlalchemy import select

from models import Annotation, AuditEntry, Case, Centre, Contact, Escalation, Message, utcnow


def test_the_list_filters_and_shows_late_cases_in_red(as_role, db):
    late = add_case(db, sla_due_at=utcnow() - timedelta(minutes=5), reference="1300-69-000901")
    add_case(db, status="closed", outcome="false_report", reference="1300-69-000902")
    add_case(db, province_code="10", reference="1300-69-000903")
    browser = as_role("operator")
    page = browser.get("/console/cases").get_data(as_text=True)
    assert all(ref in page for ref in ("1300-69-000901", "1300-69-000902", "1300-69-000903"))
    row = page[page.index("1300-69-000901") - 200:page.index("1300-69-000901")]
    assert 'class="alert"' in row
    page = browser.get("/console/cases?unacknowledged=yes").get_data(as_text=True)
    assert "1300-69-000901" in page and "1300-69-000902" not in page and "1300-69-000903" not in page
    page = browser.get("/console/cases?status=open&province=10").get_data(as_text=True)
    assert "1300-69-000903" in page and "1300-69-000901" not in page
    page = browser.get("/console/cases?status=nonsense").get_data(as_text=True)
    assert "Choose one of the options." in page and "1300-69-000902" in page
    assert f"/console/cases/{late.id}" in browser.get("/console/").get_data(as_text=True)


def test_the_list_pages_by_keyset(app, as_role, db):
    app.config["HOTLINE"].CONSOLE_PAGE_SIZE = 2
    start = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    for n in range(5):
        add_case(db, created_at=start + timedelta(minutes=n), reference=f"1300-69-00080{n}")
    browser = as_role("operator")
    seen, path = [], "/console/cases"
    while path:
        page = browser.get(path).get_data(as_text=True)
        seen += sorted((ref for ref in (f"1300-69-00080{n}" for n in range(5)) if ref in page), key=page.index)
        marker = 'rel="next"'
        path = None
        if marker in page:
            href = page[:page.index(marker)].rsplit('href="', 1)[1].split('"')[0]
            path = href.replace("&amp;", "&")
    assert seen == [f"1300-69-00080{n}" for n in reversed(range(5))]


def test_a_field_officer_sees_only_their_provinces_cases(as_role, db):
    mine = add_case(db, reference="1300-69-000911")
    theirs = add_case(db, province_code="10", reference="1300-69-000912")
    browser = as_role("field_officer")
    page = browser.get("/console/cases").get_data(as_text=True)
    assert "1300-69-000911" in page and "1300-69-000912" not in page
    assert browser.get(f"/console/cases/{theirs.id}").status_code == 404
    assert browser.post(f"/console/cases/{theirs.id}/status", {"status": "in_progress"}).status_code == 404
    assert browser.post(f"/console/cases/{theirs.id}/notes", {"body": "x"}).status_code == 404
    assert browser.get(f"/console/cases/{mine.id}").status_code == 200
    response = browser.post(f"/console/cases/{mine.id}/status", {"status": "acknowledged"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Case, mine.id).status == "acknowledged"


def test_valid_transitions_are_recorded_with_who_and_when(as_role, users, db):
    call = add_call(db)
    case = add_case(db, call, sla_due_at=utcnow() + timedelta(hours=1))
    browser = as_role("operator")
    page = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert f"/console/calls/{call.id}" in page and "Chiang Mai" in page
    assert 'value="acknowledged"' in page and 'value="escalating"' not in page
    assert f"/console/cases/{case.id}" in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert browser.post(f"/console/cases/{case.id}/status", {"status": "acknowledged", "note": "called the team"}).status_code == 302
    assert browser.post(f"/console/cases/{case.id}/status", {"status": "closed", "outcome": "referred_police"}).status_code == 302
    db.expire_all()
    case = db.get(Case, case.id)
    assert case.status == "closed" and case.outcome == "referred_police" and case.closed_at is not None
    assert case.acknowledged_at is not None and case.sla_due_at is None
    moves = [(t.to_status, t.actor, t.note) for t in case.transitions]
    actor = f"user:{users['operator'].id}"
    assert moves == [("acknowledged", actor, "called the team"), ("closed", actor, None)]
    assert all(t.at is not None for t in case.transitions)
    page = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "This case is closed." in page and "referred to the police" in page
    history = page[page.index("History"):page.index('id="escalation"')]
    assert history.count("<td>operator</td>") == 2 and "called the team" in history


def test_an_invalid_transition_is_a_form_error_and_closing_needs_an_outcome(as_role, db):
    case = add_case(db, status="in_progress")
    browser = as_role("supervisor")
    response = browser.post(f"/console/cases/{case.id}/status", {"status": "acknowledged"})
    assert response.status_code == 400 and "cannot become acknowledged" in response.get_data(as_text=True)
    response = browser.post(f"/console/cases/{case.id}/status", {"status": "escalating"})
    assert response.status_code == 400
    response = browser.post(f"/console/cases/{case.id}/status", {"status": "flying"})
    assert response.status_code == 400 and "Choose one of the options." in response.get_data(as_text=True)
    response = browser.post(f"/console/cases/{case.id}/status", {"status": "closed"})
    assert response.status_code == 400 and "Choose an outcome to close the case." in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Case, case.id).status == "in_progress" and len(db.get(Case, case.id).transitions) == 0


def test_a_status_change_needs_the_csrf_token(as_role, db):
    case = add_case(db)
    response = as_role("operator").post(f"/console/cases/{case.id}/status", {"status": "in_progress"}, token=False)
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Case, case.id).status == "new"


def test_the_escalation_timeline(as_role, db):
    centre = Centre(code="50", province_code=None, name_th="ศปคม.จ.เชียงใหม่", name_en="Chiang Mai centre")
    db.add(centre)
    db.flush()
    contact = Contact(centre_id=centre.id, name="Somchai", role="duty officer", phone="+66810000011", level=1)
    db.add(contact)
    db.flush()
    case = add_case(db, centre_id=centre.id, status="acknowledged", level=1)
    sent = datetime(2026, 11, 25, 3, 6, tzinfo=UTC)
    escalation = Escalation(case_id=case.id, level=1, contact_id=contact.id, status="acknowledged", sent_at=sent,
                            delivered_at=sent + timedelta(seconds=4), acknowledged_at=sent + timedelta(minutes=3))
    db.add(escalation)
    db.flush()
    db.add(Message(direction="out", to_number=contact.phone, body="1300: case <b>x</b>", status="dry-run", dry_run=True,
                   escalation_id=escalation.id, case_id=case.id))
    db.add(Message(direction="in", to_number="+661300", from_number=contact.phone, body="ACK 0001", status="received",
                   case_id=case.id))
    db.commit()
    page = as_role("operator").get(f"/console/cases/{case.id}").get_data(as_text=True)
    section = page[page.index('id="escalation"'):page.index('id="notes"')]
    assert "Somchai" in section and "duty officer" in section and "Chiang Mai centre" in page
    assert "+66 8X XXX 0011" in section and "+66810000011" not in page
    assert "10:06:00" in section and "10:06:04" in section and "10:09:00" in section  # Bangkok time
    assert "dry run" in section and "ACK 0001" in section and "&lt;b&gt;x&lt;/b&gt;" in section


def test_case_notes_are_append_only_and_render_as_text(as_role, users, db):
    case = add_case(db)
    browser = as_role("operator")
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert browser.post(f"/console/cases/{case.id}/notes", {"body": attack}).status_code == 302
    note = db.scalars(select(Annotation).where(Annotation.case_id == case.id)).one()
    assert note.call_id is None and note.author_id == users["operator"].id
    page = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert browser.post(f"/console/cases/{case.id}/notes", {"body": "second version", "supersedes": note.id}).status_code == 302
    assert len(db.scalars(select(Annotation).where(Annotation.case_id == case.id)).all()) == 2
    other = add_case(db)
    response = browser.post(f"/console/cases/{other.id}/notes", {"body": "elsewhere", "supersedes": note.id})
    assert response.status_code == 400 and "That note does not belong to this case." in response.get_data(as_text=True)
    response = browser.post(f"/console/cases/{case.id}/notes", {"body": ""})
    assert response.status_code == 400


def _csv(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_csv_export_is_the_filtered_list_audited(as_role, users, db):
    centre = Centre(code="50", province_code=None, name_th="ศปคม.จ.เชียงใหม่", name_en="Chiang Mai centre")
    db.add(centre)
    db.flush()
    call = add_call(db, from_e164="+66899999999")
    case = add_case(db, call, centre_id=centre.id, status="closed", outcome="rescued_assisted", level=2,
                    acknowledged_at=datetime(2026, 11, 25, 3, 20, tzinfo=UTC),
                    closed_at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC), reference="1300-69-000931",
                    sla_missed_level=1, sla_missed_at=datetime(2026, 11, 25, 3, 15, tzinfo=UTC))  # acknowledged late
    add_case(db, province_code="10", reference="1300-69-000932")
    add_case(db, province_code="50", status="closed", outcome="false_report", reference="=HYPERLINK(1)")
    db.add(Annotation(case_id=case.id, author_id=users["supervisor"].id, body="secret note"))
    db.commit()
    users["supervisor"].language = "th"
    db.commit()
    response = as_role("supervisor").get("/console/cases.csv?province=50&status=closed")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["reference", "status", "kind", "urgency", "province", "centre", "created", "acknowledged",
                       "closed", "outcome", "level", "missed_level", "missed_at"]
    assert rows[1][0] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    assert rows[2:] == [["1300-69-000931", "closed", "forced_labour", "normal", "เชียงใหม่", "ศปคม.จ.เชียงใหม่",
                         "2026-11-25 10:05:00", "2026-11-25 10:20:00", "2026-11-25 16:00:00", "rescued_assisted", "2",
                         "1", "2026-11-25 10:15:00"]]
    text = response.get_data(as_text=True)
    assert "secret note" not in text and "99999999" not in text
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "export_csv")).one()
    assert entry.user_id == users["supervisor"].id and entry.target == "cases"
    assert "province=50" in entry.reason and "status=closed" in entry.reason


def test_the_csv_export_is_for_supervisors_and_admins_only(as_role, db):
    add_case(db)
    assert as_role("operator").get("/console/cases.csv").status_code == 403
    assert as_role("field_officer").get("/console/cases.csv").status_code == 403
    assert "cases.csv" not in as_role("operator").get("/console/cases").get_data(as_text=True)
    assert len(_csv(as_role("admin").get("/console/cases.csv"))) == 2
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "export_csv")).all()[0].target == "cases"


def _old_export(db, language: str, province: str | None = None) -> str:
    """What cases.csv sent before it was streamed: every ORM object read at once, then one csv.writer."""
    from hotline.console.cases import CSV_COLUMNS, EXPORT_LIMIT
    from hotline.console.export import cell, local_time
    from models.places import province_name

    statement = select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(EXPORT_LIMIT)
    if province:
        statement = statement.where(Case.province_code == province)
    rows = db.scalars(statement).all()
    table = [(case.reference, case.status, case.category or "", case.urgency,
              province_name(case.province_code, language) or case.province_code or "",
              (case.centre.name_th if language == "th" else case.centre.name_en) if case.centre else "",
              local_time(case.created_at), local_time(case.acknowledged_at), local_time(case.closed_at),
              case.outcome or "", case.level, "" if case.sla_missed_level is None else case.sla_missed_level,
              local_time(case.sla_missed_at)) for case in rows]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([cell(value) for value in row] for row in table)
    return "\ufeff" + out.getvalue()


def _many_cases(db) -> None:
    """Cases of every shape: with and without a centre, kind, times, an outcome; a formula; Thai text."""
    centres = [Centre(code="50", province_code=None, name_th="ศปคม.จ.เชียงใหม่", name_en="Chiang Mai centre"),
               Centre(code="10", province_code=None, name_th="ศปคม.กทม.", name_en="=Bangkok, \"centre\"")]
    db.add_all(centres)
    db.flush()
    start = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    for i in range(23):
        at = start + timedelta(hours=7 * i)
        add_case(db, province_code=(None, "50", "10", "96")[i % 4], category=None if i % 5 == 0 else "slavery",
                 centre_id=centres[i % 2].id if i % 3 else None, created_at=at if i != 7 else start,  # a tie on time
                 status="closed" if i % 2 else "acknowledged", outcome="false_report" if i % 2 else None,
                 acknowledged_at=at + timedelta(minutes=i), closed_at=at + timedelta(days=1) if i % 2 else None,
                 level=i % 4, reference="+1300 formula" if i == 11 else None,
                 sla_missed_level=i % 3 or None, sla_missed_at=at + timedelta(minutes=5) if i % 3 else None)


def test_the_csv_export_is_streamed_in_batches_and_sends_what_it_sent_before(as_role, users, db, monkeypatch):
    from hotline.console import export

    _many_cases(db)
    monkeypatch.setattr(export, "BATCH", 4)
    for language in ("en", "th"):
        users["supervisor"].language = language
        db.commit()
        browser = as_role("supervisor")
        for query, province in (("", None), ("?province=50", "50")):
            response = browser.get(f"/console/cases.csv{query}", buffered=False)
            assert response.is_streamed and "Content-Length" not in response.headers
            assert response.mimetype == "text/csv"
            assert re.fullmatch(r'attachment; filename="cases-\d{8}-\d{4}\.csv"', response.headers["Content-Disposition"])
            chunks = list(response.response)
            response.close()
            assert len(chunks) > 1 and chunks[0].decode("utf-8").count("\r\n") == 1 + 4  # header and one batch
            assert b"".join(chunks).decode("utf-8") == _old_export(db, language, province)


def test_the_audited_count_is_the_rows_sent_capped_at_the_limit(as_role, users, db, monkeypatch):
    from hotline.console import cases

    _many_cases(db)
    browser = as_role("admin")
    assert len(_csv(browser.get("/console/cases.csv?province=50"))) == 1 + 6
    assert len(_csv(browser.get("/console/cases.csv?status=acknowledged&province=10"))) == 1 + 6
    monkeypatch.setattr(cases, "EXPORT_LIMIT", 10)
    assert len(_csv(browser.get("/console/cases.csv"))) == 1 + 10
    assert len(_csv(browser.get("/console/cases.csv?province=96"))) == 1 + 5
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "export_csv").order_by(AuditEntry.id)).all()
    assert [(e.user_id, e.target, e.reason) for e in entries] == [
        (users["admin"].id, "cases", "province=50 (6 rows)"),
        (users["admin"].id, "cases", "province=10; status=acknowledged (6 rows)"),
        (users["admin"].id, "cases", " (10 rows)"),
        (users["admin"].id, "cases", "province=96 (5 rows)"),
    ]


def test_the_audit_entry_is_committed_before_the_first_byte(as_role, users, db):
    _many_cases(db)
    response = as_role("supervisor").get("/console/cases.csv", buffered=False)
    chunks = iter(response.response)
    with db.get_bind().connect() as elsewhere:  # another connection sees it before a row is read
        assert elsewhere.scalar(select(AuditEntry.reason).where(AuditEntry.action == "export_csv")) == " (23 rows)"
    assert len(b"".join(chunks).decode("utf-8").splitlines()) == 1 + 23
    response.close()


def test_a_case_acknowledged_late_stays_marked_in_the_list_its_page_and_the_late_filter(as_role, db):
    now = utcnow()
    missed = dict(sla_missed_level=1, sla_missed_at=now - timedelta(minutes=40))
    acked_late = add_case(db, status="acknowledged", acknowledged_at=now - timedelta(minutes=15), reference="1300-69-000921",
                          level=2, **missed)
    add_case(db, status="closed", outcome="false_report", acknowledged_at=now - timedelta(minutes=15),
             reference="1300-69-000922", **missed)
    add_case(db, status="acknowledged", acknowledged_at=now - timedelta(minutes=50), reference="1300-69-000923")
    add_case(db, status="escalating", level=2, sla_due_at=now + timedelta(minutes=20), reference="1300-69-000924",
             **missed)  # missed level 1, waiting at level 2
    with time_machine.travel(now, tick=False):
        browser = as_role("operator")
        page = browser.get("/console/cases").get_data(as_text=True)
        row = lambda ref: page[page.index(ref):page.index("</tr>", page.index(ref))]  # noqa: E731
        assert "late, level 1, +25 min" in row("1300-69-000921") and "late, level 1, +25 min" in row("1300-69-000922")
        assert "late, level 1, +40 min" in row("1300-69-000924")
        assert "late" not in row("1300-69-000923")
        filtered = browser.get("/console/cases?unacknowledged=yes").get_data(as_text=True)
        assert all(ref in filtered for ref in ("1300-69-000921", "1300-69-000922", "1300-69-000924"))
        assert "1300-69-000923" not in filtered and "late (waiting or acknowledged late)" in filtered
        case_page = browser.get(f"/console/cases/{acked_late.id}").get_data(as_text=True)
        assert "late, level 1, +25 min" in case_page
