"""The operator desk's first step (issue 16): states and their moves, endpoints, the interpreters' CSV, and the
`flask desk`, `flask users create --speaks` and `flask interpreters` commands, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from helpers.console_support import add_user
from sqlalchemy import select

from casework import accounts, desk, interpreters
from models import AuditEntry, DeskProfile, Interpreter, User
from models.reference import ReferenceDataError, load_interpreters

PASSWORD = ["--password", "a long enough secret"]


def profile(db, username="op1", role="operator", state="away", **fields) -> tuple[User, DeskProfile]:
    user = add_user(db, username, role)
    row = DeskProfile(user_id=user.id, languages=["th"], endpoint="browser", state=state, **fields)
    db.add(row)
    db.commit()
    return user, row


def audits(db, action="desk_state") -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_a_person_chooses_available_or_away_and_each_change_is_kept_and_audited(db):
    user, row = profile(db)
    before = row.state_since
    desk.set_state(db, user, "available", f"user:{user.id}")
    db.commit()
    assert (row.state, row.state_by) == ("available", f"user:{user.id}") and row.state_since > before
    desk.set_state(db, user, "available", f"user:{user.id}")  # a double click changes nothing twice
    desk.set_state(db, user, "away", f"user:{user.id}")
    db.commit()
    assert [(a.user_id, a.target, a.reason) for a in audits(db)] == [
        (user.id, f"user:{user.id}", "away -> available"), (user.id, f"user:{user.id}", "available -> away")]


@pytest.mark.parametrize("state", ["offered", "on_call", "wrap_up"])
def test_the_routers_states_are_refused_to_a_person(db, state):
    user, row = profile(db)
    with pytest.raises(desk.Refused) as refused:
        desk.set_state(db, user, state, f"user:{user.id}")
    assert refused.value.problem == "not_chosen" and row.state == "away"


def test_moves_follow_the_table(db):
    user, row = profile(db, state="on_call")
    with pytest.raises(desk.Refused) as refused:
        desk.set_state(db, user, "available", f"user:{user.id}")  # the call is real: only its end moves them
    assert refused.value.problem == "not_from"
    desk.set_state(db, user, "wrap_up", "system", router=True)
    desk.set_state(db, user, "available", f"user:{user.id}")  # ends the wrap-up
    with pytest.raises(desk.Refused):
        desk.set_state(db, user, "on_call", "system", router=True)  # an offer comes first
    with pytest.raises(desk.Refused) as unknown:
        desk.set_state(db, user, "asleep", "system", router=True)
    assert unknown.value.problem == "unknown_state"
    nobody = add_user(db, "op2", "operator")
    with pytest.raises(desk.Refused) as none:
        desk.set_state(db, nobody, "available", f"user:{nobody.id}")
    assert none.value.problem == "no_profile"


def test_becoming_available_clears_the_missed_mark(db):
    user, row = profile(db, state="offered")
    desk.set_state(db, user, "away", "system", "missed", router=True)
    row.missed_at = row.state_since
    desk.set_state(db, user, "available", f"user:{user.id}")
    assert row.missed_at is None


def test_ending_logins_makes_them_away_but_not_during_a_call(db):
    on_call, _ = profile(db, "op1", state="on_call")
    ready, ready_row = profile(db, "op2", state="available")
    for user in (on_call, ready):
        accounts.set_active(db, user, False)
    db.commit()
    assert db.get(DeskProfile, on_call.id).state == "on_call"
    assert (ready_row.state, ready_row.state_by) == ("away", "system")
    assert [a.reason for a in audits(db)] == ["system: available -> away (deactivated)"]


@pytest.mark.parametrize("text, stored", [
    ("browser", "browser"), ("081 234 5678", "+66812345678"), ("+66 2 000 0101", "+6620000101"),
    ("sip:op1@pbx.example.org", "sip:op1@pbx.example.org"), ("sip:+66812345678@10.0.0.5:5061;transport=tls",
                                                             "sip:+66812345678@10.0.0.5:5061;transport=tls")])
def test_endpoints(text, stored):
    assert desk.endpoint(text) == stored


@pytest.mark.parametrize("text, problem", [
    ("12345", "bad_phone"), ("", "bad_phone"), ("anonymous", "bad_phone"), ("sip:nobody", "bad_sip"),
    ("sip:a b@host", "bad_sip"), ("sip:op1@host;<script>", "bad_sip"), ("sip:" + "a" * 70 + "@host", "bad_sip")])
def test_bad_endpoints(text, problem):
    with pytest.raises(desk.Refused) as refused:
        desk.endpoint(text)
    assert refused.value.problem == problem


def test_masked_endpoints():
    assert desk.masked_endpoint("+66812345678") == "+668XXXX5678"
    assert desk.masked_endpoint("sip:op1@pbx.example.org") == "sip:o…@pbx.example.org"
    assert desk.masked_endpoint("browser") == "browser"


def test_a_profile_needs_a_desk_role_and_known_languages(db):
    admin = add_user(db, "boss", "admin")
    with pytest.raises(desk.Refused) as refused:
        desk.save_profile(db, admin, ["th"], "browser", "system")
    assert refused.value.problem == "no_desk_role"
    operator = add_user(db, "op1", "operator")
    for spoken, problem in (([], "no_language"), (["th", "fr"], "unknown_language")):
        with pytest.raises(desk.Refused) as refused:
            desk.save_profile(db, operator, spoken, "browser", "system")
        assert refused.value.problem == problem
    row = desk.save_profile(db, operator, ["my", " TH "], "0812345678", f"user:{operator.id}")
    assert (row.languages, row.endpoint, row.state) == (["th", "my"], "+66812345678", "away")


def test_users_create_makes_the_desk_profile(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "op1", "--role", "operator", "--speaks", "th,my",
                                 "--phone", "081 234 5678", "--language", "en", *PASSWORD])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "op1"))
    row = db.get(DeskProfile, user.id)
    assert (user.language, row.languages, row.endpoint, row.state) == ("en", ["th", "my"], "+66812345678", "away")
    result = runner.invoke(args=["users", "create", "sup1", "--role", "supervisor", "--speaks", "km",
                                 "--sip", "sup1@pbx.example.org", *PASSWORD])
    assert result.exit_code == 0, result.output
    assert db.scalar(select(DeskProfile.endpoint).join(User).where(User.username == "sup1")) == "sip:sup1@pbx.example.org"


@pytest.mark.parametrize("options, message", [
    (["--role", "admin", "--speaks", "th"], "for operators and supervisors only"),
    (["--role", "field_officer", "--province", "50", "--phone", "0812345678", "--speaks", "th"], "operators and supervisors only"),
    (["--role", "operator", "--speaks", "th,fr"], "--speaks takes language codes"),
    (["--role", "operator", "--phone", "0812345678"], "--phone and --sip need --speaks"),
    (["--role", "operator", "--speaks", "th", "--phone", "12"], "--phone is not a valid number"),
    (["--role", "operator", "--speaks", "th", "--phone", "sip:a@b"], "--phone is not a valid number"),
    (["--role", "operator", "--speaks", "th", "--sip", "nobody"], "--sip is not a SIP address"),
    (["--role", "operator", "--speaks", "th", "--sip", "a@b", "--phone", "0812345678"], "not both"),
])
def test_users_create_refuses_a_bad_desk_profile_and_creates_nobody(app, db, options, message):
    result = app.test_cli_runner().invoke(args=["users", "create", "someone", *options, *PASSWORD])
    assert result.exit_code != 0 and message in result.output, result.output
    assert db.scalar(select(User.id)) is None


def test_desk_status_and_set(app, db):
    runner = app.test_cli_runner()
    assert "nobody has a desk profile" in runner.invoke(args=["desk", "status"]).output
    user, row = profile(db, "op1")
    row.endpoint, row.languages = "+66812345678", ["th", "my"]
    db.commit()
    result = runner.invoke(args=["desk", "set", "OP1", "available"])
    assert result.exit_code == 0 and "op1 is available" in result.output, result.output
    output = runner.invoke(args=["desk", "status"]).output
    assert "op1" in output and "available" in output and "th,my" in output and "+668XXXX5678" in output
    assert "812345678" not in output
    [entry] = audits(db)
    assert (entry.user_id, entry.reason) == (None, "flask desk set: away -> available")
    refused = runner.invoke(args=["desk", "set", "op1", "on_call"])
    assert refused.exit_code != 0 and "the router's" in refused.output
    assert "no user 'ghost'" in runner.invoke(args=["desk", "set", "ghost", "away"]).output
    add_user(db, "sup", "supervisor")
    assert "has no desk profile" in runner.invoke(args=["desk", "set", "sup", "away"]).output
    assert runner.invoke(args=["desk", "set", "op1", "asleep"]).exit_code != 0


CSV = """# made-up numbers
name,language,phone,on_duty
Ko Min,my,+6620000101,yes
Ma Hla,my,02 000 0102,no
Sokha,km,+6620000201,
"""


def test_interpreters_load_is_an_idempotent_upsert_that_keeps_console_edits(app, db, tmp_path):
    path = tmp_path / "interpreters.csv"
    path.write_text(CSV, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["interpreters", "load", str(path)])
    assert result.exit_code == 0 and "interpreters: 3 (3 new, 0 changed)" in result.output, result.output
    assert "3 (0 new, 0 changed)" in runner.invoke(args=["interpreters", "load", str(path)]).output
    rows = {(i.language, i.phone): i for i in db.scalars(select(Interpreter))}
    assert rows[("my", "+6620000102")].on_duty is False and rows[("km", "+6620000201")].on_duty is True
    interpreters.set_duty(rows[("my", "+6620000101")], False)  # a supervisor, in the console
    db.commit()
    path.write_text(CSV.replace("Sokha,km,+6620000201,\n", "").replace("Ma Hla", "Ma Hla Hla"), encoding="utf-8")
    output = runner.invoke(args=["interpreters", "load", str(path)]).output
    assert "1 (0 new, 1 changed, 1 deactivated, 1 kept as edited in the console)" in output, output
    db.expire_all()
    assert rows[("my", "+6620000101")].on_duty is False and rows[("km", "+6620000201")].active is False
    assert [i.name for i in interpreters.on_duty(db, "my")] == []
    shown = runner.invoke(args=["interpreters", "show"]).output
    assert "Ma Hla Hla" in shown and "+662XXX0102" in shown and "20000102" not in shown


@pytest.mark.parametrize("row, message", [
    ("Ko Min,xx,+6620000101,yes", "language 'xx'"), ("Ko Min,my,12345,yes", "phone '12345' is not a valid number"),
    ("Ko Min,my,+6620000101,maybe", "on_duty 'maybe'"), (",my,+6620000101,yes", "name is empty"),
    ("Ko Min,my,+6620000101,yes\nKo Min again,my,020000101,yes", "repeats line 3")])
def test_a_bad_interpreters_row_loads_nothing(app, db, tmp_path, row, message):
    path = tmp_path / "interpreters.csv"
    path.write_text(f"name,language,phone,on_duty\nSokha,km,+6620000201,yes\n{row}\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["interpreters", "load", str(path)])
    assert result.exit_code != 0 and message in result.output and "nothing was loaded" in result.output, result.output
    assert db.scalar(select(Interpreter.id)) is None


def test_the_sample_csv_loads(db):
    from hotline.cli.desk import ROOT

    counts = load_interpreters(db, ROOT / "data" / "interpreters.csv")
    assert counts["new"] == 5 and all(i.phone.startswith("+6620000") for i in db.scalars(select(Interpreter)))
    with pytest.raises(ReferenceDataError):
        load_interpreters(db, ROOT / "data" / "contacts.csv")


def test_interpreters_rules(db):
    ko = interpreters.save(db, None, " Ko Min ", "02 000 0101", "my", True)
    assert (ko.name, ko.phone, ko.console_edited_at is not None) == ("Ko Min", "+6620000101", True)
    for args, problem in ((("", "0200000102", "my"), "no_name"), (("x" * 121, "0200000102", "my"), "long_name"),
                          (("Ma", "0200000102", "fr"), "unknown_language"), (("Ma", "12", "my"), "bad_phone"),
                          (("Ma", "+6620000101", "my"), "taken")):
        with pytest.raises(interpreters.Refused) as refused:
            interpreters.save(db, None, *args, True)
        assert refused.value.problem == problem
    assert interpreters.deactivate(ko) and not interpreters.deactivate(ko)
    again = interpreters.save(db, None, "Ko Min", "+6620000101", "my", True)  # the old row, taken up again
    assert again is ko and ko.active
